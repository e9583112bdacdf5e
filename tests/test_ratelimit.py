"""The per-process rate budget and in-flight cap (memory backend), and the transport that applies them."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.http.errors import RateLimited
from bot.http.ratelimit import Budget, BudgetExhausted, LimitedTransport
from bot.render import words


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_burst_then_the_rate() -> None:
    clock = FakeClock()
    budget = Budget("Pendo", rate=2, burst=3, max_in_flight=0, clock=clock)
    for _ in range(3):
        await budget.acquire(max_wait=0)  # the burst goes at once
    with pytest.raises(BudgetExhausted) as refused:
        await budget.acquire(max_wait=0.4)  # the next slot is 0.5 s away
    assert refused.value.retry_after is not None
    clock.now += 0.5
    await budget.acquire(max_wait=0)
    with pytest.raises(BudgetExhausted):
        await budget.acquire(max_wait=0)
    clock.now += 10  # an idle budget refills up to the burst, not beyond
    for _ in range(3):
        await budget.acquire(max_wait=0)
    with pytest.raises(BudgetExhausted):
        await budget.acquire(max_wait=0)
    assert (budget.granted, budget.refused) == (7, 3)


async def test_a_request_waits_for_its_slot_when_it_may() -> None:
    budget = Budget("Pendo", rate=20, burst=1, max_in_flight=0)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(3):
        await budget.acquire(max_wait=1)
    assert loop.time() - start >= 0.09  # two waits of 50 ms: spacing, not a timing target


def test_the_refusal_is_a_rate_limit_with_a_plain_sentence() -> None:
    exc = BudgetExhausted("Pendo", "the bot's own request-rate budget is spent", retry_after=2.2)
    assert isinstance(exc, RateLimited)
    assert words.admin_sentence(exc) == (
        "The bot is pacing its requests to Pendo so as not to overload it, and this one would have "
        "waited too long. Try again in 3 s."
    )


async def test_the_transport_caps_requests_in_flight() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(200, json={"ok": True})

    budget = Budget("Zendesk", rate=0, burst=1, max_in_flight=3)
    transport = LimitedTransport(httpx.MockTransport(handler), budget)
    async with httpx.AsyncClient(transport=transport, base_url="http://z.test") as client:
        responses = await asyncio.gather(*(client.get("/x") for _ in range(12)))
    assert [r.json() for r in responses] == [{"ok": True}] * 12
    assert peak == 3
    assert budget.granted == 12


async def test_a_request_that_cannot_get_a_slot_in_time_is_refused() -> None:
    release = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200)

    budget = Budget("Pendo", rate=0, burst=1, max_in_flight=1)
    transport = LimitedTransport(httpx.MockTransport(handler), budget)
    async with httpx.AsyncClient(transport=transport, base_url="http://p.test") as client:
        first = asyncio.create_task(client.get("/a"))
        await asyncio.sleep(0.01)
        with pytest.raises(BudgetExhausted):
            await client.get("/b", timeout=httpx.Timeout(5, pool=0.05))  # its deadline is the pool timeout
        release.set()
        assert (await first).status_code == 200
        assert (await client.get("/c")).status_code == 200  # the slot came back


def test_no_limits_means_no_wrapper() -> None:
    inner = httpx.MockTransport(lambda r: httpx.Response(200))
    assert Budget("Pendo", rate=0, burst=1, max_in_flight=0).wrap(inner) is inner
    assert isinstance(Budget("Pendo", rate=1, burst=1, max_in_flight=0).wrap(inner), LimitedTransport)
