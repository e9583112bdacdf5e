"""The demo's moving parts: the real bot in HTTP mode over the sample workspace, and a fake Slack.

Slack → bot: the page sends signed requests to `POST /slack/events`, exactly as Slack does.
Bot → Slack: the bot's Web API calls and response_url posts go over real loopback HTTP to the fake Slack
(`bot.sample.slack_api`), which records them; the page reads that record. Nothing else connects the page
to the bot.

The switches (a Pendo fault, the subscription time zone) restart the bot: a fresh bot, like a process
restart, so no cached answer hides what the switch changes.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.deps import Deps, build_deps
from bot.sample import create_pendo_app, create_zendesk_app, sample_settings, with_sample_extras
from bot.sample.data import DEFAULT_TIMEZONE, Workspace, build_workspace
from bot.sample.helpdesk import Helpdesk
from bot.sample.server import LoopbackServer
from bot.sample.slack_api import FakeSlack, create_slack_app
from bot.settings import Settings
from bot.slack.app import build_app, slack_client
from bot.slack.web import create_web_app
from bot.zendesk.setup import trigger_json, webhook_json

INTERNAL_CHANNEL = "C0SUPPORT"
SHARED_CHANNEL = "C0EXTACME"
ALERTS_CHANNEL = "C0CSALERTS"  # #cs-alerts: the demo's ALERTS_CHANNEL (docs/alerts.md)
READER = "U0AGENT"

# What each fault does to the fake Pendo API (bot.sample.controls rules), with the label the page shows.
FAULTS: dict[str, str] = {
    "none": "Pendo answers normally",
    "down": "Pendo is down (every call answers 503)",
    "slow": "Pendo is slow (1.5 s per call)",
    "key": "Pendo rejects the integration key (401)",
    "usage": "Pendo's aggregations fail (500): figures missing, the rest shown",
}
# Subscription time zones offered by the switch (IANA names).
TIME_ZONES: tuple[str, ...] = ("America/Chicago", "UTC", "Asia/Tokyo")


@dataclass(frozen=True)
class BotInstance:
    deps: Deps
    web: ASGIApp
    pendo: Starlette  # the fake Pendo app (its `state.controls` inject faults)
    zendesk: Starlette | None = None  # the fake Zendesk app (its `state.helpdesk`: tickets and notes)

    @property
    def helpdesk(self) -> Helpdesk:
        assert self.zendesk is not None
        desk: Helpdesk = self.zendesk.state.helpdesk
        return desk


DEMO_WEBHOOK_ID = "01DEMOPENDOCONTEXT0000000"


class DemoStack:
    """Owns the fake Slack (on its own loopback port), the sample workspace and the current bot."""

    def __init__(
        self, settings: Settings, *, email_field: str | None = None, now_ms: int | None = None
    ) -> None:
        self.base_settings = settings
        self.email_field = email_field
        self.now_ms = now_ms  # a fixed clock (the README's picture); None: the real one
        self.signing_secret = "demo-" + secrets.token_hex(16)
        self.bot_token = "xoxb-demo-" + secrets.token_hex(12)
        self.webhook_secret = "demo-" + secrets.token_hex(16)  # the sample Zendesk signs its webhooks with it
        self.pendo_token = "demo-" + secrets.token_hex(20)  # POST /pendo/webhook/<it>: the NPS control's
        self.slack = FakeSlack(shared_channels={SHARED_CHANNEL})
        self.slack_server = LoopbackServer(create_slack_app(self.slack))
        self.ws: Workspace | None = None
        self.fault = "none"
        self.subscription_tz = DEFAULT_TIMEZONE
        self.bot: BotInstance | None = None
        self._retired: set[asyncio.Task[None]] = set()

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.slack_server.start()
        self.bot = self._build()

    async def aclose(self) -> None:
        retired = list(self._retired)
        for task in retired:
            task.cancel()  # each closes its bot's clients as it ends
        await asyncio.gather(*retired, return_exceptions=True)
        if self.bot is not None:
            await self.bot.deps.aclose()
        await asyncio.to_thread(self.slack_server.stop)

    @property
    def alerts_channel(self) -> str:
        """#cs-alerts' id: ALERTS_CHANNEL when the settings name one, else the demo's own."""
        return self.base_settings.alerts_channel or ALERTS_CHANNEL

    @property
    def slack_url(self) -> str:
        return self.slack_server.base_url

    def settings(self) -> Settings:
        update: dict[str, Any] = {
            "slack_bot_token": SecretStr(self.bot_token),
            "slack_signing_secret": SecretStr(self.signing_secret),
            "slack_app_token": None,
            "slack_api_url": f"{self.slack_url}/api/",
            "zendesk_webhook_secret": SecretStr(self.webhook_secret),
            "alerts_channel": self.alerts_channel,  # a detractor's sample ticket is told in #cs-alerts
            "pendo_webhook_token": SecretStr(self.pendo_token),
        }
        if self.email_field is not None:
            update["pendo_email_field"] = self.email_field
        return sample_settings(with_sample_extras(self.base_settings.model_copy(update=update)))

    def _build(self) -> BotInstance:
        # A fresh workspace per bot: its times are relative to now, as when the bot process starts.
        fixed = self.now_ms
        self.ws = build_workspace(
            fixed if fixed is not None else int(time.time() * 1000), self.subscription_tz
        )
        settings = self.settings()
        pendo = create_pendo_app(self.ws)
        _apply_fault(pendo.state.controls, self.fault)
        # The sample Zendesk's trigger calls the bot's /zendesk/webhook (in-process), signed, on every new
        # ticket: what `pendo-bot zendesk-setup` sets up in a real Zendesk.
        desk = Helpdesk(self.ws, webhook_transport=httpx.ASGITransport(app=self.bot_asgi))
        desk.webhooks[DEMO_WEBHOOK_ID] = {
            "id": DEMO_WEBHOOK_ID,
            **webhook_json("http://demo/zendesk/webhook"),
        }
        desk.secrets_by_webhook[DEMO_WEBHOOK_ID] = self.webhook_secret
        desk.triggers[1] = {"id": 1, **trigger_json(DEMO_WEBHOOK_ID)}
        zendesk = create_zendesk_app(self.ws, helpdesk=desk)
        deps = build_deps(
            settings,
            pendo_transport=httpx.ASGITransport(app=pendo),
            zendesk_transport=httpx.ASGITransport(app=zendesk),
            sample=True,
            now_ms=(lambda: fixed) if fixed is not None else None,
            slack=slack_client(settings),  # the ticket alerts post to the fake Slack, as `serve` does
        )
        return BotInstance(deps, create_web_app(build_app(settings, deps), deps), pendo, zendesk)

    async def restart(self, *, fault: str | None = None, subscription_tz: str | None = None) -> None:
        """Apply the switches and start a fresh bot; the old one finishes what it is doing, then closes."""
        if fault is not None:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}")
            self.fault = fault
        if subscription_tz is not None:
            if subscription_tz not in TIME_ZONES:
                raise ValueError(f"unknown time zone {subscription_tz!r}")
            self.subscription_tz = subscription_tz
        old, self.bot = self.bot, await asyncio.to_thread(self._build)
        if old is not None:
            task = asyncio.create_task(self._retire(old))
            self._retired.add(task)
            task.add_done_callback(self._retired.discard)

    def set_reader_zone(self, zone: str) -> None:
        """The reader changed their Slack profile's zone: `users.info` says so, and the bot forgets the
        zone it cached (as it would once its cache expired)."""
        self.slack.user_zones[READER] = zone
        if self.bot is not None:
            self.bot.deps.memo.clear()

    @staticmethod
    async def _retire(old: BotInstance) -> None:
        try:
            await asyncio.sleep(30)  # a lookup in flight keeps its clients until it is done
        finally:
            await old.deps.aclose()

    async def bot_asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The current bot's HTTP app: /slack/events, /healthz, /readyz."""
        assert self.bot is not None, "start() the stack first"
        await self.bot.web(scope, receive, send)


def _apply_fault(controls: Any, fault: str) -> None:
    controls.clear()
    if fault == "down":
        controls.fail(r"^/api/v1/", 503)
    elif fault == "slow":
        controls.latency = 1.5
    elif fault == "key":
        controls.fail(r"^/api/v1/", 401, body='{"error": "invalid integration key"}')
    elif fault == "usage":
        controls.fail(r"/aggregation$", 500)
