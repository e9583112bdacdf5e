"""Slack listeners, one module per surface, registered in one place."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, home, message_actions, unfurls
from bot.listeners.access import AccessPolicy
from bot.listeners.channels import ChannelPolicy
from bot.services import Services


def register_listeners(app: AsyncApp, services: Services) -> None:
    access = AccessPolicy(services.settings, services.slack_cache)
    channels = ChannelPolicy(services.slack_cache)
    commands.register(app, services, access)
    actions.register(app, services, access, channels)
    home.register(app, services)
    message_actions.register(app, services)
    if services.tickets is not None:
        unfurls.register(app, services, services.tickets, channels)
