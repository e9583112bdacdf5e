"""Every Slack call goes through one long-lived aiohttp session (`bot.slack.runtime`): the Web API client's,
handed to slack_sdk through its public `session` attribute at start-up, and the replies through
`response_url`, sent by slack_sdk's public webhook client on that session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sample import JANE, SOLO, TICKET_SAM
from bot.sample.slack_api import FakeSlack
from bot.slack.runtime import SlackHTTP
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
    async with bot.running():
        yield bot, created


async def test_web_api_calls_and_replies_share_one_session(
    counted: tuple[Bot, list[aiohttp.ClientSession]],
) -> None:
    bot, created = counted
    assert [c.method for c in bot.startup_calls] == ["auth.test"]
    assert len(created) == 1  # the shared session, opened at start-up; auth.test went through it
    shared = created[0]
    for email in (JANE, SOLO, JANE):
        _, rid = await bot.command(email)
        await bot.final_response(rid)
    event = posted([url(TICKET_SAM)])
    await bot.event(event)
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.unfurl")) >= 2)
    assert len(bot.slack.responses) == 3
    assert bot.slack.by_method("conversations.info")  # Web API calls were made...
    # ...and neither they nor the three replies through response_url opened a session of their own.
    assert len(created) == 1
    assert not shared.closed
    await bot.deps.aclose()
    assert shared.closed


async def test_the_session_is_opened_on_first_use_and_again_after_closing() -> None:
    slack = SlackHTTP()
    first = slack.session()
    assert slack.session() is first and not first.closed
    await slack.aclose()
    assert first.closed
    second = slack.session()
    assert second is not first and not second.closed
    await slack.aclose()
    await slack.aclose()  # twice: nothing left to close
