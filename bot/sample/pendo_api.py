"""A fake Pendo Engage API v1 over the sample workspace, speaking the wire format the bot's client reads.

Visitor and account IDs contain `@`, `+` and `.`, and could contain an encoded `/`; visitor routes are
therefore split on the raw (still percent-encoded) path, so `/visitor/{id}`, `/visitor/{id}/history`
and `/visitor/metadata/{group}/{field}/{value}` never shadow each other.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.sample.aggregation import EventIndex, PipelineError, bounds, run_pipeline
from bot.sample.controls import ControlsMiddleware, FakeControls
from bot.sample.credentials import SAMPLE_PENDO_KEY
from bot.sample.data import APP_ID, DAY_MS, RawEvent, Workspace

_VISITOR_PREFIX = "/api/v1/visitor/"
_HISTORY_ID_FIELD = {"page": "pageId", "feature": "featureId", "trackType": "trackTypeId", "guide": "guideId"}
_SESSION_GAP_MS = 30 * 60_000


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class _RequireKey:
    """403 unless `x-pendo-integration-key` equals the key (Pendo answers 403 to unauthenticated calls)."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = Headers(scope=scope).get("x-pendo-integration-key", "").encode()
            if not hmac.compare_digest(given, self.key):
                await _error(403, "invalid or missing integration key")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _history(events: list[RawEvent], start: int, user_agent: dict[str, Any]) -> list[dict[str, Any]]:
    """History items for start <= ts < start + 24 h; a page's lastTs is its last activity before the next page."""
    lo, hi = bounds(events, start, start + DAY_MS)
    items = []
    for i in range(lo, hi):
        e = events[i]
        last = e.ts
        if e.kind in ("page", "untagged"):
            j = i + 1
            while j < len(events) and events[j].kind not in ("page", "untagged"):
                if events[j].ts - last > _SESSION_GAP_MS:
                    break
                last = events[j].ts
                j += 1
        item: dict[str, Any] = {"type": e.kind, "ts": e.ts, "lastTs": last, "duration": last - e.ts}
        if e.kind == "untagged":
            item["untaggedUrl"] = e.url
        else:
            item[_HISTORY_ID_FIELD[e.kind]] = e.object_id
        if e.kind == "guide":
            item["guideStepId"] = f"{e.object_id}-step-1"
        item |= {"appId": APP_ID, "uri": e.url, "parsedUserAgent": user_agent}
        items.append(item)
    return items


def create_pendo_app(
    ws: Workspace, key: str = SAMPLE_PENDO_KEY, *, controls: FakeControls | None = None
) -> Starlette:
    """The fake API as an ASGI app; `app.state.controls` injects faults and records requests.

    The workspace is indexed here: changes to `ws.events` after this call are not seen.
    """
    controls = controls or FakeControls()
    index = EventIndex.build(ws.events)
    catalogs = {"page": ws.pages, "feature": ws.features, "tracktype": ws.track_types, "guide": ws.guides}
    schemas = {"visitor": ws.visitor_schema, "account": ws.account_schema}

    def user_agent(visitor_id: str) -> dict[str, Any]:
        auto = ws.visitors.get(visitor_id, {}).get("metadata", {}).get("auto", {})
        return {
            "name": auto.get("lastbrowsername"),
            "version": auto.get("lastbrowserversion"),
            "os": auto.get("lastoperatingsystem"),
        }

    async def visitor(request: Request) -> Response:
        raw = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        segments = [unquote(s) for s in raw.removeprefix(_VISITOR_PREFIX).split("/")]
        if len(segments) == 4 and segments[0] == "metadata":
            return lookup(*segments[1:])
        if len(segments) == 2 and segments[1] == "history":
            return history(segments[0], request.query_params.get("starttime"))
        if len(segments) == 1 and segments[0] in ws.visitors:
            return JSONResponse(ws.visitors[segments[0]])
        return _error(404, "visitor not found")

    def lookup(group: str, field: str, value: str) -> Response:
        if not field.startswith("_lc_"):
            return _error(400, f"metadata lookups use the lower-cased index: _lc_{field}")
        name, wanted = field.removeprefix("_lc_"), value.lower()
        matches = [
            v
            for v in ws.visitors.values()
            if isinstance(found := v.get("metadata", {}).get(group, {}).get(name), str)
            and found.lower() == wanted
        ]
        return JSONResponse(matches)

    def history(visitor_id: str, starttime: str | None) -> Response:
        if starttime is None or not re.fullmatch(r"-?[0-9]+", starttime):
            return _error(400, "starttime must be an integer (epoch ms)")
        if visitor_id not in ws.visitors:
            return _error(404, "visitor not found")
        events = index.by_visitor.get(visitor_id, [])
        return JSONResponse(_history(events, int(starttime), user_agent(visitor_id)))

    async def account(request: Request) -> Response:
        account_id = request.path_params["account_id"]
        if account_id not in ws.accounts:
            return _error(404, "account not found")
        return JSONResponse(ws.accounts[account_id])

    async def catalog(request: Request) -> Response:
        items = catalogs.get(request.path_params["kind"])
        if items is None:
            return _error(404, "not found")
        if ids := request.query_params.get("id"):
            wanted = set(ids.split(","))
            items = [i for i in items if i["id"] in wanted]
        return JSONResponse(items)

    async def schema(request: Request) -> Response:
        found = schemas.get(request.path_params["kind"])
        return JSONResponse(found) if found is not None else _error(404, "unknown schema kind")

    async def aggregation(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "request body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("request"), dict):
            return _error(400, 'body must be {"response": {...}, "request": {"pipeline": [...]}}')
        response = body.get("response")
        if not isinstance(response, dict) or response.get("mimeType") != "application/json":
            return _error(400, "response.mimeType must be application/json")
        try:
            rows = run_pipeline(body["request"].get("pipeline"), ws, index)
        except PipelineError as exc:
            return _error(400, str(exc))
        return JSONResponse({"startTime": ws.now_ms, "results": rows})

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return _error(status, exc.detail if isinstance(exc, HTTPException) else "internal error")

    app = Starlette(
        routes=[
            Route("/api/v1/aggregation", aggregation, methods=["POST"]),
            Route("/api/v1/visitor/{rest:path}", visitor, methods=["GET"]),
            Route("/api/v1/account/{account_id:path}", account, methods=["GET"]),
            Route("/api/v1/metadata/schema/{kind}", schema, methods=["GET"]),
            Route("/api/v1/{kind}", catalog, methods=["GET"]),
        ],
        middleware=[Middleware(ControlsMiddleware, controls=controls), Middleware(_RequireKey, key=key)],
        exception_handlers={HTTPException: http_error},
    )
    app.state.controls = controls
    app.state.workspace = ws
    return app
