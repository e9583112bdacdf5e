"""Factories for the bot's deps over the sample workspace. Each factory closes what it built.

`DepsFactory` is what the domain, render and end-to-end tests share: `build_deps` exactly as
the bot calls it, with the sample's fake Pendo and Zendesk apps plugged in as in-process transports, a
fixed clock and (by default) retry back-off without the wait.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from bot.deps import Deps, build_deps
from bot.domain.tickets import TicketLookup
from bot.http.upstream import Sleep
from bot.sample import SAMPLE_PENDO_KEY, FakeControls, Workspace, create_pendo_app, create_zendesk_app
from bot.sample import sample_settings as point_at_sample
from bot.sample.helpdesk import Helpdesk
from bot.settings import Settings, load_settings


async def no_sleep(_seconds: float) -> None:
    """Retry back-off without the wait: keeps the retry tests fast and deterministic."""


@dataclass
class SampleDeps:
    deps: Deps
    settings: Settings
    controls: FakeControls  # the fake Pendo's request log and fault injection
    zendesk_controls: FakeControls
    pendo_app: Starlette | None = None  # the fake Pendo itself (`app.state.set_timezone`, ...)
    helpdesk: Helpdesk | None = None  # the fake Zendesk's tickets, comments, webhooks and triggers

    @property
    def tickets(self) -> TicketLookup:
        """The ticket service (these deps always have Zendesk unless built with `zendesk=False`)."""
        assert self.deps.tickets is not None, "built without Zendesk"
        return self.deps.tickets

    @property
    def requests(self) -> list[Any]:
        return self.controls.requests

    def aggregations(self) -> list[list[dict[str, Any]]]:
        """The pipeline of every aggregation request sent so far."""
        return [
            r.json()["request"]["pipeline"] for r in self.controls.requests if r.path == "/api/v1/aggregation"
        ]


class DepsFactory:
    """`make(**settings_overrides)` → deps over fresh fake apps (fresh request logs, fresh cache).

    Settings point at the sample's fake APIs with its credentials, unless the overrides set
    PENDO_INTEGRATION_KEY. `pendo_app_key` sets the key the fake Pendo accepts; `pendo_options` are
    `create_pendo_app` keywords (subscription time zone, history reading); `ws` another workspace (e.g.
    built in another time zone); `zendesk=False` leaves Zendesk unconfigured; `sleep=None` keeps the real
    back-off.
    """

    def __init__(self, ws: Workspace, now_ms: int) -> None:
        self.ws = ws
        self.now_ms = now_ms
        self.made: list[Deps] = []

    def __call__(
        self,
        *,
        pendo_app_key: str = SAMPLE_PENDO_KEY,
        pendo_options: dict[str, Any] | None = None,
        ws: Workspace | None = None,
        zendesk: bool = True,
        sleep: Sleep | None = no_sleep,
        **overrides: Any,
    ) -> SampleDeps:
        overrides.setdefault("pendo_email_field", "")
        settings = load_settings(**overrides)
        if not settings.pendo_configured:
            settings = point_at_sample(settings)
        if not zendesk:
            settings = settings.model_copy(update={"zendesk_subdomain": None})
        workspace = ws or self.ws
        pendo_app = create_pendo_app(workspace, key=pendo_app_key, **(pendo_options or {}))
        zendesk_app = create_zendesk_app(workspace)
        deps = build_deps(
            settings,
            pendo_transport=httpx.ASGITransport(app=pendo_app),
            zendesk_transport=httpx.ASGITransport(app=zendesk_app) if zendesk else None,
            now_ms=lambda: self.now_ms,
            sleep=sleep,
        )
        self.made.append(deps)
        return SampleDeps(
            deps,
            settings,
            pendo_app.state.controls,
            zendesk_app.state.controls,
            pendo_app,
            zendesk_app.state.helpdesk,
        )

    async def aclose(self) -> None:
        while self.made:
            await self.made.pop().aclose()


@asynccontextmanager
async def deps_factory(ws: Workspace, now_ms: int) -> AsyncIterator[DepsFactory]:
    factory = DepsFactory(ws, now_ms)
    try:
        yield factory
    finally:
        await factory.aclose()
