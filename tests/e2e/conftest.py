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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.app import build_app
from bot.sample import (
    FakeControls,
    LoopbackServer,
    build_workspace,
    create_pendo_app,
    create_zendesk_app,
    sample_settings,
)
from bot.sample.data import Workspace
from bot.sample.slack_api import FakeSlack, create_slack_app
from bot.services import Services, build_services
from bot.settings import load_settings
from bot.web import create_web_app

SECRET = "e2e-signing-secret-0123456789"
BOT_TOKEN = "xoxb-e2e-bot-token-0123456789"
NOW = 1_795_000_000_000 + 13 * 3_600_000


@pytest.fixture(scope="session")
def slack_server() -> Iterator[tuple[FakeSlack, str]]:
    state = FakeSlack()
    with LoopbackServer(create_slack_app(state)) as server:
        yield state, server.base_url


@pytest.fixture
def fake_slack(slack_server: tuple[FakeSlack, str]) -> FakeSlack:
    state, _ = slack_server
    state.calls.clear()
    state.responses.clear()
    state.not_in_channels.clear()
    state.shared_channels.clear()
    state.usergroups.clear()
    state.method_errors.clear()
    return state


@dataclass
class Bot:
    http: httpx.AsyncClient
    slack: FakeSlack
    slack_url: str
    services: Services
    ws: Workspace
    pendo: FakeControls
    zendesk: FakeControls

    def sign(self, body: str, ts: int | None = None) -> dict[str, str]:
        stamp = str(ts if ts is not None else int(time.time()))
        return {
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body),
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
                "trigger_id": "1.2.3",
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
    """`ws`: another workspace (e.g. built in another time zone); `pendo_options`: `create_pendo_app`
    keywords (subscription time zone, history reading)."""
    settings = sample_settings(
        load_settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=f"{slack_url}/api/",
            **overrides,
        )
    )
    if not zendesk:
        settings = settings.model_copy(update={"zendesk_subdomain": None})
    ws = ws or workspace()
    pendo_app, zendesk_app = create_pendo_app(ws, **(pendo_options or {})), create_zendesk_app(ws)
    services = build_services(
        settings,
        pendo_transport=httpx.ASGITransport(app=pendo_app),
        zendesk_transport=httpx.ASGITransport(app=zendesk_app) if zendesk else None,
        now_ms=lambda: NOW,
    )
    web = create_web_app(build_app(settings, services), services)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot.test")
    return Bot(
        http, fake_slack, slack_url, services, ws, pendo_app.state.controls, zendesk_app.state.controls
    )


@pytest.fixture
async def bot(
    clean_env: None, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> AsyncIterator[Bot]:
    b = make_bot(fake_slack, slack_server[1])
    yield b
    await b.http.aclose()
    await b.services.aclose()
