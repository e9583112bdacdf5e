"""`NoteQueue`: the notes the webhook asks for, kept in a durable store, written by a few workers.

The webhook stores a job (`bot.notes.jobs`: Redis with REDIS_URL, else the NOTES_DB SQLite file) before
it answers 200, so a note accepted is never lost: a restart, a SIGTERM or a crash leaves the job in the
store, and the next start (or another instance) writes it. Each worker claims one due job at a time under
a lease (NOTES_LEASE_SECONDS): a job whose process died is claimed again once its lease ran out, and the
writer's marker on the ticket (`bot.notes.writer`) finds a note that went through before the crash, so
nothing is written twice.

When Pendo or Zendesk fails for now (down, 429, the budget spent, a ticket that keeps changing), the job
waits a growing time (at least what a 429's `Retry-After` asked) and is tried again, for at most
NOTES_RETRY_HOURS after it arrived; the last attempt writes whatever it has, gaps labelled; a job still
failing then is given up: one log line, one audit line, a metric, and it is listed by `pendo-bot notes`,
which can retry it. On SIGTERM (`stop`), the workers take no new job, the writes under way get
SHUTDOWN_GRACE_SECONDS, and the rest are handed back to the store at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot import metrics
from bot.audit import Auditor, Outcome
from bot.http.shared import RedisLink
from bot.notes.jobs import Job, JobStore, QueueUnavailable, SqliteJobs
from bot.notes.jobs_redis import RedisJobs
from bot.notes.writer import NoteResult, NoteStatus, TicketNotes
from bot.zendesk.webhook import WebhookBody

log = logging.getLogger(__name__)
Handler = Callable[[Job], Awaitable[NoteResult]]  # a job of another kind (an alert): done, retry, give up
WINDOW_SECONDS = 24 * 3600.0  # NOTES_RETRY_HOURS' default
BACKOFF_SECONDS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)  # then hourly, within the window
LEASE_SECONDS = 300.0  # a write takes seconds (one lookup deadline, a few Zendesk calls); a dead owner's
# job waits this long before another worker takes it
POLL_SECONDS = 1.0  # how often an idle worker looks for jobs other processes stored
MAX_WAITING = 10_000
STOP_SECONDS = 2.0  # at least this long for idle workers to end on their own at a stop
OUTCOME = {
    NoteStatus.WRITTEN: Outcome.NOTE_ADDED,
    NoteStatus.ALREADY: Outcome.DUPLICATE,
    NoteStatus.SKIPPED: Outcome.NO_PENDO,
    NoteStatus.FAILED: Outcome.ERROR,
}


def note_jobs(redis: RedisLink, path: str, host: str) -> JobStore:
    """The notes' queue: in Redis with REDIS_URL (every instance shares it; keys under
    "<prefix>notes:<zendesk host>:", so deployments sharing one Zendesk share one queue), else in the
    SQLite file at `path` (processes on one host may share it)."""
    if redis.configured:
        return RedisJobs(redis.client, f"{redis.prefix}notes:{host}:")
    return SqliteJobs(path)


def retry_steps(first: float) -> tuple[float, ...]:
    """The waits between attempts, `BACKOFF_SECONDS` scaled so the first is `first` seconds."""
    return tuple(step * first / BACKOFF_SECONDS[0] for step in BACKOFF_SECONDS)


def owner_name() -> str:
    """This worker pool's name in the store's leases: host, process, and a random part (a restarted
    process with the same pid is another owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class NoteQueue:
    def __init__(
        self,
        notes: TicketNotes,
        jobs: JobStore,
        *,
        auditor: Auditor | None = None,
        workers: int = 4,
        window: float = WINDOW_SECONDS,
        backoff: Sequence[float] = BACKOFF_SECONDS,
        lease: float = LEASE_SECONDS,
        poll: float = POLL_SECONDS,
        limit: int = MAX_WAITING,
        clock: Callable[[], float] = time.time,
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        """`handlers`: kind → what does a job of that kind (the alerts' jobs share the queue); "note"
        jobs go to `notes`."""
        self.notes = notes
        self.handlers = dict(handlers or {})
        self.jobs = jobs
        self.auditor = auditor or Auditor("pendo-context-notes")
        self.window = window
        self.backoff = tuple(backoff)
        self.lease = lease
        self.poll = poll
        self.limit = limit
        self.owner = owner_name()
        self._clock = clock
        self._workers_wanted = max(1, workers)
        self._workers: list[asyncio.Task[None]] = []
        self._writing: dict[asyncio.Task[None], Job] = {}
        self._wake: asyncio.Event | None = None
        self._next_due: float | None = None  # this process's earliest retry: wake for it
        self._stopping = False
        self._warned_at = -60.0
        self._gauged_at = -60.0
        self.counts: Counter[str] = Counter()  # submitted, duplicate, written, already, skipped, …

    # --- what the webhook calls ---------------------------------------------------------------------
    async def submit(self, ticket_id: int, payload: dict[str, str] | None = None) -> bool | None:
        """Store a note job for `ticket_id`: True if stored, False if one is already waiting or being
        written (a duplicate delivery), None if the queue is full (answer 503: Zendesk retries).
        Raises QueueUnavailable when the store cannot be reached (answer 503 too)."""
        return await self.submit_job("note", ticket_id, payload)

    async def submit_job(
        self,
        kind: str,
        ticket_id: int,
        payload: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        delay: float = 0.0,
    ) -> bool | None:
        """Store a job of `kind` (key "<kind>:<ticket id>" unless given), due `delay` seconds from now (an
        NPS score waits for its comment): as `submit`."""
        now = self._clock()
        job = Job(key or f"{kind}:{ticket_id}", kind, ticket_id, now, dict(payload or {}), due=now + delay)
        stored = await self.jobs.add(job, limit=self.limit)
        if stored is None:
            self.counts["full"] += 1  # the endpoint answers 503 and counts the refusal
        elif not stored:
            self.counts["duplicate"] += 1
        else:
            self.counts["submitted"] += 1
            self.start()
            assert self._wake is not None
            self._wake.set()
        return stored

    async def idle(self, timeout: float = 60.0) -> None:
        """Wait until no job is waiting or being written (tests, the benchmark)."""
        until = time.monotonic() + timeout
        while (await self.jobs.depth(self._clock()))[0] and time.monotonic() < until:
            await asyncio.sleep(0.02)

    # --- the workers --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers (at start-up too: jobs a stopped process left are written now)."""
        if self._stopping:
            return
        if self._wake is None:
            self._wake = asyncio.Event()
        self._workers = [t for t in self._workers if not t.done()]
        while len(self._workers) < self._workers_wanted:
            self._workers.append(asyncio.get_running_loop().create_task(self._work()))

    async def stop(self, grace: float = 0.0) -> None:
        """Take no new job; let the writes under way finish within `grace` seconds; hand the rest back."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()  # idle workers see `_stopping` and end; a job claimed meanwhile goes back
        workers = [t for t in self._workers if not t.done()]
        if self._writing and grace > 0:
            log.info(
                "shutting down: notes being written", extra={"notes": len(self._writing), "grace": grace}
            )
        if workers:
            await asyncio.wait(workers, timeout=max(grace, STOP_SECONDS))
        cut = dict(self._writing)
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for job in cut.values():  # cancelled mid-write: the marker tells the next writer if it went through
            with contextlib.suppress(QueueUnavailable):
                await self.jobs.release(job, self.owner)
        if cut:
            log.info("shutdown: notes left queued for the next start", extra={"notes": len(cut)})
        self._workers.clear()

    async def aclose(self) -> None:
        await self.stop()
        await self.jobs.aclose()

    async def _next(self) -> Job | None:
        """The next due job, leased to this process; None once `stop` began."""
        assert self._wake is not None
        while not self._stopping:
            await self._gauge()
            try:
                job = await self.jobs.claim(self.owner, now=self._clock(), lease=self.lease)
            except Exception as exc:  # the store down, or a row it cannot read: try again after a pause
                self._unavailable(exc)
                job = None
            if job is not None:
                if self._stopping:  # claimed while the stop began: back at once, for the next start
                    with contextlib.suppress(Exception):
                        await self.jobs.release(job, self.owner)
                    return None
                return job
            wait = self.poll
            if self._next_due is not None:
                wait = max(0.0, min(wait, self._next_due - self._clock()))
                if wait == 0.0:
                    self._next_due = None
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
        return None

    def _unavailable(self, exc: Exception) -> None:
        """One warning a minute at most, with the cause (never a job's data: the store's own message)."""
        now = time.monotonic()
        if now - self._warned_at >= 60:
            self._warned_at = now
            log.warning(
                "notes: the queue's store is unavailable, trying again",
                extra={"error": f"{type(exc).__name__}: {str(exc)[:200]}"},
            )

    async def _gauge(self) -> None:
        """The queue's depth and oldest age, at most once per poll, busy or idle (a backlog is when they
        matter most)."""
        now = time.monotonic()
        if now - self._gauged_at < self.poll:
            return
        self._gauged_at = now
        with contextlib.suppress(Exception):
            depth, oldest = await self.jobs.depth(self._clock())
            metrics.NOTE_QUEUE_DEPTH.set(depth)
            metrics.NOTE_QUEUE_OLDEST.set(oldest)

    async def _work(self) -> None:
        while True:
            job = await self._next()
            if job is None:
                return
            task = asyncio.current_task()
            assert task is not None
            self._writing[task] = job
            try:
                try:
                    result = await self._write(job)
                except Exception:  # a bug: one ticket fails, the worker goes on
                    log.exception("pendo note failed", extra={"ticket": job.ticket_id})
                    result = NoteResult(NoteStatus.FAILED, "internal error")
                await self._settle(job, result)
            except Exception:  # the store failed: the lease runs out and the job is claimed again
                log.warning("notes: could not record a note's outcome", extra={"ticket": job.ticket_id})
            finally:
                del self._writing[task]
            if self._stopping:
                return

    async def _write(self, job: Job) -> NoteResult:
        """The writer, told what the signed webhook body said (when it said more than the id); a job of
        another kind to its handler."""
        if job.kind != "note":
            handler = self.handlers.get(job.kind)
            if handler is None:  # stored by a newer version: kept, listed, retriable once it is known
                return NoteResult(NoteStatus.FAILED, f"no handler for {job.kind!r} jobs")
            return await handler(job)
        if not job.payload:
            return await self.notes.write(job.ticket_id, final=job.final)
        hint = WebhookBody.from_payload(job.ticket_id, job.payload)
        return await self.notes.write(job.ticket_id, final=job.final, hint=hint)

    async def _settle(self, job: Job, result: NoteResult) -> None:
        attempts = job.attempts + 1
        if result.status is NoteStatus.BUSY or result.status is NoteStatus.RETRY:  # BUSY: look again later
            step = self.backoff[min(attempts - 1, len(self.backoff) - 1)] if self.backoff else 0.0
            delay = max(step, result.retry_after or 0.0)
            now = self._clock()
            elapsed = now - job.first_seen
            busy = result.status is NoteStatus.BUSY  # another writer has the ticket: not an attempt of ours
            if (busy or not job.final) and elapsed + delay <= self.window + (self.lease if busy else 0.0):
                following = self.backoff[min(attempts, len(self.backoff) - 1)] if self.backoff else 0.0
                final = job.final or elapsed + delay + following > self.window
                self.counts["retries"] += 1
                if job.kind == "note":
                    metrics.NOTES.labels("retry").inc()
                await self.jobs.retry(job, self.owner, due=now + delay, final=final)
                self._next_due = min(self._next_due or now + delay, now + delay)
                return
            self.counts["gave_up"] += 1
            if job.kind == "note":
                metrics.NOTES.labels("gave_up").inc()
            await self.jobs.give_up(job, self.owner, reason=result.reason, at=now)
            log.warning(
                "pendo note not written: still failing after the retry window, giving up",
                extra={"ticket": job.ticket_id, "reason": result.reason, "attempts": attempts},
            )
            self._audit(job, Outcome.ERROR, f"gave_up:{result.reason}")
            return
        self.counts[result.status.value] += 1
        if job.kind == "note":  # the alerts count their own (bot.metrics.ALERTS)
            metrics.NOTES.labels(result.status.value).inc()
        if result.status is NoteStatus.FAILED:  # kept where `pendo-bot notes` lists it and can retry it
            await self.jobs.give_up(job, self.owner, reason=result.reason, at=self._clock())
            log.warning("pendo note not written", extra={"ticket": job.ticket_id, "reason": result.reason})
        else:
            await self.jobs.done(job, self.owner)
        self._audit(job, OUTCOME.get(result.status, Outcome.UNKNOWN), result.reason)

    def _audit(self, job: Job, outcome: Outcome, detail: str) -> None:
        target = f"ticket #{job.ticket_id}"
        with self.auditor.audit("note_webhook", user="zendesk", channel="", target=target) as entry:
            entry.set(outcome, detail)
