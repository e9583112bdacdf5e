"""`pendo-bot serve`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode under uvicorn."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from bot import metrics
from bot.alerts.channels import alert_channels, startup_error
from bot.deps import Deps
from bot.endpoints import prometheus
from bot.notes.endpoint import webhook_server
from bot.settings import Settings, SettingsError
from bot.slack.app import build_app, start

log = logging.getLogger(__name__)


def describe(deps: Deps) -> str:
    settings = deps.settings
    lookup = settings.pendo_email_field or "visitor ID"
    if deps.sample:
        return f"answering from the embedded sample workspace and helpdesk (email lookup: {lookup})"
    zendesk = settings.zendesk_host if deps.tickets else "not connected (ticket features off)"
    return (
        f"connected to Pendo {settings.pendo_effective_region} (email lookup: {lookup}) and Zendesk {zendesk}"
    )


def startup_warnings(deps: Deps) -> list[str]:
    """Settings that are valid but probably wrong, said once at start-up (and by `pendo-bot check`)."""
    suffix = deps.settings.pendo_key_suffix_warning
    return [suffix] if suffix and not deps.sample else []


def alert_channel_error(deps: Deps) -> str | None:
    """At start-up: an alert channel shared outside the organisation (Slack Connect) is a configuration
    error naming its variable; one the bot is not in is a warning (`pendo-bot check` names it too). When
    Slack cannot be asked now, each post checks its channel anyway."""
    settings = deps.settings
    if settings.alerts_channel is not None and deps.alerts is None:
        log.warning("ALERTS_CHANNEL is set but Zendesk or its webhook is not connected: no ticket alerts")
    if deps.alerts is None:
        return None
    client = deps.alerts.poster.client
    try:
        channels = asyncio.run(alert_channels(client, settings))
    except Exception as exc:
        log.warning(
            "Slack could not say whether the alert channels are shared; each alert checks its channel",
            extra={"error": type(exc).__name__},
        )
        return None
    for c in channels:
        if c.problem and not c.shared:
            log.warning(f"alert channel {c.channel} ({c.variable}): {c.problem}")
    return startup_error(channels)


def settle_gc() -> None:
    """Once, after start-up and before serving (HTTP or Socket Mode): move every object alive now (the
    imported modules, the deps, the Bolt app: hundreds of thousands, never garbage) out of the
    collector's reach.

    A full collection walks every tracked object: in a burst of 100 lookups one paused the bot for about
    60 ms. `gc.freeze` keeps the start-up objects in a permanent generation the collector never visits;
    the collection just before it means nothing that is already garbage is kept forever. (Collecting the
    young generation less often as well saved no CPU the bench could see, and held about 6 MB more per
    10,000 lookups: the thresholds stay CPython's.)
    """
    gc.collect()
    gc.freeze()


def serve(
    settings: Settings,
    open_deps: Callable[[], Deps],
    *,
    socket: bool = False,
    http: bool = False,
    port: int | None = None,
) -> int:
    """Check the Slack side, then build the deps (`open_deps`, the CLI's live-or-sample choice) and run."""
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
        deps = open_deps()
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    for warning in startup_warnings(deps):
        log.warning(warning)
    problem = alert_channel_error(deps)
    if problem:
        print(f"Configuration error: {problem}", file=sys.stderr)
        return 2
    if use_socket:
        settle_gc()
        asyncio.run(_socket_mode(settings, deps, describe(deps)))
        return 0
    import uvicorn

    from bot.slack.web import create_web_app

    web = create_web_app(build_app(settings, deps), deps)
    settle_gc()
    bind = port or settings.port
    extra = f", GET /metrics on {settings.metrics_port}" if settings.metrics_port else ""
    extra += ", GET /metrics (with METRICS_TOKEN)" if settings.metrics_token else ""
    log.info(
        f"HTTP mode on port {bind}: POST /slack/events, GET /healthz, GET /readyz{extra}; {describe(deps)}"
    )
    uvicorn.run(
        web,
        host="0.0.0.0",
        port=bind,
        proxy_headers=True,
        # Only these peers may name the client (X-Forwarded-For, logged as its address): the load
        # balancer's address, never "*" unless the proxy in front overwrites the header.
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # MAX_CONNECTIONS: open connections (and requests under way) past this are answered 503 at once,
        # so slow or idle clients cannot take every socket; a body's own time limit is in bot.http.bodies.
        limit_concurrency=settings.max_connections,
        # Open HTTP requests (acks) end fast; the work after them is drained by the app's lifespan,
        # for SHUTDOWN_GRACE_SECONDS (see bot.inflight).
        timeout_graceful_shutdown=5,
        log_config=None,  # uvicorn's lines go through our handler: JSON when asked, secrets redacted
        log_level=settings.log_level.lower(),
    )
    return 0


SOCKET_KINDS = {"slash_commands": "command", "events_api": "event", "interactive": "interaction"}


async def _socket_mode(settings: Settings, deps: Deps, description: str) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_sdk.socket_mode.request import SocketModeRequest

    class TimedSocketModeHandler(AsyncSocketModeHandler):
        """Bolt's handler; the time from an envelope's arrival to its ack goes to the ack metric."""

        async def handle(self, client: Any, req: SocketModeRequest) -> None:
            arrived = time.perf_counter()
            await super().handle(client, req)
            kind = SOCKET_KINDS.get(req.type, "other")
            if kind == "interaction" and (req.payload or {}).get("type") == "block_suggestion":
                kind = "options"
            metrics.acked(kind, time.perf_counter() - arrived)

    app = build_app(settings, deps)
    await start(app, deps)
    assert settings.slack_app_token is not None
    handler = TimedSocketModeHandler(app, settings.slack_app_token.get_secret_value())
    stop_metrics = None
    if settings.metrics_port is not None:
        stop_metrics = await prometheus.start_listener(settings.metrics_host, settings.metrics_port)
    log.info(f"Socket Mode: {description}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with webhook_server(deps, settings.port):  # POST /zendesk/webhook when configured
            connecting = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]
            await stop.wait()
        log.info("Socket Mode: stopping (signal)")
        connecting.cancel()  # still retrying to connect: give up
        await handler.close_async()  # type: ignore[no-untyped-call]  # no new events; work under way drains
        await deps.drain()
    finally:
        if stop_metrics is not None:
            await stop_metrics()
        await deps.aclose()
