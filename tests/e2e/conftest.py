"""End-to-end harness: the real ASGI app, signed Slack requests, a fake Slack Web API on loopback.

Slack → bot: signed HTTP requests to the Starlette app (POST /slack/events).
Bot → Slack: real HTTP to a local fake Web API and response_url receiver (`SLACK_API_URL`).
Bot → Pendo/Zendesk: the sample workspace's fake APIs, with their request logs and fault injection.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bot.deps import Deps
from bot.sample import FakeControls, build_workspace
from bot.sample.data import Workspace
from bot.sample.helpdesk import Helpdesk
from bot.sample.slack_api import FakeSlack, SlackCall
from bot.slack.app import build_app
from bot.slack.web import SlackRequestGate, create_web_app
from tests.support.factories import DepsFactory

SECRET = "e2e-signing-secret-0123456789"
BOT_TOKEN = "xoxb-e2e-bot-token-0123456789"
NOW = 1_795_000_000_000 + 13 * 3_600_000


@dataclass
class Bot:
    http: httpx.AsyncClient
    slack: FakeSlack
    slack_url: str
    deps: Deps
    ws: Workspace
    pendo: FakeControls
    zendesk: FakeControls
    web: ASGIApp
    startup_calls: list[SlackCall] = field(default_factory=list)  # Slack calls made while starting
    helpdesk: Helpdesk | None = None  # the fake Zendesk's tickets and comments

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Bot]:
        """Start the app as the server does (its lifespan), and on the way out stop it and close it.

        The Slack calls made at start-up move to `startup_calls`, so each test sees only its own.
        """
        async with AsyncExitStack() as stack:
            stack.push_async_callback(self.deps.aclose)
            stack.push_async_callback(self.http.aclose)
            before = len(self.slack.calls)
            app = self.web.app if isinstance(self.web, SlackRequestGate) else self.web
            assert isinstance(app, Starlette)
            await stack.enter_async_context(app.router.lifespan_context(app))
            self.startup_calls = self.slack.calls[before:]
            del self.slack.calls[before:]
            yield self

    def sign(self, body: str, ts: int | None = None) -> dict[str, str]:
        stamp = str(ts if ts is not None else int(time.time()))
        return {
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
            or "",
        }

    async def command(
        self, text: str, *, user: str = "U0AGENT", channel: str = "C0SUPPORT"
    ) -> tuple[httpx.Response, str]:
        rid = uuid.uuid4().hex[:10]
        body = urlencode(
            {
                "token": "ignored",
                "team_id": "T0001",
                "team_domain": "sample",
                "channel_id": channel,
                "channel_name": "support",
                "user_id": user,
                "user_name": "agent",
                "command": "/pendo",
                "text": text,
                "api_app_id": "A0001",
                "is_enterprise_install": "false",
                "response_url": f"{self.slack_url}/response/{rid}",
                "trigger_id": self.slack.issue_trigger(),  # expires 3 s from now, as Slack's do
            }
        )
        headers = {"content-type": "application/x-www-form-urlencoded", **self.sign(body)}
        return await self.http.post("/slack/events", content=body, headers=headers), rid

    async def action(
        self, action_id: str, value: str, *, user: str = "U0AGENT", channel: str = "C0SUPPORT"
    ) -> tuple[httpx.Response, str]:
        rid = uuid.uuid4().hex[:10]
        payload = {
            "type": "block_actions",
            "team": {"id": "T0001"},
            "user": {"id": user},
            "api_app_id": "A0001",
            "container": {
                "type": "message",
                "message_ts": "1.2",
                "channel_id": channel,
                "is_ephemeral": True,
            },
            "channel": {"id": channel},
            "trigger_id": "1.2.3",
            "response_url": f"{self.slack_url}/response/{rid}",
            "actions": [
                {"action_id": action_id, "block_id": "b", "type": "button", "value": value, "action_ts": "1"}
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        headers = {"content-type": "application/x-www-form-urlencoded", **self.sign(body)}
        return await self.http.post("/slack/events", content=body, headers=headers), rid

    async def event(
        self, event: dict[str, Any], *, retry: int | None = None, event_id: str | None = None
    ) -> httpx.Response:
        envelope = {
            "token": "ignored",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:8]}",
            "event_time": 1,
            "authorizations": [{"team_id": "T0001", "user_id": "UBOT0001", "is_bot": True}],
        }
        body = json.dumps(envelope)
        headers = {"content-type": "application/json", **self.sign(body)}
        if retry is not None:
            headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
        return await self.http.post("/slack/events", content=body, headers=headers)

    def responses(self, rid: str) -> list[dict[str, Any]]:
        return [c.body for c in self.slack.responses if c.method == rid]

    async def final_response(self, rid: str, count: int = 1) -> dict[str, Any]:
        await self.slack.wait_for(lambda: len(self.responses(rid)) >= count)
        return self.responses(rid)[count - 1]


@functools.cache
def workspace() -> Workspace:
    return build_workspace(NOW)


def make_bot(
    fake_slack: FakeSlack,
    slack_url: str,
    *,
    zendesk: bool = True,
    ws: Workspace | None = None,
    pendo_options: dict[str, Any] | None = None,
    **overrides: Any,
) -> Bot:
    """A bot over the sample APIs, not started: prefer the `new_bot` fixture, which starts and closes it.

    `ws`: another workspace (e.g. built in another time zone); `pendo_options`: `create_pendo_app`
    keywords (subscription time zone, history reading)."""
    made = DepsFactory(ws or workspace(), NOW)(
        zendesk=zendesk,
        pendo_options=pendo_options,
        sleep=None,  # the real back-off, as in production
        **{
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SECRET,
            "slack_api_url": f"{slack_url}/api/",
            **overrides,
        },
    )
    web = create_web_app(build_app(made.settings, made.deps), made.deps)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot.test")
    return Bot(
        http,
        fake_slack,
        slack_url,
        made.deps,
        workspace(),
        made.controls,
        made.zendesk_controls,
        web,
        helpdesk=made.helpdesk,
    )


NewBot = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def new_bot(
    clean_env: None, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> AsyncIterator[NewBot]:
    """`await new_bot(zendesk=..., **settings_overrides)`: a started bot, stopped and closed after the test
    whether it passed or not."""
    async with AsyncExitStack() as stack:

        async def new(*, zendesk: bool = True, **overrides: Any) -> Bot:
            made = make_bot(fake_slack, slack_server[1], zendesk=zendesk, **overrides)
            return await stack.enter_async_context(made.running())

        yield new


@pytest.fixture
async def bot(new_bot: NewBot) -> Bot:
    return await new_bot()
