"""`Route`: what a listener module declares (kind, id, handler); `register_listeners` does the rest.

Acks without Bolt's polling. By default Bolt's async runner starts a listener as a task and then polls
`ack.response` every 10 ms until the listener has acked: at 100 requests at once that is 10,000 wake-ups a
second, and each ack waits up to 10 ms plus the queue. Bolt's own `process_before_response=True` (an
upstream option, made for FaaS) instead awaits the listener and answers Slack when it returns. So the app
runs with that option and every handler is wrapped by `acked_early`: the handler runs as its own task and
the wrapper returns the moment the handler calls `ack()` (or ends), so Bolt answers Slack then, while
the rest of the handler carries on. Handlers without an `ack` parameter (events, which Bolt acks itself)
return at once. Either way the work after the ack first lets the acks still pending go out
(`bot.inflight.PendingAcks`).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp

from bot.inflight import InFlight, PendingAcks

log = logging.getLogger(__name__)
Kind = Literal["command", "action", "event", "view", "shortcut", "options"]
Handler = Callable[..., Coroutine[Any, Any, None]]
_RUNNING: set[asyncio.Task[None]] = set()  # handlers still at work after their ack (kept referenced)


@dataclass(frozen=True)
class Route:
    kind: Kind
    key: str | re.Pattern[str]  # the command, action_id, event type, callback_id (or a pattern)
    handler: Handler
    # Work after the ack that a restart must not drop (`bot.inflight`): None for a quick handler; else
    # whether the "cut short" notice replaces the message the handler answers through `respond`.
    tracked: Literal["replace", "new"] | None = None


def _finished(task: asyncio.Task[None]) -> None:
    _RUNNING.discard(task)
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("listener failed after its ack", exc_info=exc)


def acked_early(handler: Handler, acks: PendingAcks | None = None) -> Handler:
    """`handler` as its own task; the returned listener returns as soon as it has acked (or ended).

    An error before the ack is raised here, so Bolt answers 500 and logs it as before; one after the ack
    is logged. Bolt still sees the handler's own arguments (through `functools.wraps`). With `acks`, the
    work after the ack (a whole handler without `ack`) waits for the pending acks first.
    """
    takes_ack = "ack" in inspect.signature(handler).parameters
    pending = acks or PendingAcks()

    async def after_acks(**kwargs: Any) -> None:
        await pending.wait()
        await handler(**kwargs)

    @functools.wraps(handler)
    async def early(**kwargs: Any) -> None:
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acked = False

        def settle(_: object = None) -> None:
            if not answered.done():
                answered.set_result(None)

        if takes_ack:
            bolt_ack = kwargs["ack"]

            async def ack(*args: Any, **more: Any) -> Any:
                nonlocal acked
                try:
                    return await bolt_ack(*args, **more)
                finally:
                    acked = True
                    settle()
                    # At least one turn of the loop: Bolt sends this ack, and the requests still
                    # waiting for theirs get them, before the work after the ack takes the CPU.
                    await asyncio.sleep(0)
                    await pending.wait()

            kwargs["ack"] = ack
        task = asyncio.ensure_future(handler(**kwargs) if takes_ack else after_acks(**kwargs))
        _RUNNING.add(task)
        if not takes_ack:
            task.add_done_callback(_finished)
            return
        task.add_done_callback(settle)  # it may end (or fail) without acking
        await answered
        if task.done() and not acked:
            _RUNNING.discard(task)
            task.result()  # ended without an ack: its error (if any) is Bolt's to answer
            return
        task.add_done_callback(_finished)

    return early


def add_route(app: AsyncApp, route: Route, inflight: InFlight) -> None:
    registrar: Callable[[str | re.Pattern[str]], Callable[[Handler], Any]] = getattr(app, route.kind)
    handler = route.handler
    if route.tracked is not None:
        handler = inflight.responding(handler, replace=route.tracked == "replace")
    registrar(route.key)(acked_early(handler, inflight.acks))
