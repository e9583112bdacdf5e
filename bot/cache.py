"""A small in-memory TTL cache with request coalescing.

Concurrent callers asking for the same key share one upstream call; a result is kept for `ttl`
seconds. Failures are not cached. This is per process: several HTTP instances each keep their own,
which only costs an extra upstream call, never a wrong answer.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class TTLCache:
    def __init__(self, max_entries: int = 2048, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}
        self._max = max_entries
        self._clock = clock
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < self._clock():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Any, ttl: float) -> None:
        if ttl <= 0:
            return
        self._data[key] = (self._clock() + ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    def add_if_absent(self, key: Hashable, ttl: float) -> bool:
        """Mark `key` as seen for `ttl` seconds; True if it was not already marked (for dedupe)."""
        if self.get(key) is not None:
            return False
        self.put(key, True, ttl)
        return True

    async def get_or_load(self, key: Hashable, ttl: float, load: Callable[[], Awaitable[T]]) -> T:
        entry = self._data.get(key)
        if entry is not None and entry[0] >= self._clock():
            self.hits += 1
            self._data.move_to_end(key)
            return entry[1]  # type: ignore[no-any-return]
        task = self._inflight.get(key)
        if task is None:
            self.misses += 1
            # The load runs as its own task, so a caller that is cancelled (say by its own deadline)
            # does not cancel the others waiting for the same key.
            task = asyncio.ensure_future(load())
            self._inflight[key] = task

            def done(finished: asyncio.Future[Any]) -> None:
                self._inflight.pop(key, None)
                if not finished.cancelled() and finished.exception() is None:
                    self.put(key, finished.result(), ttl)

            task.add_done_callback(done)
        else:
            self.hits += 1
        result: T = await asyncio.shield(task)
        return result
