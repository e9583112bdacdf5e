"""What Pendo and Zendesk clients share: typed errors and one explicit retry policy.

Errors carry a sentence a support agent understands (`user_message`) and a technical detail for the
log (`detail`). Neither ever contains a credential or customer data: request headers, request paths
(which carry emails and ids) and response bodies are never copied into them. A detail names the HTTP
status and the route template the caller labelled the request with, e.g. `GET /api/v1/visitor/{id}`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

log = logging.getLogger(__name__)


class UpstreamError(Exception):
    """Base of every error an upstream (Pendo or Zendesk) can produce."""

    def __init__(self, upstream: str, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"{upstream}: {detail}")
        self.upstream = upstream
        self.detail = detail
        self.status = status

    @property
    def user_message(self) -> str:
        return f"{self.upstream} returned an unexpected error. Try again in a minute."


class NotFound(UpstreamError):
    @property
    def user_message(self) -> str:
        return f"{self.upstream} has no such record."


class AuthError(UpstreamError):
    def __init__(self, upstream: str, detail: str, *, status: int | None = None, setting: str = "") -> None:
        super().__init__(upstream, detail, status=status)
        self.setting = setting

    @property
    def user_message(self) -> str:
        who = "Pendo admin" if self.upstream == "Pendo" else f"{self.upstream} admin"
        return (
            f"{self.upstream} rejected the bot's credentials ({self.status or 'auth error'}). "
            f"Ask your {who} to check {self.setting}."
        )


class Forbidden(AuthError):
    """Credentials are valid but may not see this record (Zendesk 403 on one ticket)."""


class RateLimited(UpstreamError):
    def __init__(self, upstream: str, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(upstream, detail, status=429)
        self.retry_after = retry_after

    @property
    def user_message(self) -> str:
        wait = f" in {round(self.retry_after)} s" if self.retry_after else " in a minute"
        return f"{self.upstream} is rate-limiting the bot right now. Try again{wait}."


class Unavailable(UpstreamError):
    def __init__(
        self, upstream: str, detail: str, *, status: int | None = None, timeout: float | None = None
    ) -> None:
        super().__init__(upstream, detail, status=status)
        self.timeout = timeout

    @property
    def user_message(self) -> str:
        if self.timeout is not None:
            return f"{self.upstream} did not answer in {self.timeout:g} s. Try again in a minute."
        reason = f"HTTP {self.status}" if self.status is not None else self.detail
        return f"{self.upstream} is unavailable right now ({reason}). Try again in a minute."


class BadResponse(UpstreamError):
    @property
    def user_message(self) -> str:
        return (
            f"{self.upstream} sent an answer the bot could not read. Try again; if it persists, "
            "tell whoever runs the bot (the details are in its log)."
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Retry reads on connection errors, 429 and 5xx; never on other 4xx.

    Waits grow exponentially with full jitter; a server's Retry-After is honoured but capped; every try
    and every wait stays inside one overall deadline, so a Slack reply is never held past it.
    """

    max_attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 2.0
    retry_after_cap: float = 5.0
    deadline: float = 8.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 500, 502, 503, 504}))

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Delay before retry number `attempt` (1-based): full jitter over an exponential cap."""
        return rng() * min(self.max_delay, self.base_delay * (2.0 ** (attempt - 1)))


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds form; HTTP dates are rare here and ignored)."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw.strip()))
    except ValueError:
        return None


Sleep = Callable[[float], Awaitable[None]]
USER_AGENT = "pendo-context-for-slack/0.1"


MAX_CONNECTIONS = 100  # per upstream; the politeness limits are the budgets in bot/ratelimit.py
KEEPALIVE_SECONDS = 30.0


def default_transport(max_connections: int = MAX_CONNECTIONS) -> httpx.AsyncBaseTransport:
    """aiohttp under httpx: kept-alive connections and far less per-request work than httpcore's pool.

    The aiohttp session is created on the first request (it needs the running loop), with httpx's TLS
    settings and no cookie jar (the APIs authenticate with headers; httpx keeps its own jar anyway).
    """
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    ssl_context = httpx.create_ssl_context()

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=max_connections, keepalive_timeout=KEEPALIVE_SECONDS, ttl_dns_cache=300, ssl=ssl_context
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    return AiohttpTransport(client=session)


def http_client(
    base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one pooled httpx client an upstream client uses: explicit timeouts, reused connections, no
    redirects. Without a `transport`, requests go through `default_transport()`."""
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
) -> httpx.Response:
    """Send the request built by `build`, retrying per `policy`; return a 2xx response or raise.

    `route` labels the request in error details with a template, never the real path (e.g.
    `GET /api/v1/visitor/{id}`). `classify` maps a non-2xx response to the typed error to raise (or None
    for a generic one).
    """
    start = clock()
    attempt = 0
    last_error: UpstreamError | None = None
    while True:
        attempt += 1
        remaining = policy.deadline - (clock() - start)
        if remaining <= 0:
            raise last_error or Unavailable(upstream, "deadline passed", timeout=policy.deadline)
        request = build()
        request.extensions["timeout"] = _cap_timeout(request.extensions.get("timeout"), remaining)
        try:
            # The deadline holds whatever the transport does with its own timeouts.
            async with asyncio.timeout(remaining):
                response = await client.send(request)
        except TimeoutError:
            last_error = Unavailable(upstream, "deadline reached during the request", timeout=policy.deadline)
            raise last_error from None
        except httpx.TimeoutException as exc:
            last_error = Unavailable(upstream, f"timeout ({type(exc).__name__})", timeout=policy.deadline)
            delay = policy.backoff(attempt)
        except httpx.TransportError as exc:
            last_error = Unavailable(upstream, f"connection error ({type(exc).__name__})")
            delay = policy.backoff(attempt)
        else:
            if response.is_success:
                return response
            error = classify(response) or _generic_error(upstream, route, response)
            if response.status_code not in policy.retry_statuses:
                raise error
            last_error = error
            delay = policy.backoff(attempt)
            if response.status_code == 429:
                retry_after = parse_retry_after(response.headers)
                if retry_after is not None:
                    if retry_after > policy.retry_after_cap:
                        raise error  # waiting that long would outlive the Slack reply: say so now
                    delay = retry_after
        log.info(
            "upstream retry",
            extra={"upstream": upstream, "attempt": attempt, "error": last_error.detail, "delay": delay},
        )
        if attempt >= policy.max_attempts or clock() - start + delay >= policy.deadline:
            raise last_error
        await sleep(delay)


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
    return UpstreamError(upstream, detail, status=status)


def json_body(response: httpx.Response, upstream: str, *, what: str) -> Any:
    """The response's JSON, or BadResponse naming its content type and `what` (a route template)."""
    try:
        return orjson.loads(response.content)
    except ValueError as exc:
        ctype = response.headers.get("content-type", "?")
        raise BadResponse(upstream, f"non-JSON body ({ctype}) from {what}") from exc
