"""Notes on Zendesk tickets: the bot's deps over the sample, its webhook served on a real loopback port.

`Desk` is one running bot (its deps, the Socket Mode webhook listener on 127.0.0.1) over a fake Zendesk
that several bots may share (`fake_zendesk`), as two instances or a restart would.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.deps import Deps, build_deps
from bot.notes.endpoint import ZENDESK_PATH, webhook_server
from bot.sample import (
    FakeControls,
    Workspace,
    build_workspace,
    create_pendo_app,
    create_zendesk_app,
    sample_settings,
)
from bot.sample.helpdesk import Helpdesk, iso
from bot.settings import load_settings
from bot.zendesk.webhook import sign
from tests.domain.conftest import NOW
from tests.support.factories import no_sleep

SECRET = "zendesk-webhook-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = iso(int((time.time() if at is None else at) * 1000))
    return {
        "content-type": "application/json",
        "x-zendesk-webhook-signature": sign(secret, stamp, body),
        "x-zendesk-webhook-signature-timestamp": stamp,
    }


@dataclass
class FakeZendesk:
    app: Starlette

    @property
    def helpdesk(self) -> Helpdesk:
        desk: Helpdesk = self.app.state.helpdesk
        return desk

    @property
    def controls(self) -> FakeControls:
        controls: FakeControls = self.app.state.controls
        return controls

    def puts(self, ticket_id: int) -> list[Any]:
        return [
            r
            for r in self.controls.requests
            if r.method == "PUT" and r.path == f"/api/v2/tickets/{ticket_id}.json"
        ]


@dataclass
class Desk:
    deps: Deps
    http: httpx.AsyncClient  # to the webhook, over real HTTP on loopback
    pendo: FakeControls

    @property
    def queue(self) -> Any:
        assert self.deps.note_queue is not None
        return self.deps.note_queue

    async def deliver(self, ticket_id: object, **kwargs: Any) -> httpx.Response:
        body = json.dumps({"ticket_id": ticket_id}).encode()
        return await self.http.post(ZENDESK_PATH, content=body, headers=signed(body, **kwargs))


NewDesk = Callable[..., Any]


@pytest.fixture(scope="session")
def ws() -> Workspace:
    return build_workspace(NOW)


@pytest.fixture
def fake_zendesk(ws: Workspace) -> FakeZendesk:
    return FakeZendesk(create_zendesk_app(ws))


@pytest.fixture
async def new_desk(ws: Workspace, fake_zendesk: FakeZendesk) -> AsyncIterator[NewDesk]:
    """`await new_desk(**settings)`: a bot (fresh memory) serving the webhook, over `fake_zendesk`."""
    async with AsyncExitStack() as stack:

        async def new(*, zendesk: FakeZendesk | None = None, **overrides: Any) -> Desk:
            overrides.setdefault("pendo_email_field", "")
            settings = sample_settings(load_settings(zendesk_webhook_secret=SECRET, **overrides))
            pendo_app = create_pendo_app(ws)
            deps = build_deps(
                settings,
                pendo_transport=httpx.ASGITransport(app=pendo_app),
                zendesk_transport=httpx.ASGITransport(app=(zendesk or fake_zendesk).app),
                now_ms=lambda: NOW,
                sleep=no_sleep,
            )
            stack.push_async_callback(deps.aclose)
            assert deps.note_queue is not None
            deps.note_queue.backoff = (0.05,)  # retries at once: the waits are tested on their own
            port = free_port()
            await stack.enter_async_context(webhook_server(deps, port, host="127.0.0.1"))
            http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
            stack.push_async_callback(http.aclose)
            return Desk(deps, http, pendo_app.state.controls)

        yield new
