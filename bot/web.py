"""HTTP mode: a Starlette app with /slack/events (commands, events, interactivity), /healthz, /readyz.

No per-instance state is needed for correctness, so several instances can sit behind a load balancer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.app import start
from bot.services import Services
from bot.upstream import UpstreamError

log = logging.getLogger(__name__)
READY_TTL = 30.0


def create_web_app(bolt: AsyncApp, services: Services) -> Starlette:
    handler = AsyncSlackRequestHandler(bolt)

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        """Ready when the settings are valid (they are, or the process would not run) and Pendo accepts the
        key; checked against Pendo at most every 30 s, however often the probe asks."""
        checks: dict[str, str] = {"settings": "ok"}
        status = 200
        try:
            await services.slack_cache.get_or_load(("readyz",), READY_TTL, services.pendo.verify)
            checks["pendo"] = "ok"
        except UpstreamError as exc:
            checks["pendo"] = exc.user_message
            status = 503
        return JSONResponse(checks, status_code=status)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await start(bolt)
        yield
        await services.aclose()

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
