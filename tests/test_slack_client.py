"""The bot's Slack Web API client against a loopback server that answers 429: Retry-After is honoured
only up to a cap (a longer wait fails at once, with Slack's error), and short waits are retried."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sample import LoopbackServer
from bot.settings import load_settings
from bot.slack.app import SLACK_RETRY_AFTER_CAP, CappedRateLimitRetry, slack_client


class RateLimited:
    """Answers 429 with `retry_after` to the first `times` calls, then ok."""

    def __init__(self) -> None:
        self.calls = 0
        self.times = 0
        self.retry_after = "1"

    async def api(self, request: Request) -> Response:
        self.calls += 1
        if self.calls <= self.times:
            return JSONResponse(
                {"ok": False, "error": "ratelimited"},
                status_code=429,
                headers={"retry-after": self.retry_after},
            )
        return JSONResponse({"ok": True, "channel": "C1", "ts": "1.2"})


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[RateLimited, str]]:
    state = RateLimited()
    app = Starlette(routes=[Route("/api/{method}", state.api, methods=["POST"])])
    with LoopbackServer(app) as loopback:
        yield state, f"{loopback.base_url}/api/"


@pytest.fixture
def slack(server: tuple[RateLimited, str]) -> RateLimited:
    state, _ = server
    state.calls, state.times, state.retry_after = 0, 0, "1"
    return state


def client_with_recorded_waits(url: str) -> tuple[AsyncWebClient, list[float]]:
    client = slack_client(load_settings(slack_bot_token="xoxb-test", slack_api_url=url))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    (handler,) = [h for h in client.retry_handlers if isinstance(h, CappedRateLimitRetry)]
    handler.sleep = sleep
    return client, waits


@pytest.mark.parametrize("retry_after", ["41", "3600", "inf", "soon"])
async def test_a_long_or_unreadable_retry_after_fails_at_once(
    server: tuple[RateLimited, str], slack: RateLimited, retry_after: str
) -> None:
    slack.times, slack.retry_after = 5, retry_after
    client = slack_client(load_settings(slack_bot_token="xoxb-test", slack_api_url=server[1]))
    with pytest.raises(SlackApiError) as raised:
        # the bound only keeps a regression from hanging the suite for 41 s: it is not a timing assert
        await asyncio.wait_for(client.chat_postMessage(channel="C1", text="hi"), timeout=10)
    assert raised.value.response["error"] == "ratelimited"
    assert slack.calls == 1  # not retried


async def test_a_short_retry_after_is_waited_for_and_retried(
    server: tuple[RateLimited, str], slack: RateLimited
) -> None:
    slack.times, slack.retry_after = 2, "2"
    client, waits = client_with_recorded_waits(server[1])
    response = await client.chat_postMessage(channel="C1", text="hi")
    assert response["ok"] is True and slack.calls == 3
    assert len(waits) == 2 and all(2 <= w <= SLACK_RETRY_AFTER_CAP for w in waits)


async def test_retries_stop_after_the_retry_count(
    server: tuple[RateLimited, str], slack: RateLimited
) -> None:
    slack.times, slack.retry_after = 10, "1"
    client, waits = client_with_recorded_waits(server[1])
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C1", text="hi")
    assert slack.calls == 3 and len(waits) == 2
