"""`NoteQueue`: the notes the webhook asks for, written after its 200 by a few workers, retried within an hour.

Zendesk waits only seconds for a webhook's answer, so the endpoint submits the ticket id and answers at
once. A few workers (`workers`) write notes one ticket at a time each; every request they send spends
from the same Zendesk and Pendo budgets as the Slack answers (`bot.http.ratelimit`), so a burst of new tickets
is paced, never refused. A ticket already waiting is not queued twice (a duplicate delivery).

When Pendo or Zendesk fails for now (down, 429, the budget spent, a ticket that keeps changing), the
ticket is tried again after a growing wait (at least what a 429's `Retry-After` asked), for at most
`window` seconds after it first arrived; then the bot gives up with one log line. The last attempt
writes whatever it has, gaps labelled. Waiting tickets live in this instance's memory: a restart drops
them (the webhook was answered; an agent can still use "Add to ticket" in Slack).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.notes.writer import NoteResult, NoteStatus, TicketNotes

log = logging.getLogger(__name__)
WINDOW_SECONDS = 3600.0
BACKOFF_SECONDS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0)  # then 900 s each time, within the window
MAX_PENDING = 10_000


@dataclass
class _Job:
    first_seen: float
    attempts: int = 0
    final: bool = False


class NoteQueue:
    def __init__(
        self,
        notes: TicketNotes,
        *,
        workers: int = 4,
        window: float = WINDOW_SECONDS,
        backoff: Sequence[float] = BACKOFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.notes = notes
        self.window = window
        self.backoff = tuple(backoff)
        self._clock = clock
        self._workers_wanted = max(1, workers)
        self._workers: list[asyncio.Task[None]] = []
        self._due: list[tuple[float, int, int]] = []  # (due, order, ticket id): a heap
        self._order = itertools.count()
        self._pending: dict[int, _Job] = {}
        self._wake: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self.counts: Counter[str] = Counter()  # submitted, duplicate, written, already, skipped, …

    # --- what the webhook calls ---------------------------------------------------------------------
    def submit(self, ticket_id: int) -> bool | None:
        """Queue a note for `ticket_id`: True if queued, False if it is already waiting or being
        written (a duplicate delivery), None if the queue is full (answer 503: Zendesk retries)."""
        if ticket_id in self._pending:
            self.counts["duplicate"] += 1
            return False
        if len(self._pending) >= MAX_PENDING:
            self.counts["full"] += 1
            return None
        self.counts["submitted"] += 1
        self._pending[ticket_id] = _Job(first_seen=self._clock())
        self._push(ticket_id, self._clock())
        self._start()
        return True

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def idle(self) -> None:
        """Wait until no ticket is waiting or being written (tests, the benchmark, a graceful stop)."""
        while self._pending:
            assert self._idle is not None
            self._idle.clear()
            await self._idle.wait()

    async def aclose(self) -> None:
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()

    # --- the workers --------------------------------------------------------------------------------
    def _start(self) -> None:
        if self._wake is None:
            self._wake, self._idle = asyncio.Event(), asyncio.Event()
        self._workers = [t for t in self._workers if not t.done()]
        while len(self._workers) < self._workers_wanted:
            self._workers.append(asyncio.get_running_loop().create_task(self._work()))
        self._wake.set()

    def _push(self, ticket_id: int, due: float) -> None:
        heapq.heappush(self._due, (due, next(self._order), ticket_id))
        if self._wake is not None:
            self._wake.set()

    async def _next(self) -> int:
        assert self._wake is not None
        while True:
            wait: float | None = None
            if self._due:
                wait = self._due[0][0] - self._clock()
                if wait <= 0:
                    return heapq.heappop(self._due)[2]
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _work(self) -> None:
        while True:
            ticket_id = await self._next()
            job = self._pending[ticket_id]
            job.attempts += 1
            try:
                result = await self.notes.write(ticket_id, final=job.final)
            except Exception:  # a bug: one ticket fails, the worker goes on
                log.exception("pendo note failed", extra={"ticket": ticket_id})
                result = NoteResult(NoteStatus.FAILED, "internal error")
            self._settle(ticket_id, job, result)

    def _settle(self, ticket_id: int, job: _Job, result: NoteResult) -> None:
        if result.status is NoteStatus.BUSY or result.status is NoteStatus.RETRY:  # BUSY: look again later
            self.counts["retries"] += 1
            step = self.backoff[min(job.attempts - 1, len(self.backoff) - 1)] if self.backoff else 0.0
            delay = max(step, result.retry_after or 0.0)
            elapsed = self._clock() - job.first_seen
            if not job.final and elapsed + delay <= self.window:
                following = self.backoff[min(job.attempts, len(self.backoff) - 1)] if self.backoff else 0.0
                job.final = elapsed + delay + following > self.window
                self._push(ticket_id, self._clock() + delay)
                return
            self.counts["gave_up"] += 1
            log.warning(
                "pendo note not written: still failing after the retry window, giving up",
                extra={"ticket": ticket_id, "reason": result.reason, "attempts": job.attempts},
            )
        else:
            self.counts[result.status.value] += 1
            if result.status is NoteStatus.FAILED:
                log.warning("pendo note not written", extra={"ticket": ticket_id, "reason": result.reason})
        del self._pending[ticket_id]
        if not self._pending and self._idle is not None:
            self._idle.set()
