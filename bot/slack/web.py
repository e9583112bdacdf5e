"""HTTP mode: a Starlette app with /slack/events (commands, events, interactivity), /healthz, /readyz,
and /metrics when METRICS_TOKEN is set (`bot.endpoints.prometheus`; the ack time of every Slack request is
measured here, from its arrival to the response's first byte).

In front of Bolt sits `SlackRequestGate`, a raw ASGI middleware that refuses what Slack would never send
before anything parses or logs it: bodies over 1 MB (413, without reading them all), requests with a
bad, stale or replayed signature (401 / ignored), and signed bodies that are not a Slack payload (400).
No per-instance state is needed for correctness, so several instances can sit behind a load balancer
(the replay memory is per instance: a replay routed to another instance within 5 minutes is answered
there, once).

A request that passed the gate goes straight to Bolt (`AsyncApp.async_dispatch`, the call Bolt's own
Starlette adapter makes), and Bolt's response is written here: Starlette's middleware, router and
request objects sat between the two and cost about a quarter of an acknowledgement's CPU.
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
from typing import Any
from urllib.parse import parse_qs

from pydantic import TypeAdapter
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import metrics
from bot.alerts.nps import pendo_webhook_route
from bot.deps import Deps
from bot.endpoints import prometheus
from bot.http.bodies import DEFAULT_READ_TIMEOUT, SLOW_BODY, BodyTimeout, length_problem, read_capped
from bot.http.errors import UpstreamError
from bot.http.upstream import SEND_MONITOR
from bot.inflight import InFlight
from bot.notes.endpoint import zendesk_webhook_route
from bot.render import words
from bot.slack.app import start

log = logging.getLogger(__name__)
READY_TTL = 30.0
_READY = TypeAdapter(str)  # a shared "readyz" entry: the failure's sentence, or "" when ready
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
        bolt: AsyncApp | None = None,
        body_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> None:
        self.app = app
        self._body_timeout = body_timeout  # BODY_READ_TIMEOUT_SECONDS: a body not in by then gets 408
        self._secret = signing_secret.encode() if signing_secret else None
        self._inflight = inflight
        self._bolt = bolt  # None: a request that passed goes on to `app` (its /slack/events route)
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != SLACK_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        arrived = time.perf_counter()
        if self._inflight is not None and not self._inflight.accepting:
            # Shutting down: Slack retries events; a command's user sees Slack's own "try again".
            await _plain(send, 503, "shutting down", [(b"retry-after", b"5")])
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refused = length_problem(headers.get("content-length"), MAX_BODY)
        if refused is not None:
            return await self._refuse(send, *refused)
        try:
            body = await read_capped(receive, MAX_BODY, self._body_timeout)
        except BodyTimeout:
            return await self._refuse(send, *SLOW_BODY)
        if body is None:
            return await self._refuse(send, 413, "body too large")
        if self._secret is not None:
            problem = self._signature_problem(headers, body)
            if problem:
                return await self._refuse(send, 401, problem)
            if not self._first_time(headers):
                log.warning("slack request refused: replay of an already answered request")
                metrics.DUPLICATES.labels("replay").inc()
                await _plain(send, 200, "")
                return
        content_type = headers.get("content-type", "")
        problem = payload_problem(content_type, body)
        if problem:
            return await self._refuse(send, 400, f"not a Slack payload: {problem}")
        kind = request_kind(content_type, body)
        answered = False

        async def timed(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start" and not answered:
                answered = True
                metrics.acked(kind, time.perf_counter() - arrived)
            await send(message)

        if self._bolt is None:
            await self.app(scope, replaying(body, receive), timed)
            return
        request = AsyncBoltRequest(
            body=body.decode("utf-8"),  # payload_problem read it as UTF-8 already
            query=bytes(scope.get("query_string", b"")).decode("latin-1"),
            headers=headers,
        )
        await _respond(timed, await self._bolt.async_dispatch(request))

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


def payload_problem(content_type: str, body: bytes) -> str | None:
    """None for a body shaped like one of Slack's, else what is wrong (a few words, never the body).

    Events are a JSON object; commands a form; interactivity a form whose `payload` is a JSON object. The
    fields Bolt and the listeners read must have the types Slack sends (`shape_problem`), so a signed but
    malformed payload is refused here instead of failing inside Bolt or a listener."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            data = json.loads(text)
            return shape_problem(data) if isinstance(data, dict) else "not a JSON object"
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
        if "payload" in form:
            if len(form["payload"]) != 1:
                return "several payloads"
            data = json.loads(form["payload"][0])
            return shape_problem(data) if isinstance(data, dict) else "payload not a JSON object"
        return None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "unreadable body"


_ID_FIELDS = ("user", "team", "channel", "enterprise")  # Bolt reads each as an ID string or {"id": …}
_OBJECT_FIELDS = ("event", "container", "message", "view", "state")
_STRING_FIELDS = ("type", "response_url", "trigger_id", "callback_id", "api_app_id", "event_id")


def _state_problem(state: object, where: str) -> str | None:
    """`state.values` is {block_id: {action_id: {element state}}}, as Slack sends it."""
    if not isinstance(state, dict):
        return f"{where} not an object"
    values = state.get("values", {})
    if not isinstance(values, dict):
        return f"{where}.values not an object"
    for block in values.values():
        if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
            return f"{where}.values not blocks of elements"
    return None


def shape_problem(data: dict[str, Any]) -> str | None:
    """The first field of a Slack payload whose type is not what Slack sends, or None."""
    for name in _ID_FIELDS:
        if not isinstance(data.get(name), str | dict | None):
            return f"{name} not an ID or object"
    for name in _OBJECT_FIELDS:
        if name in data and not isinstance(data[name], dict):
            return f"{name} not an object"
    for name in _STRING_FIELDS:
        if name in data and not isinstance(data[name], str | None):
            return f"{name} not a string"
    if "authorizations" in data and not (
        isinstance(data["authorizations"], list) and all(isinstance(a, dict) for a in data["authorizations"])
    ):
        return "authorizations not a list of objects"
    if "actions" in data and not (
        isinstance(data["actions"], list) and all(isinstance(a, dict) for a in data["actions"])
    ):
        return "actions not a list of objects"
    if "response_urls" in data and not (
        isinstance(data["response_urls"], list)
        and all(isinstance(u, dict) and isinstance(u.get("response_url"), str) for u in data["response_urls"])
    ):
        return "response_urls not a list of response URLs"
    if isinstance(data.get("event"), dict) and not isinstance(data["event"].get("type"), str):
        return "event without a type"
    view = data.get("view")
    if isinstance(view, dict):
        if not isinstance(view.get("type"), str):
            return "view without a type"
        for name in ("callback_id", "private_metadata", "id"):
            if name in view and not isinstance(view[name], str | None):
                return f"view.{name} not a string"
        if "state" in view and (problem := _state_problem(view["state"], "view.state")):
            return problem
    if "state" in data and (problem := _state_problem(data["state"], "state")):
        return problem
    return None


def request_kind(content_type: str, body: bytes) -> str:
    """`event`, `command`, `interaction` or `options` (a block_suggestion): the ack metric's label, read
    from a body that already passed `payload_problem` without parsing it again."""
    if content_type.startswith("application/json"):
        return "event"
    if not body.startswith(b"payload=") and b"&payload=" not in body:
        return "command"
    return "options" if b"block_suggestion" in body else "interaction"


async def _respond(send: Send, response: BoltResponse) -> None:
    """Bolt's response as the ASGI messages Starlette's adapter would send (every header, cookies too)."""
    body = response.body.encode("utf-8")
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, values in response.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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
        """ "" when Pendo accepts the key, else the sentence to show (with what to fix, for whoever runs
        the bot); cached either way (see readyz)."""
        try:
            await deps.pendo.verify()
        except UpstreamError as exc:
            log.warning("readiness: Pendo check failed", extra={"error": str(exc)})
            return words.admin_line(exc)
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
        failure = await deps.memo.get_or_load(("readyz",), READY_TTL, pendo_failure, expect=_READY)
        checks = {"settings": "ok", "pendo": failure or "ok"}
        return JSONResponse(checks, status_code=503 if failure else 200)

    settings = deps.settings

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await start(bolt, deps)
        deps.start()  # the note workers: jobs a stopped process left are written now
        stop_metrics = None
        if settings.metrics_port is not None:
            stop_metrics = await prometheus.start_listener(settings.metrics_host, settings.metrics_port)
        yield
        await deps.drain()
        if stop_metrics is not None:
            await stop_metrics()
        await deps.aclose()

    routes = [
        Route(SLACK_PATH, slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if settings.metrics_token is not None:
        token = settings.metrics_token.get_secret_value()
        routes.append(Route("/metrics", prometheus.token_route(token), methods=["GET"]))
    webhook = zendesk_webhook_route(deps)  # POST /zendesk/webhook, when ZENDESK_WEBHOOK_SECRET is set
    if webhook is not None:
        routes.append(webhook)
    nps = pendo_webhook_route(settings, deps.note_queue, deps.inflight)  # POST /pendo/webhook/<token>
    if nps is not None:
        routes.append(nps)
    app = Starlette(routes=routes, lifespan=lifespan)
    secret = deps.settings.slack_signing_secret
    return SlackRequestGate(
        app,
        secret.get_secret_value() if secret else None,
        deps.inflight,
        bolt,
        body_timeout=settings.body_read_timeout_seconds,
    )
