"""TTLCache: expiry on a fake clock, LRU bound, no caching of failures, coalescing, add_if_absent."""

from __future__ import annotations

import asyncio

import pytest

from bot.http.cache import TTLCache


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cache(clock: FakeClock) -> TTLCache:
    return TTLCache(max_entries=3, clock=clock)


# --- get / put -----------------------------------------------------------------------------------
def test_get_missing_is_none(cache: TTLCache) -> None:
    assert cache.get("nope") is None


def test_value_lives_exactly_ttl_seconds(cache: TTLCache, clock: FakeClock) -> None:
    cache.put("k", "v", ttl=10)
    clock.advance(9.999)
    assert cache.get("k") == "v"
    clock.advance(0.001)  # exactly at the expiry instant: still valid
    assert cache.get("k") == "v"
    clock.advance(0.001)
    assert cache.get("k") is None
    # an expired entry is dropped, not resurrected by moving the clock back
    clock.advance(-100)
    assert cache.get("k") is None


def test_put_overwrites_and_renews_ttl(cache: TTLCache, clock: FakeClock) -> None:
    cache.put("k", 1, ttl=10)
    clock.advance(8)
    cache.put("k", 2, ttl=10)
    clock.advance(8)
    assert cache.get("k") == 2


@pytest.mark.parametrize("ttl", [0, -1])
def test_non_positive_ttl_is_not_stored(cache: TTLCache, ttl: float) -> None:
    cache.put("k", "v", ttl=ttl)
    assert cache.get("k") is None


def test_lru_bound_evicts_least_recently_used(cache: TTLCache) -> None:
    cache.put("a", 1, ttl=60)
    cache.put("b", 2, ttl=60)
    cache.put("c", 3, ttl=60)
    assert cache.get("a") == 1  # touch a: b is now the oldest
    cache.put("d", 4, ttl=60)
    assert cache.get("b") is None
    assert [cache.get(k) for k in ("a", "c", "d")] == [1, 3, 4]
    assert len(cache._data) == 3


def test_lru_bound_holds_under_many_inserts(clock: FakeClock) -> None:
    cache = TTLCache(max_entries=5, clock=clock)
    for i in range(100):
        cache.put(i, i, ttl=60)
    assert len(cache._data) == 5
    assert [cache.get(i) for i in range(95, 100)] == list(range(95, 100))
    assert cache.get(94) is None


# --- add_if_absent -------------------------------------------------------------------------------
def test_add_if_absent_first_true_then_false_until_expiry(cache: TTLCache, clock: FakeClock) -> None:
    assert cache.add_if_absent("event-1", ttl=120) is True
    assert cache.add_if_absent("event-1", ttl=120) is False
    assert cache.add_if_absent("event-2", ttl=120) is True
    clock.advance(119)
    assert cache.add_if_absent("event-1", ttl=120) is False
    clock.advance(2)  # 121 s after the first mark: expired
    assert cache.add_if_absent("event-1", ttl=120) is True
    assert cache.add_if_absent("event-1", ttl=120) is False


def test_add_if_absent_second_call_does_not_extend_the_mark(cache: TTLCache, clock: FakeClock) -> None:
    assert cache.add_if_absent("e", ttl=10) is True
    clock.advance(8)
    assert cache.add_if_absent("e", ttl=10) is False
    clock.advance(3)  # 11 s after the first mark
    assert cache.add_if_absent("e", ttl=10) is True


def test_add_if_absent_with_zero_ttl_never_dedupes(cache: TTLCache) -> None:
    assert cache.add_if_absent("e", ttl=0) is True
    assert cache.add_if_absent("e", ttl=0) is True


# --- get_or_load ---------------------------------------------------------------------------------
async def test_get_or_load_caches_until_ttl(cache: TTLCache, clock: FakeClock) -> None:
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        return calls

    assert await cache.get_or_load("k", 30, load) == 1
    clock.advance(30)
    assert await cache.get_or_load("k", 30, load) == 1
    assert (cache.hits, cache.misses) == (1, 1)
    clock.advance(0.5)
    assert await cache.get_or_load("k", 30, load) == 2
    assert calls == 2


async def test_get_or_load_caches_falsy_values(cache: TTLCache) -> None:
    calls = 0

    async def load() -> list[int]:
        nonlocal calls
        calls += 1
        return []

    assert await cache.get_or_load("k", 30, load) == []
    assert await cache.get_or_load("k", 30, load) == []
    assert calls == 1


async def test_failures_are_not_cached(cache: TTLCache) -> None:
    calls = 0

    async def load() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("upstream down")
        return "ok"

    with pytest.raises(RuntimeError, match="upstream down"):
        await cache.get_or_load("k", 30, load)
    assert cache._inflight == {}
    assert await cache.get_or_load("k", 30, load) == "ok"
    assert calls == 2


async def test_concurrent_loads_coalesce_into_one_call(cache: TTLCache) -> None:
    calls = 0
    release = asyncio.Event()

    async def load() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "value"

    tasks = [asyncio.create_task(cache.get_or_load("k", 30, load)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*tasks) == ["value"] * 5
    assert calls == 1
    assert (cache.misses, cache.hits) == (1, 4)
    assert cache._inflight == {}


async def test_concurrent_loads_of_different_keys_do_not_coalesce(cache: TTLCache) -> None:
    seen: list[str] = []

    def loader(key: str):  # type: ignore[no-untyped-def]
        async def load() -> str:
            seen.append(key)
            await asyncio.sleep(0)
            return key.upper()

        return load

    results = await asyncio.gather(*(cache.get_or_load(k, 30, loader(k)) for k in ("a", "b", "a")))
    assert results == ["A", "B", "A"]
    assert sorted(seen) == ["a", "b"]


async def test_concurrent_failure_reaches_every_waiter_and_is_not_cached(cache: TTLCache) -> None:
    calls = 0
    release = asyncio.Event()

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        raise ValueError("bad answer")

    tasks = [asyncio.create_task(cache.get_or_load("k", 30, failing)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert calls == 1
    assert all(isinstance(r, ValueError) for r in results)

    async def ok() -> str:
        return "fresh"

    assert await cache.get_or_load("k", 30, ok) == "fresh"


async def test_waiter_cancelled_does_not_cancel_the_shared_load(cache: TTLCache) -> None:
    release = asyncio.Event()

    async def load() -> str:
        await release.wait()
        return "value"

    owner = asyncio.create_task(cache.get_or_load("k", 30, load))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cache.get_or_load("k", 30, load))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.sleep(0)
    release.set()
    assert await owner == "value"
    assert waiter.cancelled()
    assert cache.get("k") == "value"


async def test_owner_cancelled_does_not_cancel_other_waiters(cache: TTLCache) -> None:
    release = asyncio.Event()

    async def load() -> str:
        await release.wait()
        return "value"

    owner = asyncio.create_task(cache.get_or_load("k", 30, load))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cache.get_or_load("k", 30, load))
    await asyncio.sleep(0)
    owner.cancel()  # e.g. one Slack lookup hit its own deadline
    await asyncio.sleep(0)
    release.set()
    try:
        result: object = await asyncio.wait_for(waiter, timeout=1)
    except asyncio.CancelledError:
        result = "waiter was cancelled though nobody cancelled it"
    assert result == "value"


# --- stale answers and shared marks (memory backend) --------------------------------------------------
async def test_stale_value_stands_in_for_an_unavailable_upstream_only_when_tracked(clock: FakeClock) -> None:
    from bot.http.cache import track_stale
    from bot.http.errors import AuthError, Unavailable

    cache = TTLCache(clock=clock, stale_seconds=600, wall=lambda: clock.now)

    async def ok() -> str:
        return "good"

    async def down() -> str:
        raise Unavailable("Pendo", "HTTP 503", status=503)

    async def refused() -> str:
        raise AuthError("Pendo", "HTTP 401", status=401, setting="PENDO_INTEGRATION_KEY")

    await cache.get_or_load("k", 60, ok)
    clock.advance(120)  # past the TTL, inside the stale window
    assert cache.get("k") is None
    with pytest.raises(Unavailable):
        await cache.get_or_load("k", 60, down)
    with track_stale() as use:
        assert await cache.get_or_load("k", 60, down) == "good"
        with pytest.raises(AuthError):
            await cache.get_or_load("k", 60, refused)
    assert use.ages == [120]
    clock.advance(600)  # past the stale window: gone
    with track_stale() as use, pytest.raises(Unavailable):
        await cache.get_or_load("k", 60, down)
    assert use.oldest is None


async def test_without_a_stale_window_nothing_is_kept(clock: FakeClock) -> None:
    from bot.http.cache import track_stale
    from bot.http.errors import Unavailable

    cache = TTLCache(clock=clock)

    async def ok() -> str:
        return "good"

    async def down() -> str:
        raise Unavailable("Pendo", "HTTP 503", status=503)

    await cache.get_or_load("k", 60, ok)
    clock.advance(61)
    with track_stale(), pytest.raises(Unavailable):
        await cache.get_or_load("k", 60, down)
    assert len(cache._data) == 0


async def test_claim_without_redis_is_this_instance_only(clock: FakeClock) -> None:
    cache = TTLCache(clock=clock)
    assert await cache.claim("m", 10) is True
    assert await cache.claim("m", 10) is False
    clock.advance(11)
    assert await cache.claim("m", 10) is True


async def test_a_released_claim_can_be_claimed_again(clock: FakeClock) -> None:
    cache = TTLCache(clock=clock)
    assert await cache.claim("m", 10) is True
    await cache.release("m")
    assert await cache.claim("m", 10) is True
