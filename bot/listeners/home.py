"""App Home: what the bot does, how to use it, what it is connected to (never a secret), and the agent's
own preferences (`bot.listeners.preferences`)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.listeners.preferences import publish_home
from bot.listeners.routes import Route


async def app_home_opened(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, deps: Deps
) -> None:
    if event.get("tab") != "home":
        return
    shown = event.get("view")  # the Home view the agent has, when one was published before (its hash)
    home = shown if isinstance(shown, dict) and shown.get("type") == "home" else None
    await publish_home(deps, client, context.team_id or "", str(event["user"]), home)


ROUTES = [Route("event", "app_home_opened", app_home_opened)]
