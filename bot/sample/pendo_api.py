"""A fake Pendo Engage API v1 over the sample workspace, speaking the wire format the bot's client reads.

Visitor and account IDs contain `@`, `+` and `.`, and could contain an encoded `/`; visitor routes are
therefore split on the raw (still percent-encoded) path, so `/visitor/{id}`, `/visitor/{id}/history`
and `/visitor/metadata/{group}/{field}/{value}` never shadow each other.

Where real Pendo is known to differ from the obvious, the fake does what Pendo does
(shared/reference/pendo-api.md §3, §7, §11, §12):

- days are the subscription's days (`Workspace.timezone`, default America/Chicago): see aggregation.py;
- history is one day per call, in one of two readings Pendo's sources disagree on, chosen per app
  (`history_reading`): "calendar", the subscription's calendar day containing `starttime`, or "24h", the
  24 hours from `starttime`; only about 180 days are kept (older days answer `[]`); items miss optional
  fields (`lastTs`, `duration`, `uri`, `parsedUserAgent`) now and then, as tap-pendo's schema allows;
- the `_lc_` metadata lookup answers 400 for a field with no lower-cased index (only `agent/email` has
  one here);
- a key for another region gets 400, not 401/403 (`wrong_region_keys`); any other wrong key gets 403;
- an admin may change the subscription's time zone while the bot runs (`app.state.set_timezone`);
- 429s (injected through the controls) carry no `Retry-After` unless a test asks for one;
- event rows carry frustration-signal counts and replay ids (friction-replays-alerts.md F2, R2; see
  aggregation.py); a subscription may not collect the counts (`friction_fields=False`,
  `app.state.set_friction_fields`): then no row carries them;
- event data may lag (`lag_hours`, `app.state.set_lag_hours`; pendo-api.md §7: Pendo processes event
  data by the hour, and hourly aggregates have been seen 4-6 h late): with a lag L > 0 every event
  source of the aggregation endpoint leaves out the events at or after the start of the (local) hour
  containing `now - L h`; pollEvents and the visitor history are not held back. `now` is the
  workspace's `now_ms` advanced by the wall-clock time since the app was created (the workspace is
  built at the real "now" by `connect()`, at a fixed one by tests: either way the sample's clock), or
  `clock()` when given.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.sample.aggregation import EventIndex, PipelineError, Serving, bounds, run_pipeline
from bot.sample.controls import ControlsMiddleware, FakeControls
from bot.sample.credentials import SAMPLE_PENDO_KEY
from bot.sample.data import APP_ID, DAY_MS, HOUR_MS, RawEvent, Workspace, hash_id

HistoryReading = Literal["calendar", "24h"]
HISTORY_READINGS: tuple[HistoryReading, ...] = ("calendar", "24h")
HISTORY_RETENTION_MS = 180 * DAY_MS
LOWER_CASED_INDEXES = frozenset({("agent", "email")})
_VISITOR_PREFIX = "/api/v1/visitor/"
_HISTORY_ID_FIELD = {"page": "pageId", "feature": "featureId", "trackType": "trackTypeId", "guide": "guideId"}
_SESSION_GAP_MS = 30 * 60_000


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class _RequireKey:
    """403 unless `x-pendo-integration-key` equals the key (Pendo answers 403 to unauthenticated calls);
    400 for a key of another region's subscription (Pendo answers 400 there, not 401/403)."""

    def __init__(self, app: ASGIApp, key: str, wrong_region_keys: frozenset[str]) -> None:
        self.app = app
        self.key = key.encode()
        self.wrong_region = {k.encode() for k in wrong_region_keys}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = Headers(scope=scope).get("x-pendo-integration-key", "").encode()
            if any(hmac.compare_digest(given, k) for k in self.wrong_region):
                await _error(400, "bad request")(scope, receive, send)
                return
            if not hmac.compare_digest(given, self.key):
                await _error(403, "invalid or missing integration key")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _history(
    events: list[RawEvent], start: int, end: int, user_agent: dict[str, Any]
) -> list[dict[str, Any]]:
    """History items for start <= ts < end; a page's lastTs is its last activity before the next page.

    About one item in six lacks some optional fields (missing or null), as real items may.
    """
    lo, hi = bounds(events, start, end)
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
        item |= {"appId": e.app_id, "uri": e.url, "parsedUserAgent": user_agent}
        sparse = hash_id(f"{e.visitor_id}:{e.ts}") % 6
        if sparse == 0:
            item |= {"lastTs": None, "duration": None, "uri": None}
        elif sparse == 1:
            for name in ("lastTs", "duration", "parsedUserAgent", "appId"):
                item.pop(name)
        items.append(item)
    return items


def create_pendo_app(
    ws: Workspace,
    key: str = SAMPLE_PENDO_KEY,
    *,
    controls: FakeControls | None = None,
    history_reading: HistoryReading = "calendar",
    wrong_region_keys: frozenset[str] = frozenset(),
    timezone: str | None = None,
    lag_hours: int = 0,
    friction_fields: bool = True,
    clock: Callable[[], int] | None = None,
) -> Starlette:
    """The fake API as an ASGI app; `app.state.controls` injects faults and records requests.

    The workspace is indexed here: changes to `ws.events` after this call are not seen.
    `history_reading` picks which day one history call returns (see the module docstring); `timezone`
    serves the same events as a subscription in another zone would (default: the workspace's zone);
    `lag_hours` holds back the latest hours of event data, `friction_fields=False` serves no friction
    counts, and `clock` (epoch ms) is the "now" the lag counts from (see the module docstring).
    """
    if history_reading not in HISTORY_READINGS:
        raise ValueError(f"history_reading must be one of {HISTORY_READINGS}")
    controls = controls or FakeControls()
    served = {"index": EventIndex.build(ws.events, timezone or ws.timezone)}
    created = time.monotonic()
    now_ms = clock or (lambda: ws.now_ms + int((time.monotonic() - created) * 1000))
    switches: dict[str, Any] = {}

    def set_lag_hours(hours: int) -> None:
        """Event data lags `hours` hours from now on (0: none)."""
        if not isinstance(hours, int) or isinstance(hours, bool) or hours < 0:
            raise ValueError("lag_hours must be a non-negative integer")
        switches["lag_hours"] = hours

    def set_friction_fields(collected: bool) -> None:
        """Whether event rows carry the friction counts from now on."""
        switches["friction_fields"] = bool(collected)

    set_lag_hours(lag_hours)
    set_friction_fields(friction_fields)

    def serving() -> Serving:
        lag = switches["lag_hours"]
        cutoff = served["index"].days.hour(now_ms() - lag * HOUR_MS) if lag else None
        return Serving(cutoff=cutoff, friction_fields=switches["friction_fields"])

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
        name, wanted = field.removeprefix("_lc_"), value.lower()
        if not field.startswith("_lc_") or (group, name) not in LOWER_CASED_INDEXES:
            return _error(400, f"no lower-cased index for {group}/{name}")
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
        start = int(starttime)
        index = served["index"]
        if history_reading == "calendar":
            start, end = index.days.start(start), index.days.shift(start, 1)
        else:
            end = start + DAY_MS
        if end <= ws.now_ms - HISTORY_RETENTION_MS:
            return JSONResponse([])
        start = max(start, ws.now_ms - HISTORY_RETENTION_MS)
        events = index.by_visitor.get(visitor_id, [])
        return JSONResponse(_history(events, start, end, user_agent(visitor_id)))

    async def account(request: Request) -> Response:
        account_id = request.path_params["account_id"]
        if account_id not in ws.accounts:
            return _error(404, "account not found")
        return JSONResponse(ws.accounts[account_id])

    async def catalog(request: Request) -> Response:
        """A list of pages, features, track types or guides. Without `expand=*` Pendo answers for the
        subscription's default app only; with it, for every app (Zendo added it in 2024 "to fetch
        features, pages, and trackTypes from all apps of the sub")."""
        items = catalogs.get(request.path_params["kind"])
        if items is None:
            return _error(404, "not found")
        every_app = items
        if request.query_params.get("expand") != "*":
            items = [i for i in items if i.get("appId", APP_ID) == APP_ID]
        if ids := request.query_params.get("id"):
            wanted = set(ids.split(","))
            items = [i for i in items if i["id"] in wanted]
            if wanted - {i["id"] for i in every_app}:
                # Pendo answers a batch with 404 when one id is unknown (a deleted guide): "can return 404
                # if one of the ids is missing" (pendo-io/zendo 7f48094)
                return _error(404, "not found")
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
            rows = run_pipeline(body["request"].get("pipeline"), ws, served["index"], serving())
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
        middleware=[
            Middleware(ControlsMiddleware, controls=controls),
            Middleware(_RequireKey, key=key, wrong_region_keys=wrong_region_keys),
        ],
        exception_handlers={HTTPException: http_error},
    )

    def set_timezone(zone: str) -> None:
        """An admin changes the subscription's time zone: from now on, days are that zone's days."""
        served["index"] = EventIndex.build(ws.events, zone)

    app.state.controls = controls
    app.state.set_timezone = set_timezone
    app.state.set_lag_hours = set_lag_hours
    app.state.set_friction_fields = set_friction_fields
    app.state.bucket_everything = lambda: served["index"].bucket_everything()
    app.state.workspace = ws
    app.state.history_reading = history_reading
    return app
