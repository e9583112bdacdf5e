"""A TTL cache with request coalescing, in memory or shared through Redis, with stale answers on failure.

Concurrent callers asking for the same key share one upstream call; a result is kept for `ttl` seconds.
Failures are not cached. The memory part is bounded (least recently used entries go first).

With a `RedisLink` (REDIS_URL), `get_or_load` reads and writes Redis too, so several instances share
results, and a short Redis lock per key lets one instance load while the others wait for its result
(coalescing across instances). `claim` is the shared "first to see this" mark used for de-duplication.
When Redis is down, everything keeps working from this instance's memory.

A Redis entry is one encoded tuple (the Redis key it was written for, fresh until, fetched at, the
value). One that does not decode, was written for another key, or whose value is not what the caller
expects (`expect`: a pydantic TypeAdapter, the same one the client parses the upstream's answer with) is
ignored, logged once, and loaded again: a wrong entry costs an upstream call, never an answer.

Stale on error: entries are kept `stale_seconds` past their TTL. Inside `track_stale()`, when a load
fails because the upstream is unavailable or rate-limiting, the last good value is returned instead and
its age recorded, so the answer can say how old it is. Outside `track_stale()` the failure is raised.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import TypeAdapter

from bot import metrics
from bot.http.errors import RateLimited, Unavailable, UpstreamError
from bot.http.shared import MISSING, DecodeError, RedisLink, Unencodable, decode, encode

log = logging.getLogger(__name__)
T = TypeVar("T")

ENTRY_VERSION = 3  # :3 = (key, fresh until, fetched at, value); bump when the entry's encoding changes
LOCK_SECONDS = 3.0  # how long another instance waits for the one that holds a key's lock
# Delete a lock or a claim only while it still holds the token its taker wrote: one that expired and was
# taken by another instance is theirs, and stays.
_DELETE_IF_MINE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
POLL_SECONDS = 0.02


@dataclass
class StaleUse:
    """Ages (seconds) of the stale values an answer was built from."""

    ages: list[float] = field(default_factory=list)

    @property
    def oldest(self) -> float | None:
        return max(self.ages) if self.ages else None


_stale: contextvars.ContextVar[StaleUse | None] = contextvars.ContextVar("stale_use", default=None)


@contextmanager
def track_stale() -> Iterator[StaleUse]:
    """Allow stale values for the work inside (and the tasks it starts); collect their ages."""
    use = StaleUse()
    token = _stale.set(use)
    try:
        yield use
    finally:
        _stale.reset(token)


def _stale_worthy(exc: BaseException) -> bool:
    """Failures a recent answer may stand in for: the upstream is down, slow or rate-limiting.
    Never "not found" or a credentials problem: those are answers in themselves."""
    if isinstance(exc, Unavailable | RateLimited):
        return True
    return isinstance(exc, UpstreamError) and exc.status is not None and exc.status >= 500


@dataclass
class _Entry:
    fresh_until: float  # clock()
    keep_until: float  # clock(): fresh_until + stale window
    stored_at: float  # wall time (time.time()) when the value was fetched
    value: Any


class TTLCache:
    def __init__(
        self,
        max_entries: int = 2048,
        clock: Callable[[], float] = time.monotonic,
        *,
        shared: RedisLink | None = None,
        namespace: str = "cache",
        stale_seconds: float = 0.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._data: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}
        self._max = max_entries
        self._clock = clock
        self._wall = wall
        self._shared = shared if shared is not None and shared.configured else None
        self._namespace = namespace
        self.stale_seconds = stale_seconds
        self._background: set[asyncio.Task[Any]] = set()
        self._reported: set[str] = set()  # Redis keys whose unreadable entry was logged already
        self.hits = 0
        self.misses = 0

    # --- memory --------------------------------------------------------------------------------------
    def _entry(self, key: Hashable) -> _Entry | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry.keep_until < self._clock() or (entry.fresh_until < self._clock() and not self.stale_seconds):
            del self._data[key]
            return None
        return entry

    def get(self, key: Hashable) -> Any | None:
        """The fresh value for `key` in this instance's memory, or None."""
        entry = self._entry(key)
        if entry is None or entry.fresh_until < self._clock():
            return None
        self._data.move_to_end(key)
        return entry.value

    def _remember(self, key: Hashable, value: Any, ttl: float, stored_at: float | None = None) -> None:
        if ttl <= 0:
            return
        fresh = self._clock() + ttl
        self._data[key] = _Entry(fresh, fresh + self.stale_seconds, stored_at or self._wall(), value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def put(self, key: Hashable, value: Any, ttl: float) -> None:
        """Keep `value` for `ttl` seconds (here, and in Redis in the background when it is shared)."""
        if ttl <= 0:
            return
        self._remember(key, value, ttl)
        if self._shared is not None:
            try:
                task = asyncio.get_running_loop().create_task(self._shared_put(key, value, ttl))
            except RuntimeError:  # no running loop (a synchronous caller): memory only
                return
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def clear(self) -> None:
        """Forget this instance's memory (Redis entries expire on their own)."""
        self._data.clear()

    def add_if_absent(self, key: Hashable, ttl: float) -> bool:
        """Mark `key` as seen for `ttl` seconds in this instance; True if it was not already marked."""
        if self.get(key) is not None:
            return False
        self._remember(key, True, ttl)
        return True

    @property
    def shared(self) -> bool:
        """Whether this cache is shared through Redis (REDIS_URL is set), whether or not Redis answers."""
        return self._shared is not None

    async def claim(self, key: Hashable, ttl: float, *, require_shared: bool = False) -> bool:
        """Mark `key` as seen for `ttl` seconds across every instance sharing Redis (this instance's
        memory when Redis is not set or down); True for the first caller only.

        `require_shared`: when Redis is configured, the claim is Redis's or nobody's: False while Redis
        does not answer (a lock only this instance sees would let another instance do the same work)."""
        if self.get(key) is not None:
            return False
        if self._shared is not None and ttl > 0:
            shared = self._shared
            rkey = shared.key(f"{self._namespace}:mark", key)
            token = uuid.uuid4().hex.encode()
            won = await shared.run(
                lambda r: r.set(rkey, token, nx=True, px=max(1, int(ttl * 1000))),
                kind=f"{self._namespace}:mark",
            )
            if won is not MISSING:
                if won:  # a lost claim is not remembered here: the winner may release it
                    self._remember(key, token, ttl)  # the token: `release` deletes only this claim
                return bool(won)
            if require_shared:
                return False
        return self.add_if_absent(key, ttl)

    async def release(self, key: Hashable) -> None:
        """Undo a `claim` (the work it guarded did not happen), here and in Redis: only this instance's
        own claim (by its token), never one that expired and was taken by another instance since."""
        entry = self._data.pop(key, None)
        token = entry.value if entry is not None else None
        if self._shared is not None and isinstance(token, bytes):
            await _delete_if_mine(
                self._shared,
                self._shared.key(f"{self._namespace}:mark", key),
                token,
                f"{self._namespace}:mark",
            )

    # --- Redis -------------------------------------------------------------------------------------------
    def _rkey(self, key: Hashable) -> str:
        assert self._shared is not None
        return self._shared.key(f"{self._namespace}:{ENTRY_VERSION}", key)

    async def _shared_put(self, key: Hashable, value: Any, ttl: float) -> None:
        assert self._shared is not None
        try:
            now = self._wall()
            rkey = self._rkey(key)
            payload = encode((rkey, now + ttl, now, value))  # one encoding, see ENTRY_VERSION
        except Unencodable as exc:
            log.debug("kept in memory only", extra={"type": str(exc)})
            return
        px = max(1, int((ttl + self.stale_seconds) * 1000))
        await self._shared.run(lambda r: r.set(rkey, payload, px=px), kind=f"{self._namespace}:entry")

    def _unreadable(self, rkey: str, problem: str) -> None:
        """One log line per key (per instance): the entry is ignored and will be overwritten."""
        if rkey in self._reported:
            return
        if len(self._reported) >= 4096:
            self._reported.clear()
        self._reported.add(rkey)
        log.warning("unreadable shared cache entry ignored", extra={"error": problem})

    async def _shared_get(self, key: Hashable, expect: TypeAdapter[Any]) -> tuple[Any, float, float] | None:
        """(value, seconds still fresh (may be negative: stale), wall time it was fetched) from Redis."""
        assert self._shared is not None
        rkey = self._rkey(key)
        raw = await self._shared.run(lambda r: r.get(rkey), kind=f"{self._namespace}:entry")
        if not isinstance(raw, bytes):  # MISSING (Redis down) or None (no entry)
            return None
        try:
            entry = decode(raw)
        except DecodeError as exc:
            self._unreadable(rkey, str(exc))
            return None
        if not (isinstance(entry, tuple) and len(entry) == 4):
            self._unreadable(rkey, "not an entry")
            return None
        written_for, fresh_until, fetched_at, value = entry
        if written_for != rkey:
            self._unreadable(rkey, "written for another key")
            return None
        if not all(isinstance(t, int | float) and math.isfinite(t) for t in (fresh_until, fetched_at)):
            self._unreadable(rkey, "times are not numbers")
            return None
        try:
            value = expect.validate_python(value)
        except Exception:  # ValidationError, or a broken object pydantic trips over
            self._unreadable(rkey, "value of another type")
            return None
        return value, float(fresh_until) - self._wall(), float(fetched_at)

    async def _load_shared(
        self, key: Hashable, ttl: float, load: Callable[[], Awaitable[T]], expect: TypeAdapter[Any]
    ) -> T:
        """Redis first; else take the key's short lock and load, or wait for the instance that has it."""
        assert self._shared is not None
        shared = self._shared
        found = await self._shared_get(key, expect)
        if found is not None and found[1] > 0:
            self._remember(key, found[0], min(found[1], ttl), found[2])
            return found[0]  # type: ignore[no-any-return]
        lock = self._rkey(key) + ":lock"
        token = uuid.uuid4().hex.encode()
        lock_kind = f"{self._namespace}:lock"
        got = await shared.run(
            lambda r: r.set(lock, token, nx=True, px=int(LOCK_SECONDS * 1000)), kind=lock_kind
        )
        if got is not MISSING and not got:
            waited_until = self._clock() + LOCK_SECONDS
            while self._clock() < waited_until:
                await asyncio.sleep(POLL_SECONDS)
                found = await self._shared_get(key, expect)
                if found is not None and found[1] > 0:
                    self._remember(key, found[0], min(found[1], ttl), found[2])
                    return found[0]  # type: ignore[no-any-return]
                if not await shared.run(lambda r: r.exists(lock), kind=lock_kind):
                    break  # the holder failed (or Redis went away): load here
        try:
            value = await load()
        except BaseException:
            if got:
                await _delete_if_mine(shared, lock, token, lock_kind)
            raise
        self._remember(key, value, ttl)
        await self._shared_put(key, value, ttl)
        if got:
            await _delete_if_mine(shared, lock, token, lock_kind)
        return value

    async def _stale_value(self, key: Hashable, expect: TypeAdapter[Any] | None) -> tuple[Any, float] | None:
        """The last good value for `key` past its TTL but within the stale window, and its age."""
        entry = self._entry(key)
        if entry is not None:
            return entry.value, max(0.0, self._wall() - entry.stored_at)
        if self._shared is not None and expect is not None:
            found = await self._shared_get(key, expect)
            if found is not None:
                return found[0], max(0.0, self._wall() - found[2])
        return None

    # --- the main entry point ------------------------------------------------------------------------
    async def get_or_load(
        self,
        key: Hashable,
        ttl: float,
        load: Callable[[], Awaitable[T]],
        *,
        expect: TypeAdapter[Any] | None = None,
    ) -> T:
        """The value for `key`: from memory, from Redis (when it validates with `expect`), else `load()`.
        Without `expect`, the value stays in this instance's memory (never written to or read from Redis)."""
        entry = self._entry(key)
        if entry is not None and entry.fresh_until >= self._clock():
            self.hits += 1
            metrics.cache_read(self._namespace, key, "hit")
            self._data.move_to_end(key)
            return entry.value  # type: ignore[no-any-return]
        task = self._inflight.get(key)
        metrics.cache_read(self._namespace, key, "miss" if task is None else "hit")
        if task is None:
            self.misses += 1
            # The load runs as its own task, so a caller that is cancelled (say by its own deadline)
            # does not cancel the others waiting for the same key.
            # Only a value whose type the caller declares (`expect`) is shared: Redis is read back only
            # through that validator, never trusted as it is.
            shared = self._shared is not None and ttl > 0 and expect is not None
            work = self._load_shared(key, ttl, load, expect) if shared and expect is not None else load()
            task = asyncio.ensure_future(work)
            self._inflight[key] = task

            def done(finished: asyncio.Future[Any]) -> None:
                self._inflight.pop(key, None)
                if not shared and not finished.cancelled() and finished.exception() is None:
                    self._remember(key, finished.result(), ttl)

            task.add_done_callback(done)
        else:
            self.hits += 1
        try:
            result: T = await asyncio.shield(task)
        except Exception as exc:
            use = _stale.get()
            if use is None or not self.stale_seconds or not _stale_worthy(exc):
                raise
            stale = await self._stale_value(key, expect)
            if stale is None:
                raise
            log.warning(
                "upstream failed: answering from a stale cache entry", extra={"age_s": round(stale[1])}
            )
            use.ages.append(stale[1])
            metrics.cache_read(self._namespace, key, "stale")
            return stale[0]  # type: ignore[no-any-return]
        return result


async def _delete_if_mine(shared: RedisLink, rkey: str, token: bytes, kind: str) -> None:
    """Delete `rkey` if it still holds `token` (atomically, in Redis)."""
    await shared.run(lambda r: r.eval(_DELETE_IF_MINE, 1, rkey, token), kind=kind)
