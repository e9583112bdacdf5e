"""A fake Zendesk Support API (tickets with sideloads, and ticket search: `zendesk_search.py`) over the
sample workspace, in the real wire format.

Sideloads: `users`, `organizations`, `groups` and `custom_statuses` (the account has custom ticket
statuses on: a ticket's `status` is only its category, the label agents see is the sideloaded custom
status's `agent_label`). Sideloaded arrays come back in no particular order (reversed here, so the requester is never simply
first), error bodies are Zendesk's exact strings, and every response carries the rate-limit headers.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.sample.controls import ControlsMiddleware, FakeControls
from bot.sample.credentials import SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN
from bot.sample.data import Workspace
from bot.sample.helpdesk import Helpdesk
from bot.sample.zendesk_search import search_endpoint

RATE_LIMIT = 700
MAX_SHOW_MANY = 100
NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}
FORBIDDEN = {
    "error": {
        "title": "Forbidden",
        "message": "You do not have access to this page. Please contact the account owner of this help desk "
        "for further help.",
    }
}
UNAUTHENTICATED = {"error": "Couldn't authenticate you"}
SIDELOADS = ("users", "organizations", "groups", "custom_statuses")


class _RateLimitHeaders:
    """`x-rate-limit` / `x-rate-limit-remaining` on every response, counted per minute since start-up."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._started = time.monotonic()
        self._minute = 0
        self._used = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self._lock:
            minute = int((time.monotonic() - self._started) // 60)
            self._used = self._used + 1 if minute == self._minute else 1
            self._minute = minute
            remaining = max(0, RATE_LIMIT - self._used)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-rate-limit"] = str(RATE_LIMIT)
                headers["x-rate-limit-remaining"] = "0" if message["status"] == 429 else str(remaining)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _RequireCredentials:
    """Basic `{email}/token:{token}` or `Bearer {token}`; anything else is 401 as Zendesk words it."""

    def __init__(self, app: ASGIApp, email: str, token: str) -> None:
        self.app = app
        self.basic = f"{email}/token:{token}".encode()
        self.token = token.encode()

    def _accepts(self, authorization: str) -> bool:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return hmac.compare_digest(value.strip().encode(), self.token)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True)
            except (binascii.Error, ValueError):
                return False
            return hmac.compare_digest(decoded, self.basic)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._accepts(Headers(scope=scope).get("authorization", "")):
            response = JSONResponse(
                UNAUTHENTICATED, status_code=401, headers={"www-authenticate": 'Basic realm="Web Password"'}
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_zendesk_app(
    ws: Workspace,
    *,
    email: str = SAMPLE_ZENDESK_EMAIL,
    token: str = SAMPLE_ZENDESK_TOKEN,
    controls: FakeControls | None = None,
    helpdesk: Helpdesk | None = None,
) -> Starlette:
    """The fake API as an ASGI app; `app.state.controls` injects faults and records requests;
    `app.state.helpdesk` holds the tickets, comments, webhooks and triggers (see `helpdesk.py`)."""
    controls = controls or FakeControls()
    desk = helpdesk or Helpdesk(ws)

    def includes(request: Request) -> set[str]:
        return {part.strip() for part in request.query_params.get("include", "").split(",")} & set(SIDELOADS)

    def sideloads(tickets: list[dict[str, Any]], wanted: set[str]) -> dict[str, list[dict[str, Any]]]:
        ids: dict[str, list[int]] = {name: [] for name in SIDELOADS}
        for t in tickets:
            ids["users"] += [
                t[k] for k in ("requester_id", "submitter_id", "assignee_id") if t[k] is not None
            ]
            ids["organizations"] += [t["organization_id"]] if t["organization_id"] is not None else []
            ids["groups"] += [t["group_id"]] if t["group_id"] is not None else []
            ids["custom_statuses"] += [t["custom_status_id"]] if t.get("custom_status_id") is not None else []
        tables = {
            "users": ws.zendesk_users,
            "organizations": ws.zendesk_organizations,
            "groups": ws.zendesk_groups,
            "custom_statuses": ws.zendesk_custom_statuses,
        }
        return {
            name: [tables[name][i] for i in reversed(list(dict.fromkeys(ids[name]))) if i in tables[name]]
            for name in SIDELOADS
            if name in wanted
        }

    async def show_ticket(request: Request) -> Response:
        raw = request.path_params["ticket_id"].removesuffix(".json")
        ticket_id = int(raw) if raw.isdigit() else None
        if ticket_id in ws.forbidden_ticket_ids:
            return JSONResponse(FORBIDDEN, status_code=403)
        if ticket_id is None or ticket_id not in desk.tickets:
            return JSONResponse(NOT_FOUND, status_code=404)
        ticket = desk.tickets[ticket_id]
        return JSONResponse({"ticket": ticket, **sideloads([ticket], includes(request))})

    async def show_many(request: Request) -> Response:
        raw = [part.strip() for part in request.query_params.get("ids", "").split(",") if part.strip()]
        if not raw or not all(part.isdigit() for part in raw):
            return JSONResponse(
                {"error": "InvalidValue", "description": "ids must be a comma-separated list of ticket ids"},
                status_code=400,
            )
        if len(raw) > MAX_SHOW_MANY:
            return JSONResponse(
                {"error": "TooManyValues", "description": f"You can only request up to {MAX_SHOW_MANY} ids"},
                status_code=400,
            )
        wanted = [int(part) for part in dict.fromkeys(raw)]
        tickets = [desk.tickets[i] for i in wanted if i in desk.tickets and i not in ws.forbidden_ticket_ids]
        body = {"tickets": tickets, **sideloads(tickets, includes(request))}
        return JSONResponse(body | {"next_page": None, "previous_page": None, "count": len(tickets)})

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return JSONResponse(NOT_FOUND if status == 404 else {"error": "Error"}, status_code=status)

    app = Starlette(
        routes=[
            Route("/api/v2/tickets/show_many.json", show_many, methods=["GET"]),
            Route("/api/v2/tickets/show_many", show_many, methods=["GET"]),
            Route("/api/v2/tickets/{ticket_id:int}/comments.json", desk.list_comments, methods=["GET"]),
            Route("/api/v2/tickets/{ticket_id:int}/comments", desk.list_comments, methods=["GET"]),
            Route("/api/v2/tickets/{ticket_id:int}/tags.json", desk.add_tags, methods=["PUT"]),
            Route("/api/v2/tickets/{ticket_id:int}/tags", desk.add_tags, methods=["PUT"]),
            Route("/api/v2/tickets.json", desk.create_ticket, methods=["POST"]),
            Route("/api/v2/tickets", desk.create_ticket, methods=["POST"]),
            Route("/api/v2/tickets/{ticket_id}", show_ticket, methods=["GET"]),
            Route("/api/v2/tickets/{ticket_id}", desk.update_ticket, methods=["PUT"]),
            Route("/api/v2/webhooks", desk.list_webhooks, methods=["GET"]),
            Route("/api/v2/webhooks", desk.create_webhook, methods=["POST"]),
            Route("/api/v2/webhooks/{webhook_id}", desk.update_webhook, methods=["PUT", "PATCH"]),
            Route("/api/v2/triggers.json", desk.list_triggers, methods=["GET"]),
            Route("/api/v2/triggers.json", desk.save_trigger, methods=["POST"]),
            Route("/api/v2/triggers/{trigger_id}", desk.save_trigger, methods=["PUT"]),
            Route("/api/v2/ticket_fields.json", desk.list_ticket_fields, methods=["GET"]),
            Route("/api/v2/ticket_fields", desk.list_ticket_fields, methods=["GET"]),
            Route("/api/v2/ticket_fields/{field_id}", desk.show_ticket_field, methods=["GET"]),
            Route("/api/v2/search.json", search_endpoint(ws, desk), methods=["GET"]),
            Route("/api/v2/search", search_endpoint(ws, desk), methods=["GET"]),
            Route("/api/v2/users/me.json", desk.me, methods=["GET"]),
            Route("/api/v2/oauth/tokens/current.json", desk.current_token, methods=["GET"]),
        ],
        middleware=[
            Middleware(_RateLimitHeaders),
            Middleware(ControlsMiddleware, controls=controls),
            Middleware(_RequireCredentials, email=email, token=token),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.controls = controls
    app.state.workspace = ws
    app.state.helpdesk = desk
    return app
