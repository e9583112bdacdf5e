"""`pendo-bot notes` (what waits, what was given up, retry one or all) and what `pendo-bot check` says
about the notes' queue store (a Redis that could drop it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.notes.jobs import JobStore, QueueUnavailable

Say = Callable[[str], None]


def _kind(kind: str) -> str:
    """ " (alert)" for a job that is not a note (`bot.alerts.tickets`): a note's line stays as it was."""
    return "" if kind == "note" else f" ({kind})"


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def notes_command(jobs: JobStore, *, retry: str | None, say: Say) -> int:
    """List the waiting and given-up notes; with `retry` (a ticket number or `all`), queue given-up
    notes again. Exit code 0, or 1 when the store cannot be reached or the ticket is not given up."""
    now = time.time()
    try:
        if retry is not None:
            key = None if retry == "all" else f"note:{retry.lstrip('#')}"
            revived = await jobs.revive(key, now=now)
            if key is not None and not revived:
                say(f"Ticket #{retry.lstrip('#')} has no given-up note: nothing to retry.")
                return 1
            say(f"Queued {revived} given-up note(s) again; a running bot writes them within seconds.")
            return 0
        waiting, given_up = await jobs.waiting(), await jobs.given_up()
    except QueueUnavailable as exc:
        say(f"FAIL the notes' queue cannot be reached: {exc}")
        return 1
    say(f"Waiting: {len(waiting)}")
    for job in sorted(waiting, key=lambda j: j.first_seen):
        due = "now" if job.due <= now else f"at {_when(job.due)}"
        say(
            f"  ticket #{job.ticket_id}{_kind(job.kind)}  since {_when(job.first_seen)}  attempts {job.attempts}"
            f"  next {due}"
        )
    say(f"Given up: {len(given_up)}")
    for gone in sorted(given_up, key=lambda g: g.given_up_at):
        say(
            f"  ticket #{gone.ticket_id}{_kind(gone.kind)}  since {_when(gone.first_seen)}"
            f"  given up {_when(gone.given_up_at)}"
            f"  after {gone.attempts} attempt(s): {gone.reason}"
        )
    if given_up:
        say("Retry one with `pendo-bot notes --retry TICKET`, or all with `pendo-bot notes --retry all`.")
    return 0


async def redis_warnings(client: Any) -> list[str]:
    """What in Redis's configuration could drop queued notes: an eviction policy other than
    `noeviction` (Redis may delete the queue's keys under memory pressure) and no persistence (a Redis
    restart empties the queue). Empty when the configuration keeps them; a line when it cannot be read."""
    try:
        policy = (await client.config_get("maxmemory-policy")).get("maxmemory-policy", "")
        persistence = await client.info("persistence")
        save = (await client.config_get("save")).get("save", "")
    except Exception as exc:  # CONFIG may be disabled on a managed Redis
        return [
            f"could not read Redis's configuration ({type(exc).__name__}): check by hand that "
            "maxmemory-policy is noeviction and that RDB or AOF persistence is on"
        ]
    warnings = []
    if policy and policy != "noeviction":
        warnings.append(
            f"Redis's maxmemory-policy is {policy}: under memory pressure it may delete queued notes. "
            "Set it to noeviction (or give the bot a Redis of its own)."
        )
    if not persistence.get("aof_enabled") and not str(save).strip():
        warnings.append(
            "Redis has neither AOF nor RDB snapshots on: a Redis restart drops the queued notes. "
            "Turn on appendonly (or snapshots)."
        )
    return warnings
