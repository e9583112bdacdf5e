"""One structured audit line per lookup: who asked, where, a keyed hash of the target, outcome, latency.

The target (an email, a visitor ID or a ticket) is never logged in clear. It is hashed with HMAC-SHA256
under a secret key, so repeated lookups of one customer can be correlated, but a list of emails cannot
be hashed by someone else to find out who was looked up.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

log = logging.getLogger("bot.audit")


class Auditor:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def target_hash(self, target: str) -> str:
        digest = hmac.new(self._key, target.strip().lower().encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

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
