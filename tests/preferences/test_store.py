"""The preference store contract, run against both implementations (SQLite file, real Redis)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from bot.http.shared import RedisLink
from bot.preferences.model import ROW_VERSION, PreferenceError, Preferences
from bot.preferences.store import (
    SCHEMA_VERSION,
    PreferencesUnavailable,
    RedisPreferences,
    SQLitePreferences,
    migrate,
)
from tests.preferences.conftest import Backend
from tests.redis.conftest import RedisServer

MINE = Preferences(
    kinds=("page", "guide"),
    view="full",
    unfurl_my_links=False,
    visitor_fields=("agent/role",),
    account_fields=(),
    timezone="Asia/Kolkata",
)


async def test_nobody_has_chosen_anything_at_first(backend: Backend) -> None:
    assert await backend.open().load("T1", "U1") == Preferences()
    assert await backend.open().load_known("T1", "U1") == Preferences()  # known: nothing chosen


async def test_what_is_saved_is_read_back_by_another_instance_and_after_a_restart(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    await first.save("T1", "U1", MINE)
    assert await second.load("T1", "U1") == MINE  # another instance, at once
    await first.aclose()
    assert await backend.open().load("T1", "U1") == MINE  # a fresh process on the same data


async def test_preferences_are_kept_per_team_and_user(backend: Backend) -> None:
    store = backend.open()
    await store.save("T1", "U1", MINE)
    await store.save("T2", "U1", Preferences(view="compact"))
    assert await store.load("T1", "U2") == Preferences()
    assert await store.load("T2", "U1") == Preferences(view="compact")
    assert await store.load("T1", "U1") == MINE


async def test_reset_restores_the_defaults_everywhere(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    await first.save("T1", "U1", MINE)
    await second.reset("T1", "U1")
    assert await first.load("T1", "U1") == Preferences()
    await first.reset("T1", "U1")  # resetting twice is fine


async def test_two_quick_changes_of_different_choices_on_two_instances_both_stay(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    await first.save("T1", "U1", Preferences(timezone="Asia/Tokyo"))
    (_, a), (_, b) = await asyncio.gather(
        first.update("T1", "U1", lambda p: p.but(view="full")),
        second.update("T1", "U1", lambda p: p.but(kinds=("page",))),
    )
    both = Preferences(kinds=("page",), view="full", timezone="Asia/Tokyo")
    assert await first.load("T1", "U1") == both
    assert both in (a, b)  # the later of the two saw the other's change


async def test_an_update_that_is_refused_keeps_the_row_as_it_was(backend: Backend) -> None:
    store = backend.open()
    await store.save("T1", "U1", Preferences(view="full"))

    def refuse(prefs: Preferences) -> Preferences:
        raise PreferenceError("Pick at least one kind of event")

    with pytest.raises(PreferenceError):
        await store.update("T1", "U1", refuse)
    assert await store.load("T1", "U1") == Preferences(view="full")
    before, after = await store.update("T1", "U1", lambda p: p.but(view=None))
    assert (before, after) == (Preferences(view="full"), Preferences())  # back to defaults: no row
    await backend.poke("T1", "U1", b"{}")
    assert await store.load("T1", "U1") == Preferences()


async def test_a_change_made_elsewhere_between_read_and_write_is_kept_in_redis(
    prefs_redis_server: RedisServer,
) -> None:
    """Another instance writes the row after this one read it: EXEC fails, the change is applied again."""
    import redis

    store = RedisPreferences(RedisLink(prefs_redis_server.url))
    other = redis.Redis.from_url(prefs_redis_server.url)
    seen: list[Preferences] = []

    def change(prefs: Preferences) -> Preferences:
        seen.append(prefs)
        if len(seen) == 1:  # the other instance's click lands now
            other.set(store.key("T9", "U9"), Preferences(kinds=("guide",)).to_row().encode())
        return prefs.but(view="full")

    try:
        await store.update("T9", "U9", change)
        assert seen == [Preferences(), Preferences(kinds=("guide",))]
        assert await store.load("T9", "U9") == Preferences(kinds=("guide",), view="full")
    finally:
        other.delete(store.key("T9", "U9"))
        other.close()
        await store.link.aclose()


async def test_saving_every_choice_back_to_default_removes_the_row(backend: Backend) -> None:
    store = backend.open()
    await store.save("T1", "U1", MINE)
    await store.save("T1", "U1", Preferences())
    assert await store.load("T1", "U1") == Preferences()
    await backend.poke("T1", "U1", b"{}")  # the row is gone: writing one by hand is what is read now
    assert await store.load("T1", "U1") == Preferences()


@pytest.mark.parametrize(
    "raw",
    [
        b"\x80\x81 not json",
        b"[1, 2]",
        b'{"kinds": ["page"]}',  # no version
        b'{"v": true, "kinds": ["page"]}',
        b'{"v": 0, "kinds": ["page"]}',  # older than any format this bot reads
        f'{{"v": {ROW_VERSION + 1}, "kinds": ["page"]}}'.encode(),  # from a newer bot
    ],
    ids=["bytes", "list", "no-version", "bool-version", "older", "newer"],
)
async def test_an_unreadable_row_gives_the_defaults_and_one_log_line(
    backend: Backend, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    store = backend.open()
    await store.load("T1", "U1")  # created on first use
    await backend.poke("T1", "U1", raw)
    with caplog.at_level(logging.WARNING, logger="bot.preferences"):
        assert await store.load("T1", "U1") == Preferences()
    lines = [r for r in caplog.records if r.name.startswith("bot.preferences")]
    assert len(lines) == 1 and "unreadable" in lines[0].getMessage()


async def test_a_bad_value_loses_only_that_choice(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    store = backend.open()
    await store.load("T1", "U1")
    row = (
        f'{{"v": {ROW_VERSION}, "kinds": ["page", "clicks"], "view": "full", "unfurl": "no", '
        '"tz": "Mars/Olympus", "visitor_fields": ["agent/role"]}'
    )
    await backend.poke("T1", "U1", row.encode())
    with caplog.at_level(logging.WARNING, logger="bot.preferences"):
        loaded = await store.load("T1", "U1")
    assert loaded == Preferences(view="full", visitor_fields=("agent/role",))
    lines = [r for r in caplog.records if r.name.startswith("bot.preferences")]
    assert len(lines) == 1
    problems = getattr(lines[0], "problems", "")
    assert "kinds" in problems and "unfurl_my_links" in problems and "timezone" in problems
    assert "Mars" not in problems  # names the choice, not the value


# --- a store that does not answer --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_a_store_that_does_not_answer_reads_as_defaults_and_refuses_to_save_in_words(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if kind == "sqlite":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory")
        store: SQLitePreferences | RedisPreferences = SQLitePreferences(str(blocker / "prefs.sqlite3"))
    else:
        store = RedisPreferences(RedisLink("redis://127.0.0.1:1/0", timeout=0.2))
    try:
        with caplog.at_level(logging.WARNING):
            assert await store.load("T1", "U1") == Preferences()
            assert await store.load("T1", "U2") == Preferences()
            assert await store.load_known("T1", "U1") is None  # "nobody knows", not the defaults
        outage = [r for r in caplog.records if "preferences unavailable" in r.getMessage()]
        assert len(outage) == 1  # one line per outage, not one per answer
        with pytest.raises(PreferencesUnavailable) as raised:
            await store.save("T1", "U1", MINE)
        assert "can't be saved right now" in raised.value.sentence
        assert "Try again" in raised.value.sentence
    finally:
        await store.aclose()
        if isinstance(store, RedisPreferences):
            await store.link.aclose()


# --- SQLite: the file and its schema -------------------------------------------------------------------
async def test_the_sqlite_file_is_created_on_first_use_at_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "prefs.sqlite3"
    store = SQLitePreferences(str(path))
    assert not path.exists()  # building the store touches nothing
    await store.load("T1", "U1")
    await store.aclose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [row[1] for row in conn.execute("PRAGMA table_info(preferences)")]
    assert columns == ["team_id", "user_id", "row", "updated_at"]


async def test_a_file_at_an_older_schema_is_migrated_step_by_step(tmp_path: Path) -> None:
    path = tmp_path / "prefs.sqlite3"
    with sqlite3.connect(path) as conn:  # a file at version 0: made by someone, no table yet
        conn.execute("CREATE TABLE unrelated (x INTEGER)")
    store = SQLitePreferences(str(path))
    await store.save("T1", "U1", MINE)
    assert await store.load("T1", "U1") == MINE
    await store.aclose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT COUNT(*) FROM unrelated").fetchone()[0] == 0  # left as it was


def test_two_processes_migrating_at_once_both_end_at_the_current_schema(tmp_path: Path) -> None:
    path = str(tmp_path / "prefs.sqlite3")
    first = sqlite3.connect(path, isolation_level=None, timeout=5)
    second = sqlite3.connect(path, isolation_level=None, timeout=5)
    assert migrate(first) == SCHEMA_VERSION
    assert migrate(second) == SCHEMA_VERSION  # finds the work done, runs no step twice
    first.close()
    second.close()


async def test_a_file_from_a_newer_bot_is_left_alone_and_the_agent_is_told(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "prefs.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    store = SQLitePreferences(str(path))
    with caplog.at_level(logging.WARNING):
        assert await store.load("T1", "U1") == Preferences()
    assert any("schema version" in str(getattr(r, "error", "")) for r in caplog.records)
    with pytest.raises(PreferencesUnavailable) as raised:
        await store.save("T1", "U1", MINE)
    assert "newer version of the bot" in raised.value.sentence
    await store.aclose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 5


# --- Redis: keys --------------------------------------------------------------------------------------------
async def test_redis_keys_carry_the_deployments_prefix_and_never_expire(
    prefs_redis_server: RedisServer,
) -> None:
    import redis.asyncio as redis_asyncio

    raw = redis_asyncio.Redis.from_url(prefs_redis_server.url)
    await raw.flushall()
    ours = RedisPreferences(RedisLink(prefs_redis_server.url, prefix="pendo-bot:prod-eu:"))
    theirs = RedisPreferences(RedisLink(prefs_redis_server.url, prefix="pendo-bot:staging:"))
    try:
        await ours.save("T1", "U1", MINE)
        assert await theirs.load("T1", "U1") == Preferences()  # another deployment on the same Redis
        keys = [k.decode() if isinstance(k, bytes) else k for k in await raw.keys("*")]
        assert keys == ["pendo-bot:prod-eu:prefs:v1:T1:U1"]
        assert await raw.ttl(keys[0]) == -1
    finally:
        for store in (ours, theirs):
            await store.link.aclose()
        await raw.aclose()


# --- issue 20: SQLite reads on the loop's thread, still never stale ----------------------------------------
async def test_sqlite_reads_skip_the_thread_and_see_another_processs_change_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "prefs.sqlite3")
    mine, other = SQLitePreferences(path), SQLitePreferences(path)  # two processes sharing the file
    assert await mine.load("T1", "U1") == Preferences()  # opens the file (in the worker thread)
    calls: list[object] = []
    real_to_thread = asyncio.to_thread

    async def counted(*args: object, **kwargs: object) -> object:
        calls.append(args[0])
        return await real_to_thread(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("bot.preferences.store.asyncio.to_thread", counted)
    await other.save("T1", "U1", MINE)
    saved = len(calls)
    assert await mine.load("T1", "U1") == MINE  # the other process's change, at once
    with sqlite3.connect(path, isolation_level=None) as writer:  # a writer in the middle of its work
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM preferences")
        assert await mine.load("T1", "U1") == MINE  # not committed: not seen, and no waiting for it
        writer.execute("COMMIT")
    assert await mine.load("T1", "U1") == Preferences()
    assert len(calls) == saved  # none of those reads went through a thread
    await mine.aclose()
    await other.aclose()


async def test_a_sqlite_read_that_cannot_go_at_once_goes_through_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "prefs.sqlite3")
    store = SQLitePreferences(path)
    await store.save("T1", "U1", MINE)

    class Busy:
        def execute(self, *args: object) -> None:
            raise sqlite3.OperationalError("database is locked")

        def close(self) -> None:
            pass

    monkeypatch.setattr(store, "_reader", Busy())
    assert await store.load("T1", "U1") == MINE  # answered by the thread's connection
    await store.aclose()
