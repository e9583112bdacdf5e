"""HTTP mode: a Starlette app with /slack/events (commands, events, interactivity), /healthz, /readyz.

In front of Bolt sits `SlackRequestGate`, a raw ASGI middleware that refuses what Slack would never send
before anything parses or logs it: bodies over 1 MB (413, without reading them all), requests with a
bad, stale or replayed signature (401 / ignored), and signed bodies that are not a Slack payload (400).
No per-instance state is needed for correctness, so several instances can sit behind a load balancer
(the replay memory is per instance: a replay routed to another instance within 5 minutes is answered
there, once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import start
from bot.deps import Deps
from bot.inflight import InFlight
from bot.upstream import SEND_MONITOR, UpstreamError
from bot.zendesk_hook import zendesk_webhook_route

log = logging.getLogger(__name__)
READY_TTL = 30.0
MAX_BODY = 1024 * 1024  # Slack's payloads are a few kB; a link_shared or block_actions body well under 100 kB
SIGNATURE_WINDOW = 300  # seconds: Slack's own rule for the request timestamp, and the replay memory
SLACK_PATH = "/slack/events"


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body a middleware already read, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class SlackRequestGate:
    """Raw ASGI middleware for POST /slack/events; other paths pass through untouched.

    Order matters: size first (from Content-Length, then while streaming), then the signature over the
    raw bytes, then the replay memory, then the shape. Only a request that passed all of them reaches
    Bolt, which therefore never logs an unsigned body. Each refusal is one short log line without the
    body, its signature or its headers.
    """

    def __init__(
        self,
        app: ASGIApp,
        signing_secret: str | None,
        inflight: InFlight | None = None,
    ) -> None:
        self.app = app
        self._secret = signing_secret.encode() if signing_secret else None
        self._inflight = inflight
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != SLACK_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if self._inflight is not None and not self._inflight.accepting:
            # Shutting down: Slack retries events; a command's user sees Slack's own "try again".
            await _plain(send, 503, "shutting down", [(b"retry-after", b"5")])
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            return await self._refuse(
                send, 413 if declared.isdigit() else 400, "body too large or bad length"
            )
        body = await _read_capped(receive, MAX_BODY)
        if body is None:
            return await self._refuse(send, 413, "body too large")
        if self._secret is not None:
            problem = self._signature_problem(headers, body)
            if problem:
                return await self._refuse(send, 401, problem)
            if not self._first_time(headers):
                log.warning("slack request refused: replay of an already answered request")
                await _plain(send, 200, "")
                return
        if not _is_slack_payload(headers.get("content-type", ""), body):
            return await self._refuse(send, 400, "not a Slack payload")
        await self.app(scope, replaying(body, receive), send)

    def _signature_problem(self, headers: dict[str, str], body: bytes) -> str | None:
        stamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not stamp or not signature:
            return "unsigned"
        if not (stamp.isascii() and stamp.isdigit()):
            return "bad timestamp"
        if abs(time.time() - int(stamp)) > SIGNATURE_WINDOW:
            return "stale timestamp"
        assert self._secret is not None
        expected = (
            "v0=" + hmac.new(self._secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        )
        if not hmac.compare_digest(expected.encode(), signature.encode("latin-1")):
            return "bad signature"
        return None

    def _first_time(self, headers: dict[str, str]) -> bool:
        """Remember timestamp+signature for the signature window; False for one seen before."""
        now = time.time()
        while self._seen and next(iter(self._seen.values())) < now:
            self._seen.popitem(last=False)
        key = (headers["x-slack-request-timestamp"], headers["x-slack-signature"])
        if key in self._seen:
            return False
        self._seen[key] = now + SIGNATURE_WINDOW
        return True

    async def _refuse(self, send: Send, status: int, reason: str) -> None:
        log.warning("slack request refused", extra={"status": status, "reason": reason})
        await _plain(send, status, reason)


async def _read_capped(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it passes `limit` bytes (the rest is never read)."""
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


def _is_slack_payload(content_type: str, body: bytes) -> bool:
    """Events are a JSON object; commands a form; interactivity a form whose `payload` is a JSON object."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            return isinstance(json.loads(text), dict)
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
        if "payload" in form:
            return len(form["payload"]) == 1 and isinstance(json.loads(form["payload"][0]), dict)
        return True
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_web_app(bolt: AsyncApp, deps: Deps) -> ASGIApp:
    handler = AsyncSlackRequestHandler(bolt)

    async def pendo_failure() -> str:
        """ "" when Pendo accepts the key, else the sentence to show; cached either way (see readyz)."""
        try:
            await deps.pendo.verify()
        except UpstreamError as exc:
            return exc.user_message
        return ""

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_: Request) -> Response:
        """Alive unless an upstream's connection pool stopped finishing requests (then: restart me)."""
        stuck = SEND_MONITOR.stuck()
        if stuck:
            log.error("liveness: upstream requests stuck past their timeouts", extra={"upstreams": stuck})
            return PlainTextResponse(f"stuck: {', '.join(stuck)}", status_code=503)
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        """Ready when the settings are valid (they are, or the process would not run) and Pendo accepts the
        key; checked against Pendo at most every 30 s, however often the probe asks. A failure is kept for
        the interval too, so an unhealthy Pendo is not asked harder by probes (concurrent ones share one
        check)."""
        failure = await deps.memo.get_or_load(("readyz",), READY_TTL, pendo_failure)
        checks = {"settings": "ok", "pendo": failure or "ok"}
        return JSONResponse(checks, status_code=503 if failure else 200)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await start(bolt)
        yield
        await deps.inflight.drain()
        await deps.aclose()

    webhook = zendesk_webhook_route(deps)  # POST /zendesk/webhook, when ZENDESK_WEBHOOK_SECRET is set
    app = Starlette(
        routes=[
            Route(SLACK_PATH, slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            *([webhook] if webhook is not None else []),
        ],
        lifespan=lifespan,
    )
    secret = deps.settings.slack_signing_secret
    return SlackRequestGate(app, secret.get_secret_value() if secret else None, deps.inflight)
