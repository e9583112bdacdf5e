"""The bot's own politeness toward each upstream: a request-rate budget and a cap on requests in flight.

One `Budget` per upstream (Pendo, Zendesk), applied where requests leave the process: `LimitedTransport`
wraps the httpx transport, so every attempt (retries included) spends from the budget, whatever client
or code path sent it.

- Rate: GCRA (a token bucket kept as one timestamp): `rate` requests per second on average, up to
  `burst` at once. A request that would have to wait longer than it may (the request's remaining
  deadline, from its pool timeout) fails at once with `BudgetExhausted` instead of waiting in vain.
- In flight: at most `max_in_flight` requests at once; the slot is held until the response body is read.

With Redis (REDIS_URL) both are shared by every instance: the rate in one Redis key (a Lua script on
the server's clock), the in-flight slots as expiring leases in a sorted set. When Redis is down, each
instance falls back to its own memory budget. A value of 0 turns a limit off.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from bot import metrics
from bot.http.errors import RateLimited, Reason
from bot.http.shared import MISSING, RedisLink

DEFAULT_MAX_WAIT = 5.0
LEASE_SECONDS = 60.0  # an in-flight slot of a crashed instance frees itself after this
POLL_SECONDS = 0.01

# KEYS[1]: the theoretical arrival time (ms). ARGV: interval ms, burst, max wait ms.
# Returns {granted 0/1, wait ms}. Uses Redis's clock, so instances need not agree on the time.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - tonumber(ARGV[2]) * interval - now
if wait > tonumber(ARGV[3]) then return {0, math.ceil(wait)} end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
if wait < 0 then wait = 0 end
return {1, math.ceil(wait)}
"""

# KEYS[1]: sorted set of leases (score: expiry ms). ARGV: cap, lease ms, member. Returns 1 if taken.
_LEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""


class BudgetExhausted(RateLimited):
    """The bot's own budget for an upstream is spent for longer than the request may wait."""

    reason = Reason.PACING


class Budget:
    """Rate and in-flight limits for one upstream, in memory or shared through Redis."""

    def __init__(
        self,
        upstream: str,
        *,
        rate: float,
        burst: int,
        max_in_flight: int,
        shared: RedisLink | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.upstream = upstream
        self.rate = rate
        self.burst = max(1, burst)
        self.max_in_flight = max_in_flight
        self._shared = shared if shared is not None and shared.configured else None
        self._clock = clock
        self._tat = 0.0  # memory GCRA: the theoretical arrival time, in clock() seconds
        self._slots = asyncio.Semaphore(max_in_flight) if max_in_flight > 0 else None
        name = upstream.lower()
        self._rate_key = f"{shared.prefix if shared else ''}budget:{name}:rate"
        self._lease_key = f"{shared.prefix if shared else ''}budget:{name}:inflight"
        self.granted = 0
        self.refused = 0

    @property
    def limited(self) -> bool:
        return self.rate > 0 or self.max_in_flight > 0

    # --- rate ------------------------------------------------------------------------------------------
    def _reserve_memory(self, max_wait: float) -> float | None:
        """Seconds to wait for a slot in the rate (reserved), or None when that is longer than max_wait."""
        interval = 1.0 / self.rate
        now = self._clock()
        tat = max(self._tat, now)
        wait = tat + interval - self.burst * interval - now
        if wait > max_wait:
            return None
        self._tat = tat + interval
        return max(0.0, wait)

    async def _reserve(self, max_wait: float) -> float:
        if self._shared is not None:
            interval_ms = 1000.0 / self.rate
            result = await self._shared.run(
                lambda r: r.eval(_GCRA, 1, self._rate_key, interval_ms, self.burst, int(max_wait * 1000)),
                kind="budget:rate",
            )
            if result is not MISSING:
                granted, wait_ms = int(result[0]), int(result[1])  # type: ignore[index]
                if not granted:
                    raise self._refuse(wait_ms / 1000)
                return wait_ms / 1000
        wait = self._reserve_memory(max_wait)
        if wait is None:
            raise self._refuse(self._tat - self.burst / self.rate - self._clock() + 1 / self.rate)
        return wait

    def _refuse(self, retry_after: float) -> BudgetExhausted:
        self.refused += 1
        metrics.BUDGET_REFUSALS.labels(self.upstream, "rate").inc()
        return BudgetExhausted(
            self.upstream, "the bot's own request-rate budget is spent", retry_after=max(1.0, retry_after)
        )

    # --- in flight -----------------------------------------------------------------------------------
    async def _take_slot(self, max_wait: float) -> Callable[[], Any] | None:
        """Take an in-flight slot within max_wait; returns how to give it back."""
        if self.max_in_flight <= 0:
            return None
        if self._shared is not None:
            shared, member = self._shared, uuid.uuid4().hex
            until = self._clock() + max_wait
            while True:
                taken = await shared.run(
                    lambda r: r.eval(
                        _LEASE, 1, self._lease_key, self.max_in_flight, int(LEASE_SECONDS * 1000), member
                    ),
                    kind="budget:inflight",
                )
                if taken is MISSING:
                    break  # Redis went away: this instance's own cap
                if taken:
                    return lambda: shared.run(
                        lambda r: r.zrem(self._lease_key, member), kind="budget:inflight"
                    )
                if self._clock() >= until:
                    metrics.BUDGET_REFUSALS.labels(self.upstream, "in_flight").inc()
                    raise BudgetExhausted(self.upstream, "too many requests in flight", retry_after=1.0)
                await asyncio.sleep(POLL_SECONDS)
        assert self._slots is not None
        try:
            await asyncio.wait_for(self._slots.acquire(), max_wait)
        except TimeoutError:
            metrics.BUDGET_REFUSALS.labels(self.upstream, "in_flight").inc()
            raise BudgetExhausted(self.upstream, "too many requests in flight", retry_after=1.0) from None
        slots = self._slots

        async def release() -> None:
            slots.release()

        return release

    async def acquire(self, max_wait: float = DEFAULT_MAX_WAIT) -> Callable[[], Any] | None:
        """Wait for the rate and an in-flight slot (at most `max_wait` s); return the slot's release."""
        if self.rate > 0:
            wait = await self._reserve(max_wait)
            if wait > 0:
                metrics.BUDGET_WAITS.labels(self.upstream).inc()
                metrics.BUDGET_WAIT_SECONDS.labels(self.upstream).inc(wait)
                await asyncio.sleep(wait)
                max_wait -= wait
        release = await self._take_slot(max(0.0, max_wait))
        self.granted += 1
        return release

    def wrap(self, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncBaseTransport:
        """`transport` (default: the upstream transport, its pool as large as the in-flight cap, so a
        raised cap is not held back by a smaller pool; without a cap, the pool's own default) spending
        from this budget."""
        from bot.http.upstream import MAX_CONNECTIONS, default_transport

        inner = (
            transport if transport is not None else default_transport(self.max_in_flight or MAX_CONNECTIONS)
        )
        return LimitedTransport(inner, self) if self.limited else inner


class _ReleasingStream(httpx.AsyncByteStream):
    """The response body; the in-flight slot is given back when it is closed."""

    def __init__(self, inner: Any, release: Callable[[], Any]) -> None:
        self._inner = inner
        self._release: Callable[[], Any] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            await self._give_back()

    async def _give_back(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            await release()


class LimitedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, budget: Budget) -> None:
        self.inner = inner
        self.budget = budget

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout") or {}
        pool = timeout.get("pool") if isinstance(timeout, dict) else None
        release = await self.budget.acquire(DEFAULT_MAX_WAIT if pool is None else float(pool))
        if release is None:
            return await self.inner.handle_async_request(request)
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            await release()
            raise
        if response.is_closed:  # already read (an in-memory body): nothing more is in flight
            await release()
        else:
            response.stream = _ReleasingStream(response.stream, release)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
