"""The notes' durable queue: jobs that outlive the process, in a SQLite file or in Redis.

Both backends guarantee the same things:

- A job is stored before `add()` returns True: a crash or restart right after the webhook's 200 keeps it
  (SQLite: the transaction is committed, synchronous=FULL; Redis: as durable as the server's own
  persistence settings).
- A claimed job is leased to one owner: two claimers (tasks, processes, instances) never get the same job
  while its lease runs. Only the lease holder's done/retry/release/give_up change it; a former owner's
  late call (its lease expired and another owner took the job) is ignored.
- A dead owner's job is claimed again once its lease has run out, by any owner.
- At least once, not exactly once: a job may run twice (an owner that outlived its lease). The note's own
  idempotence is the writer's marker in the ticket (`bot.notes.writer`), not the queue's.

`SqliteJobs`: one file (`pendo-notes.sqlite3` by default) that several processes on one host may share:
WAL, short busy waits and `BEGIN IMMEDIATE` transactions, so a claim is atomic across processes. The file
is created 0600 (tightened to 0600 when found wider). Calls run on the event loop's thread: a read is
microseconds, a change waits for its fsync (synchronous=FULL: a job stored is on disk before the 200;
on a slow or network volume that wait is on the loop: prefer Redis there); a file locked by another process is waited for in 5 ms slices with the loop free for
10 ms in between, at most 2 s in all, then QueueUnavailable.

`RedisJobs` (`bot.notes.jobs_redis`): Streams + a sorted set. A stream's consumer group gives leases and
takeover of a dead consumer's entries (XAUTOCLAIM); the sorted set gives what streams lack, delivery at a
due time: jobs wait there until due, then move into the stream. Every Redis failure raises QueueUnavailable
(the notes wait for Redis; there is no in-memory fallback).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

GIVEN_UP_KEPT = 10_000  # the newest given-up jobs kept, both backends
BUSY_SECONDS = 2.0  # SQLite: the longest a call waits for another process's write lock
_BUSY_SLICE = 0.005  # SQLite: one wait on the loop's thread (the busy timeout of one attempt)
_BUSY_PAUSE = 0.01  # SQLite: then the loop runs this long before the next attempt


class QueueUnavailable(Exception):
    """The store cannot be reached now (Redis down, the file locked too long): the webhook answers 503."""


@dataclass(frozen=True)
class Job:
    key: str  # unique per job: "note:<ticket_id>" (the alerts issue will add "alert:<ticket_id>")
    kind: str  # "note"
    ticket_id: int
    first_seen: float  # epoch seconds (wall clock: several processes share the store)
    payload: dict[str, Any] = field(default_factory=dict)  # the signed webhook body's trusted fields
    attempts: int = 0
    final: bool = False
    due: float = 0.0


@dataclass(frozen=True)
class GivenUp:
    key: str
    kind: str
    ticket_id: int
    first_seen: float
    given_up_at: float
    attempts: int
    reason: str


class JobStore(Protocol):
    async def add(self, job: Job, *, limit: int) -> bool | None:
        """True: stored; False: a job with that key is waiting or leased (a duplicate); None: `limit`
        jobs are waiting already (full). A given-up job with that key is replaced. Raises QueueUnavailable."""

    async def claim(self, owner: str, *, now: float, lease: float) -> Job | None:
        """One due job (due <= now, not leased, or its lease expired: its owner died), leased to `owner`
        until now + lease; None when nothing is due. Never hands one job to two owners."""

    async def done(self, job: Job, owner: str) -> None: ...
    async def retry(self, job: Job, owner: str, *, due: float, final: bool) -> None:
        """Back to waiting, attempts + 1 (of the stored count), due at `due`; the lease ends."""

    async def release(self, job: Job, owner: str) -> None:
        """Back to waiting as it was (a graceful stop cut it short), due now (its due time is kept: it
        was due when claimed)."""

    async def give_up(self, job: Job, owner: str, *, reason: str, at: float) -> None:
        """Out of the waiting jobs, into the given-up list (kept for `pendo-bot notes`)."""

    async def waiting(self) -> list[Job]:
        """Jobs waiting or leased, by due time."""

    async def given_up(self) -> list[GivenUp]:
        """Given-up jobs, oldest first."""

    async def depth(self, now: float) -> tuple[int, float]:
        """(jobs waiting or leased, age in seconds of the oldest one's first_seen; 0.0 when none)."""

    async def revive(self, key: str | None, *, now: float) -> int:
        """Given-up jobs back to waiting, due now (one by key, or all when None); how many. A revived job
        starts afresh: first_seen = now, attempts 0, not final."""

    async def mark(self, key: str, *, now: float, until: float, value: str = "1") -> bool:
        """Set the mark `key` (holding `value`) until `until` unless it is set already (and not expired):
        True if this call set it. Whoever shares the store sees it (an alert claimed once across instances
        and retries; an NPS comment kept for the post it belongs to)."""

    async def marked(self, key: str, *, now: float) -> str | None:
        """The value of the mark `key` while it is set (not expired), else None."""

    async def unmark(self, key: str) -> None:
        """Clear the mark `key` (a post that failed: the next attempt may claim it again)."""

    async def aclose(self) -> None: ...


# --- SQLite -------------------------------------------------------------------------------------------
SCHEMA_VERSION = 3
MARKS = """
CREATE TABLE IF NOT EXISTS marks (
    key TEXT PRIMARY KEY,
    until REAL NOT NULL,                -- epoch seconds: an expired mark is free again
    value TEXT                          -- version 3: what the mark holds (NULL: "1")
)
"""
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    ticket_id INTEGER NOT NULL,
    payload TEXT NOT NULL,              -- JSON object
    first_seen REAL NOT NULL,           -- epoch seconds
    attempts INTEGER NOT NULL DEFAULT 0,
    final INTEGER NOT NULL DEFAULT 0,
    due REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL,
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'given_up')),
    given_up_at REAL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_due ON jobs (state, due);
CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (state, first_seen);
"""
_COLUMNS = "key, kind, ticket_id, payload, first_seen, attempts, final, due"


def _job(row: tuple[Any, ...]) -> Job:
    key, kind, ticket_id, payload, first_seen, attempts, final, due = row
    args = (str(kind), int(ticket_id), float(first_seen), json.loads(payload), int(attempts), bool(final))
    return Job(str(key), *args, due=float(due))


def _busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def _transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """`work` in a write transaction taken at once (`BEGIN IMMEDIATE`): atomic across processes."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def private_file(path: Path) -> None:
    """Create `path` 0600 if missing (before SQLite opens it); tighten it to 0600 when wider."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class SqliteJobs:
    """One connection, on the event loop's thread, opened on first use. The -wal and -shm files SQLite
    makes beside it take the database file's permissions."""

    where: str

    def __init__(
        self, path: str | os.PathLike[str], *, busy: float = BUSY_SECONDS, kept: int = GIVEN_UP_KEPT
    ) -> None:
        self.path, self.kept = Path(path).expanduser(), kept
        self.where = f"SQLite file {self.path}"
        self._busy_for = busy
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            private_file(self.path)
            # used from the event loop only, one call at a time; closed, at a stop, maybe from another thread
            conn = sqlite3.connect(
                self.path, timeout=_BUSY_SLICE, isolation_level=None, check_same_thread=False
            )
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                _transaction(conn, _migrate)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    async def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool = True) -> T:
        """`work` (in a write transaction when `write`); a busy file is tried again, the loop free in
        between, for at most `busy` seconds."""
        deadline = time.monotonic() + self._busy_for
        while True:
            try:
                conn = self._connection()
                return _transaction(conn, work) if write else work(conn)
            except sqlite3.Error as exc:
                if _busy(exc) and time.monotonic() < deadline:
                    await asyncio.sleep(_BUSY_PAUSE)
                    continue
                raise QueueUnavailable(f"{self.where}: {type(exc).__name__}: {exc}") from None
            except OSError as exc:  # the folder or the file cannot be made
                raise QueueUnavailable(f"{self.where}: {exc}") from None

    async def add(self, job: Job, *, limit: int) -> bool | None:
        def add(conn: sqlite3.Connection) -> bool | None:
            found = conn.execute("SELECT state FROM jobs WHERE key = ?", (job.key,)).fetchone()
            if found is not None and found[0] == "waiting":
                return False
            if conn.execute("SELECT COUNT(*) FROM jobs WHERE state = 'waiting'").fetchone()[0] >= limit:
                return None
            row = (job.key, job.kind, job.ticket_id, json.dumps(job.payload), job.first_seen, job.attempts)
            conn.execute(
                f"INSERT OR REPLACE INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, int(job.final), job.due),
            )
            return True

        return await self._run(add)

    async def claim(self, owner: str, *, now: float, lease: float) -> Job | None:
        def claim(conn: sqlite3.Connection) -> Job | None:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE state = 'waiting' AND due <= ? "
                "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due, key LIMIT 1",
                (now, now),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE key = ?", (owner, now + lease, row[0])
            )
            return _job(row)

        return await self._run(claim)

    async def _owned(self, job: Job, owner: str, sql: str, args: tuple[Any, ...]) -> None:
        """`sql` (ending in `WHERE key = ? AND lease_owner = ?`) when `owner` holds the job's lease."""
        await self._run(lambda conn: conn.execute(sql, (*args, job.key, owner)))

    async def done(self, job: Job, owner: str) -> None:
        await self._owned(
            job, owner, "DELETE FROM jobs WHERE state = 'waiting' AND key = ? AND lease_owner = ?", ()
        )

    async def retry(self, job: Job, owner: str, *, due: float, final: bool) -> None:
        await self._owned(
            job,
            owner,
            "UPDATE jobs SET attempts = attempts + 1, due = ?, final = ?, lease_owner = NULL, "
            "lease_until = NULL WHERE state = 'waiting' AND key = ? AND lease_owner = ?",
            (due, int(final)),
        )

    async def release(self, job: Job, owner: str) -> None:
        await self._owned(
            job,
            owner,
            "UPDATE jobs SET lease_owner = NULL, lease_until = NULL "
            "WHERE state = 'waiting' AND key = ? AND lease_owner = ?",
            (),
        )

    async def give_up(self, job: Job, owner: str, *, reason: str, at: float) -> None:
        def give_up(conn: sqlite3.Connection) -> None:
            changed = conn.execute(
                "UPDATE jobs SET state = 'given_up', given_up_at = ?, reason = ?, lease_owner = NULL, "
                "lease_until = NULL, payload = '{}' "  # no requester email kept: a retry reads the ticket
                "WHERE state = 'waiting' AND key = ? AND lease_owner = ?",
                (at, reason, job.key, owner),
            ).rowcount
            if changed:  # keep the newest GIVEN_UP_KEPT
                conn.execute(
                    "DELETE FROM jobs WHERE key IN (SELECT key FROM jobs WHERE state = 'given_up' "
                    "ORDER BY given_up_at DESC, key LIMIT -1 OFFSET ?)",
                    (self.kept,),
                )

        await self._run(give_up)

    async def waiting(self) -> list[Job]:
        def waiting(conn: sqlite3.Connection) -> list[Job]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE state = 'waiting' ORDER BY due, key"
            ).fetchall()
            return [_job(row) for row in rows]

        return await self._run(waiting, write=False)

    async def given_up(self) -> list[GivenUp]:
        def given_up(conn: sqlite3.Connection) -> list[GivenUp]:
            rows = conn.execute(
                "SELECT key, kind, ticket_id, first_seen, given_up_at, attempts, reason FROM jobs "
                "WHERE state = 'given_up' ORDER BY given_up_at, key"
            ).fetchall()
            return [
                GivenUp(str(k), str(kind), int(t), float(f), float(g), int(a), str(r))
                for k, kind, t, f, g, a, r in rows
            ]

        return await self._run(given_up, write=False)

    async def depth(self, now: float) -> tuple[int, float]:
        def depth(conn: sqlite3.Connection) -> tuple[int, float]:
            count, oldest = conn.execute(
                "SELECT COUNT(*), MIN(first_seen) FROM jobs WHERE state = 'waiting'"
            ).fetchone()
            return int(count), 0.0 if oldest is None else max(0.0, now - float(oldest))

        return await self._run(depth, write=False)

    async def revive(self, key: str | None, *, now: float) -> int:
        def revive(conn: sqlite3.Connection) -> int:
            which, args = ("", ()) if key is None else (" AND key = ?", (key,))
            return int(
                conn.execute(
                    "UPDATE jobs SET state = 'waiting', first_seen = ?, due = ?, attempts = 0, final = 0, "
                    f"given_up_at = NULL, reason = NULL WHERE state = 'given_up'{which}",
                    (now, now, *args),
                ).rowcount
            )

        return await self._run(revive)

    async def mark(self, key: str, *, now: float, until: float, value: str = "1") -> bool:
        def mark(conn: sqlite3.Connection) -> bool:
            expired = "SELECT rowid FROM marks WHERE until <= ? LIMIT 100"  # swept: no comment outlives it
            conn.execute(f"DELETE FROM marks WHERE rowid IN ({expired})", (now,))
            cursor = conn.execute(
                "INSERT INTO marks (key, until, value) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "until = excluded.until, value = excluded.value WHERE marks.until <= ?",
                (key, until, value, now),
            )
            return cursor.rowcount == 1

        return await self._run(mark)

    async def marked(self, key: str, *, now: float) -> str | None:
        def marked(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT until, value FROM marks WHERE key = ?", (key,)).fetchone()
            if row is None or float(row[0]) <= now:
                return None
            return "1" if row[1] is None else str(row[1])

        return await self._run(marked, write=False)

    async def unmark(self, key: str) -> None:
        await self._run(lambda conn: conn.execute("DELETE FROM marks WHERE key = ?", (key,)))

    async def aclose(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _migrate(conn: sqlite3.Connection) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"the notes database is at schema version {version}; this bot knows up to {SCHEMA_VERSION}"
        )
    if version < SCHEMA_VERSION:
        for statement in [*SCHEMA.split(";"), MARKS]:  # version 2: the marks (IF NOT EXISTS: from 0 or 1)
            if statement.strip():
                conn.execute(statement)
        if "value" not in {row[1] for row in conn.execute("PRAGMA table_info(marks)")}:
            conn.execute("ALTER TABLE marks ADD COLUMN value TEXT")  # version 3: a mark holds a value
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
