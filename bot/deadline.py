"""When must this answer be done: the one deadline of an answer, read by everything below it.

An answer (a reply, an unfurl, a CLI lookup) starts its deadline once, with `answer_deadline`: the
listeners' `InFlight.run` at the ack, or the customer lookup's entry point when nothing started one.
Inside it (and in every task started from it) the customer lookup stops waiting for a part at the
deadline, `send_with_retry` neither retries nor waits past it, and each HTTP timeout is capped at what is
left of it. Nested blocks keep the earlier deadline. Imports nothing from the bot.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    end: float  # time.monotonic() by which the answer must be done
    seconds: float  # how long the answer was given, as configured: "Pendo did not answer in 8 s"

    def remaining(self) -> float:
        return self.end - time.monotonic()


_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("answer_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline of the answer under way, or None outside any answer."""
    return _CURRENT.get()


@contextmanager
def answer_deadline(seconds: float) -> Iterator[Deadline]:
    """One deadline for everything one answer asks of any upstream (Zendesk, then Pendo, and retries).

    Inside this block (and in tasks started from it), every upstream call stops at the block's deadline.
    Nested blocks keep the earlier deadline.
    """
    deadline = Deadline(time.monotonic() + seconds, seconds)
    outer = _CURRENT.get()
    if outer is not None and outer.end <= deadline.end:
        deadline = outer
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)
