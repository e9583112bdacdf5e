"""`Route`: what a listener module declares (kind, id, handler); `register_listeners` does the rest."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp

Kind = Literal["command", "action", "event", "view", "shortcut", "options"]
Handler = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Route:
    kind: Kind
    key: str | re.Pattern[str]  # the command, action_id, event type, callback_id (or a pattern)
    handler: Handler


def add_route(app: AsyncApp, route: Route) -> None:
    registrar: Callable[[str | re.Pattern[str]], Callable[[Handler], Any]] = getattr(app, route.kind)
    registrar(route.key)(route.handler)
