"""Zendesk webhooks: the signature check and the body the bot's trigger sends. No I/O.

Signature (developer.zendesk.com/documentation/webhooks/verifying/, and every public verifier we read):
`X-Zendesk-Webhook-Signature` is `base64(HMAC-SHA256(secret, TIMESTAMP + BODY))`, where TIMESTAMP is the
`X-Zendesk-Webhook-Signature-Timestamp` header exactly as sent (ISO 8601, e.g. `2021-07-25T10:00:00Z`),
BODY the raw request bytes, no separator, the signing secret used as UTF-8 bytes, the digest base64 (not
hex). Zendesk sets no replay window; the bot refuses timestamps more than 5 minutes away from its clock
(and, in `bot.notes.endpoint`, a delivery it has seen in the last 10 minutes).

Body: the bot's trigger sends `{"ticket_id": "{{ticket.id}}"}` (a string, since placeholders are text);
a number is accepted too, other keys are ignored, and names or emails in the body are never used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime

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


def ticket_id_of(body: bytes) -> int:
    """The ticket id in the trigger's JSON body. Raises WebhookBodyError with a specific message."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WebhookBodyError(
            'the body is not JSON; the trigger must send {"ticket_id": "{{ticket.id}}"}'
        ) from None
    if not isinstance(data, dict):
        raise WebhookBodyError('the body is not a JSON object; expected {"ticket_id": "{{ticket.id}}"}')
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
