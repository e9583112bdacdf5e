"""One structured audit line per action: who asked, where, a keyed hash of the target, outcome, latency.

The target (an email, a visitor ID or a ticket) is never logged in clear. It is hashed with HMAC-SHA256
under a secret key, so repeated lookups of one customer can be correlated, but a list of emails cannot
be hashed by someone else to find out who was looked up.

Listeners open `Auditor.audit(...)` once per action and set the outcome on the entry it yields; the line
is written when the block exits, however it exits (an early return, an exception, a cancellation).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from bot import metrics

log = logging.getLogger("bot.audit")


class Outcome(StrEnum):
    """How an action ended, as written in the audit line (with a detail after a colon for some)."""

    FOUND = "found"
    PARTIAL = "partial"  # found, with labelled gaps
    OPTED_OUT = "opted_out"
    AMBIGUOUS = "ambiguous"
    NOT_FOUND = "not_found"
    NO_PENDO = "no_pendo"  # a ticket whose requester could not be looked up in Pendo
    SHARED = "shared"
    DUPLICATE = "duplicate"  # a second click on a Share that already posted: nothing posted again
    NOTE_ADDED = "note_added"  # "Add to ticket": the Pendo note was written on the Zendesk ticket
    INVALID = "invalid"  # input the bot could not parse
    STALE = "stale"  # a button whose value the bot can no longer read
    NOT_CONNECTED = "not_connected"  # a ticket question while Zendesk is not connected
    REFUSED = "refused"  # detail: why (an access list, `external`, Slack's error code)
    UNDELIVERED = "undelivered"  # the answer was ready but Slack did not take it
    ERROR = "error"  # detail: the error kind (`AuthError`, `internal`, ...)
    # unfurls
    FULL = "full"
    HEADER_ONLY = "header_only"
    NUMBER_ONLY = "number_only"
    SKIPPED_EXTERNAL = "skipped_external"
    UNKNOWN = "unknown"  # the action ended without saying how: a bug, but still a line

    def label(self, detail: str = "") -> str:
        return f"{self.value}:{detail}" if detail else self.value


@dataclass
class AuditEntry:
    """What one action did; the listener fills it in, `Auditor.audit` writes it."""

    action: str
    user: str
    channel: str
    targets: list[str] = field(default_factory=list)  # one line per target (an unfurl may have several)
    outcome: Outcome | None = None
    detail: str = ""

    def set(self, outcome: Outcome, detail: str = "") -> None:
        self.outcome, self.detail = outcome, detail


class Auditor:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def target_hash(self, target: str) -> str:
        digest = hmac.new(self._key, target.strip().lower().encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    @contextmanager
    def audit(self, action: str, *, user: str, channel: str, target: str = "") -> Iterator[AuditEntry]:
        """Yields the entry to fill in; writes its line(s) on every exit, an exception included."""
        entry = AuditEntry(action, user, channel, [target] if target else [])
        started = time.monotonic()
        try:
            yield entry
        except BaseException as exc:
            if entry.outcome is None:
                entry.set(Outcome.ERROR, "internal" if isinstance(exc, Exception) else "cancelled")
            raise
        finally:
            outcome = entry.outcome or Outcome.UNKNOWN
            metrics.answered(entry.action, entry.targets, outcome.value, time.monotonic() - started)
            for one in entry.targets or [""]:
                self.record(
                    entry.action,
                    user=entry.user,
                    channel=entry.channel,
                    target=one,
                    outcome=outcome.label(entry.detail),
                    started=started,
                )

    def record(
        self, action: str, *, user: str, channel: str, target: str, outcome: str, started: float
    ) -> None:
        log.info(
            "audit",
            extra={
                "action": action,
                "user": user,
                "channel": channel,
                "target": self.target_hash(target) if target else "",
                "outcome": outcome,
                "latency_ms": round((time.monotonic() - started) * 1000),
            },
        )
