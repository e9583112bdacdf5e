"""App Home: what the bot does, how to use it, and what it is connected to (never a secret)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.render.home import home_view
from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    async def app_home_opened(event: dict[str, Any], client: Any) -> None:
        if event.get("tab") != "home":
            return
        await client.views_publish(
            user_id=event["user"], view=home_view(services.settings, sample=services.sample)
        )

    app.event("app_home_opened")(app_home_opened)
