"""Slack listeners, one module per surface, registered in one place."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, home, unfurls
from bot.listeners.access import AccessPolicy
from bot.services import Services


def register_listeners(app: AsyncApp, services: Services) -> None:
    access = AccessPolicy(services.settings, services.cache)
    commands.register(app, services, access)
    actions.register(app, services, access)
    home.register(app, services)
    unfurls.register(app, services)
