"""Fault injection, the request log, latency, and the loopback server (real HTTP)."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette

from bot.pendo import queries
from bot.sample import FakeControls, LoopbackServer
from bot.sample.credentials import SAMPLE_PENDO_KEY
from bot.sample.data import JANE

from .conftest import BASIC_AUTH

JANE_PATH = f"/api/v1/visitor/{quote(JANE, safe='')}"


async def test_fail_times_with_retry_after(pendo: httpx.AsyncClient, pendo_controls: FakeControls) -> None:
    pendo_controls.fail(r"^/api/v1/visitor/", 429, times=2, retry_after=3)
    for _ in range(2):
        response = await pendo.get(JANE_PATH)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "3"
    assert (await pendo.get(JANE_PATH)).status_code == 200
    assert (await pendo.get("/api/v1/page")).status_code == 200


async def test_fail_until_cleared_with_custom_body(
    pendo: httpx.AsyncClient, pendo_controls: FakeControls
) -> None:
    pendo_controls.fail(r"/aggregation$", 503, body="upstream connect error", retry_after=0.5)
    pendo_controls.fail(r"/aggregation$", 500)  # the first matching rule wins
    for _ in range(3):
        response = await pendo.post("/api/v1/aggregation", json={})
        assert (response.status_code, response.text) == (503, "upstream connect error")
        assert response.headers["content-type"].startswith("text/plain")
        assert response.headers["retry-after"] == "0.5"
    pendo_controls.clear()
    assert pendo_controls.requests == []
    assert (await pendo.get(JANE_PATH)).status_code == 200


async def test_default_fault_body_is_json(pendo: httpx.AsyncClient, pendo_controls: FakeControls) -> None:
    pendo_controls.fail("account", 502, times=1)
    response = await pendo.get("/api/v1/account/acme")
    assert response.status_code == 502 and response.json()["status"] == 502
    assert "retry-after" not in response.headers


async def test_request_log(pendo: httpx.AsyncClient, pendo_controls: FakeControls) -> None:
    pipeline = queries.visitor_daily_activity(JANE, 1_741_900_000_000, 7)
    await pendo.get(f"{JANE_PATH}/history", params={"starttime": 5})
    await pendo.post("/api/v1/aggregation", json=queries.envelope("log", pipeline))
    await pendo.get(
        "/api/v1/page", headers={"x-pendo-integration-key": "wrong"}
    )  # refused requests are logged too
    first, second, third = pendo_controls.requests
    assert (first.method, first.path, first.query, first.params) == (
        "GET",
        f"/api/v1/visitor/{JANE}/history",
        "starttime=5",
        {"starttime": "5"},
    )
    assert first.body == b"" and first.headers["x-pendo-integration-key"] == SAMPLE_PENDO_KEY
    assert second.method == "POST" and second.json()["request"]["pipeline"] == pipeline
    assert third.path == "/api/v1/page"
    assert pendo_controls.paths() == [first.path, second.path, third.path]


async def test_latency_and_slow_rules(pendo: httpx.AsyncClient, pendo_controls: FakeControls) -> None:
    pendo_controls.latency = 0.05
    pendo_controls.slow("page", 0.1, times=1)
    started = time.perf_counter()
    assert (await pendo.get("/api/v1/page")).status_code == 200
    assert time.perf_counter() - started >= 0.15
    started = time.perf_counter()
    assert (await pendo.get("/api/v1/page")).status_code == 200
    assert time.perf_counter() - started >= 0.05


def test_times_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FakeControls().fail("x", 500, times=0)


async def test_zendesk_429_keeps_rate_headers(zendesk: httpx.AsyncClient, zendesk_app: Starlette) -> None:
    zendesk_app.state.controls.fail(
        r"/tickets/", 429, times=1, retry_after=7, body="Number of allowed API requests per minute exceeded"
    )
    response = await zendesk.get("/api/v2/tickets/1001.json")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-rate-limit-remaining"] == "0" and response.headers["x-rate-limit"] == "700"
    assert response.text == "Number of allowed API requests per minute exceeded"
    assert (await zendesk.get("/api/v2/tickets/1001.json")).status_code == 200


def test_loopback_server_serves_real_http(pendo_app: Starlette) -> None:
    with LoopbackServer(pendo_app) as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        response = httpx.get(
            server.base_url + JANE_PATH, headers={"x-pendo-integration-key": SAMPLE_PENDO_KEY}
        )
        assert response.status_code == 200 and response.json()["id"] == JANE
        url = server.base_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + JANE_PATH, timeout=1)
    with pytest.raises(RuntimeError):
        _ = server.base_url


async def test_loopback_server_async_and_timeouts(zendesk_app: Starlette) -> None:
    controls: FakeControls = zendesk_app.state.controls
    async with (
        LoopbackServer(zendesk_app) as server,
        httpx.AsyncClient(base_url=server.base_url, headers={"authorization": BASIC_AUTH}) as client,
    ):
        response = await client.get("/api/v2/tickets/1001.json", params={"include": "users"})
        assert response.status_code == 200 and json.loads(response.text)["ticket"]["id"] == 1001
        controls.fail(r"/tickets/1001", 503, times=1, delay=0.3)
        with pytest.raises(httpx.ReadTimeout):  # a real socket timeout, which ASGITransport cannot produce
            await client.get("/api/v2/tickets/1001.json", timeout=0.05)
        assert [r.path for r in controls.requests][-1] == "/api/v2/tickets/1001.json"
