"""`Route`: what a listener module declares (kind, id, handler); `add_route` hands it to Bolt.

Each route is registered with Bolt's own decorator for its kind (`app.command`, `app.event`, ...) and runs
on Bolt's default runtime: Bolt starts the listener as a task and answers Slack as soon as it has called
`ack()` (events are acked by Bolt before the listener runs), while the rest of the listener carries on.
A route whose work after the ack must survive a restart is run under `bot.inflight.InFlight.responding`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp

from bot.inflight import InFlight

Kind = Literal["command", "action", "event", "view", "shortcut", "options"]
Handler = Callable[..., Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Route:
    kind: Kind
    key: str | re.Pattern[str]  # the command, action_id, event type, callback_id (or a pattern)
    handler: Handler
    # Work after the ack that a restart must not drop (`bot.inflight`): None for a quick handler; else
    # whether the "cut short" notice replaces the message the handler answers through `respond`.
    tracked: Literal["replace", "new"] | None = None


def add_route(app: AsyncApp, route: Route, inflight: InFlight) -> None:
    registrar: Callable[[str | re.Pattern[str]], Callable[[Handler], Any]] = getattr(app, route.kind)
    handler = route.handler
    if route.tracked is not None:
        handler = inflight.responding(handler, replace=route.tracked == "replace")
    registrar(route.key)(handler)
