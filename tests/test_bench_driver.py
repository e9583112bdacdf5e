"""The bench's light driver (bench/bench.py): HTTP/1.1 responses framed by Content-Length or chunks, a
pool of kept-alive connections, one resend when the server closed a kept-alive connection under a request,
and the floor's trivial app (bench/floor.py) under a real uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from starlette.types import Receive, Scope, Send

from bench.bench import Connections, parse_response
from bench.floor import app as floor_app
from bot.sample import LoopbackServer

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def test_a_response_is_read_by_its_content_length() -> None:
    assert parse_response(OK + b"HTTP/1.1 404") == (200, b"ok", len(OK), True)
    assert parse_response(OK[:-1]) is None
    assert parse_response(b"HTTP/1.1 200 OK\r\ncontent-le") is None
    closing = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    assert parse_response(closing) == (503, b"", len(closing), False)


def test_a_chunked_response_is_read_to_its_last_chunk() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n"
    assert parse_response(head + chunks) == (200, b"hello, world", len(head + chunks), True)
    for cut in range(len(chunks)):
        assert parse_response(head + chunks[:cut]) is None, cut
    trailers = b"5\r\nhello\r\n0\r\nx-trailer: 1\r\n\r\n"
    assert parse_response(head + trailers) == (200, b"hello", len(head + trailers), True)


def test_a_response_framed_only_by_the_close_is_refused() -> None:
    with pytest.raises(ValueError, match="neither Content-Length nor chunked"):
        parse_response(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")


async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
    """Echoes the request's body in two parts, with no Content-Length: uvicorn sends it chunked."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body[:3], "more_body": True})
    await send({"type": "http.response.body", "body": body[3:]})


@pytest.fixture
async def streaming_server() -> AsyncIterator[LoopbackServer]:
    async with LoopbackServer(streaming) as server:
        yield server


async def test_a_burst_opens_one_connection_per_request_and_the_next_reuses_them(
    streaming_server: LoopbackServer,
) -> None:
    http = Connections(streaming_server.base_url)
    try:
        payloads = [
            http.request(f"text=request {i}".encode(), "application/x-www-form-urlencoded") for i in range(5)
        ]
        first = await http.exchange(payloads)
        assert [(e.status, e.body) for e in first] == [(200, f"text=request {i}".encode()) for i in range(5)]
        assert all(e.finished > e.started > 0 for e in first)
        kept = set(http.idle)
        assert len(kept) == 5
        again = await http.exchange(payloads)
        assert [e.body for e in again] == [e.body for e in first]
        assert set(http.idle) == kept and http.transport_errors == 0  # the same five connections
    finally:
        http.close()


async def test_the_floors_app_answers_at_once_with_an_empty_body() -> None:
    async with LoopbackServer(floor_app) as server:
        http = Connections(server.base_url)
        try:
            exchanges = await http.exchange(
                [http.request(b"text=x", "application/x-www-form-urlencoded")] * 3
            )
        finally:
            http.close()
    assert [(e.status, e.body) for e in exchanges] == [(200, b"")] * 3


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return await reader.readexactly(length)


async def raw_server(handler: Handler) -> tuple[asyncio.Server, str, list[int]]:
    """A bare TCP server calling handler(reader, writer, the connection's number from 1)."""
    opened: list[int] = []

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(len(opened) + 1)
        try:
            await handler(reader, writer, opened[-1])
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}", opened


async def test_a_kept_alive_connection_closed_under_a_request_is_reopened_and_the_request_resent() -> None:
    async def first_answers_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while True:
            body = await read_request(reader)
            if n == 1 and body == b"second":  # as uvicorn closing an idle connection as the request comes
                return
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()

    server, url, opened = await raw_server(first_answers_once)
    async with server:
        http = Connections(url)
        try:
            (first,) = await http.exchange([http.request(b"first", "text/plain")])
            (second,) = await http.exchange([http.request(b"second", "text/plain")])
        finally:
            http.close()
    assert (first.status, first.body, second.status, second.body) == (200, b"first", 200, b"second")
    assert opened == [1, 2] and http.transport_errors == 1
    assert second.finished > second.started > first.finished  # the clock kept running over the resend


async def test_a_request_the_server_never_answers_fails_after_one_resend() -> None:
    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)

    server, url, opened = await raw_server(never)
    async with server:
        http = Connections(url)
        with pytest.raises(ConnectionError, match="closed the connection twice"):
            await http.exchange([http.request(b"x", "text/plain")])
    assert opened == [1, 2] and http.transport_errors == 1


async def test_an_unframed_response_fails_the_request_clearly() -> None:
    async def unframed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
        await writer.drain()
        await asyncio.sleep(1)

    server, url, _ = await raw_server(unframed)
    async with server:
        http = Connections(url)
        with pytest.raises(ValueError, match="neither Content-Length nor chunked"):
            await http.exchange([http.request(b"x", "text/plain")])
