"""build_app: the Bolt AsyncApp from the settings and the services, with every listener registered."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners import register_listeners
from bot.services import Services
from bot.settings import Settings
from bot.slack_http import SlackHTTP, install

log = logging.getLogger(__name__)
OAUTH_VARS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


@contextmanager
def _without_oauth_env() -> Iterator[None]:
    """Bolt silently switches to OAuth (and drops the bot token) when both variables are set.

    This bot serves one workspace with a bot token, so they are hidden while the app is built.
    """
    saved = {name: os.environ.pop(name) for name in OAUTH_VARS if name in os.environ}
    if len(saved) == len(OAUTH_VARS):
        log.warning(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set but ignored: this bot uses SLACK_BOT_TOKEN"
        )
    try:
        yield
    finally:
        os.environ.update(saved)


def slack_client(settings: Settings) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=10)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


def build_app(settings: Settings, services: Services) -> AsyncApp:
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is required to run the Slack bot")
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    with _without_oauth_env():
        app = AsyncApp(
            client=slack_client(settings),
            signing_secret=secret or "socket-mode-does-not-verify-signatures",
            request_verification_enabled=secret is not None,
            name="pendo-context",
        )
    slack_http = SlackHTTP()  # one session for every Slack call (speed: no TLS context per call)
    install(app, slack_http)
    services.closers.append(slack_http.aclose)
    register_listeners(app, services)
    return app
