"""One structured audit line per lookup: who asked, where, a hash of the target, outcome, latency.

The target (an email, a visitor ID or a ticket) is never logged in clear: a salted-free short SHA-256
is enough to correlate repeated lookups without storing customer data in logs.
"""

from __future__ import annotations

import hashlib
import logging
import time

log = logging.getLogger("bot.audit")


def target_hash(target: str) -> str:
    return hashlib.sha256(target.strip().lower().encode()).hexdigest()[:16]


def audit(action: str, *, user: str, channel: str, target: str, outcome: str, started: float) -> None:
    log.info(
        "audit",
        extra={
            "action": action,
            "user": user,
            "channel": channel,
            "target": target_hash(target) if target else "",
            "outcome": outcome,
            "latency_ms": round((time.monotonic() - started) * 1000),
        },
    )
