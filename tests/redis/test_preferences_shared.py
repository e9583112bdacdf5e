"""Agent preferences with REDIS_URL: two instances, one Redis; a change on one is seen by the other."""

from __future__ import annotations

from pathlib import Path

from bot.preferences.model import Preferences
from bot.preferences.store import RedisPreferences
from bot.sample import JANE
from tests.e2e.test_preferences import button_ids, change, lookup, open_home
from tests.redis.conftest import Pair


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
