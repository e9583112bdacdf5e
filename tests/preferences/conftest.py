"""Both preference stores behind one fixture, so every store test runs against SQLite and a real
redis-server (tests/redis/conftest.py starts it; without one the Redis half skips and says why)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis.asyncio as redis_asyncio

from bot.preferences.store import PreferenceStore, RedisPreferences, SQLitePreferences
from bot.shared import RedisLink
from tests.redis.conftest import RedisServer, start_redis


@pytest.fixture(scope="session")
def prefs_redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


@dataclass
class Backend:
    """One kind of store: `open()` another instance on the same data (another process, or the same one
    after a restart); `poke(team, user, raw)` writes a raw row behind the store's back."""

    name: str
    open: Callable[[], PreferenceStore]
    poke: Callable[[str, str, bytes], Awaitable[None]]


@pytest.fixture(params=["sqlite", "redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    opened: list[PreferenceStore] = []

    def keep(store: PreferenceStore) -> PreferenceStore:
        opened.append(store)
        return store

    if request.param == "sqlite":
        path = str(tmp_path / "prefs" / "preferences.sqlite3")

        async def poke_sqlite(team: str, user: str, raw: bytes) -> None:
            with sqlite3.connect(path) as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO preferences (team_id, user_id, row, updated_at) VALUES (?, ?, ?, 0)",
                    (team, user, raw.decode("utf-8", "replace")),
                )

        yield Backend("sqlite", lambda: keep(SQLitePreferences(path)), poke_sqlite)
    else:
        server: RedisServer = request.getfixturevalue("prefs_redis_server")
        raw_client = redis_asyncio.Redis.from_url(server.url)
        await raw_client.flushall()

        async def poke_redis(team: str, user: str, raw: bytes) -> None:
            key = RedisPreferences(RedisLink(None)).key(team, user)
            await raw_client.set(key, raw)

        yield Backend("redis", lambda: keep(RedisPreferences(RedisLink(server.url))), poke_redis)
        await raw_client.aclose()
    for store in opened:
        await store.aclose()
        if isinstance(store, RedisPreferences):
            await store.link.aclose()
