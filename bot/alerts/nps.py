"""`POST /pendo/webhook/<PENDO_WEBHOOK_TOKEN>`: Pendo's webhook for NPS and poll answers, checked, stored
in the notes' durable queue, answered (the first step of the NPS alerts; `bot.alerts.nps_alerts` posts).

Served beside `/slack/events` in HTTP mode and by the Socket Mode webhook listener, only when
PENDO_WEBHOOK_TOKEN is set, the queue exists and an alert channel is configured (ALERTS_CHANNEL or a route).

**Authentication.** Pendo's Webhooks article (support.pendo.io 360032285012, stored copies) describes URL
webhooks and how to set them up, and no signature or secret header; only one third-party handler claims
to check a signature (shared/reference/friction-replays-alerts.md W3). So the secret is the URL: the last
path segment, at least 32 characters (bot.settings), compared with `hmac.compare_digest`; a wrong one is a
404 before anything is read, stored or logged. The token is never logged: `bot.logs.PathTokenFilter` cuts
it out of every path a server logs (uvicorn's access line names the path), and it is one of the settings'
secrets. Proxies in front log paths too: docs/alerts.md says so.

**In order:** the token (404), shutting down (503), the size (over 64 KB: 413, without reading it all;
`bot.http.bodies`), the JSON (400), the event: `npsSubmitted` and `pollSubmitted` are read, any other
event is answered 200 and dropped; then `uniqueId` is claimed for a day in the queue's store (Pendo
retries: a repeat is answered 200 and nothing else), the answer is stored, and only then 200. The store
down or full: 503 with Retry-After, the `uniqueId` claim released (Pendo's retry gets through).

**The payload** (W2; Pendo's community tech note 4416658620699 "Example Webhook Responses - Guide, Poll &
NPS", since folded into the Webhooks article). Top level: `event`, `visitorId`, `accountId`, `uniqueId`
(hex), `timestamp` (seconds), `properties` {`guideId`, `guideProperties` {`name`, …}, `guideStepId`, …}.
The answer, in two shapes, both accepted:

- `properties.nps` {`rating`, `reason`, `source`}: the tech note's NPS Submitted example, as copied into a
  public AWS Lambda handler's test fixtures (`"nps": {"rating": 9, "reason": "Keep up the great work!",
  "source": "web"}`), and a payload captured from a live subscription in the same project
  (`{"rating": 10, "reason": "", "source": "email"}`: an empty reason is no comment). The score is
  `rating` (a number; a numeric string is taken too), the comment `reason`.
- `properties.pollResponse` (with `pollId`): the name of the answer in Pendo's own `pollEvents` rows (a
  string, the score too: docs/pendo-api.md, shared/reference/zendesk-writeback-pendo-nps.md B5). Pendo's
  NPS is two polls, the 0-10 score and the text; a `pollSubmitted` for the text poll of the same guide is
  the comment, an `npsSubmitted` carrying a whole number 0-10 there is the score. The Poll Submitted
  example's own field names were not retrieved: this second shape is inferred, and a `pollSubmitted`
  whose answer is a whole number 0-10 (a rating poll, or the score poll) is not taken for a comment.

**Stored** (design, so a score and its comment sent as two webhooks post one message): the score is a job
of kind "nps" keyed by visitor and guide (`nps:<hash>`), due 60 s later (at once when its comment is
known), and a copy of it in the store (`JobStore.mark(value=…)`, `nps-score:<hash>`); the comment is a
value in the store too (`nps-comment:<hash>`), plus a job of its own (`nps-comment:<hash>`) that posts
the alert at once when the score is waiting (no need to wait longer), or updates the message when the
score's post went out without it. Values are kept an hour. With NPS_ALERTS=detractor a score of 7-10 is
answered 200 and not stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.alerts.rules import Rules
from bot.http.bodies import SLOW_BODY, BodyTimeout, length_problem, read_capped
from bot.inflight import InFlight
from bot.logs import redact_server_paths
from bot.metrics import PENDO_WEBHOOK
from bot.notes.jobs import QueueUnavailable
from bot.notes.queue import NoteQueue
from bot.settings import Settings

log = logging.getLogger(__name__)
PENDO_PATH = "/pendo/webhook/{token}"
MAX_BODY = 64 * 1024  # Pendo's NPS payload is 2-3 kB (a guide's steps, a user agent, the answer)
EVENTS = ("npsSubmitted", "pollSubmitted")
NPS_KIND = "nps"  # the jobs' kind in the notes' queue
DEDUPE_SECONDS = 24 * 3600.0  # a uniqueId seen: its retries are dropped for this long
COMMENT_WAIT = 60.0  # a score waits this long for its comment before it is posted
COMMENT_KEEP = 3600.0  # a comment stays in the store this long for the score it belongs to
COMMENT_LIMIT = 3000  # characters of a comment kept (the message shows 1,200)
DETRACTOR_MAX = 6


class PayloadError(ValueError):
    """The body is not Pendo's webhook (the words say what is missing; never the body)."""


@dataclass(frozen=True)
class PendoAnswer:
    event: str  # npsSubmitted | pollSubmitted
    unique_id: str
    visitor_id: str
    account_id: str | None
    guide_id: str
    guide_name: str | None
    score: int | None  # 0-10
    comment: str | None
    at: float | None  # when it was answered, epoch seconds

    @property
    def key(self) -> str:
        return answer_key(self.visitor_id, self.guide_id)


def answer_key(visitor_id: str, guide_id: str) -> str:
    """One answer's key in the store (visitor and guide; hashed: no visitor id in the store's keys)."""
    return hashlib.sha256(f"{visitor_id}\n{guide_id}".encode()).hexdigest()[:32]


def _score(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and 0 <= value <= 10 else None


def _text(value: Any) -> str | None:
    return value.strip()[:COMMENT_LIMIT] or None if isinstance(value, str) else None


def _id(data: dict[str, Any], name: str, limit: int = 1000) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise PayloadError(f"{name} is missing or not a string")
    return value


def parse_answer(body: bytes) -> PendoAnswer | str:
    """The answer in Pendo's webhook body, or the reason it is ignored (another event, no answer).
    Raises PayloadError for a body that is not Pendo's webhook."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PayloadError("not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise PayloadError("not a Pendo webhook event")
    event = data["event"]
    if event not in EVENTS:
        return "another event"
    props = data.get("properties")
    if not isinstance(props, dict):
        raise PayloadError("properties is missing")
    unique, visitor, guide = _id(data, "uniqueId", 200), _id(data, "visitorId"), _id(props, "guideId", 200)
    nps: dict[str, Any] = props["nps"] if isinstance(props.get("nps"), dict) else {}
    response = props.get("pollResponse")
    score = _score(nps.get("rating"))
    if score is None and event == "npsSubmitted":
        score = _score(response)
    comment = _text(nps.get("reason"))
    if comment is None and event == "pollSubmitted" and _score(response) is None:
        comment = _text(response)
    if score is None and comment is None:
        return "no answer"
    account = data.get("accountId")
    described = props.get("guideProperties")
    name = described.get("name") if isinstance(described, dict) else None
    stamp = data.get("timestamp")
    at = (
        float(stamp) if isinstance(stamp, int | float) and not isinstance(stamp, bool) and stamp > 0 else None
    )
    if at is not None and at > 1e11:  # milliseconds, not seconds
        at /= 1000
    return PendoAnswer(
        event,
        unique,
        visitor,
        account if isinstance(account, str) and account else None,
        guide,
        name.strip()[:200] or None if isinstance(name, str) else None,
        score,
        comment,
        at,
    )


def _payload(answer: PendoAnswer, phase: str) -> dict[str, Any]:
    return {
        "phase": phase,
        "key": answer.key,
        "visitor": answer.visitor_id,
        "account": answer.account_id,
        "guide": answer.guide_id,
        "guide_name": answer.guide_name,
        "score": answer.score,
        "comment": answer.comment if phase == "score" else None,
        "at": answer.at,
    }


async def store_answer(
    queue: NoteQueue, settings: Settings, answer: PendoAnswer, *, wait: float = COMMENT_WAIT
) -> str:
    """Store what `answer` asks for (a score's job, a comment and its job): "queued", "duplicate" (its
    uniqueId seen), "not_detractor" (dropped), or "full". Raises QueueUnavailable."""
    jobs, now = queue.jobs, time.time()
    seen = f"pendo-webhook:{answer.unique_id}"
    if not await jobs.mark(seen, now=now, until=now + DEDUPE_SECONDS):
        return "duplicate"
    try:
        outcome = await _store(queue, settings, answer, now, wait)
    except BaseException:
        with contextlib.suppress(Exception):
            await jobs.unmark(seen)
        raise
    if outcome == "full":
        await jobs.unmark(seen)
    return outcome


async def _store(queue: NoteQueue, settings: Settings, answer: PendoAnswer, now: float, wait: float) -> str:
    jobs, key = queue.jobs, answer.key
    if answer.score is not None:
        if settings.nps_alerts == "detractor" and answer.score > DETRACTOR_MAX:
            return "not_detractor"
        known = answer.comment is not None or await jobs.marked(f"nps-comment:{key}", now=now) is not None
        score = json.dumps(_payload(answer, "score") | {"first_seen": now})  # a comment's job may post it
        await jobs.mark(f"nps-score:{key}", now=now, until=now + COMMENT_KEEP, value=score)
        stored = await queue.submit_job(
            NPS_KIND, 0, _payload(answer, "score"), key=f"nps:{key}", delay=0.0 if known else wait
        )
        if stored is None:
            return "full"
        if stored or answer.comment is None:  # the comment went with the score, or there is none
            return "queued"
    assert answer.comment is not None
    await jobs.mark(f"nps-comment:{key}", now=now, until=now + COMMENT_KEEP, value=answer.comment)
    stored = await queue.submit_job(NPS_KIND, 0, _payload(answer, "comment"), key=f"nps-comment:{key}")
    return "full" if stored is None else "queued"


def _refuse(status: int, reason: str, *, outcome: str, text: str | None = None) -> Response:
    log.warning("pendo webhook refused", extra={"status": status, "reason": reason})
    PENDO_WEBHOOK.labels(outcome).inc()
    return PlainTextResponse(text or reason, status_code=status)


def _retry_later(text: str, seconds: int, *, outcome: str) -> Response:
    """503 with Retry-After: nothing was stored, Pendo sends the delivery again."""
    PENDO_WEBHOOK.labels(outcome).inc()
    return PlainTextResponse(text, status_code=503, headers={"retry-after": str(seconds)})


def pendo_webhook_route(
    settings: Settings, queue: NoteQueue | None, inflight: InFlight, *, wait: float = COMMENT_WAIT
) -> Route | None:
    """The route (`deps.settings, deps.note_queue, deps.inflight`), or None when it is not configured: no
    token, no queue (it needs Zendesk connected), or no alert channel. `wait`: how long a score waits for
    its comment (tests shorten it)."""
    if settings.pendo_webhook_token is None or queue is None or not Rules.from_settings(settings).channels:
        return None
    token = settings.pendo_webhook_token.get_secret_value().encode()
    redact_server_paths()  # uvicorn's access line names the path: never the token

    async def pendo_webhook(request: Request) -> Response:
        given = str(request.path_params.get("token", "")).encode()
        if not hmac.compare_digest(given, token):
            return _refuse(404, "not found", outcome="token", text="Not Found")
        if not inflight.accepting:
            return _retry_later("shutting down", 5, outcome="shutting_down")
        refused = length_problem(request.headers.get("content-length"), MAX_BODY)
        if refused is not None:
            return _refuse(*refused, outcome="size")
        try:
            body = await read_capped(request.receive, MAX_BODY, settings.body_read_timeout_seconds)
        except BodyTimeout:
            return _refuse(*SLOW_BODY, outcome="slow")
        if body is None:
            return _refuse(413, "body too large", outcome="size")
        try:
            answer = parse_answer(body)
        except PayloadError as exc:
            return _refuse(400, "unexpected body", outcome="body", text=str(exc))
        if isinstance(answer, str):
            PENDO_WEBHOOK.labels("ignored").inc()
            return JSONResponse({"ok": True, "ignored": answer})
        try:
            outcome = await store_answer(queue, settings, answer, wait=wait)
        except Exception as exc:  # the store down (QueueUnavailable) or failing: nothing stored, a 503
            if not isinstance(exc, QueueUnavailable):
                log.exception("pendo webhook: the queue failed")
            return _retry_later("busy", 30, outcome="unavailable")
        if outcome == "full":
            log.warning("pendo webhook: the queue is full, asking Pendo to retry")
            return _retry_later("busy", 60, outcome="full")
        PENDO_WEBHOOK.labels(outcome).inc()
        return JSONResponse({"ok": True, "outcome": outcome})

    return Route(PENDO_PATH, pendo_webhook, methods=["POST"])
