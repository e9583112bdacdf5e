"""`pendo-bot serve`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode under uvicorn."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.app import build_app
from bot.services import Services, build_services
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)


def describe(settings: Settings, sandbox: bool) -> str:
    pendo = "the sample workspace" if settings.pendo_sandbox else f"Pendo {settings.pendo_effective_region}"
    if settings.zendesk_sandbox:
        zendesk = "the sample helpdesk" if sandbox else "not connected (ticket features off)"
    else:
        zendesk = settings.zendesk_host
    lookup = settings.pendo_email_field or "visitor ID"
    return f"connected to {pendo} (email lookup: {lookup}) and Zendesk {zendesk}"


def serve(
    settings: Settings,
    *,
    socket: bool = False,
    http: bool = False,
    port: int | None = None,
    sandbox: bool = False,
) -> int:
    use_socket = socket or (settings.socket_mode and not http)
    if settings.slack_bot_token is None:
        print("Configuration error: SLACK_BOT_TOKEN is required to run the bot (xoxb-…).", file=sys.stderr)
        return 2
    if use_socket and settings.slack_app_token is None:
        print("Configuration error: Socket Mode needs SLACK_APP_TOKEN (xapp-…).", file=sys.stderr)
        return 2
    if not use_socket and settings.slack_signing_secret is None:
        print("Configuration error: HTTP mode needs SLACK_SIGNING_SECRET.", file=sys.stderr)
        return 2
    try:
        services = build_services(settings, allow_sandbox=sandbox)
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if use_socket:
        asyncio.run(_socket_mode(settings, services, describe(settings, sandbox)))
        return 0
    import uvicorn

    from bot.web import create_web_app

    web = create_web_app(build_app(settings, services), services)
    bind = port or settings.port
    log.info(
        f"HTTP mode on port {bind}: POST /slack/events, GET /healthz, GET /readyz; {describe(settings, sandbox)}"
    )
    uvicorn.run(
        web,
        host="0.0.0.0",
        port=bind,
        proxy_headers=True,
        forwarded_allow_ips="*",
        timeout_graceful_shutdown=20,
        log_level=settings.log_level.lower(),
    )
    return 0


async def _socket_mode(settings: Settings, services: Services, description: str) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    app = build_app(settings, services)
    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
    log.info(f"Socket Mode: {description}")
    try:
        await handler.start_async()  # type: ignore[no-untyped-call]
    finally:
        await services.aclose()
