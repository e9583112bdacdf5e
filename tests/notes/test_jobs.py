"""The notes' durable job store: the same behaviour from `SqliteJobs` (a file in tmp_path) and `RedisJobs`
(a real redis-server), then what only one of them has (file permissions, processes, Redis down)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sqlite3
import stat
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
import redis.asyncio as aioredis

from bot.notes.jobs import Job, JobStore, QueueUnavailable, SqliteJobs
from bot.notes.jobs_redis import RedisJobs

if TYPE_CHECKING:
    from tests.redis.conftest import RedisServer

LIMIT = 100
LEASE = 3600.0


def job(ticket: int, *, first_seen: float | None = None, due: float = 0.0, **payload: Any) -> Job:
    seen = time.time() if first_seen is None else first_seen
    return Job(f"note:{ticket}", "note", ticket, seen, payload or {"ticket_id": ticket}, due=due)


def server() -> RedisServer:
    from tests.redis.conftest import start_redis  # a real redis-server on a free port (skips without one)

    return start_redis()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    s = server()
    yield s
    s.stop()


@dataclass
class Backend:
    """Opens stores on one storage: each `open()` a new store (a new connection) on the same data."""

    name: str
    make: Callable[[], JobStore]
    opened: list[JobStore] = field(default_factory=list)

    def open(self) -> JobStore:
        store = self.make()
        self.opened.append(store)
        return store


@pytest.fixture(params=["sqlite", "redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    clients: list[Any] = []
    if request.param == "sqlite":
        b = Backend("sqlite", lambda: SqliteJobs(tmp_path / "notes.sqlite3"))
    else:
        url = request.getfixturevalue("redis_server").url
        prefix = f"pendo-context:notes:{uuid.uuid4().hex}.zendesk.com:"

        def make() -> JobStore:
            client = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            clients.append(client)
            return RedisJobs(client, prefix)

        b = Backend("redis", make)
    yield b
    for store in b.opened:
        await store.aclose()
    for client in clients:
        await client.aclose()


@pytest.fixture
def store(backend: Backend) -> JobStore:
    return backend.open()


async def test_add_duplicate_and_full(store: JobStore) -> None:
    assert await store.add(job(1), limit=2) is True
    assert await store.add(job(1), limit=2) is False  # waiting: a duplicate
    assert await store.add(job(2), limit=2) is True
    assert await store.add(job(3), limit=2) is None  # full
    assert await store.add(job(1), limit=2) is False  # a duplicate even when full
    claimed = await store.claim("a", now=time.time(), lease=LEASE)
    assert claimed is not None
    assert await store.add(job(claimed.ticket_id), limit=5) is False  # leased: a duplicate too
    assert await store.add(job(3), limit=2) is None  # the leased one still counts
    await store.done(claimed, "a")
    assert await store.add(job(3), limit=2) is True
    assert await store.add(job(claimed.ticket_id), limit=5) is True  # done: the key is free again


async def test_a_job_comes_back_whole(store: JobStore) -> None:
    original = Job("note:7", "note", 7, 1_712_345_678.123456, {"ticket_id": 7, "via": 'é/"x"', "l": []})
    assert await store.add(original, limit=LIMIT)
    assert await store.waiting() == [original]
    assert await store.claim("a", now=time.time(), lease=LEASE) == original


async def test_claim_gives_due_jobs_in_due_order_and_nothing_not_due(store: JobStore) -> None:
    now = time.time()
    for ticket, due in ((1, now - 1), (2, now - 3), (3, now + 100), (4, now - 2)):
        assert await store.add(job(ticket, due=due), limit=LIMIT)
    got = [await store.claim("a", now=now, lease=LEASE) for _ in range(4)]
    assert [j.ticket_id if j else None for j in got] == [2, 4, 1, None]
    assert await store.claim("b", now=now + 50, lease=LEASE) is None
    later = await store.claim("b", now=now + 100, lease=LEASE)
    assert later is not None and later.ticket_id == 3


async def test_two_claimers_never_get_one_job(backend: Backend) -> None:
    first, second = backend.open(), backend.open()  # two connections on one file / one server
    for ticket in range(60):
        assert await first.add(job(ticket), limit=LIMIT)
    now = time.time()
    claims = [
        s.claim(owner, now=now, lease=LEASE) for _ in range(50) for s, owner in ((first, "a"), (second, "b"))
    ]
    claims += [first.claim("c", now=now, lease=LEASE) for _ in range(10)]
    got = [j.key for j in await asyncio.gather(*claims) if j is not None]
    assert len(got) == 60 and len(set(got)) == 60
    assert await first.claim("d", now=now, lease=LEASE) is None


def claim_all_in_a_thread(make: Callable[[], JobStore], owner: str, start: threading.Barrier) -> list[str]:
    async def run() -> list[str]:
        store, got = make(), []
        start.wait()
        while (j := await store.claim(owner, now=time.time(), lease=LEASE)) is not None:
            got.append(j.key)
            await store.done(j, owner)
        await store.aclose()
        return got

    return asyncio.run(run())


async def test_sqlite_two_connections_in_two_threads(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    store = SqliteJobs(path)
    for ticket in range(200):
        assert await store.add(job(ticket), limit=1000)
    start = threading.Barrier(2)
    a, b = await asyncio.gather(
        *(asyncio.to_thread(claim_all_in_a_thread, lambda: SqliteJobs(path), o, start) for o in "ab")
    )
    assert sorted(a + b) == sorted(f"note:{t}" for t in range(200)) and not set(a) & set(b)
    assert await store.depth(time.time()) == (0, 0.0)
    await store.aclose()


async def test_a_dead_owners_job_is_claimed_again_after_its_lease(store: JobStore) -> None:
    assert await store.add(job(1), limit=LIMIT)
    taken = await store.claim("dead", now=time.time(), lease=0.3)
    assert taken is not None
    assert await store.claim("b", now=time.time(), lease=0.3) is None  # leased
    await asyncio.sleep(0.4)
    # the same lease as the dead owner's (Redis: the claimer's lease is XAUTOCLAIM's min-idle-time)
    again = await store.claim("b", now=time.time(), lease=0.3)
    assert again == taken
    await store.done(taken, "dead")  # the former owner's late word changes nothing
    assert [j.key for j in await store.waiting()] == ["note:1"]
    await store.done(again, "b")
    assert await store.waiting() == []


async def test_retry_counts_and_delays(store: JobStore) -> None:
    now = time.time()
    assert await store.add(job(1), limit=LIMIT)
    taken = await store.claim("a", now=now, lease=LEASE)
    assert taken is not None
    await store.retry(taken, "a", due=now + 30, final=True)
    [waiting] = await store.waiting()
    assert (waiting.attempts, waiting.due, waiting.final) == (1, now + 30, True)
    assert await store.claim("a", now=now + 1, lease=LEASE) is None
    again = await store.claim("b", now=now + 30, lease=LEASE)
    assert again is not None and again.attempts == 1 and again.final
    await store.retry(again, "b", due=now + 60, final=False)
    assert [(j.attempts, j.final) for j in await store.waiting()] == [(2, False)]


async def test_release_makes_it_due_now(store: JobStore) -> None:
    now = time.time()
    assert await store.add(job(1, due=now - 5), limit=LIMIT)
    taken = await store.claim("a", now=now, lease=LEASE)
    assert taken is not None
    await store.release(taken, "a")
    assert await store.claim("b", now=now, lease=LEASE) == taken  # as it was: attempts unchanged


async def test_give_up_and_revive(store: JobStore) -> None:
    now = time.time()
    for ticket in (1, 2, 3):
        assert await store.add(job(ticket, first_seen=now - 10 * ticket), limit=LIMIT)
    for at, reason in ((now + 1, "Pendo down"), (now + 2, "ticket gone"), (now + 3, "window")):
        taken = await store.claim("a", now=now, lease=LEASE)
        assert taken is not None
        await store.give_up(taken, "b", reason="not the owner's word", at=at)  # ignored
        await store.give_up(taken, "a", reason=reason, at=at)
    assert await store.waiting() == [] and await store.depth(now) == (0, 0.0)
    gone = await store.given_up()
    assert [(g.ticket_id, g.reason, g.given_up_at, g.attempts) for g in gone] == [
        (1, "Pendo down", now + 1, 0),
        (2, "ticket gone", now + 2, 0),
        (3, "window", now + 3, 0),
    ]
    assert gone[0].first_seen == now - 10 and gone[0].kind == "note" and gone[0].key == "note:1"

    assert await store.revive("note:2", now=now + 10) == 1
    assert await store.revive("note:2", now=now + 10) == 0
    assert await store.revive("note:9", now=now + 10) == 0
    [revived] = await store.waiting()
    assert (revived.key, revived.due, revived.attempts, revived.final, revived.first_seen) == (
        "note:2",
        now + 10,
        0,
        False,
        now + 10,
    )
    assert revived.payload == {}  # a given-up job keeps no payload (the requester's email): a retry reads
    assert await store.revive(None, now=now + 20) == 2
    assert await store.given_up() == []
    assert sorted(j.ticket_id for j in await store.waiting()) == [1, 2, 3]
    assert (await store.claim("b", now=now + 20, lease=LEASE)) is not None


async def test_the_newest_given_up_jobs_are_kept(store: JobStore) -> None:
    cast(Any, store).kept = 2
    now = time.time()
    for ticket in (1, 2, 3):
        assert await store.add(job(ticket), limit=LIMIT)
        taken = await store.claim("a", now=now, lease=LEASE)
        assert taken is not None
        await store.give_up(taken, "a", reason="r", at=now + ticket)
    assert [g.ticket_id for g in await store.given_up()] == [2, 3]
    assert await store.revive(None, now=now) == 2


async def test_a_new_job_replaces_a_given_up_one(store: JobStore) -> None:
    now = time.time()
    assert await store.add(job(1), limit=LIMIT)
    taken = await store.claim("a", now=now, lease=LEASE)
    assert taken is not None
    await store.give_up(taken, "a", reason="r", at=now)
    assert await store.add(job(1, first_seen=now + 5), limit=LIMIT) is True
    assert await store.given_up() == []
    assert [j.first_seen for j in await store.waiting()] == [now + 5]


async def test_depth_counts_waiting_and_leased(store: JobStore) -> None:
    now = time.time()
    assert await store.depth(now) == (0, 0.0)
    for ticket, seen in ((1, now - 10), (2, now - 5), (3, now - 1)):
        assert await store.add(job(ticket, first_seen=seen), limit=LIMIT)
    assert await store.claim("a", now=now, lease=LEASE) is not None
    count, oldest = await store.depth(now)
    assert count == 3 and oldest == pytest.approx(10.0)


async def test_jobs_survive_reopening(backend: Backend) -> None:
    now = time.time()
    first = backend.open()
    assert await first.add(job(1, due=now - 1), limit=LIMIT)
    assert await first.add(job(2, due=now + 30), limit=LIMIT)
    await first.aclose()
    second = backend.open()
    assert [j.ticket_id for j in await second.waiting()] == [1, 2]
    assert await second.add(job(1), limit=LIMIT) is False
    taken = await second.claim("a", now=now, lease=LEASE)
    assert taken is not None and taken.ticket_id == 1


# --- SQLite only ----------------------------------------------------------------------------------------
def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "pendo-notes.sqlite3"
    store = SqliteJobs(path)
    assert await store.add(job(1), limit=LIMIT)
    assert mode(path) == 0o600
    assert mode(Path(f"{path}-wal")) == 0o600  # SQLite gives its side files the database's mode
    await store.aclose()

    wide = tmp_path / "wide.sqlite3"
    wide.touch()
    os.chmod(wide, 0o644)
    store = SqliteJobs(wide)
    assert await store.depth(time.time()) == (0, 0.0)
    assert mode(wide) == 0o600
    await store.aclose()


async def test_a_locked_file_raises_queue_unavailable_without_blocking_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    store = SqliteJobs(path, busy=0.3)
    assert await store.add(job(1), limit=LIMIT)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    with pytest.raises(QueueUnavailable):
        await store.claim("a", now=time.time(), lease=LEASE)
    assert 0.3 <= time.monotonic() - started < 1.5 and ticks >= 5  # the loop kept running meanwhile
    assert [j.key for j in await store.waiting()] == ["note:1"]  # reads go on (WAL)
    other.execute("ROLLBACK")
    other.close()
    ticker.cancel()
    assert await store.claim("a", now=time.time(), lease=LEASE) is not None
    await store.aclose()


def claim_in_a_process(path: str, owner: str, start: Any, out: str) -> None:
    """A spawned process's worker: claims until nothing is left, each job marked done."""

    async def run() -> list[str]:
        store, got = SqliteJobs(path), []
        start.wait()
        while (j := await store.claim(owner, now=time.time(), lease=LEASE)) is not None:
            got.append(j.key)
            await store.done(j, owner)
        await store.aclose()
        return got

    Path(out).write_text("\n".join(asyncio.run(run())))


async def test_two_processes_claim_each_job_once(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    store = SqliteJobs(path)
    for ticket in range(300):
        assert await store.add(job(ticket), limit=1000)
    await store.aclose()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    outs = [tmp_path / f"{o}.txt" for o in "ab"]
    procs = [
        ctx.Process(target=claim_in_a_process, args=(str(path), o, start, str(out)))
        for o, out in zip("ab", outs, strict=True)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        await asyncio.to_thread(p.join, 60)
        assert p.exitcode == 0
    a, b = (out.read_text().split() for out in outs)
    assert sorted(a + b) == sorted(f"note:{t}" for t in range(300))
    assert len(a + b) == 300 and not set(a) & set(b)


# --- Redis only -----------------------------------------------------------------------------------------
async def test_redis_down_raises_queue_unavailable() -> None:
    s = server()
    client = aioredis.Redis.from_url(s.url, socket_timeout=1, socket_connect_timeout=1)
    store = RedisJobs(client, "pendo-context:notes:down.zendesk.com:")
    try:
        assert await store.add(job(1), limit=LIMIT)
        s.stop()
        with pytest.raises(QueueUnavailable):
            await store.add(job(2), limit=LIMIT)
        with pytest.raises(QueueUnavailable):
            await store.claim("a", now=time.time(), lease=LEASE)
        with pytest.raises(QueueUnavailable):
            await store.depth(time.time())
    finally:
        s.stop()
        await client.aclose()


async def test_redis_a_key_of_the_wrong_type(redis_server: RedisServer) -> None:
    prefix = f"pendo-context:notes:{uuid.uuid4().hex}:"
    client = aioredis.Redis.from_url(redis_server.url)
    store = RedisJobs(client, prefix)
    try:
        await client.set(f"{prefix}job:note:7", "not a hash")
        with pytest.raises(QueueUnavailable, match="WRONGTYPE"):
            await store.add(job(7), limit=LIMIT)
        assert await store.add(job(8), limit=LIMIT)  # that key's problem only
        assert await store.add(job(9), limit=LIMIT)
        await client.delete(f"{prefix}job:note:8")
        await client.set(f"{prefix}job:note:8", "clobbered")  # a job's hash overwritten meanwhile
        taken = await store.claim("a", now=time.time(), lease=LEASE)
        assert taken is not None and taken.key == "note:9"  # the broken one is dropped, not in the way
        assert (await store.depth(time.time()))[0] == 1

        await client.delete(f"{prefix}jobs:stream")
        await client.set(f"{prefix}jobs:stream", "not a stream")
        with pytest.raises(QueueUnavailable):
            await store.claim("a", now=time.time(), lease=LEASE)
    finally:
        await client.aclose()


async def test_redis_keys_stay_under_the_prefix(redis_server: RedisServer) -> None:
    prefix = f"pendo-context:notes:{uuid.uuid4().hex}:"
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    store = RedisJobs(client, prefix)
    try:
        assert await store.add(job(1), limit=LIMIT)
        assert await store.add(job(2), limit=LIMIT)
        taken = await store.claim("a", now=time.time(), lease=LEASE)
        assert taken is not None
        await store.give_up(taken, "a", reason="r", at=time.time())
        keys = [k async for k in client.scan_iter(f"*{prefix[-10:]}*")]
        assert keys and all(k.startswith(prefix) for k in keys)
        assert sorted(k.removeprefix(prefix) for k in keys) == [
            "given_up",
            "given_up:at",
            "job:note:2",
            "jobs:seen",
            "jobs:stream",
        ]
    finally:
        await client.aclose()


async def test_redis_consumers_of_owners_long_gone_are_removed(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = aioredis.Redis.from_url(redis_server.url)
    store = RedisJobs(client, f"pendo-context:notes:{uuid.uuid4().hex}:")
    try:
        for ticket, owner in ((1, "gone"), (2, "busy")):
            assert await store.add(job(ticket), limit=LIMIT)
            assert await store.claim(owner, now=time.time(), lease=LEASE) is not None
        [gone] = [j for j in await store.waiting() if j.ticket_id == 1]
        await store.done(gone, "gone")
        monkeypatch.setattr("bot.notes.jobs_redis.CONSUMER_IDLE_MS", -1)
        await store._prune()
        consumers = await client.xinfo_consumers(store.stream, "workers")
        assert [c["name"] for c in consumers] == [b"busy"]  # a consumer with a job pending stays
    finally:
        await client.aclose()


async def test_a_mark_holds_a_value_every_store_sharer_reads_until_it_expires(backend: Backend) -> None:
    """The NPS alerts keep a comment, and where their post went, as a mark's value (bot.alerts.nps)."""
    first, second = backend.open(), backend.open()
    now = time.time()
    assert await first.mark("nps-comment:k", now=now, until=now + 60, value="Exports fail & <time out>")
    assert not await second.mark("nps-comment:k", now=now, until=now + 60, value="another")  # first wins
    assert await second.marked("nps-comment:k", now=now) == "Exports fail & <time out>"
    assert await first.mark("claim", now=now, until=now + 60) and await second.marked("claim", now=now) == "1"
    assert await first.marked("nothing", now=now) is None
    await first.unmark("nps-comment:k")
    assert await second.marked("nps-comment:k", now=now) is None
    assert await first.mark("short", now=now, until=now + 0.05, value="v")
    await asyncio.sleep(0.1)
    assert await second.marked("short", now=time.time()) is None  # expired: gone (Redis) or ignored (SQLite)
    assert await second.mark("short", now=time.time(), until=time.time() + 60, value="w")
    assert await first.marked("short", now=time.time()) == "w"


def test_a_version_2_notes_file_gains_the_marks_value_column(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE marks (key TEXT PRIMARY KEY, until REAL NOT NULL);"
        "INSERT INTO marks VALUES ('alert-claim:1', 9e18); PRAGMA user_version = 2;"
    )
    conn.close()

    async def read() -> str | None:
        store = SqliteJobs(path)
        try:
            return await store.marked("alert-claim:1", now=time.time())
        finally:
            await store.aclose()

    assert asyncio.run(read()) == "1"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    conn.close()
