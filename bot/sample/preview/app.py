"""The preview's HTTP side: the page and its assets, what the page needs to play Slack, and the bot itself.

Routes on one port (default http://127.0.0.1:3000):
- `POST /slack/events`, `GET /healthz`, `GET /readyz`: the real bot (`bot.web`), as Slack would reach it;
- `GET /`: the Slack-like page (plain HTML, CSS and JS from `static/`, no build step);
- `GET /demo/config`: channels, people, the ticket host, the sidebar's suggestions, the switches;
- `POST /demo/sign`: Slack's request signature for a body (the page signs what it sends, as Slack does);
- `GET /demo/calls?after=N`: what the bot sent to the fake Slack Web API and response_url since N;
- `POST /demo/switch`: a Pendo fault or the subscription time zone (restarts the bot);
- `GET /demo/zendesk`, `POST /demo/zendesk/file`: the sample Zendesk's new tickets and their Pendo notes.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.sample.preview.scenarios import scenarios
from bot.sample.preview.stack import (
    FAULTS,
    INTERNAL_CHANNEL,
    READER,
    SHARED_CHANNEL,
    TIME_ZONES,
    DemoStack,
    subscription_tz_supported,
)
from bot.sample.preview.zendesk_panel import file_ticket, zendesk_page
from bot.sample.slack_api import BOT_USER_ID, TEAM_ID

BOT_PATHS = ("/slack/events", "/healthz", "/readyz")
POLL_WAIT = 0.8  # a long poll ends well within uvicorn's graceful shutdown


def _page() -> str:
    return resources.files("bot.sample.preview").joinpath("static/index.html").read_text(encoding="utf-8")


def create_preview_app(stack: DemoStack) -> ASGIApp:
    """The page and the bot on one ASGI app; `stack` must be started (or be started by the lifespan)."""

    async def index(_: Request) -> Response:
        return HTMLResponse(_page(), headers={"cache-control": "no-store"})

    async def config(_: Request) -> Response:
        settings = stack.settings()
        host = settings.zendesk_host or ""
        assert stack.ws is not None
        return JSONResponse(
            {
                "team": {"id": TEAM_ID, "name": "Sample Support"},
                "reader": {"id": READER, "name": "Alex Agent"},
                "bot": {"id": BOT_USER_ID, "name": "pendo", "app_id": "A0DEMO001"},
                "users": {READER: "Alex Agent", BOT_USER_ID: "pendo", "U012ABCDEF": "Robin Lead"},
                "channels": [
                    {
                        "id": INTERNAL_CHANNEL,
                        "name": "support",
                        "shared": False,
                        "topic": "Internal support team",
                    },
                    {
                        "id": SHARED_CHANNEL,
                        "name": "ext-acme",
                        "shared": True,
                        "topic": "Slack Connect with Acme: nothing unfurls here",
                    },
                ],
                "unfurl_domains": sorted(settings.zendesk_ticket_hosts),
                "ticket_url": f"https://{host}/agent/tickets/{{id}}",
                "response_url_base": f"{stack.slack_url}/response/",
                "scenarios": scenarios(
                    stack.ws,
                    host,
                    email_field=settings.pendo_email_field,
                    dedupe_seconds=settings.unfurl_dedupe_seconds,
                ),
                "switches": _switches(stack),
                "seq": stack.slack.last_seq,
            }
        )

    async def sign(request: Request) -> Response:
        body = (await request.body()).decode("utf-8")
        stamp = str(int(time.time()))
        signature = SignatureVerifier(stack.signing_secret).generate_signature(timestamp=stamp, body=body)
        return JSONResponse({"x-slack-request-timestamp": stamp, "x-slack-signature": signature})

    async def calls(request: Request) -> Response:
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            return JSONResponse({"error": "after must be an integer"}, status_code=400)
        deadline = time.monotonic() + POLL_WAIT
        items = stack.slack.since(after)
        while not items and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            items = stack.slack.since(after)
        return JSONResponse({"items": items, "seq": max([after, *(i["seq"] for i in items)])})

    async def switch(request: Request) -> Response:
        try:
            wanted = await request.json()
            await stack.restart(fault=wanted.get("fault"), subscription_tz=wanted.get("subscription_tz"))
        except (ValueError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(_switches(stack))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if stack.bot is None:
            await asyncio.to_thread(stack.start)
        yield
        await stack.aclose()

    page = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/demo/config", config, methods=["GET"]),
            Route("/demo/sign", sign, methods=["POST"]),
            Route("/demo/calls", calls, methods=["GET"]),
            Route("/demo/switch", switch, methods=["POST"]),
            Route("/demo/zendesk", functools.partial(zendesk_page, stack=stack), methods=["GET"]),
            Route("/demo/zendesk/file", functools.partial(file_ticket, stack=stack), methods=["POST"]),
            Mount("/static", app=StaticFiles(packages=[("bot.sample.preview", "static")]), name="static"),
        ],
        lifespan=lifespan,
    )

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in BOT_PATHS:
            await stack.bot_asgi(scope, receive, send)
            return
        await page(scope, receive, send)

    return app


def _switches(stack: DemoStack) -> dict[str, Any]:
    return {
        "fault": stack.fault,
        "faults": FAULTS,
        "subscription_tz": stack.subscription_tz,
        "time_zones": list(TIME_ZONES),
        "subscription_tz_supported": subscription_tz_supported(),
    }
