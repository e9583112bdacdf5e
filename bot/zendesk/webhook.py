"""Zendesk webhooks: the signature check and the body the bot's trigger sends. No I/O.

Signature (developer.zendesk.com/documentation/webhooks/verifying/, and every public verifier we read):
`X-Zendesk-Webhook-Signature` is `base64(HMAC-SHA256(secret, TIMESTAMP + BODY))`, where TIMESTAMP is the
`X-Zendesk-Webhook-Signature-Timestamp` header exactly as sent (ISO 8601, e.g. `2021-07-25T10:00:00Z`),
BODY the raw request bytes, no separator, the signing secret used as UTF-8 bytes, the digest base64 (not
hex). Zendesk sets no replay window; the bot refuses timestamps more than 5 minutes away from its clock
(and, in `bot.notes.endpoint`, a delivery it has seen in the last 10 minutes).

Body: the bot's trigger (`bot.zendesk.setup.TRIGGER_BODY`) sends
`{"ticket_id": "{{ticket.id}}", "requester_email": "{{ticket.requester.email}}",
"created_at": "{{ticket.created_at_with_timestamp}}", "updated_at": "{{ticket.updated_at_with_timestamp}}"}`
(strings, since placeholders are text; the id may be a number too). The body is signed, so its values
are trusted: `WebhookBody` keeps them, and the note writer uses them to write with one request
(`bot.notes.writer`). Only `ticket_id` is required: a trigger still sending `{"ticket_id": …}` alone keeps
working, and an optional field that is empty (a requester without an email), malformed or missing is
treated as absent, never a 400. Other keys are ignored.

Zendesk's placeholder reference (support.zendesk.com/hc/en-us/articles/4408886858138) describes
`ticket.created_at_with_timestamp` as an ISO 8601 date/time and gives the example `2013-12-12T05:35Z`:
minute precision. A stamp without seconds cannot match the ticket's `updated_at` (which has seconds) in
a safe update, so `fresh` is False for it and the writer reads the ticket instead (`has_seconds`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.zendesk import links

SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
INVOCATION_HEADER = "x-zendesk-webhook-invocation-id"  # one per delivery attempt chain (when sent)
WINDOW_SECONDS = 300
MAX_BODY = 256 * 1024


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Zendesk sends for `body` at `timestamp` (what the sample and tests send too)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp_seconds(raw: str) -> float | None:
    """Epoch seconds of a timestamp header in ISO 8601 with a zone (the only form Zendesk sends); else None."""
    raw = raw.strip()
    if not raw or not raw.isascii() or raw.isdigit():
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None  # a time without a zone could be any time
    seconds = moment.timestamp()
    return seconds if math.isfinite(seconds) else None


def signature_problem(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> str | None:
    """None when the request is signed with `secret` within the window; else the reason, in a few words.

    `headers` has lower-cased names. The reason is for the log: it never carries the body or a header.
    """
    signature = headers.get(SIGNATURE_HEADER, "")
    stamp = headers.get(TIMESTAMP_HEADER, "")
    if not signature or not stamp:
        return "unsigned"
    seconds = timestamp_seconds(stamp)
    if seconds is None:
        return "bad timestamp"
    if abs(now - seconds) > WINDOW_SECONDS:
        return "stale timestamp"
    if not signature.isascii():
        return "bad signature"
    if not hmac.compare_digest(sign(secret, stamp, body).encode(), signature.strip().encode()):
        return "bad signature"
    return None


class WebhookBodyError(ValueError):
    """The body is not what the bot's trigger sends; the message says what was expected."""


_STAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?P<seconds>:\d{2}(?:\.\d{1,6})?)?(?:Z|z|[+-]\d{2}:?\d{2})"
)
MAX_EMAIL = 254


@dataclass(frozen=True)
class Stamp:
    """A time from the body: the moment, and whether it was given to the second (Zendesk's documented
    placeholder example has minutes only)."""

    at: datetime
    has_seconds: bool


def stamp_of(raw: object) -> Stamp | None:
    """An ISO 8601 date/time with a zone (`2026-12-07T11:05:37Z`, `2026-12-07T11:05Z`), else None."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    match = _STAMP.fullmatch(text) if text.isascii() else None
    if match is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or not math.isfinite(moment.timestamp()):
        return None
    return Stamp(moment, match.group("seconds") is not None)


def email_of(raw: object) -> str | None:
    """A requester email as the placeholder renders it, else None (empty when the requester has none)."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not 3 <= len(text) <= MAX_EMAIL or any(c.isspace() for c in text):
        return None
    local, at, domain = text.rpartition("@")
    return text if at and local and domain else None


@dataclass(frozen=True)
class WebhookBody:
    """What the trigger's signed body says: the ticket id, and (when sent and well-formed) the
    requester's email and the ticket's creation and last-update times."""

    ticket_id: int
    requester_email: str | None = None
    created_at: Stamp | None = None
    updated_at: Stamp | None = None

    @property
    def fresh(self) -> bool:
        """Enough to write without reading the ticket: the email, and both times to the second."""
        return (
            self.requester_email is not None
            and self.created_at is not None
            and self.updated_at is not None
            and self.created_at.has_seconds
            and self.updated_at.has_seconds
        )

    def payload(self) -> dict[str, str]:
        """The optional fields as the job stores them (`bot.notes.jobs.Job.payload`): the raw text."""
        out: dict[str, str] = {}
        if self.requester_email is not None:
            out["requester_email"] = self.requester_email
        for name in ("created_at", "updated_at"):
            stamp: Stamp | None = getattr(self, name)
            if stamp is not None:
                out[name] = _stamp_text(stamp)
        return out

    @classmethod
    def from_payload(cls, ticket_id: int, payload: Mapping[str, Any]) -> WebhookBody:
        """Back from a job's payload (anything malformed there is absent, as in the body)."""
        return cls(
            ticket_id,
            email_of(payload.get("requester_email")),
            stamp_of(payload.get("created_at")),
            stamp_of(payload.get("updated_at")),
        )


def _stamp_text(stamp: Stamp) -> str:
    """The stamp in the body's own precision (minutes stay minutes: `fresh` must read the same)."""
    text = stamp.at.isoformat(timespec="seconds" if stamp.has_seconds else "minutes")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def webhook_body(body: bytes) -> WebhookBody:
    """The trigger's JSON body. Raises WebhookBodyError (specific message) only for the ticket id."""
    data = _object_of(body)
    return WebhookBody(
        _ticket_id(data),
        email_of(data.get("requester_email")),
        stamp_of(data.get("created_at")),
        stamp_of(data.get("updated_at")),
    )


def _object_of(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WebhookBodyError(
            'the body is not JSON; the trigger must send {"ticket_id": "{{ticket.id}}"}'
        ) from None
    if not isinstance(data, dict):
        raise WebhookBodyError('the body is not a JSON object; expected {"ticket_id": "{{ticket.id}}"}')
    return data


def _ticket_id(data: dict[str, Any]) -> int:
    if "ticket_id" not in data:
        raise WebhookBodyError(
            'the body has no "ticket_id"; the trigger must send {"ticket_id": "{{ticket.id}}"}'
        )
    raw = data["ticket_id"]
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    value = links.ticket_id(text)  # the one rule for a ticket id given as digits
    if value is not None:
        return value
    if re.fullmatch(r"-?[0-9]+", text):
        raise WebhookBodyError('"ticket_id" is out of range for a Zendesk ticket id')
    raise WebhookBodyError('"ticket_id" is not a ticket number (a string of digits or a number)')
