"""Where agents' preferences are kept: one small interface, two implementations.

- `SQLitePreferences`: an embedded SQLite file (PREFERENCES_DB), created on first use, its schema
  versioned (`PRAGMA user_version`) and brought up to date by the steps in `MIGRATIONS`.
- `RedisPreferences`: with REDIS_URL, so every instance sees a change at once. Keys carry the
  deployment's Redis prefix and the Slack team and user IDs (never anything about a customer), with no
  expiry.

Reading never fails an answer: a store that does not answer, or a row that cannot be read, gives the
workspace defaults and one log line (`load_known` tells "the store did not answer" apart, as None). Saving raises `PreferencesUnavailable`, whose sentence the agent
sees in the form.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from bot.http.shared import MISSING, RedisLink
from bot.preferences.model import PreferenceError, Preferences, from_row

log = logging.getLogger(__name__)
T = TypeVar("T")

# The SQLite schema, one step per version: step i takes the file from version i to i + 1.
MIGRATIONS: list[str] = [
    """CREATE TABLE preferences (
        team_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        row TEXT NOT NULL,          -- bot.preferences.model: versioned JSON of what the agent chose
        updated_at INTEGER NOT NULL,  -- epoch seconds
        PRIMARY KEY (team_id, user_id)
    )""",
]
SCHEMA_VERSION = len(MIGRATIONS)


class PreferencesUnavailable(Exception):
    """The store cannot read or save now; `sentence` is for the agent, the detail went to the log."""

    def __init__(self, sentence: str, detail: str = "") -> None:
        super().__init__(detail or sentence)
        self.sentence = sentence


UNAVAILABLE = (
    "Your preferences can't be saved right now: the bot's preferences store is not answering. "
    "Try again in a minute; meanwhile answers use what you chose before (or the workspace defaults)."
)

UPDATE_ATTEMPTS = 5  # Redis: a change applied again when another instance changed the row meanwhile

NO_IDS = (
    "Slack did not say which workspace or user this is, so nothing was saved: open the preferences "
    "again from the bot's Home tab or /pendo settings."
)


def _require_ids(team: str, user: str) -> None:
    """A row is keyed by the Slack team and user: without both it would be shared by whoever else
    arrives without them. Raises PreferenceError (the form shows its sentence)."""
    if not team or not user:
        raise PreferenceError(NO_IDS)


NEWER = (
    "Your preferences can't be saved here: the preferences database was written by a newer version of "
    "the bot. Ask whoever runs the bot to upgrade this instance; meanwhile answers use the workspace defaults."
)


class PreferenceStore(ABC):
    """Preferences by Slack team and user."""

    where: str  # for the log and the form: "SQLite file …" or "Redis"

    _failing = False  # the store did not answer last time: its outage was logged once already

    async def load(self, team: str, user: str) -> Preferences:
        """What the agent chose; the defaults when the store or the row fails (one log line per outage,
        and one per unreadable row)."""
        known = await self.load_known(team, user)
        return Preferences() if known is None else known

    async def load_known(self, team: str, user: str) -> Preferences | None:
        """What the agent chose, or None when the store did not answer (nobody knows what they chose:
        a caller for whom a default would do harm, such as the unfurl gate, can tell). An unreadable
        row is known: its readable choices, else the defaults. Without a team or a user: the defaults, and
        the store is not asked."""
        if not team or not user:
            log.warning(
                "preferences: no team or user in the request, the workspace defaults are used",
                extra={"store": self.where, "team": team, "user": user},
            )
            return Preferences()
        try:
            raw = await self._read(team, user)
        except PreferencesUnavailable as exc:
            if not self._failing:
                self._failing = True
                log.warning(
                    "preferences unavailable: the workspace defaults are used until the store answers",
                    extra={"store": self.where, "error": str(exc)},
                )
            return None
        if self._failing:
            self._failing = False
            log.warning("preferences available again", extra={"store": self.where})
        loaded = from_row(raw)
        if loaded.problems:
            log.warning(
                "preferences row partly unreadable: the workspace defaults are used for it",
                extra={"store": self.where, "problems": "; ".join(loaded.problems), "user": user},
            )
        return loaded.preferences

    async def save(self, team: str, user: str, prefs: Preferences) -> None:
        """Keep `prefs` whole (all defaults: the row is removed). Raises PreferencesUnavailable. A change
        made from the form goes through `update`, which keeps what changed meanwhile. PreferenceError
        without a team or a user."""
        _require_ids(team, user)
        if prefs.is_default:
            await self._delete(team, user)
        else:
            await self._write(team, user, prefs.to_row())

    async def update(
        self, team: str, user: str, change: Callable[[Preferences], Preferences]
    ) -> tuple[Preferences, Preferences]:
        """Apply `change` to what is stored at this moment and keep the result, atomically: two quick
        changes of different choices (two clicks, two instances) both stay. (before, after). Raises
        PreferencesUnavailable, or what `change` raises (a PreferenceError: nothing is saved); a
        PreferenceError without a team or a user."""
        _require_ids(team, user)
        return await self._update(team, user, change)

    async def reset(self, team: str, user: str) -> None:
        """Back to the workspace defaults. Raises PreferencesUnavailable; PreferenceError without a team
        or a user."""
        _require_ids(team, user)
        await self._delete(team, user)

    @abstractmethod
    async def _update(
        self, team: str, user: str, change: Callable[[Preferences], Preferences]
    ) -> tuple[Preferences, Preferences]: ...

    @abstractmethod
    async def _read(self, team: str, user: str) -> str | bytes | None: ...

    @abstractmethod
    async def _write(self, team: str, user: str, row: str) -> None: ...

    @abstractmethod
    async def _delete(self, team: str, user: str) -> None: ...

    async def aclose(self) -> None:
        return None


# --- SQLite -------------------------------------------------------------------------------------------
class SQLitePreferences(PreferenceStore):
    """One connection, used from a worker thread under a lock; the file is opened on first use.

    Reads (one per private answer) skip the thread: once the file is open, a second connection that
    never waits (`timeout=0`) reads the row on the event loop's own thread, a few microseconds in WAL
    mode, where readers never wait for a writer. The thread hop cost about 130 µs of CPU per read. When
    that read cannot go at once (another read under way, the file busy), it goes through the thread as
    before. Every read asks the file, so a change saved by another process is seen at once.
    """

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.where = f"SQLite file {path}"
        self._clock = clock
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None  # the loop thread's; opened with the file
        self._reader_lock = threading.Lock()
        _owner_only(path)  # at start: a file left readable by others (0644) is tightened now

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            with self._lock:
                return work(self._connection())

        try:
            return await asyncio.to_thread(call)
        except NewerSchema as exc:
            raise PreferencesUnavailable(NEWER, str(exc)) from None
        except (sqlite3.Error, OSError) as exc:  # OSError: the file's folder cannot be made
            raise PreferencesUnavailable(UNAVAILABLE, f"{type(exc).__name__}: {exc}") from None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path != ":memory:":
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
                _owner_only(self.path, create=True)  # SQLite's -wal and -shm files take its mode
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            try:
                if self.path != ":memory:":
                    conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
                migrate(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            self._open_reader()
        return self._conn

    def _open_reader(self) -> None:
        """The loop thread's connection (WAL files only; `:memory:` is one database per connection)."""
        if self.path == ":memory:":
            return
        try:
            reader = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return  # reads keep going through the thread
        with self._reader_lock:
            self._reader = reader

    async def _read(self, team: str, user: str) -> str | None:
        def read(conn: sqlite3.Connection) -> str | None:
            found = conn.execute(
                "SELECT row FROM preferences WHERE team_id = ? AND user_id = ?", (team, user)
            ).fetchone()
            return None if found is None else str(found[0])

        if self._reader is not None and self._reader_lock.acquire(blocking=False):
            try:
                if self._reader is not None:
                    return read(self._reader)
            except sqlite3.Error:
                pass  # busy, or anything else: the thread's connection answers (or reports it)
            finally:
                self._reader_lock.release()
        return await self._run(read)

    async def _write(self, team: str, user: str, row: str) -> None:
        now = int(self._clock())

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO preferences (team_id, user_id, row, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (team_id, user_id) DO UPDATE SET row = excluded.row, updated_at = excluded.updated_at",
                (team, user, row, now),
            )

        await self._run(write)

    async def _delete(self, team: str, user: str) -> None:
        await self._run(
            lambda conn: conn.execute(
                "DELETE FROM preferences WHERE team_id = ? AND user_id = ?", (team, user)
            )
        )

    async def _update(
        self, team: str, user: str, change: Callable[[Preferences], Preferences]
    ) -> tuple[Preferences, Preferences]:
        now = int(self._clock())

        def update(conn: sqlite3.Connection) -> tuple[Preferences, Preferences]:
            conn.execute("BEGIN IMMEDIATE")  # another process's change waits until this one is kept
            try:
                found = conn.execute(
                    "SELECT row FROM preferences WHERE team_id = ? AND user_id = ?", (team, user)
                ).fetchone()
                before = from_row(None if found is None else str(found[0])).preferences
                after = change(before)
                if after.is_default:
                    conn.execute("DELETE FROM preferences WHERE team_id = ? AND user_id = ?", (team, user))
                else:
                    conn.execute(
                        "INSERT INTO preferences (team_id, user_id, row, updated_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (team_id, user_id) DO UPDATE SET row = excluded.row, "
                        "updated_at = excluded.updated_at",
                        (team, user, after.to_row(), now),
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return before, after

        return await self._run(update)

    async def aclose(self) -> None:
        def close() -> None:
            with self._reader_lock:
                if self._reader is not None:
                    self._reader.close()
                    self._reader = None
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)


def _owner_only(path: str, *, create: bool = False) -> None:
    """The preferences file (and its -wal, -shm files when there) readable and writable by the bot's
    user only: 0600. With `create`, a missing file is made so (SQLite itself would make it 0644)."""
    if path == ":memory:" or path.startswith("file:"):
        return
    main = Path(path).expanduser()
    if create and not main.exists():
        os.close(os.open(main, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (main, Path(f"{main}-wal"), Path(f"{main}-shm")):
        try:
            if file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not the owner, a read-only mount: said, and the bot goes on
            log.warning(
                "preferences file permissions not tightened", extra={"file": str(file), "error": str(exc)}
            )


class NewerSchema(sqlite3.DatabaseError):
    """The file was written by a newer version of the bot: it is left alone."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file's schema to SCHEMA_VERSION, one step per version, each in its own transaction (a
    second process migrating at the same time waits, then finds the work done). The version reached."""
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise NewerSchema(
                    f"the preferences database is at schema version {version}; this bot knows up to "
                    f"{SCHEMA_VERSION}"
                )
            if version == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return version
            conn.execute(MIGRATIONS[version])
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
            log.info("preferences database migrated", extra={"schema_version": version + 1})
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


# --- Redis --------------------------------------------------------------------------------------------
class RedisPreferences(PreferenceStore):
    """On the deployment's shared Redis link (its prefix, its circuit breaker)."""

    where = "Redis"

    def __init__(self, link: RedisLink) -> None:
        self.link = link

    def key(self, team: str, user: str) -> str:
        return f"{self.link.prefix}prefs:v1:{team}:{user}"

    async def _call(self, op: Callable[[Any], Any]) -> Any:
        result = await self.link.run(op)
        if result is MISSING:
            raise PreferencesUnavailable(UNAVAILABLE, "Redis is not answering")
        return result

    async def _read(self, team: str, user: str) -> bytes | None:
        key = self.key(team, user)
        value = await self._call(lambda r: r.get(key))
        return value if isinstance(value, bytes) or value is None else str(value).encode()

    async def _write(self, team: str, user: str, row: str) -> None:
        key = self.key(team, user)
        await self._call(lambda r: r.set(key, row.encode()))

    async def _delete(self, team: str, user: str) -> None:
        key = self.key(team, user)
        await self._call(lambda r: r.delete(key))

    async def _update(
        self, team: str, user: str, change: Callable[[Preferences], Preferences]
    ) -> tuple[Preferences, Preferences]:
        """WATCH the key, read, apply, MULTI/EXEC; a change by another instance in between makes EXEC
        fail, and the change is applied again to what that instance kept."""
        from redis.exceptions import WatchError

        key = self.key(team, user)

        async def update(r: Any) -> tuple[Preferences, Preferences] | ValueError:
            async with r.pipeline(transaction=True) as pipe:
                for _ in range(UPDATE_ATTEMPTS):
                    try:
                        await pipe.watch(key)
                        before = from_row(await pipe.get(key)).preferences
                        try:
                            after = change(before)
                        except ValueError as exc:  # a choice the bot cannot keep: not a Redis failure
                            return exc
                        pipe.multi()
                        if after.is_default:
                            pipe.delete(key)
                        else:
                            pipe.set(key, after.to_row().encode())
                        await pipe.execute()
                        return before, after
                    except WatchError:
                        continue
            raise RuntimeError(f"the preferences row kept changing ({UPDATE_ATTEMPTS} attempts)")

        result = await self._call(update)
        if isinstance(result, ValueError):
            raise result
        return cast(tuple[Preferences, Preferences], result)


def preference_store(redis: RedisLink, path: str) -> PreferenceStore:
    """Redis when REDIS_URL is set (every instance sees a change at once), else the SQLite file."""
    return RedisPreferences(redis) if redis.configured else SQLitePreferences(path)
