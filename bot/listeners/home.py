"""App Home: what the bot does, how to use it, and what it is connected to (never a secret)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners.middleware import deps_of
from bot.listeners.routes import Route
from bot.render.home import home_view


async def app_home_opened(event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
    if event.get("tab") != "home":
        return
    deps = deps_of(context)
    await client.views_publish(user_id=event["user"], view=home_view(deps.settings, sample=deps.sample))


ROUTES = [Route("event", "app_home_opened", app_home_opened)]
