"""Work started after an ack, tracked so a restart finishes it or says it was cut short, never drops it.

A listener acks Slack at once and answers later (through `response_url` or `chat.unfurl`). That later
part runs under `InFlight.run`, which gives it one deadline for all its upstream calls
(`bot.deadline`) and remembers how to tell the user it was cut short. On shutdown
(`drain`), new work is refused, running work gets a grace period to finish, and whatever is still
running is cancelled and its `cut_short` message sent: an agent sees "cut short by a restart, try
again", and an unfurl never stays on "Looking up…".
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from bot import metrics
from bot.deadline import answer_deadline
from bot.render import messages as message_blocks
from bot.render import notices

log = logging.getLogger(__name__)

CutShort = Callable[[], Awaitable[None]]
Listener = Callable[..., Coroutine[Any, Any, None]]
T = TypeVar("T")
NOTICE_TIMEOUT = 5.0  # seconds to send the cut-short notices once the grace period is over


class InFlight:
    def __init__(self, *, deadline: float, grace: float) -> None:
        """`deadline`: seconds one answer may spend on upstream calls; `grace`: seconds a shutdown waits."""
        self.deadline = deadline
        self.grace = grace
        self.accepting = True
        self._work: dict[asyncio.Task[Any], CutShort] = {}

    async def run(self, work: Coroutine[Any, Any, T], *, cut_short: CutShort) -> T | None:
        """Run `work` to its end, tracked until then; its result, or None if it was cut short.

        `work` handles its own errors. After a shutdown has begun it is not started at all: the user is
        told to try again at once. The caller being cancelled does not cancel `work` (a drain does).
        """
        if not self.accepting:
            work.close()
            metrics.CUT_SHORT.inc()
            await _notify(cut_short)
            return None
        task: asyncio.Task[T] = asyncio.ensure_future(self._bounded(work))
        self._work[task] = cut_short
        metrics.WORK_IN_FLIGHT.inc()
        task.add_done_callback(self._done)
        await asyncio.wait({task})
        return None if task.cancelled() else task.result()

    def responding(self, listener: Listener, *, replace: bool) -> Listener:
        """`listener` (a Bolt listener taking `respond`) run under `run`; cut short, it says so through
        `respond` (replacing the "Looking up…" note when `replace`). Bolt still sees the listener's own
        arguments (it reads them through `functools.wraps`)."""

        @functools.wraps(listener)
        async def tracked(**kwargs: Any) -> None:
            respond = kwargs["respond"]

            async def cut_short() -> None:
                await respond(
                    replace_original=replace,
                    response_type="ephemeral",
                    **message_blocks.notice_message(notices.CUT_SHORT, icon="🔁"),
                )

            await self.run(listener(**kwargs), cut_short=cut_short)

        return tracked

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._work.pop(task, None)
        metrics.WORK_IN_FLIGHT.dec()

    async def _bounded(self, work: Coroutine[Any, Any, T]) -> T:
        with answer_deadline(self.deadline):
            return await work

    async def drain(self, grace: float | None = None) -> tuple[int, int]:
        """Stop taking work; wait up to `grace` s; cancel the rest and send its notices.

        Returns (finished, cut short) among the work running when the drain began.
        """
        self.accepting = False
        pending = dict(self._work)
        if not pending:
            return 0, 0
        wait = self.grace if grace is None else grace
        log.info(
            "shutting down: waiting for work in flight", extra={"in_flight": len(pending), "grace": wait}
        )
        started = time.monotonic()
        _, late = await asyncio.wait(pending, timeout=wait)
        for task in late:
            task.cancel()
        metrics.CUT_SHORT.inc(len(late))
        if late:
            await asyncio.wait(late, timeout=1.0)
            await asyncio.gather(*(_notify(pending[task]) for task in late))
        log.info(
            "shutdown: work in flight ended",
            extra={
                "finished": len(pending) - len(late),
                "cut_short": len(late),
                "seconds": round(time.monotonic() - started, 2),
            },
        )
        return len(pending) - len(late), len(late)


async def _notify(cut_short: CutShort) -> None:
    try:
        await asyncio.wait_for(cut_short(), NOTICE_TIMEOUT)
    except Exception:  # Slack unreachable at shutdown: nothing more can be done
        log.warning("could not send a cut-short notice", exc_info=True)
