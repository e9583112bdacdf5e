"""The production transport (`AiohttpTransport`) over real HTTP on loopback: what reaches the server, what
comes back, the body cap, and each failure as the error `send_with_retry` tells apart."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from bot.http.errors import BadResponse, Unavailable
from bot.http.upstream import AiohttpTransport, RetryPolicy, http_client, json_body, send_with_retry
from bot.sample import LoopbackServer

ROUTE = "GET /api/v1/thing/{id}"
Seen = list[dict[str, object]]


def app_answering(
    answer: Callable[[dict[str, object]], tuple[int, list[tuple[bytes, bytes]], list[bytes]]],
    seen: Seen,
    *,
    delay: float = 0.0,
) -> Callable[[Scope, Receive, Send], object]:
    """An ASGI app recording each request (method, raw path, query, headers, body) and answering with
    `answer(request)`: status, headers, body chunks (several chunks: streamed without Content-Length)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = {
            "method": scope["method"],
            "path": scope["raw_path"].decode(),
            "query": scope["query_string"].decode(),
            "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
            "body": body,
        }
        seen.append(request)
        if delay:
            await asyncio.sleep(delay)
        status, headers, chunks = answer(request)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for i, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})

    return app


def json_answer(
    body: object, *extra: tuple[bytes, bytes]
) -> tuple[int, list[tuple[bytes, bytes]], list[bytes]]:
    data = json.dumps(body).encode()
    return (
        200,
        [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *extra],
        [data],
    )


async def send(
    client: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    *,
    policy: RetryPolicy | None = None,
    max_body: int = 10 * 1024 * 1024,
) -> httpx.Response:
    async def no_sleep(delay: float) -> None:
        return None

    return await send_with_retry(
        client,
        build,
        upstream="Pendo",
        route=ROUTE,
        policy=policy or RetryPolicy(max_attempts=2, deadline=5.0),
        classify=lambda r: None,
        sleep=no_sleep,
        max_body=max_body,
    )


@pytest.fixture
async def served() -> AsyncIterator[tuple[LoopbackServer, Seen]]:
    seen: Seen = []
    answer = {"value": json_answer({"ok": True}, (b"retry-after", b"7"))}
    app = app_answering(lambda request: answer["value"], seen)
    async with LoopbackServer(app) as server:  # type: ignore[arg-type]
        yield server, seen


async def test_the_production_client_uses_this_transport() -> None:
    client = http_client("http://127.0.0.1:9", 1.0)
    try:
        assert isinstance(client._transport, AiohttpTransport)
    finally:
        await client.aclose()


async def test_a_get_reaches_the_server_as_httpx_built_it_and_the_answer_comes_back(
    served: tuple[LoopbackServer, Seen],
) -> None:
    server, seen = served
    client = http_client(server.base_url, 5.0)
    try:
        response = await send(
            client,
            lambda: client.build_request(
                "GET",
                "/api/v1/visitor/jane%40acme.example/caf\u00e9",
                params={"starttime": 1700000000000},
                headers={"x-pendo-integration-key": "k-123"},
            ),
        )
    finally:
        await client.aclose()
    assert response.status_code == 200
    assert json_body(response, "Pendo", what=ROUTE) == {"ok": True}
    assert response.headers["retry-after"] == "7"  # what the retry policy reads
    assert response.request.url.path == "/api/v1/visitor/jane@acme.example/café"
    [request] = seen
    assert request["method"] == "GET"
    assert request["path"] == "/api/v1/visitor/jane%40acme.example/caf%C3%A9"  # encoded once, not twice
    assert request["query"] == "starttime=1700000000000"
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert headers["x-pendo-integration-key"] == "k-123"
    assert headers["user-agent"] == "pendo-context-for-slack/0.1"
    assert headers["accept"] == "application/json"
    assert "content-type" not in headers  # only requests with a body send one
    assert "cookie" not in headers


async def test_a_post_body_arrives_byte_for_byte(served: tuple[LoopbackServer, Seen]) -> None:
    server, seen = served
    body = json.dumps({"request": {"pipeline": [{"source": {"visitors": None}}]}, "note": "\u00e9"}).encode()
    client = http_client(server.base_url, 5.0)
    try:
        await send(
            client,
            lambda: client.build_request(
                "POST", "/api/v1/aggregation", content=body, headers={"content-type": "application/json"}
            ),
        )
    finally:
        await client.aclose()
    assert seen[0]["method"] == "POST"
    assert seen[0]["body"] == body
    headers = seen[0]["headers"]
    assert isinstance(headers, dict)
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(body))


async def test_a_gzipped_answer_is_decoded_and_no_longer_says_gzip() -> None:
    payload = json.dumps({"results": [{"n": i} for i in range(500)]}).encode()
    packed = gzip.compress(payload)
    seen: Seen = []
    app = app_answering(
        lambda r: (
            200,
            [(b"content-encoding", b"gzip"), (b"content-length", str(len(packed)).encode())],
            [packed],
        ),
        seen,
    )
    async with LoopbackServer(app) as server:  # type: ignore[arg-type]
        client = http_client(server.base_url, 5.0)
        try:
            response = await send(client, lambda: client.build_request("GET", "/x"))
        finally:
            await client.aclose()
    assert response.content == payload
    assert "content-encoding" not in response.headers
    assert "gzip" in str(seen[0]["headers"])  # httpx asked for it (accept-encoding)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_an_answer_over_the_cap_is_refused_and_not_retried(declared: bool) -> None:
    chunk = b"x" * 4096
    seen: Seen = []

    def answer(request: dict[str, object]) -> tuple[int, list[tuple[bytes, bytes]], list[bytes]]:
        headers = [(b"content-length", str(len(chunk) * 8).encode())] if declared else []
        return 200, headers, [chunk] * 8

    async with LoopbackServer(app_answering(answer, seen)) as server:  # type: ignore[arg-type]
        client = http_client(server.base_url, 5.0)
        try:
            with pytest.raises(BadResponse) as info:
                await send(client, lambda: client.build_request("GET", "/big"), max_body=10_000)
            ok = await send(client, lambda: client.build_request("GET", "/big"), max_body=100_000)
        finally:
            await client.aclose()
    assert info.value.detail == f"answer larger than 10000 bytes from {ROUTE}"
    assert len(seen) == 2  # refused once (no retry), and the pool still answers the next request
    assert ok.content == chunk * 8


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when this returns: nothing listens there


async def test_a_refused_connection_is_a_connection_error_and_is_retried() -> None:
    client = http_client(f"http://127.0.0.1:{closed_port()}", 2.0)
    try:
        with pytest.raises(Unavailable) as info:
            await send(client, lambda: client.build_request("GET", "/x"), policy=RetryPolicy(max_attempts=2))
    finally:
        await client.aclose()
    assert info.value.detail == "connection error (ConnectError)"


async def test_a_slow_answer_is_a_read_timeout_not_the_answer_deadline() -> None:
    seen: Seen = []
    app = app_answering(lambda r: json_answer({}), seen, delay=1.0)
    async with LoopbackServer(app) as server:  # type: ignore[arg-type]
        client = http_client(server.base_url, 0.2)  # read timeout 0.2 s
        try:
            with pytest.raises(Unavailable) as info:
                await send(client, lambda: client.build_request("GET", "/slow"))
        finally:
            await client.aclose()
    assert info.value.detail == "timeout (ReadTimeout)"
    assert len(seen) == 2  # a timeout is retried (max_attempts=2)


async def test_a_server_that_hangs_up_without_answering_is_a_connection_error() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = http_client(f"http://127.0.0.1:{port}", 2.0)
    try:
        with pytest.raises(Unavailable) as info:
            await send(client, lambda: client.build_request("GET", "/x"))
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert info.value.detail == "connection error (RemoteProtocolError)"


async def test_closing_the_transport_closes_its_session(served: tuple[LoopbackServer, Seen]) -> None:
    server, _ = served
    transport = AiohttpTransport()
    client = httpx.AsyncClient(base_url=server.base_url, transport=transport)
    await send(client, lambda: client.build_request("GET", "/x"))
    session = transport._session
    assert session is not None and not session.closed
    await client.aclose()
    assert session.closed


@pytest.mark.parametrize(
    ("cap", "pool"), [(50, 50), (300, 300), (0, 100)], ids=["capped", "raised", "no cap"]
)
async def test_the_pool_is_as_large_as_the_budgets_in_flight_cap(cap: int, pool: int) -> None:
    """A raised in-flight cap is not held back by a smaller pool; without a cap, the pool's default."""
    from bot.http.ratelimit import Budget, LimitedTransport

    wrapped = Budget("Pendo", rate=0, burst=1, max_in_flight=cap).wrap(None)
    transport = wrapped.inner if isinstance(wrapped, LimitedTransport) else wrapped
    assert isinstance(transport, AiohttpTransport)
    session = transport._open()
    try:
        assert session.connector is not None and session.connector.limit == pool
    finally:
        await transport.aclose()
