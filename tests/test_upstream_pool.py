"""The connection pool under a burst, over real HTTP on loopback (issue 12 item 1, encode/httpcore#1093).

Cancelling `client.send` while a request waits for a new pooled connection leaks that connection in
httpcore 1.0.x; after enough of them the pool is full of connections that never connect and every
later request times out. The send path must never cancel the transport, and liveness must notice a
pool that stops finishing requests anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.deps import build_deps
from bot.domain.models import VisitorFacts
from bot.http.errors import UpstreamError
from bot.http.upstream import RetryPolicy, SendMonitor, http_client, send_with_retry
from bot.render import words
from bot.sample import JANE, LoopbackServer, build_workspace, create_pendo_app, sample_settings
from bot.settings import load_settings

NOW = 1_795_000_000_000


@pytest.fixture
async def pendo_server() -> AsyncIterator[tuple[LoopbackServer, object]]:
    app = create_pendo_app(build_workspace(NOW))
    async with LoopbackServer(app) as server:
        yield server, app.state.controls


async def burst(n: int, concurrency: int, one: object) -> int:
    """Run `one(i)` for i < n, `concurrency` at a time; return how many raised UpstreamError."""
    gate = asyncio.Semaphore(concurrency)
    failed = 0

    async def run(i: int) -> None:
        nonlocal failed
        async with gate:
            try:
                await one(i)  # type: ignore[operator]
            except UpstreamError:
                failed += 1

    await asyncio.gather(*(run(i) for i in range(n)))
    return failed


async def test_a_burst_of_lookups_leaves_the_pool_usable(
    pendo_server: tuple[LoopbackServer, object],
) -> None:
    """300 lookups at 50 concurrent, 200 ms upstream latency and a 150 ms deadline: every one times out
    (whatever the machine's load), and then a fresh lookup must still be answered at once (before the
    fix: 'did not answer'). The bot's own rate budget is off: this is about the connection pool."""
    server, controls = pendo_server
    settings = sample_settings(
        load_settings(
            lookup_deadline_seconds=0.15,
            cache_ttl_seconds=0,
            pendo_rate_per_second=0,
            pendo_max_in_flight=0,
        ),
        pendo_base_url=server.base_url,
    )
    deps = build_deps(settings.model_copy(update={"zendesk_subdomain": None}), now_ms=lambda: NOW)
    try:
        controls.latency = 0.2  # type: ignore[attr-defined]
        failed = await burst(300, 50, lambda i: deps.customers.lookup(f"visitor{i}@burst.example"))
        assert failed == 300  # one round trip is longer than the deadline: each was cut mid-request
        controls.latency = 0.0  # type: ignore[attr-defined]
        # Right away, on the same pool, with a deadline that a working pool meets easily:
        deps.customers.settings = settings.model_copy(update={"lookup_deadline_seconds": 5.0})
        deps.customers.pendo._policy = RetryPolicy(deadline=5.0)
        started = time.monotonic()
        result = await deps.customers.lookup(JANE)
        print(f"\nfresh lookup after the burst: {time.monotonic() - started:.2f} s")
        assert isinstance(result, VisitorFacts)
        assert result.profile.name == "Jane Doe"
        assert result.gaps == []
    finally:
        await deps.aclose()


async def test_a_burst_of_sends_with_short_deadlines_does_not_leak_connections(
    pendo_server: tuple[LoopbackServer, object],
) -> None:
    server, controls = pendo_server
    controls.latency = 0.1  # type: ignore[attr-defined]
    async with http_client(server.base_url, 5.0) as client:

        async def one(i: int, deadline: float = 0.12) -> httpx.Response:
            return await send_with_retry(
                client,
                lambda: client.build_request("GET", "/api/v1/metadata/schema/visitor"),
                upstream="Pendo",
                route="GET /api/v1/metadata/schema/{kind}",
                policy=RetryPolicy(deadline=deadline, max_attempts=1),
                classify=lambda r: None,
            )

        assert await burst(300, 50, one) > 0
        controls.latency = 0.0  # type: ignore[attr-defined]
        # The fake refuses requests without the key: any HTTP answer at all proves the pool works.
        with pytest.raises(UpstreamError) as info:
            await one(0, deadline=3.0)
        assert info.value.status == 403


class HangingTransport(httpx.AsyncBaseTransport):
    """A transport that never answers and ignores its timeouts: a pool locked up for good."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.release.wait()
        return httpx.Response(200, json={})


async def test_the_send_monitor_reports_a_send_that_outlives_its_own_timeouts() -> None:
    transport = HangingTransport()
    now = [0.0]  # the monitor's own clock: advanced by hand, so a slow machine cannot make it overdue
    monitor = SendMonitor(grace=0.05, clock=lambda: now[0])
    async with http_client("http://pendo.test", 0.05, transport) as client:
        with pytest.raises(UpstreamError) as info:
            await send_with_retry(
                client,
                lambda: client.build_request("GET", "/x"),
                upstream="Pendo",
                route="GET /x",
                policy=RetryPolicy(deadline=0.05),
                classify=lambda r: None,
                monitor=monitor,
            )
        assert "did not answer" in words.admin_sentence(info.value)
        assert monitor.stuck() == []  # still within what its timeouts allow
        now[0] += 0.4  # past 4 x its 50 ms timeout plus the grace
        assert monitor.stuck() == ["Pendo"]
        transport.release.set()
        await asyncio.sleep(0.05)
        assert monitor.stuck() == []


async def test_the_upstream_client_keeps_no_cookie_an_upstream_sets() -> None:
    """Pendo and Zendesk authenticate with headers: a Set-Cookie (a load balancer's affinity cookie, say)
    is neither kept nor sent back, over real HTTP through the bot's send path and default transport."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    seen: list[str | None] = []

    async def endpoint(request: Request) -> JSONResponse:
        seen.append(request.headers.get("cookie"))
        return JSONResponse({}, headers={"set-cookie": "AWSALB=affinity; Path=/"})

    async with LoopbackServer(Starlette(routes=[Route("/x", endpoint)])) as server:
        client = http_client(server.base_url, 5.0)
        try:
            for _ in range(2):
                response = await send_with_retry(
                    client,
                    lambda: client.build_request("GET", "/x"),
                    upstream="Pendo",
                    route="GET /x",
                    policy=RetryPolicy(),
                    classify=lambda r: None,
                )
                assert response.headers["set-cookie"].startswith("AWSALB=")
            assert len(client.cookies) == 0
        finally:
            await client.aclose()
    assert seen == [None, None]
