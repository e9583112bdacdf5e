"""What Pendo and Zendesk clients share on the wire: one explicit retry policy and the pooled client.

`RetryPolicy` and `send_with_retry` (retries inside the answer's deadline, the body capped while it
streams in, every failure raised as one of the typed errors in `bot.http.errors`), the one pooled httpx
client per upstream (`http_client`), `json_body`, and `SendMonitor` (requests that outlived their
timeouts, for `/healthz`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
import orjson
import yarl

from bot import metrics
from bot.deadline import current_deadline
from bot.http.errors import BadRequest, BadResponse, NotFound, RateLimited, Unavailable, UpstreamError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Retry reads on connection errors, 429 and 5xx; never on other 4xx.

    Waits grow exponentially with full jitter; a server's Retry-After is honoured but capped; every try
    and every wait stays inside the answer's deadline (`bot.deadline`), so a Slack reply is never held
    past it. `deadline` bounds one request with its retries (deps sets it from LOOKUP_DEADLINE_SECONDS,
    the answer deadline's own setting, so it never outlasts an answer).
    """

    max_attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 2.0
    retry_after_cap: float = 5.0
    # A 429 without Retry-After (Pendo sends none): its limiter is a leaky bucket, still full a fraction of
    # a second later, so the first wait is at least this long and each next one twice the last.
    rate_limited_min_delay: float = 1.0
    deadline: float = 8.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 500, 502, 503, 504}))

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Delay before retry number `attempt` (1-based): full jitter over an exponential cap."""
        return rng() * min(self.max_delay, self.base_delay * (2.0 ** (attempt - 1)))

    def rate_limited_backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Delay after a 429 without `Retry-After`: `rate_limited_min_delay` doubled per attempt, plus up
        to a quarter of it as jitter. When that does not fit in the deadline, the caller gives up at once
        (the agent reads "try again in a minute") instead of asking again too soon."""
        floor = self.rate_limited_min_delay * (2.0 ** (attempt - 1))
        return floor + rng() * floor / 4


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds form; HTTP dates are rare here and ignored)."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw.strip())
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None  # "inf" and "nan" are no answer


Sleep = Callable[[float], Awaitable[None]]
USER_AGENT = "pendo-context-for-slack/0.1"
MAX_BODY_BYTES = 10 * 1024 * 1024  # an upstream answer larger than this is refused while it streams in


# Connections per upstream when no in-flight cap sizes the pool (`Budget.wrap`: the cap, when there is
# one). Without any limit, 100 lookups at once would open some 700 connections in the middle of the acks.
MAX_CONNECTIONS = 100
KEEPALIVE_SECONDS = 30.0


def default_transport(max_connections: int = MAX_CONNECTIONS) -> httpx.AsyncBaseTransport:
    """The production transport: `AiohttpTransport`, kept-alive connections, httpx's TLS settings; at
    most `max_connections` open at once."""
    return AiohttpTransport(max_connections)


class BodyTooLarge(Exception):
    """An upstream answer grew past the cap while it was being read."""


# aiohttp's exceptions as the httpx ones `send_with_retry` tells apart; the first match wins (subclasses
# first). A timeout must never escape as a bare TimeoutError: that one means the answer's deadline.
_AIOHTTP_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.TimeoutException),
    (TimeoutError, httpx.TimeoutException),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientError, httpx.TransportError),
)
_DECODED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's transport interface over one aiohttp session, doing as little per request as it can.

    The session (created on the first request: it needs the running loop) keeps connections alive, has
    httpx's TLS settings and no cookie jar (the APIs authenticate with headers). The answer is read
    whole here, decompressed by aiohttp and refused past `max_body` bytes while it streams in
    (`BodyTooLarge`), so the response handed back is already read: nothing more to stream, no
    `Content-Encoding` left to undo. Timeouts come from the request's `timeout` extension (connect, read,
    pool: the wait for a connection), as httpx's own transport reads them. aiohttp's errors are raised
    as httpx's (`_AIOHTTP_ERRORS`).
    """

    def __init__(self, max_connections: int = MAX_CONNECTIONS, max_body: int = MAX_BODY_BYTES) -> None:
        self.max_connections = max_connections
        self.max_body = max_body
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.max_connections,
            keepalive_timeout=KEEPALIVE_SECONDS,
            ttl_dns_cache=300,
            ssl=httpx.create_ssl_context(),
        )
        self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        timeout = request.extensions.get("timeout") or {}
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            async with session.request(
                request.method,
                yarl.URL(str(request.url), encoded=True),  # httpx encoded it already
                headers=headers,
                data=request.content or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                    connect=timeout.get("pool"),
                ),
            ) as answer:
                declared = answer.content_length
                if declared is not None and declared > self.max_body:
                    raise BodyTooLarge
                body = await _read_at_most(answer.content, self.max_body)
                status, reason, raw = answer.status, answer.reason, answer.raw_headers
        except Exception as exc:  # mapped to httpx's, or raised as it is (BodyTooLarge)
            for theirs, ours in _AIOHTTP_ERRORS:
                if isinstance(exc, theirs):
                    raise ours(f"{type(exc).__name__}") from exc
            raise
        kept = [(k, v) for k, v in raw if k.decode("latin-1").lower() not in _DECODED]
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if reason:
            extensions["reason_phrase"] = reason.encode("latin-1", "replace")
        return httpx.Response(status, headers=kept, content=body, request=request, extensions=extensions)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _read_at_most(stream: aiohttp.StreamReader, limit: int) -> bytes:
    """The whole (decoded) body, or BodyTooLarge as soon as it grows past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.readany():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def http_client(
    base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one pooled httpx client an upstream client uses: explicit timeouts, reused connections, no
    redirects. It builds the requests; `send_with_retry` hands them straight to its transport, so no
    cookie an upstream sets is kept or sent back. Without a `transport`, requests go through
    `default_transport()`."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        headers={"user-agent": USER_AGENT, "accept": "application/json"},
        transport=transport if transport is not None else default_transport(),
        follow_redirects=False,
    )


async def send_with_retry(
    client: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    *,
    upstream: str,
    route: str,
    policy: RetryPolicy,
    classify: Callable[[httpx.Response], UpstreamError | None],
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    monitor: SendMonitor | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> httpx.Response:
    """Send the request built by `build`, retrying per `policy`; return a 2xx response or raise.

    `route` labels the request in error details with a template, never the real path (e.g.
    `GET /api/v1/visitor/{id}`). `classify` maps a non-2xx response to the typed error to raise (or None
    for a generic one). The answer's deadline (`bot.deadline`) bounds every try and every wait; the
    policy's own deadline bounds one request with its retries (outside an answer: start-up checks,
    `/readyz`), whichever comes first.
    """
    start = clock()
    answer = current_deadline()
    answer_end = answer.end if answer is not None else None
    # "did not answer in N s": the answer's seconds when its deadline comes first, else the policy's
    said = answer.seconds if answer is not None and answer.remaining() < policy.deadline else policy.deadline
    attempt = 0
    last_error: UpstreamError | None = None
    while True:
        attempt += 1
        remaining = policy.deadline - (clock() - start)
        if answer_end is not None:
            remaining = min(remaining, answer_end - time.monotonic())
        if remaining <= 0:
            raise last_error or Unavailable(upstream, "deadline passed", timeout=said)
        request = build()
        request.extensions["timeout"] = _cap_timeout(request.extensions.get("timeout"), remaining)
        sent = time.monotonic()
        outcome = "cancelled"
        try:
            response = await _send_uncancelled(
                client,
                request,
                remaining,
                upstream=upstream,
                monitor=monitor or SEND_MONITOR,
                max_body=max_body,
            )
        except TimeoutError:
            outcome = "timeout"
            last_error = Unavailable(upstream, "deadline reached during the request", timeout=said)
            raise last_error from None
        except httpx.TimeoutException as exc:
            outcome = "timeout"
            last_error = Unavailable(upstream, f"timeout ({type(exc).__name__})", timeout=said)
            delay = policy.backoff(attempt)
        except httpx.TransportError as exc:
            outcome = "connection_error"
            unreachable = isinstance(exc, httpx.ConnectError | httpx.ProxyError | httpx.UnsupportedProtocol)
            last_error = Unavailable(
                upstream, f"connection error ({type(exc).__name__})", unreachable=unreachable
            )
            delay = policy.backoff(attempt)
        except BodyTooLarge:
            outcome = "too_large"
            raise BadResponse(upstream, f"answer larger than {max_body} bytes from {route}") from None
        else:
            outcome = metrics.status_class(response.status_code)
            if response.is_success:
                return response
            error = classify(response) or _generic_error(upstream, route, response)
            if response.status_code not in policy.retry_statuses:
                raise error
            last_error = error
            delay = policy.backoff(attempt)
            if response.status_code == 429:
                retry_after = parse_retry_after(response.headers)
                if retry_after is None:
                    delay = policy.rate_limited_backoff(attempt)
                elif retry_after > policy.retry_after_cap:
                    raise error  # waiting that long would outlive the Slack reply: say so now
                else:
                    delay = retry_after
        finally:
            metrics.upstream_answered(upstream, route, outcome, time.monotonic() - sent)
        log.info(
            "upstream retry",
            extra={"upstream": upstream, "attempt": attempt, "error": last_error.detail, "delay": delay},
        )
        spent = clock() - start
        if (
            attempt >= policy.max_attempts
            or spent + delay >= policy.deadline
            or (answer_end is not None and time.monotonic() + delay >= answer_end)
        ):
            raise last_error
        metrics.UPSTREAM_RETRIES.labels(upstream, outcome).inc()
        await sleep(delay)


async def _read_capped(client: httpx.AsyncClient, request: httpx.Request, max_body: int) -> httpx.Response:
    """Send and read the whole answer, refusing more than `max_body` bytes (decoded).

    The request goes straight to the client's transport: the client built it (URL, headers, timeouts)
    and none of what `AsyncClient.send` adds applies here (no auth flow, redirects, cookies or event
    hooks), at a third of the CPU of a request. `AiohttpTransport` answers already read and capped;
    another transport (tests, the sample) may stream, and is read here with the same cap.
    """
    transport = client._transport_for_url(request.url)  # httpx 0.28 (pinned below 0.29)
    response = await transport.handle_async_request(request)
    response.request = request
    if response.is_stream_consumed:
        if len(response.content) > max_body:
            raise BodyTooLarge
        return response
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body:
            raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_body:
                raise BodyTooLarge
            chunks.append(chunk)
    finally:
        await response.aclose()
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DECODED]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=request,
        extensions=response.extensions,
    )


async def _send_uncancelled(
    client: httpx.AsyncClient,
    request: httpx.Request,
    remaining: float,
    *,
    upstream: str,
    monitor: SendMonitor,
    max_body: int,
) -> httpx.Response:
    """Send in a task of its own that nobody cancels; wait for it at most `remaining` seconds.

    Cancelling a request inside httpcore's pool (while it waits for, or opens, a connection) leaks that
    connection for good (encode/httpcore#1093); after enough of them the pool answers nothing. So the
    transport enforces its own timeouts (each capped at `remaining`, see `_cap_timeout`), and the
    deadline is kept by no longer waiting: a caller past it gets TimeoutError (or is cancelled itself)
    while the request runs on to its own timeout and is then discarded. `monitor` sees every such send,
    so liveness can tell a pool that stops finishing requests at all.
    """
    task = asyncio.ensure_future(_read_capped(client, request, max_body))
    monitor.started(task, upstream, remaining)
    task.add_done_callback(monitor.finished)
    done, _ = await asyncio.wait({task}, timeout=remaining)
    if not done:
        raise TimeoutError
    return task.result()


@dataclass
class SendMonitor:
    """Sends in flight, per upstream, each with the time by which its own timeouts must have ended it.

    A send still running well past that (pool, connect and read timeouts all spent, plus `grace`) means
    the transport no longer finishes requests: a locked-up pool. `/healthz` fails on it, so the process
    is restarted instead of answering "did not answer in 8 s" forever.
    """

    grace: float = 10.0
    clock: Callable[[], float] = time.monotonic
    _inflight: dict[asyncio.Future[Any], tuple[str, float]] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)

    def started(self, task: asyncio.Future[Any], upstream: str, timeout: float) -> None:
        # pool wait + connect + write + read, each bounded by `timeout`
        self._inflight[task] = (upstream, self.clock() + 4 * timeout + self.grace)
        self._seen.add(upstream)
        metrics.upstream_in_flight(upstream, 1)

    def finished(self, task: asyncio.Future[Any]) -> None:
        entry = self._inflight.pop(task, None)
        if entry is not None:
            metrics.upstream_in_flight(entry[0], -1)
        if not task.cancelled():
            task.exception()  # retrieved: an abandoned send's error is expected, not "never retrieved"

    def stuck(self) -> list[str]:
        """Upstreams with a send past its overdue time (sorted, no repeats); empty when all is well."""
        now = self.clock()
        return sorted({name for name, overdue in self._inflight.values() if now > overdue})

    def stuck_by_upstream(self) -> dict[str, bool]:
        """Every upstream this process has sent to, and whether it is stuck (the metric reads this)."""
        stuck = set(self.stuck())
        return {name: name in stuck for name in self._seen}


SEND_MONITOR = SendMonitor()  # the process's sends; `/healthz` and the metrics read it
metrics.PROBES.stuck = SEND_MONITOR.stuck_by_upstream


def _cap_timeout(current: Any, remaining: float) -> dict[str, float | None]:
    base: dict[str, float | None] = dict(current) if isinstance(current, dict) else {}
    for key in ("connect", "read", "write", "pool"):
        value = base.get(key)
        base[key] = remaining if value is None else min(value, remaining)
    return base


def _generic_error(upstream: str, route: str, response: httpx.Response) -> UpstreamError:
    """The error for a status the client did not classify: status and route only, never the body."""
    status = response.status_code
    detail = f"HTTP {status} from {route}"
    if status == 429:
        return RateLimited(upstream, detail, retry_after=parse_retry_after(response.headers))
    if status >= 500:
        return Unavailable(upstream, detail, status=status)
    if status == 404:
        return NotFound(upstream, detail, status=status)
    if status == 400:
        return BadRequest(upstream, detail, status=status)
    return UpstreamError(upstream, detail, status=status)


def json_body(response: httpx.Response, upstream: str, *, what: str) -> Any:
    """The response's JSON, or BadResponse naming its content type and `what` (a route template)."""
    try:
        return orjson.loads(response.content)  # the fast path: strict JSON, never NaN or infinity
    except ValueError:
        pass  # NaN, Infinity or a number beyond a double: the tolerant reader below makes those null
    try:
        return json.loads(response.content, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        ctype = response.headers.get("content-type", "?")
        raise BadResponse(upstream, f"non-JSON body ({ctype}) from {what}") from exc


def _no_constant(name: str) -> None:
    """`NaN`, `Infinity` and `-Infinity` are not JSON; Python's parser accepts them: read them as null."""
    return None


def _finite_float(text: str) -> float | None:
    """A number too large for a float (1e400) would become infinity: read it as null instead."""
    value = float(text)
    return value if math.isfinite(value) else None
