"""App-wide middleware, registered in one place (`bot.listeners.register_listeners`), in this order:

1. `attach_deps`: puts the deps in Bolt's context, where every listener finds them.
2. `skip_duplicate_events`: Slack delivers an event again when it did not see our 200 in time (a
   restart, a deploy, a slow answer). The event ID decides, not the retry header: the first delivery to
   reach us runs, whether or not it carries `x-slack-retry-num`, and every later one is acked and dropped.
3. `refuse_foreign_response_urls`: a request whose `response_url` (or one of its `response_urls`) does
   not point at Slack (see `gates.response_url_allowed`) is refused with a 400 and one log line before
   any listener runs, so nothing is ever posted there.

Each is a plain `async def` middleware function, registered with `app.middleware(func)` (Bolt's
documented way): Bolt passes it the arguments it names (`body`, `context`, `next`); it calls `next()` to
go on, or returns the response that ends the request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot import metrics
from bot.deps import Deps
from bot.gates import response_url_allowed

log = logging.getLogger(__name__)
Next = Callable[[], Awaitable[Any]]
Middleware = Callable[..., Awaitable[BoltResponse | None]]
EVENT_TTL = 3900.0  # Slack retries an event three times within about an hour
DEPS_KEY = "deps"


def deps_of(context: AsyncBoltContext) -> Deps:
    """The deps `attach_deps` put in this request's context."""
    deps = context.get(DEPS_KEY)
    if not isinstance(deps, Deps):
        raise RuntimeError("the deps middleware did not run: register listeners with register_listeners")
    return deps


def attach_deps(deps: Deps) -> Middleware:
    async def attach_deps(context: AsyncBoltContext, next: Next) -> BoltResponse | None:
        context[DEPS_KEY] = deps
        deps.slack_installed(context.team_id, context.bot_id)  # when auth.test failed at start-up
        await next()
        return None

    return attach_deps


async def skip_duplicate_events(
    body: dict[str, Any], context: AsyncBoltContext, next: Next
) -> BoltResponse | None:
    if body.get("type") == "event_callback" and body.get("event_id"):
        fresh = await deps_of(context).memo.claim(("event", str(body["event_id"])), EVENT_TTL)
        if not fresh:
            metrics.DUPLICATES.labels("event").inc()
            return BoltResponse(status=200, body="")
    await next()
    return None


def response_urls(body: dict[str, Any]) -> list[object]:
    """Every URL the request asks the bot to answer through (a command's or a click's `response_url`, a
    modal's `response_urls`)."""
    found: list[object] = [body["response_url"]] if body.get("response_url") is not None else []
    many = body.get("response_urls")
    if many is not None:
        items = many if isinstance(many, list) else [many]
        found += [item.get("response_url") if isinstance(item, dict) else item for item in items]
    return found


def _host(url: object) -> str:
    try:
        return (urlsplit(url).hostname or "?") if isinstance(url, str) else type(url).__name__
    except ValueError:
        return "?"


async def refuse_foreign_response_urls(
    body: dict[str, Any], context: AsyncBoltContext, next: Next
) -> BoltResponse | None:
    settings = deps_of(context).settings
    for url in response_urls(body):
        if not response_url_allowed(url, settings):
            log.warning("request refused: its response_url is not Slack's", extra={"host": _host(url)[:100]})
            return BoltResponse(status=400, body="response_url not allowed")
    await next()
    return None


def middleware(deps: Deps) -> list[Middleware]:
    """Every app-wide middleware, in the order it runs (after Bolt's signature check and authorization)."""
    return [attach_deps(deps), skip_duplicate_events, refuse_foreign_response_urls]
