"""Every Slack call of the bot (Web API and response_url) goes through one long-lived aiohttp session."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sample import JANE, SOLO, TICKET_SAM
from bot.sample.slack_api import FakeSlack
from bot.slack.http import SessionRespond, SlackHTTP
from tests.e2e.conftest import Bot, make_bot
from tests.e2e.test_unfurls import posted, url


@pytest.fixture
async def counted(
    clean_env: None,
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Bot, list[aiohttp.ClientSession]]]:
    created: list[aiohttp.ClientSession] = []
    original = aiohttp.ClientSession.__init__

    def counting_init(self: aiohttp.ClientSession, *args: object, **kwargs: object) -> None:
        created.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", counting_init)
    bot = make_bot(fake_slack, slack_server[1])
    yield bot, created
    await bot.http.aclose()
    await bot.deps.aclose()


async def test_replies_and_web_api_calls_share_one_session(
    counted: tuple[Bot, list[aiohttp.ClientSession]],
) -> None:
    bot, created = counted
    _, rid = await bot.command(JANE)
    await bot.final_response(rid)
    # Bolt's own one-time auth.test (before any middleware) and the shared session.
    assert len(created) <= 2
    first = len(created)
    for email in (SOLO, JANE):
        _, rid = await bot.command(email)
        await bot.final_response(rid)
    event = posted([url(TICKET_SAM)])
    await bot.event(event)
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.unfurl")) >= 2)
    assert len(bot.slack.responses) == 3
    assert bot.slack.by_method("conversations.info")  # Web API calls went through it too
    assert len(created) == first  # slack_sdk alone opens a session per reply and per Web API call
    shared = created[-1]
    assert not shared.closed
    await bot.deps.aclose()
    assert shared.closed


async def _raw_server(answers: list[bytes | None]) -> tuple[asyncio.Server, str, list[bytes]]:
    """A loopback HTTP server answering each new connection with the next of `answers` (None: close it
    without a word, as a server does to a kept-alive connection it dropped); records each request."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        seen.append(head + await reader.readexactly(length))
        answer = answers.pop(0) if answers else None
        if answer is not None:
            writer.write(answer)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/response/r1", seen


def _http(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    return head.encode() + body


async def test_a_reply_is_the_json_slack_sdk_would_send(monkeypatch: pytest.MonkeyPatch) -> None:
    server, response_url, seen = await _raw_server([_http("200 OK", b"ok")])
    slack = SlackHTTP()
    try:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Café · “Jane” ✓"}}]
        answer = await SessionRespond(response_url, slack)(
            text="Jane", blocks=blocks, replace_original=True, response_type="ephemeral", thread_ts=None
        )
    finally:
        await slack.aclose()
        server.close()
    assert (answer.status_code, answer.body) == (200, "ok")
    head, body = seen[0].split(b"\r\n\r\n", 1)
    assert b"Content-Type: application/json;charset=utf-8" in head and b"User-Agent: Python/" in head
    sent = {"text": "Jane", "blocks": blocks, "replace_original": True, "response_type": "ephemeral"}
    assert json.loads(body) == sent  # no None field, and the same JSON value slack_sdk's client posted


async def test_a_reply_is_tried_once_more_when_the_connection_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.slack.http.RETRY_AFTER_SECONDS", 0.0)
    monkeypatch.setattr("bot.slack.http.random.random", lambda: 0.0)
    server, response_url, seen = await _raw_server([None, _http("404 Not Found", b"expired_url")])
    slack = SlackHTTP()
    try:
        answer = await SessionRespond(response_url, slack)(text="Jane")
        assert (answer.status_code, answer.body, len(seen)) == (
            404,
            "expired_url",
            2,
        )  # a refusal: not retried
        with pytest.raises(aiohttp.ServerDisconnectedError):  # twice: the caller hears of it
            await SessionRespond(response_url, slack)(text="Jane")
        assert len(seen) == 4
    finally:
        await slack.aclose()
        server.close()
