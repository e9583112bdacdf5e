"""Ticket alerts end to end: the bot's deps over the sample Pendo and Zendesk, its Zendesk webhook served
on a real loopback port (`webhook_server`, as in Socket Mode), the notes' durable queue, and the fake
Slack on loopback, which the bot's own Web API client (`bot.slack.app.slack_client`) posts to.

Time is the sample's: the workspace is built at `NOW` (tests/domain/conftest.py), tickets are filed in
the fake Zendesk at `NOW`, the lookups' clock is `NOW`, and the alert handler's clock a minute after
(`AlertDesk.minutes_after_filing`), so every figure is the sample's own. The webhook's signature is
stamped with the real time, as Zendesk signs it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import metrics
from bot.deps import Deps, build_deps
from bot.notes.endpoint import ZENDESK_PATH, webhook_server
from bot.sample import (
    SAMPLE_ZENDESK_EMAIL,
    SAMPLE_ZENDESK_TOKEN,
    FakeControls,
    Workspace,
    build_workspace,
    create_pendo_app,
    create_zendesk_app,
    sample_settings,
    with_sample_extras,
)
from bot.sample.helpdesk import iso
from bot.sample.slack_api import FakeSlack
from bot.settings import load_settings
from bot.slack.app import slack_client
from bot.zendesk.client import basic_auth_header
from tests.domain.conftest import NOW
from tests.notes.conftest import FakeZendesk, free_port, signed
from tests.support.factories import no_sleep

SECRET = "alerts-webhook-test-secret"
ALERTS = "CALERTS01"
MINUTE = 60.0


def count(result: str, label: str) -> float:
    """The alerts counter now: `result` "sent" with a rule, "not_sent" with a reason."""
    child = (
        metrics.ALERTS.labels(result, label, "")
        if result == "sent"
        else metrics.ALERTS.labels(result, "", label)
    )
    return float(child._value.get())


@dataclass
class AlertDesk:
    deps: Deps
    http: httpx.AsyncClient  # to the webhook, over real HTTP on loopback
    pendo: FakeControls
    zendesk: FakeZendesk
    slack: FakeSlack

    @property
    def queue(self) -> Any:
        assert self.deps.note_queue is not None
        return self.deps.note_queue

    def minutes_after_filing(self, minutes: float) -> None:
        """The alert handler's clock: `minutes` after the tickets' creation (NOW)."""
        assert self.deps.alerts is not None
        self.deps.alerts.clock = lambda: NOW / 1000 + minutes * MINUTE

    async def file(self, email: str, subject: str = "Export fails") -> int:
        """A new ticket in the fake Zendesk, filed by the requester with `email`, at NOW."""
        user = next(u for u in self.zendesk.helpdesk.ws.zendesk_users.values() if u.get("email") == email)
        transport = httpx.ASGITransport(app=self.zendesk.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://zendesk.sample") as client:
            body = {"ticket": {"subject": subject, "requester_id": user["id"], "comment": {"body": subject}}}
            auth = basic_auth_header(SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN)
            answer = await client.post("/api/v2/tickets.json", json=body, headers={"authorization": auth})
        assert answer.status_code == 201, answer.text
        return int(answer.json()["ticket"]["id"])

    async def deliver(
        self, ticket_id: int, email: str | None = None, *, at: float | None = None
    ) -> httpx.Response:
        """The trigger's signed body for `ticket_id`: the requester's email and the ticket's times (those
        the fake Zendesk holds; `email` for a ticket it does not have, created at NOW)."""
        ticket = self.zendesk.helpdesk.tickets.get(ticket_id)
        if ticket is not None:
            users = self.zendesk.helpdesk.ws.zendesk_users
            email = email or users[ticket["requester_id"]]["email"]
            created, updated = ticket["created_at"], ticket["updated_at"]
        else:
            created = updated = iso(NOW)
        raw = {
            "ticket_id": str(ticket_id),
            "requester_email": email,
            "created_at": created,
            "updated_at": updated,
        }
        body = json.dumps(raw).encode()
        return await self.http.post(ZENDESK_PATH, content=body, headers=signed(body, secret=SECRET, at=at))

    async def settle(self) -> None:
        await self.queue.idle(timeout=30)

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """chat.postMessage calls Slack answered ok (to `channel` when given)."""
        return [
            c.body
            for c in self.slack.calls
            if c.method == "chat.postMessage"
            and (c.result or {}).get("ok")
            and (channel is None or c.body.get("channel") == channel)
        ]

    def ticket_reads(self, ticket_id: int) -> int:
        return sum(
            1
            for r in self.zendesk.controls.requests
            if r.method == "GET" and r.path == f"/api/v2/tickets/{ticket_id}.json"
        )


NewDesk = Callable[..., Any]


@pytest.fixture(scope="session")
def ws() -> Workspace:
    return build_workspace(NOW)


@pytest.fixture
def fake_zendesk(ws: Workspace) -> FakeZendesk:
    zendesk = FakeZendesk(create_zendesk_app(ws))
    zendesk.helpdesk.clock = lambda: NOW / 1000  # tickets filed at the sample's NOW
    return zendesk


@pytest.fixture
async def new_desk(
    clean_env: None,
    tmp_path: Path,
    ws: Workspace,
    fake_zendesk: FakeZendesk,
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
) -> AsyncIterator[NewDesk]:
    """`await new_desk(store="a", **settings)`: a bot (fresh memory) serving the webhook, with alerts on
    ALERTS unless told otherwise; desks given the same `store` share the queue's SQLite file."""
    async with AsyncExitStack() as stack:

        async def new(*, store: str = "a", **overrides: Any) -> AlertDesk:
            overrides.setdefault("alerts_channel", ALERTS)
            overrides.setdefault("pendo_email_field", "agent/email")  # as the demo: OPS is two visitors
            overrides.setdefault("notes_db", str(tmp_path / f"notes-{store}.sqlite3"))
            settings = sample_settings(
                with_sample_extras(
                    load_settings(
                        zendesk_webhook_secret=SECRET,
                        slack_bot_token="xoxb-alerts-test",
                        slack_api_url=f"{slack_server[1]}/api/",
                        **overrides,
                    )
                )
            )
            pendo_app = create_pendo_app(ws)
            deps = build_deps(
                settings,
                pendo_transport=httpx.ASGITransport(app=pendo_app),
                zendesk_transport=httpx.ASGITransport(app=fake_zendesk.app),
                now_ms=lambda: NOW,
                sleep=no_sleep,
                slack=slack_client(settings),
            )
            stack.push_async_callback(deps.aclose)
            assert deps.note_queue is not None
            deps.note_queue.backoff = (0.05,)  # retries at once: the waits are tested on their own
            port = free_port()
            http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
            stack.push_async_callback(http.aclose)
            desk = AlertDesk(deps, http, pendo_app.state.controls, fake_zendesk, fake_slack)
            if deps.alerts is not None:  # before the workers start: they take the jobs left in the store
                desk.minutes_after_filing(1)
            await stack.enter_async_context(webhook_server(deps, port, host="127.0.0.1"))
            return desk

        yield new
