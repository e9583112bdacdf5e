"""Redis-shared caches, duplicate marks and rate budgets, against a real redis-server."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import httpx
import orjson
import pytest
from pydantic import TypeAdapter

from bot.http.cache import TTLCache, track_stale
from bot.http.errors import NotFound, Unavailable
from bot.http.ratelimit import Budget, BudgetExhausted
from bot.http.shared import RedisLink, Unencodable, decode, encode
from bot.http.upstream import RetryPolicy
from bot.pendo.models import CatalogItem
from bot.sample import TICKET_JANE, build_workspace, create_zendesk_app, sample_settings
from bot.settings import load_settings
from bot.zendesk.client import ZendeskClient
from bot.zendesk.models import TicketBundle
from tests.redis.conftest import start_redis

NOW = 1_795_000_000_000
TEXT = TypeAdapter(str)
FIGURES = TypeAdapter(dict[str, int])


def two_caches(url: str, **kwargs: Any) -> tuple[TTLCache, TTLCache]:
    """Two instances' caches on one Redis (each with its own connection and memory)."""
    return TTLCache(shared=RedisLink(url), **kwargs), TTLCache(shared=RedisLink(url), **kwargs)


async def sample_bundle() -> TicketBundle:
    ws = build_workspace(NOW)
    settings = sample_settings(load_settings())
    client = ZendeskClient.from_settings(
        settings,
        cache=TTLCache(),
        policy=RetryPolicy(),
        transport=httpx.ASGITransport(app=create_zendesk_app(ws)),
    )
    try:
        return await client.get_ticket(TICKET_JANE)
    finally:
        await client.aclose()


# --- the codec: what goes into Redis comes back equal, and nothing is unpickled -----------------------
async def test_codec_round_trips_the_cached_value_types() -> None:
    bundle = await sample_bundle()
    item = CatalogItem.model_validate({"id": "p1", "name": "Dashboard", "kind": "Page"})
    values = [
        bundle,
        {"p1": item},
        {"results": [{"visitorId": "a@b.example", "day": 1, "numEvents": 3}]},
        frozenset({"U1", "U2"}),
        ("pendo", "GET", 3),
        {1001: "x", ("a", 1): [None, True, 1.5]},
        None,
    ]
    for value in values:
        assert decode(encode(value)) == value
    assert decode(encode(bundle)).requester.email == bundle.requester.email  # type: ignore[union-attr]


def test_codec_refuses_foreign_classes_both_ways() -> None:
    with pytest.raises(Unencodable):
        encode({"when": asyncio.Event()})
    with pytest.raises(Unencodable):  # a bot class, but not one the bot caches (not registered)
        encode(RetryPolicy())
    with pytest.raises(ValueError, match="refusing"):
        decode(b'{"~": "dc", "c": "os:system", "v": {}}')


# A Redis entry naming a function reachable through a bot module: before the allow-list, decoding it
# called os.path.basename("a/REACHED") (any callable taking one argument: remote code execution).
GADGET = {"~": "enum", "c": "bot.slack.app:os.path.basename", "v": "a/REACHED"}
GADGETS = [
    GADGET,
    {"~": "model", "c": "bot.slack.app:os.path.basename", "v": "a/REACHED"},
    {"~": "dc", "c": "bot.slack.app:os.path.join", "v": {}},
    {"~": "enum", "c": "bot.zendesk.models:TicketBundle", "v": "x"},  # registered, but not an enum
    {"~": "enum", "c": "bot.zendesk.models:TicketBundle.__init__", "v": "x"},
    {"~": "model", "c": ["not", "a", "name"], "v": {}},
]


@pytest.fixture
def basename_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every call of os.path.basename while the test runs (the gadget's target)."""
    calls: list[Any] = []
    real = os.path.basename

    def spy(p: Any) -> Any:
        if "REACHED" in str(p):  # logging calls it too, with file names
            calls.append(p)
        return real(p)

    monkeypatch.setattr(os.path, "basename", spy)
    return calls


@pytest.mark.parametrize("gadget", GADGETS)
def test_decode_calls_nothing_an_entry_names_outside_the_registry(
    gadget: dict[str, Any], basename_calls: list[Any]
) -> None:
    nested = {"~": "tuple", "v": ["k", 1e12, 0.0, {"~": "dict", "v": [["ok", [1, gadget]]]}]}
    for payload in (gadget, nested):
        with pytest.raises(ValueError):
            decode(orjson.dumps(payload))
    assert basename_calls == []


async def test_a_poisoned_redis_entry_calls_nothing_and_is_loaded_again(
    redis_url: str, basename_calls: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    cache = TTLCache(shared=RedisLink(redis_url))
    client = cache._shared.client  # type: ignore[union-attr]
    caplog.set_level(logging.WARNING, logger="bot.http.cache")
    for n, value in enumerate([GADGET, {"~": "dict", "v": [["ok", GADGET]]}]):
        key = ("poisoned", n)
        rkey = cache._rkey(key)
        entry = {"~": "tuple", "v": [rkey, 1e12, 0.0, value]}
        await client.set(rkey, orjson.dumps(entry), px=60_000)
        got = await cache.get_or_load(key, 60, lambda: _value("loaded"), expect=TypeAdapter(Any))
        assert got == "loaded"
    assert basename_calls == []
    assert caplog.text.count("unreadable shared cache entry ignored") == 2


# --- caches ----------------------------------------------------------------------------------------------
async def test_a_value_loaded_on_one_instance_is_read_by_the_other(redis_url: str) -> None:
    a, b = two_caches(redis_url)
    calls = 0

    async def load() -> dict[str, int]:
        nonlocal calls
        calls += 1
        return {"figure": 42}

    assert await a.get_or_load(("visitor", "jane"), 60, load, expect=FIGURES) == {"figure": 42}
    assert await b.get_or_load(("visitor", "jane"), 60, load, expect=FIGURES) == {"figure": 42}
    assert calls == 1


async def test_a_value_read_without_a_declared_type_never_goes_through_redis(redis_url: str) -> None:
    """Only a caller that says what it expects back (`expect`) shares through Redis: whoever can write
    the Redis cannot hand an undeclared reader a value of their choosing."""
    a, b = two_caches(redis_url)
    calls = 0

    async def load() -> dict[str, int]:
        nonlocal calls
        calls += 1
        return {"figure": calls}

    assert await a.get_or_load(("visitor", "jane"), 60, load) == {"figure": 1}
    assert await b.get_or_load(("visitor", "jane"), 60, load) == {"figure": 2}  # not from Redis
    assert await a._shared.client.keys("*") == []  # type: ignore[union-attr]  # nor written there
    assert await a.get_or_load(("visitor", "jane"), 60, load) == {"figure": 1}  # a's memory still serves


async def test_concurrent_loads_on_two_instances_make_one_upstream_call(redis_url: str) -> None:
    a, b = two_caches(redis_url)
    calls = 0

    async def load() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.2)
        return "answer"

    results = await asyncio.gather(
        *(cache.get_or_load("k", 60, load, expect=TEXT) for cache in (a, b, a, b)),
    )
    assert results == ["answer"] * 4
    assert calls == 1


async def test_the_ttl_holds_in_redis_too(redis_url: str) -> None:
    a, b = two_caches(redis_url)
    loads: list[str] = []

    async def load() -> str:
        loads.append("x")
        return f"v{len(loads)}"

    assert await a.get_or_load("k", 0.2, load, expect=TEXT) == "v1"
    assert (
        await b.get_or_load("k", 0.2, load, expect=TEXT) == "v1"
    )  # shared: the other instance does not load
    await asyncio.sleep(0.3)
    assert await b.get_or_load("k", 0.2, load, expect=TEXT) == "v2"
    assert loads == ["x", "x"]


async def test_failures_are_not_shared(redis_url: str) -> None:
    a, b = two_caches(redis_url)

    async def fail() -> str:
        raise Unavailable("Pendo", "HTTP 503", status=503)

    async def ok() -> str:
        return "fine"

    with pytest.raises(Unavailable):
        await a.get_or_load("k", 60, fail, expect=TEXT)
    assert await b.get_or_load("k", 60, ok, expect=TEXT) == "fine"


async def test_claim_is_first_come_across_instances(redis_url: str) -> None:
    a, b = two_caches(redis_url)
    assert await a.claim(("unfurl-target", "C1.1"), 60) is True
    assert await b.claim(("unfurl-target", "C1.1"), 60) is False
    assert await a.claim(("unfurl-target", "C1.1"), 60) is False
    assert await b.claim(("unfurl-target", "C1.2"), 60) is True


async def test_a_stale_value_from_another_instance_stands_in_for_a_failure(redis_url: str) -> None:
    a, b = two_caches(redis_url, stale_seconds=3600)

    async def ok() -> str:
        return "last good"

    async def down() -> str:
        raise Unavailable("Pendo", "HTTP 503", status=503)

    async def gone() -> str:
        raise NotFound("Pendo", "HTTP 404", status=404)

    await a.get_or_load("k", 0.1, ok, expect=TEXT)
    await asyncio.sleep(0.15)
    with pytest.raises(Unavailable):  # outside track_stale: the failure is the answer
        await b.get_or_load("k", 0.1, down, expect=TEXT)
    with track_stale() as use:
        assert await b.get_or_load("k", 0.1, down, expect=TEXT) == "last good"
        with pytest.raises(NotFound):  # "not found" is never papered over
            await b.get_or_load("k", 0.1, gone, expect=TEXT)
    assert use.oldest is not None and 0.1 <= use.oldest < 5


async def test_an_entry_for_this_key_but_of_another_type_is_ignored_and_loaded_again(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = two_caches(redis_url)
    expect = TypeAdapter(CatalogItem)
    item = CatalogItem.model_validate({"id": "p1", "name": "Dashboard", "kind": "Page"})

    async def wrong() -> Any:
        return {"not": "an item"}

    async def right() -> CatalogItem:
        return item

    caplog.set_level(logging.WARNING, logger="bot.http.cache")
    await a.get_or_load(
        "k", 60, wrong, expect=TypeAdapter(dict[str, str])
    )  # written by a caller (or a version) that meant something else
    assert await b.get_or_load("k", 60, right, expect=expect) == item
    assert await TTLCache(shared=RedisLink(redis_url)).get_or_load("k", 60, wrong, expect=expect) == item
    assert caplog.text.count("unreadable shared cache entry ignored") == 1


async def test_an_entry_from_a_far_future_is_kept_no_longer_than_the_ttl(redis_url: str) -> None:
    a, b = two_caches(redis_url)
    await a.get_or_load("k", 60, lambda: _value("old"), expect=TEXT)
    client = b._shared.client  # type: ignore[union-attr]
    rkey = b._rkey("k")
    await client.set(rkey, encode((rkey, 1e99, 0.0, "forever")), px=60_000)
    assert await b.get_or_load("k", 0.05, lambda: _value("new"), expect=TEXT) == "forever"
    await client.delete(rkey)
    await asyncio.sleep(0.1)
    assert await b.get_or_load("k", 0.05, lambda: _value("new"), expect=TEXT) == "new"


async def _value(v: str) -> str:
    return v


# --- rate budgets ------------------------------------------------------------------------------------------
async def test_the_rate_budget_is_shared_by_two_instances(redis_url: str) -> None:
    a = Budget("Pendo", rate=0.5, burst=5, max_in_flight=0, shared=RedisLink(redis_url))
    b = Budget("Pendo", rate=0.5, burst=5, max_in_flight=0, shared=RedisLink(redis_url))
    granted = 0
    for budget in (a, b) * 6:
        try:
            await budget.acquire(max_wait=0)
            granted += 1
        except BudgetExhausted as exc:
            assert exc.retry_after is not None and exc.retry_after >= 1
    assert granted == 5
    assert a.refused + b.refused == 7
    other = Budget("Zendesk", rate=0.5, burst=5, max_in_flight=0, shared=RedisLink(redis_url))
    await other.acquire(max_wait=0)  # one budget per upstream


async def test_the_in_flight_cap_is_shared_by_two_instances(redis_url: str) -> None:
    a = Budget("Pendo", rate=0, burst=1, max_in_flight=2, shared=RedisLink(redis_url))
    b = Budget("Pendo", rate=0, burst=1, max_in_flight=2, shared=RedisLink(redis_url))
    first = await a.acquire(max_wait=0.1)
    second = await b.acquire(max_wait=0.1)
    with pytest.raises(BudgetExhausted):
        await a.acquire(max_wait=0.05)
    assert first is not None and second is not None
    await first()
    third = await b.acquire(max_wait=0.1)
    assert third is not None
    await second()
    await third()


# --- outage ------------------------------------------------------------------------------------------------
async def test_a_redis_outage_degrades_to_memory_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    server = start_redis()
    link = RedisLink(server.url, timeout=0.2)
    cache = TTLCache(shared=link)
    budget = Budget("Pendo", rate=100, burst=2, max_in_flight=1, shared=link)
    calls = 0

    async def load() -> str:
        nonlocal calls
        calls += 1
        return "v"

    assert await cache.get_or_load("k", 60, load, expect=TEXT) == "v"
    server.stop()
    caplog.set_level(logging.WARNING, logger="bot.http.shared")
    other = TTLCache(shared=link)
    assert await other.get_or_load("k", 60, load, expect=TEXT) == "v"  # loaded here: Redis is gone
    assert await other.get_or_load("k", 60, load, expect=TEXT) == "v"  # then from this instance's memory
    assert calls == 2
    assert await other.claim("mark", 60) is True
    assert await other.claim("mark", 60) is False
    release = await budget.acquire(max_wait=0.5)
    assert release is not None
    await release()
    warnings = [r for r in caplog.records if "Redis is unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert server.url not in caplog.text
    await link.aclose()


async def test_a_released_claim_can_be_claimed_again_by_any_instance(redis_url: str) -> None:
    # A share that did not post releases its claim, so a later click (on any instance) may try again.
    a, b = two_caches(redis_url)
    key = ("shared", "C1", "1.1", "ref")
    assert await a.claim(key, 60) is True
    assert await b.claim(key, 60) is False
    await a.release(key)
    assert await b.claim(key, 60) is True
    assert await a.claim(key, 60) is False


async def test_a_release_after_the_claim_expired_leaves_the_next_holders_claim(redis_url: str) -> None:
    # A slow writer whose claim expired must not free the claim another instance took since.
    a, b = two_caches(redis_url)
    c = TTLCache(shared=RedisLink(redis_url))
    key = ("zendesk-note", "acme.zendesk.com", 1001)
    assert await a.claim(key, 0.1) is True
    await asyncio.sleep(0.15)
    assert await b.claim(key, 60) is True  # a's claim expired: b holds it now
    await a.release(key)  # a finishes late
    assert await c.claim(key, 60) is False  # b's claim stands
    await b.release(key)
    assert await c.claim(key, 60) is True


async def test_a_load_lock_is_deleted_only_by_its_holder(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.http import cache as cache_module

    monkeypatch.setattr(cache_module, "LOCK_SECONDS", 0.1)
    a, b = two_caches(redis_url)
    client = a._shared.client  # type: ignore[union-attr]
    lock = a._rkey("slow") + ":lock"
    started = asyncio.Event()

    async def slow() -> str:
        started.set()
        await asyncio.sleep(0.3)  # past the lock's 0.1 s: it expires while loading
        return "a"

    task = asyncio.ensure_future(a.get_or_load("slow", 60, slow, expect=TEXT))
    await started.wait()
    await asyncio.sleep(0.15)
    await client.set(lock, b"someone-else", px=60_000)  # another instance took the expired lock
    assert await task == "a"
    assert await client.get(lock) == b"someone-else"  # a left the other holder's lock alone
    assert await b.get_or_load("slow", 60, lambda: _value("b"), expect=TEXT) == "a"
