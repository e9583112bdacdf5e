"""Issue 12 item 10, the smaller ones at the Slack edge: a failed response_url is not audited as found,
a reply's `text` stays within Slack's limits whatever the upstream data, and a `conversations.info`
without a channel counts as external."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlencode

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from bot.answers import TEXT_LIMIT, Answer
from bot.audit import Outcome
from bot.http.cache import TTLCache
from bot.listeners.channels import ChannelKinds
from bot.sample import JANE, LoopbackServer
from bot.sample.slack_api import FakeSlack, create_slack_app
from tests.e2e.conftest import NewBot


@pytest.fixture
def broken_response_url() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    async def fail(request: Request) -> Response:
        received.append(await request.body())
        return PlainTextResponse("internal error", status_code=500)

    routes = [Route("/hook", fail, methods=["POST"]), Mount("/", create_slack_app(FakeSlack()))]
    with LoopbackServer(Starlette(routes=routes)) as server:  # a Slack whose response_url fails
        yield f"{server.base_url}/hook", received


async def test_an_answer_that_response_url_refused_is_audited_as_undelivered(
    new_bot: NewBot, broken_response_url: tuple[str, list[bytes]], caplog: pytest.LogCaptureFixture
) -> None:
    url, received = broken_response_url
    # The bot posts only to Slack's hosts or SLACK_API_URL's: here the broken server plays Slack.
    bot = await new_bot(slack_api_url=url.removesuffix("/hook") + "/api/")
    caplog.set_level(logging.INFO, logger="bot.audit")
    body = urlencode(
        {
            "command": "/pendo",
            "text": JANE,
            "user_id": "U0AGENT",
            "channel_id": "C0SUPPORT",
            "team_id": "T0001",
            "response_url": url,
        }
    )
    headers = {"content-type": "application/x-www-form-urlencoded", **bot.sign(body)}
    assert (await bot.http.post("/slack/events", content=body, headers=headers)).status_code == 200
    deadline = time.monotonic() + 5
    while not [r for r in caplog.records if r.name == "bot.audit"] and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    audits = [r for r in caplog.records if r.name == "bot.audit"]
    assert received, "the answer was sent"
    assert [getattr(r, "outcome", None) for r in audits] == ["undelivered"]


def test_a_reply_text_is_cut_to_slacks_limits() -> None:
    subject = "x" * 1_000_000
    answer = Answer({"text": f"Zendesk ticket #1001: {subject}", "blocks": []}, Outcome.FOUND)
    assert len(answer.message["text"]) == TEXT_LIMIT
    assert answer.message["text"].startswith("Zendesk ticket #1001: xxx") and answer.message["text"].endswith(
        "…"
    )


class InfoClient:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    async def conversations_info(self, channel: str) -> dict[str, Any]:
        return self.answer


@pytest.mark.parametrize(
    "answer",
    [{"ok": True, "channel": None}, {"ok": True}, {"ok": True, "channel": "C1"}, {"ok": True, "channel": {}}],
)
async def test_a_channel_slack_does_not_describe_is_treated_as_external(answer: dict[str, Any]) -> None:
    assert (
        await ChannelKinds(TTLCache()).is_external(cast(AsyncWebClient, InfoClient(answer)), "C0SUPPORT")
        is True
    )


async def test_an_internal_channel_is_still_internal() -> None:
    info = {"ok": True, "channel": {"id": "C0SUPPORT", "is_ext_shared": False, "is_shared": False}}
    assert (
        await ChannelKinds(TTLCache()).is_external(cast(AsyncWebClient, InfoClient(info)), "C0SUPPORT")
        is False
    )
