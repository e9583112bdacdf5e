"""Reading a request body with a size cap: what the bot's HTTP endpoints (Slack's `/slack/events`, the
Zendesk webhook) share. A body is refused by its declared length before a byte is read, and while it
streams in as soon as it passes the cap (the rest is never read), so no endpoint buffers more than it
accepts. A body must also arrive whole within a time limit (BODY_READ_TIMEOUT_SECONDS, answered 408), so a
client that declares 100 bytes and sends one cannot hold its connection for ever."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

Receive = Callable[[], Awaitable[Mapping[str, Any]]]  # an ASGI `receive` (Starlette's `request.receive`)
DEFAULT_READ_TIMEOUT = 10.0  # seconds for a whole body: BODY_READ_TIMEOUT_SECONDS's default
SLOW_BODY = (408, "body not received in time")


class BodyTimeout(Exception):
    """The body did not arrive whole within the time limit: answer 408 (`SLOW_BODY`)."""


def length_problem(declared: str | None, limit: int) -> tuple[int, str] | None:
    """(status, reason) when a Content-Length header already refuses the body: 413 over `limit`, 400 when
    it is not a number; None when it is absent (chunked: the cap applies while reading) or fine."""
    if declared is None:
        return None
    if not declared.isdigit():
        return 400, "body too large or bad length"
    return (413, "body too large or bad length") if int(declared) > limit else None


async def read_capped(receive: Receive, limit: int, timeout: float = DEFAULT_READ_TIMEOUT) -> bytes | None:
    """The whole request body, or None as soon as it passes `limit` bytes or the client goes away.

    Raises `BodyTimeout` when the body has not arrived whole within `timeout` seconds (from the first
    read: the headers are in by then)."""
    try:
        async with asyncio.timeout(timeout):
            return await _read(receive, limit)
    except TimeoutError:
        raise BodyTimeout from None


async def _read(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
