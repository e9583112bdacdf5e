"""`POST /zendesk/webhook`: Zendesk's "ticket created" webhook, checked, answered at once, worked after
(the first step of the path `bot.notes` describes).

Served beside `/slack/events` in HTTP mode, and by a small HTTP listener of its own on $PORT in Socket
Mode (`webhook_server`). Only when ZENDESK_WEBHOOK_SECRET is set (and Zendesk is connected).

In order, before anything else is read or logged: the size (over 256 KB: 413, without reading it all),
the signature over the raw bytes (missing, forged, or a timestamp more than 5 minutes off: 401), then the
body (`{"ticket_id": "…", …}`, else 400 saying what is expected; the optional fields are kept in the
job's payload when well-formed, `bot.zendesk.webhook.WebhookBody`). Each refusal is one short log line; no
body, header or signature is ever logged. A good request is queued (`bot.notes.queue`: a "note" job
unless ZENDESK_NOTES=off, an "alert" job when ALERTS_CHANNEL is set, `bot.alerts.tickets`) and answered
200 at once; a duplicate of a ticket still waiting is answered 200 too, and dropped.

Replays: a signed request stays valid for the 5-minute window, so whoever copies one could send it again.
After the signature passes, the delivery is claimed for REPLAY_SECONDS in the deployment's shared memo
(Redis with REDIS_URL, so across instances): by its signature, and by Zendesk's
`x-zendesk-webhook-invocation-id` when sent (a retry re-signed at another second). Either seen before: a
replay, answered 200, and nothing is queued.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.alerts.nps import pendo_webhook_route
from bot.alerts.tickets import ALERT_KIND
from bot.deps import Deps
from bot.http.bodies import SLOW_BODY, BodyTimeout, length_problem, read_capped
from bot.notes.jobs import QueueUnavailable
from bot.zendesk.webhook import (
    INVOCATION_HEADER,
    MAX_BODY,
    SIGNATURE_HEADER,
    WebhookBodyError,
    signature_problem,
    webhook_body,
)

log = logging.getLogger(__name__)
ZENDESK_PATH = "/zendesk/webhook"
REPLAY_SECONDS = 600.0  # twice the signature's window: a copied request is refused for as long as it is valid


def _refuse(status: int, reason: str, text: str | None = None, *, kind: str) -> Response:
    log.warning("zendesk webhook refused", extra={"status": status, "reason": reason})
    metrics.WEBHOOK_REFUSED.labels(kind).inc()
    return PlainTextResponse(text or reason, status_code=status)


def _retry_later(text: str, seconds: int, *, kind: str) -> Response:
    """503 with Retry-After: nothing was stored, Zendesk sends the delivery again."""
    metrics.WEBHOOK_REFUSED.labels(kind).inc()
    return PlainTextResponse(text, status_code=503, headers={"retry-after": str(seconds)})


def zendesk_webhook_route(deps: Deps) -> Route | None:
    """The route, or None when the webhook is not configured (no secret, or no Zendesk)."""
    secret_setting, queue = deps.settings.zendesk_webhook_secret, deps.note_queue
    if secret_setting is None or queue is None:
        return None
    secret = secret_setting.get_secret_value()

    async def zendesk_webhook(request: Request) -> Response:
        if not deps.inflight.accepting:
            return _retry_later("shutting down", 5, kind="shutting_down")
        refused = length_problem(request.headers.get("content-length"), MAX_BODY)
        if refused is not None:
            return _refuse(*refused, kind="size")
        try:
            body = await read_capped(request.receive, MAX_BODY, deps.settings.body_read_timeout_seconds)
        except BodyTimeout:
            return _refuse(*SLOW_BODY, kind="slow")
        if body is None:
            return _refuse(413, "body too large", kind="size")
        headers = {k.lower(): v for k, v in request.headers.items()}
        problem = signature_problem(secret, headers, body, time.time())
        if problem:
            return _refuse(401, problem, kind="signature")
        try:
            parsed = webhook_body(body)
        except WebhookBodyError as exc:
            return _refuse(400, "unexpected body", str(exc), kind="body")
        seen = [("zendesk-webhook-signature", headers[SIGNATURE_HEADER].strip())]
        if headers.get(INVOCATION_HEADER):  # not signed: it adds a check, never replaces the signature's
            seen.append(("zendesk-webhook-invocation", headers[INVOCATION_HEADER].strip()))
        claimed = [key for key in seen if await deps.memo.claim(key, REPLAY_SECONDS)]
        if len(claimed) < len(seen):
            log.info("zendesk webhook: a delivery seen before, ignored")
            metrics.WEBHOOK_REFUSED.labels("replay").inc()
            return JSONResponse({"ok": True, "queued": False})
        try:
            queued = await _store(deps, parsed.ticket_id, parsed.payload())
        except Exception as exc:  # the store down (QueueUnavailable) or failing: nothing stored, a 503
            if not isinstance(exc, QueueUnavailable):
                log.exception("zendesk webhook: the note queue failed")
            queued, problem = None, "unavailable"
        else:
            problem = "full"
        if queued is None:  # nothing stored: Zendesk's retry of this delivery must get through
            for key in claimed:
                await deps.memo.release(key)
            log.warning(
                "zendesk webhook: the note queue cannot take it, asking Zendesk to retry",
                extra={"reason": problem},
            )
            return _retry_later("busy", 30 if problem == "unavailable" else 60, kind=problem)
        return JSONResponse({"ok": True, "queued": queued})

    return Route(ZENDESK_PATH, zendesk_webhook, methods=["POST"])


async def _store(deps: Deps, ticket_id: int, payload: dict[str, str]) -> bool | None:
    """The note job (unless ZENDESK_NOTES=off) and the alert job (when ALERTS_CHANNEL is set), both with
    the body's fields, both stored before the 200: True if either was stored, False if both were there
    already (a duplicate delivery), None if the queue is full (503, Zendesk retries: a job stored already
    is then a duplicate). Raises what the store raises."""
    queue = deps.note_queue
    assert queue is not None
    stored: list[bool] = []
    if deps.settings.zendesk_notes:
        note = await queue.submit(ticket_id, payload)
        if note is None:
            return None
        stored.append(note)
    if deps.alerts is not None:
        alert = await queue.submit_job(ALERT_KIND, ticket_id, payload)
        if alert is None:
            return None
        stored.append(alert)
    return any(stored)


def webhook_app(deps: Deps) -> Starlette | None:
    """Socket Mode's own small HTTP app: the webhooks (Zendesk's, Pendo's) and `/healthz` (None when
    neither is configured)."""
    pendo = pendo_webhook_route(deps.settings, deps.note_queue, deps.inflight)
    routes = [r for r in (zendesk_webhook_route(deps), pendo) if r is not None]
    if not routes:
        return None

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[*routes, Route("/healthz", healthz, methods=["GET"])])


@contextlib.asynccontextmanager
async def webhook_server(deps: Deps, port: int, host: str = "0.0.0.0") -> AsyncIterator[None]:
    """In Socket Mode, serve the webhook on `port` while the block runs (nothing when not configured)."""
    app = webhook_app(deps)
    if app is None:
        yield
        return
    deps.start()  # the note workers: jobs a stopped process left are written now
    import asyncio

    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # the Socket Mode loop handles the signals
            yield

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        lifespan="off",
        limit_concurrency=deps.settings.max_connections,  # MAX_CONNECTIONS: more get 503
    )
    server = _Server(config)
    task = asyncio.ensure_future(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    paths = ", ".join(f"POST {r.path}" for r in app.routes[:-1] if isinstance(r, Route))  # templates only
    log.info(f"Webhooks on port {port}: {paths}")
    try:
        yield
    finally:
        server.should_exit = True
        await task
