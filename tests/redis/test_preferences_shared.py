"""Agent preferences with REDIS_URL: two instances, one Redis; a change on one is seen by the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.preferences.model import Preferences
from bot.preferences.store import RedisPreferences
from bot.sample import JANE
from bot.sample.slack_api import FakeSlack
from tests.e2e.test_preferences import button_ids, change, lookup, open_home
from tests.redis.test_two_instances import Pair, pair


@pytest.fixture
async def bots(
    clean_env: None, redis_url: str, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> AsyncIterator[Pair]:
    async for p in pair(fake_slack, slack_server[1], redis_url=redis_url):
        yield p


async def test_a_choice_made_on_one_instance_shapes_the_next_answer_on_the_other(
    bots: Pair, tmp_path: Path
) -> None:
    first, second = bots
    assert isinstance(first.deps.preferences, RedisPreferences)
    view = await open_home(first)
    view = await change(first, view, "prefs:kinds", ["page", "feature", "guide"])
    await change(first, view, "prefs:view", "full")
    answer = await lookup(second, JANE)
    assert "message_view:less" in button_ids(answer)
    assert "track event" in str(answer["blocks"])  # "1 track event hidden"
    await change(second, await open_home(second), "prefs:reset", None)
    assert await first.deps.preferences.load("T0001", "U0AGENT") == Preferences()
    assert not list(tmp_path.glob("*.sqlite3"))  # with Redis, no SQLite file is made
