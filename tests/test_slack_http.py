"""Every Slack call of the bot (Web API and response_url) goes through one long-lived aiohttp session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sample import JANE, SOLO, TICKET_SAM
from bot.sample.slack_api import FakeSlack
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
