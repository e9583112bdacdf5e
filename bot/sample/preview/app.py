"""The preview's HTTP side: the page and its assets, what the page needs to play Slack, and the bot itself.

Routes on one port (default http://127.0.0.1:3000):
- `POST /slack/events`, `GET /healthz`, `GET /readyz`: the real bot (`bot.slack.web`), as Slack would reach it;
- `GET /`: the Slack-like page (plain HTML, CSS and JS from `static/`, no build step);
- `GET /demo/config`: channels, people, the ticket host, the sidebar's suggestions, the switches;
- `POST /demo/reader`: the reader's Slack profile zone (what `users.info` answers): the page's own;
- `POST /demo/sign`: Slack's request signature for a body (the page signs what it sends, as Slack does);
- `GET /demo/calls?after=N`: what the bot sent to the fake Slack Web API and response_url since N;
- `POST /demo/switch`: a Pendo fault or the subscription time zone (restarts the bot);
- `GET /demo/zendesk`, `POST /demo/zendesk/file`: the sample Zendesk's new tickets and their Pendo notes;
- `GET /demo/pendo`, `POST /demo/pendo/answer`: a sample visitor's NPS answer, sent as Pendo's webhooks.

Every request must name this machine in its `Host` (a loopback name, or the `--host` the demo was
started with), so a page that rebinds its own DNS name to 127.0.0.1 cannot read the page's routes; and
every POST must come from the page itself (`Origin`, when the browser sends one, on an allowed host and
this port), so another site cannot switch Pendo "down" or have bodies signed with a no-preflight POST.
Refusals are 403 with one log line.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from importlib import resources
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.sample.preview.pendo_panel import pendo_page, send_answer
from bot.sample.preview.scenarios import scenarios
from bot.sample.preview.stack import (
    FAULTS,
    INTERNAL_CHANNEL,
    READER,
    SHARED_CHANNEL,
    TIME_ZONES,
    DemoStack,
)
from bot.sample.preview.zendesk_panel import file_ticket, zendesk_page
from bot.sample.slack_api import BOT_USER_ID, TEAM_ID

log = logging.getLogger(__name__)
BOT_PATHS = ("/slack/events", "/healthz", "/readyz")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
POLL_WAIT = 0.8  # a long poll ends well within uvicorn's graceful shutdown


def _page() -> str:
    return resources.files("bot.sample.preview").joinpath("static/index.html").read_text(encoding="utf-8")


WILDCARDS = ("0.0.0.0", "::", "")


def _this_machine() -> set[str]:
    """This machine's name and addresses: what a browser elsewhere uses when the demo serves on every
    interface (`--host 0.0.0.0`)."""
    name = socket.gethostname()
    found = {name.lower()}
    with suppress(OSError):
        found |= {str(info[4][0]).lower() for info in socket.getaddrinfo(name, None)}
    return found


def _hostname(value: str) -> tuple[str, int | None] | None:
    """(lower-cased host name, port or None) of a Host header value, or None when it is not one."""
    try:
        parts = urlsplit(f"//{value}")
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def request_refusal(scope: Scope, hosts: frozenset[str]) -> str | None:
    """Why this request must not be served (a foreign Host, a cross-origin POST), or None."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    host = _hostname(headers.get("host", ""))
    if host is None or host[0] not in hosts:
        return "Host is not this machine"
    if scope["method"] not in ("GET", "HEAD") and "origin" in headers:
        origin = headers["origin"]
        parts = urlsplit(origin) if origin != "null" else None
        try:
            origin_host = ((parts.hostname or "").lower(), parts.port) if parts else None
        except ValueError:
            origin_host = None
        if origin_host is None or parts is None or parts.scheme != "http" or origin_host != host:
            return "Origin is not this page"
    return None


def create_preview_app(stack: DemoStack, *, host: str = "127.0.0.1") -> ASGIApp:
    """The page and the bot on one ASGI app; `stack` must be started (or be started by the lifespan).
    `host`: the address the demo serves on; requests must name it or a loopback name."""
    hosts = LOOPBACK_NAMES | {host.strip("[]").lower()} | (_this_machine() if host in WILDCARDS else set())

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
                    {
                        "id": stack.alerts_channel,
                        "name": "cs-alerts",
                        "shared": False,
                        "topic": "Ticket alerts: file a ticket as Jane Doe (a detractor) on the Zendesk page",
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

    async def reader(request: Request) -> Response:
        try:
            zone = str((await request.json()).get("tz") or "")
        except (ValueError, AttributeError):
            zone = ""
        if zone not in available_timezones():
            return JSONResponse({"error": "tz must be an IANA time zone"}, status_code=400)
        stack.set_reader_zone(zone)
        return JSONResponse({"tz": zone})

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
            Route("/demo/reader", reader, methods=["POST"]),
            Route("/demo/zendesk", functools.partial(zendesk_page, stack=stack), methods=["GET"]),
            Route("/demo/zendesk/file", functools.partial(file_ticket, stack=stack), methods=["POST"]),
            Route("/demo/pendo", functools.partial(pendo_page, stack=stack), methods=["GET"]),
            Route("/demo/pendo/answer", functools.partial(send_answer, stack=stack), methods=["POST"]),
            Mount("/static", app=StaticFiles(packages=[("bot.sample.preview", "static")]), name="static"),
        ],
        lifespan=lifespan,
    )

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (refusal := request_refusal(scope, hosts)):
            log.warning("demo request refused", extra={"reason": refusal, "path": scope["path"][:100]})
            await PlainTextResponse(f"refused: {refusal}", status_code=403)(scope, receive, send)
            return
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
    }
