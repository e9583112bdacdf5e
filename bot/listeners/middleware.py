"""App-wide middleware, registered in one place (`bot.listeners.register_listeners`), in this order:

1. `attach_services`: puts the services in Bolt's context, where every listener finds them.
2. `skip_duplicate_events`: Slack delivers an event again when it did not see our 200 in time (a
   restart, a deploy, a slow answer). The event ID decides, not the retry header: the first delivery to
   reach us runs, whether or not it carries `x-slack-retry-num`, and every later one is acked and dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.services import Services

Next = Callable[[], Awaitable[Any]]
Middleware = Callable[..., Awaitable[BoltResponse | None]]
EVENT_TTL = 3900.0  # Slack retries an event three times within about an hour
SERVICES_KEY = "services"


def services_of(context: AsyncBoltContext) -> Services:
    """The services `attach_services` put in this request's context."""
    services = context.get(SERVICES_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("the services middleware did not run: register listeners with register_listeners")
    return services


def attach_services(services: Services) -> Middleware:
    async def attach_services(context: AsyncBoltContext, next: Next) -> BoltResponse | None:
        context[SERVICES_KEY] = services
        await next()
        return None

    return attach_services


async def skip_duplicate_events(
    body: dict[str, Any], context: AsyncBoltContext, next: Next
) -> BoltResponse | None:
    if body.get("type") == "event_callback" and body.get("event_id"):
        fresh = await services_of(context).slack_cache.claim(("event", str(body["event_id"])), EVENT_TTL)
        if not fresh:
            return BoltResponse(status=200, body="")
    await next()
    return None


def middleware(services: Services) -> list[Middleware]:
    """Every app-wide middleware, in the order it runs (after Bolt's signature check and authorization)."""
    return [attach_services(services), skip_duplicate_events]
