"""The fake Pendo API: routes, auth, and aggregation numbers checked against the raw events."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.pendo import queries
from bot.sample import FakeControls, build_workspace, create_pendo_app
from bot.sample.credentials import SAMPLE_PENDO_KEY
from bot.sample.data import (
    DAY_MS,
    JANE,
    OPS,
    OPS_VISITOR_IDS,
    POWER_USER,
    SAM,
    SAM_VISITOR_ID,
    Workspace,
)
from bot.sample.pendo_api import HistoryReading

from .conftest import NOW_MS

UI_KINDS = ("page", "feature", "untagged")


def seg(value: str) -> str:
    return quote(value, safe="")


def midnight(ws: Workspace, ts_ms: int, days: int = 0) -> int:
    """Local midnight (subscription zone) of the day containing `ts_ms`, moved by `days` calendar days."""
    tz = ZoneInfo(ws.timezone)
    day = datetime.fromtimestamp(ts_ms / 1000, tz).date() + timedelta(days=days)
    return int(datetime.combine(day, time(0), tz).timestamp() * 1000)


def window_start(ws: Workspace) -> int:
    return midnight(ws, ws.now_ms, -29)


def test_the_sample_days_are_not_utc_days(ws: Workspace) -> None:
    """Default zone America/Chicago: midnight is 05:00 or 06:00 UTC, and NOW's last 30 days cross DST."""
    assert ws.timezone == "America/Chicago"
    assert {midnight(ws, ws.now_ms, -d) % DAY_MS for d in range(30)} == {5 * 3_600_000, 6 * 3_600_000}


async def aggregate(client: httpx.AsyncClient, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = await client.post("/api/v1/aggregation", json=queries.envelope("test", pipeline))
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["startTime"], int)
    results: list[dict[str, Any]] = body["results"]
    return results


# --- expectations computed from the raw events with plain loops ------------------------------------------
def expected_daily(ws: Workspace, visitor_id: str, first: int, days: int) -> list[dict[str, int]]:
    start, end = midnight(ws, first), midnight(ws, first, days)
    events: dict[int, int] = defaultdict(int)
    minutes: dict[int, set[tuple[object, ...]]] = defaultdict(set)
    for e in ws.events:
        if e.visitor_id == visitor_id and e.kind in UI_KINDS and start <= e.ts < end:
            day = midnight(ws, e.ts)
            events[day] += 1
            # a minute counts once per (account, kind, object) bucket of the day
            minutes[day].add((e.account_id, e.kind, e.object_id, e.ts // 60_000))
    return [{"day": d, "numEvents": events[d], "numMinutes": len(minutes[d])} for d in sorted(events)]


def expected_top(ws: Workspace, kind: str, visitor_id: str, first: int, days: int) -> list[dict[str, Any]]:
    start, end = midnight(ws, first), midnight(ws, first, days)
    events: dict[str, int] = defaultdict(int)
    minutes: dict[str, set[tuple[object, ...]]] = defaultdict(set)
    for e in ws.events:
        if e.visitor_id == visitor_id and e.kind == kind and start <= e.ts < end:
            assert e.object_id is not None
            events[e.object_id] += 1
            minutes[e.object_id].add((midnight(ws, e.ts), e.account_id, e.ts // 60_000))
    rows = [{f"{kind}Id": k, "numEvents": n, "numMinutes": len(minutes[k])} for k, n in events.items()]
    return sorted(rows, key=lambda r: (-r["numEvents"], r[f"{kind}Id"]))


def expected_account(ws: Workspace, account_id: str, first: int, days: int) -> dict[str, int]:
    start, end = midnight(ws, first), midnight(ws, first, days)
    visitors, day_set, n, minutes = set(), set(), 0, set()
    for e in ws.events:
        if e.account_id == account_id and e.kind in UI_KINDS and start <= e.ts < end:
            visitors.add(e.visitor_id)
            day_set.add(midnight(ws, e.ts))
            n += 1
            minutes.add((midnight(ws, e.ts), e.visitor_id, e.kind, e.object_id, e.ts // 60_000))
    return {
        "uniqueVisitors": len(visitors),
        "daysActive": len(day_set),
        "numEvents": n,
        "numMinutes": len(minutes),
    }


# --- auth and lookups ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers", [{}, {"x-pendo-integration-key": "wrong"}, {"x-pendo-integration-key": ""}]
)
async def test_key_is_required(pendo: httpx.AsyncClient, headers: dict[str, str]) -> None:
    pendo.headers.pop("x-pendo-integration-key")
    for method, path in [("GET", f"/api/v1/visitor/{seg(JANE)}"), ("POST", "/api/v1/aggregation")]:
        response = await pendo.request(method, path, headers=headers)
        assert response.status_code == 403
        assert "error" in response.json()


async def test_custom_key(ws: Workspace) -> None:
    app = create_pendo_app(ws, key="other-key")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p.test") as client:
        assert (
            await client.get("/api/v1/page", headers={"x-pendo-integration-key": SAMPLE_PENDO_KEY})
        ).status_code == 403
        assert (
            await client.get("/api/v1/page", headers={"x-pendo-integration-key": "other-key"})
        ).status_code == 200


async def test_visitor_and_account(pendo: httpx.AsyncClient, ws: Workspace) -> None:
    response = await pendo.get(f"/api/v1/visitor/{seg(JANE)}")
    assert response.status_code == 200 and response.json() == ws.visitors[JANE]
    assert (await pendo.get(f"/api/v1/visitor/{seg('nobody@unknown.example')}")).status_code == 404
    assert (await pendo.get("/api/v1/account/acme")).json() == ws.accounts["acme"]
    assert (await pendo.get("/api/v1/account/nope")).status_code == 404


async def test_ids_with_reserved_characters_route_correctly(ws: Workspace) -> None:
    odd = ["a/b+c@x.example", "metadata", "x/history", "%41 é"]
    visitors = dict(ws.visitors) | {
        vid: {"id": vid, "accountIds": [], "metadata": {"agent": {"email": "odd@x.example"}}} for vid in odd
    }
    app = create_pendo_app(dataclasses.replace(ws, visitors=visitors))
    headers = {"x-pendo-integration-key": SAMPLE_PENDO_KEY}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://p.test", headers=headers
    ) as c:
        for vid in odd:
            assert (await c.get(f"/api/v1/visitor/{seg(vid)}")).json()["id"] == vid
            assert (await c.get(f"/api/v1/visitor/{seg(vid)}/history", params={"starttime": 0})).json() == []
        found = (await c.get("/api/v1/visitor/metadata/agent/_lc_email/ODD%40x.example")).json()
        assert sorted(v["id"] for v in found) == sorted(odd)


async def test_metadata_lookup_is_case_insensitive(pendo: httpx.AsyncClient) -> None:
    ops = (await pendo.get(f"/api/v1/visitor/metadata/agent/_lc_email/{seg(OPS.upper())}")).json()
    assert [v["id"] for v in ops] == list(OPS_VISITOR_IDS)
    sam = (await pendo.get(f"/api/v1/visitor/metadata/agent/_lc_email/{seg(SAM.lower())}")).json()
    assert [v["id"] for v in sam] == [SAM_VISITOR_ID]
    assert (await pendo.get("/api/v1/visitor/metadata/agent/_lc_email/none%40x.example")).json() == []
    # No lower-cased index for the field (or no `_lc_` prefix): 400, as Pendo may answer.
    assert (await pendo.get("/api/v1/visitor/metadata/nogroup/_lc_email/x")).status_code == 400
    assert (await pendo.get("/api/v1/visitor/metadata/custom/_lc_planlevel/x")).status_code == 400
    response = await pendo.get(f"/api/v1/visitor/metadata/agent/email/{seg(OPS)}")
    assert response.status_code == 400


@pytest.mark.parametrize("reading", ["calendar", "24h"])
async def test_history_is_one_day_ascending(ws: Workspace, reading: HistoryReading) -> None:
    """One day per call: the local calendar day containing starttime, or the 24 h from it."""
    start = ws.now_ms - 20 * 3_600_000 + 12_345  # not aligned to anything
    lo, hi = (
        (midnight(ws, start), midnight(ws, start, 1)) if reading == "calendar" else (start, start + DAY_MS)
    )
    app = create_pendo_app(ws, history_reading=reading)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pendo") as c:
        c.headers["x-pendo-integration-key"] = SAMPLE_PENDO_KEY
        items = (await c.get(f"/api/v1/visitor/{seg(JANE)}/history", params={"starttime": start})).json()
    raw = [e for e in ws.events if e.visitor_id == JANE and lo <= e.ts < hi]
    assert raw
    assert [(i["type"], i["ts"]) for i in items] == [(e.kind, e.ts) for e in raw]
    id_field = {"page": "pageId", "feature": "featureId", "trackType": "trackTypeId", "guide": "guideId"}
    sparse = 0
    for item, e in zip(items, raw, strict=True):
        if e.kind == "untagged":
            assert item["untaggedUrl"] == e.url and "pageId" not in item
        else:
            assert item[id_field[e.kind]] == e.object_id
        if item.get("lastTs") is None:  # optional fields may be missing or null, as in real items
            sparse += 1
            continue
        assert item["uri"] == e.url and item["appId"] == -323232
        assert item["lastTs"] >= item["ts"] and item["duration"] == item["lastTs"] - item["ts"]
        assert set(item["parsedUserAgent"]) == {"name", "version", "os"}
    assert 0 < sparse < len(items)
    assert any((i.get("duration") or 0) > 0 for i in items if i["type"] == "page")


async def test_history_keeps_about_180_days(pendo: httpx.AsyncClient, ws: Workspace) -> None:
    old = ws.now_ms - 181 * DAY_MS
    response = await pendo.get(f"/api/v1/visitor/{seg(JANE)}/history", params={"starttime": old})
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize("params", [{}, {"starttime": "yesterday"}, {"starttime": "1.5"}])
async def test_history_needs_an_integer_starttime(pendo: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await pendo.get(f"/api/v1/visitor/{seg(JANE)}/history", params=params)
    assert response.status_code == 400


async def test_catalogs_and_schemas(pendo: httpx.AsyncClient, ws: Workspace) -> None:
    for path, items in [
        ("page", ws.pages),
        ("feature", ws.features),
        ("tracktype", ws.track_types),
        ("guide", ws.guides),
    ]:
        assert (await pendo.get(f"/api/v1/{path}", params={"expand": "*"})).json() == items
        default_app = [i for i in items if i["appId"] == -323232]  # Pendo's default (web) app id
        assert (await pendo.get(f"/api/v1/{path}")).json() == default_app  # without expand=*: that app only
    assert (await pendo.get("/api/v1/metadata/schema/visitor")).json() == ws.visitor_schema
    assert (await pendo.get("/api/v1/metadata/schema/account")).json() == ws.account_schema
    assert (await pendo.get("/api/v1/metadata/schema/guide")).status_code == 404
    assert (await pendo.get("/api/v1/segment")).status_code == 404


async def test_other_apps_items_come_only_with_expand(pendo: httpx.AsyncClient, ws: Workspace) -> None:
    others = [f["id"] for f in ws.features if f["appId"] != -323232]
    assert others  # the sample has several apps
    listed = {f["id"] for f in (await pendo.get("/api/v1/feature")).json()}
    assert listed.isdisjoint(others)
    mobile = next(g["id"] for g in ws.guides if g["appId"] != -323232)
    assert (await pendo.get("/api/v1/guide", params={"id": mobile})).json() == []
    found = (await pendo.get("/api/v1/guide", params={"id": mobile, "expand": "*"})).json()
    assert [g["id"] for g in found] == [mobile]


# --- aggregation numbers ------------------------------------------------------------------------------
@pytest.mark.parametrize("visitor_id", [JANE, POWER_USER, SAM_VISITOR_ID, "multi@umbrella.example"])
async def test_daily_activity_matches_raw_events(
    pendo: httpx.AsyncClient, ws: Workspace, visitor_id: str
) -> None:
    first = ws.now_ms - 30 * DAY_MS  # not at midnight: the window starts at that local day's midnight
    rows = await aggregate(pendo, queries.visitor_daily_activity(visitor_id, first, 30))
    assert rows == expected_daily(ws, visitor_id, first, 30)
    assert rows


async def test_heavy_user_numbers(pendo: httpx.AsyncClient, ws: Workspace) -> None:
    rows = await aggregate(pendo, queries.visitor_daily_activity(POWER_USER, window_start(ws), 30))
    assert len(rows) == 30
    assert sum(r["numEvents"] for r in rows) >= 3000


@pytest.mark.parametrize("kind", ["page", "feature"])
async def test_top_objects_match_raw_events(pendo: httpx.AsyncClient, ws: Workspace, kind: str) -> None:
    first = window_start(ws)
    for visitor_id in (JANE, POWER_USER):
        id_field = f"{kind}Id"
        top = [  # Pendo's top-N shape: grouped by object, events descending, then the id
            queries._event_source(f"{kind}Events", first, 30),
            {"filter": f"visitorId == {queries.literal(visitor_id)}"},
            {
                "group": {
                    "group": [id_field],
                    "fields": [{"numEvents": {"sum": "numEvents"}}, {"numMinutes": {"sum": "numMinutes"}}],
                }
            },
            {"sort": ["-numEvents", id_field]},
            {"limit": 5},
        ]
        rows = await aggregate(pendo, top)
        assert rows == expected_top(ws, kind, visitor_id, first, 30)[:5]


@pytest.mark.parametrize("account_id", ["acme", "umbrella", "initech-labs", "stark", "no-such-account"])
async def test_account_activity_matches_raw_events(
    pendo: httpx.AsyncClient, ws: Workspace, account_id: str
) -> None:
    first = window_start(ws)
    rows = await aggregate(pendo, queries.account_activity(account_id, first, 30))
    assert rows == [expected_account(ws, account_id, first, 30)]


async def test_short_windows_and_track_events(pendo: httpx.AsyncClient, ws: Workspace) -> None:
    first = midnight(ws, ws.now_ms, -1)
    rows = await aggregate(pendo, queries.visitor_daily_activity(JANE, first + 3_600_000, 2))
    assert rows == expected_daily(ws, JANE, first, 2)
    assert [r["day"] for r in rows] == [first, midnight(ws, ws.now_ms)]  # local midnights
    source = {
        "trackEvents": None,
        "timeSeries": {"period": "dayRange", "first": window_start(ws), "count": 30},
    }
    pipeline: queries.Pipeline = [
        {"source": source},
        {"identified": "visitorId"},
        {"filter": f"visitorId == {queries.literal(POWER_USER)}"},
        {"group": {"group": ["trackTypeId"], "fields": [{"n": {"sum": "numEvents"}}]}},
        {"sort": ["trackTypeId"]},
    ]
    counts: dict[str, int] = defaultdict(int)
    for e in ws.events:
        if e.visitor_id == POWER_USER and e.kind == "trackType" and e.ts >= window_start(ws):
            counts[e.object_id or ""] += 1
    assert await aggregate(pendo, pipeline) == [{"trackTypeId": k, "n": counts[k]} for k in sorted(counts)]


async def test_raw_event_rows(pendo: httpx.AsyncClient, ws: Workspace) -> None:
    """Without grouping, rows are the buckets themselves: ids per kind, null pageId for untagged."""
    source = {
        "events": queries.ALL_APPS,
        "timeSeries": {"period": "dayRange", "first": window_start(ws), "count": 30},
    }
    rows = await aggregate(pendo, [{"source": source}, {"filter": f"visitorId == {queries.literal(JANE)}"}])
    assert {tuple(sorted(r)) for r in rows} == {
        (
            "accountId",
            "appId",
            "day",
            "featureId",
            "firstTime",
            "lastTime",
            "numEvents",
            "numMinutes",
            "pageId",
            "visitorId",
        )
    }
    assert any(r["pageId"] is None and r["featureId"] is None for r in rows)  # untagged
    assert sum(r["numEvents"] for r in rows) == sum(
        e["numEvents"] for e in expected_daily(ws, JANE, window_start(ws), 30)
    )


async def test_visitors_source(pendo: httpx.AsyncClient, ws: Workspace) -> None:
    rows = await aggregate(pendo, queries.visitors_with_field("agent", "email", [SAM, SAM.lower()]))
    assert rows == [{"visitorId": SAM_VISITOR_ID, "metadata": ws.visitors[SAM_VISITOR_ID]["metadata"]}]
    assert await aggregate(pendo, queries.visitors_with_field("agent", "email", [SAM.lower()])) == []
    ops = await aggregate(pendo, queries.visitors_with_field("agent", "email", [OPS]))
    assert [r["visitorId"] for r in ops] == list(OPS_VISITOR_IDS)
    limited = await aggregate(pendo, [{"source": {"visitors": None}}, {"limit": 3}])
    assert len(limited) == 3


def _ts(**overrides: Any) -> dict[str, Any]:
    return {"period": "dayRange", "first": 1_741_900_000_000, "count": 30} | overrides


_GROUP = {"group": {"group": ["day"], "fields": [{"n": {"sum": "numEvents"}}]}}


@pytest.mark.parametrize(
    "pipeline",
    [
        [],
        [{"source": {"guideEvents": None, "timeSeries": _ts()}}],
        [{"source": {"accounts": {"x": 1}}}],
        [{"source": {"events": None}}],  # no timeSeries
        [{"source": {"events": None, "timeSeries": _ts(period="weekRange")}}],
        [{"source": {"events": None, "timeSeries": _ts(period="hourRange", count=169)}}],
        [{"source": {"pollEvents": None, "timeSeries": _ts(period="hourRange", count=24)}}],
        [{"source": {"events": None, "timeSeries": _ts(count=0)}}],
        [{"source": {"events": None, "timeSeries": _ts(count=61)}}],
        [{"source": {"events": None, "timeSeries": _ts(first="now()")}}],
        [{"source": {"events": None, "timeSeries": _ts(last="now()")}}],
        [{"source": {"events": {"eventClass": ["ui"]}, "timeSeries": _ts()}}],
        [{"source": {"visitors": None, "timeSeries": _ts()}}],
        [{"source": {"events": None, "pageEvents": None, "timeSeries": _ts()}}],
        [{"filter": 'visitorId == "x"'}],
        [{"source": {"events": None, "timeSeries": _ts()}}, {"select": {"a": "visitorId"}}],
        [{"source": {"events": None, "timeSeries": _ts()}}, {"filter": 'visitorId == "x" || true'}],
        [
            {"source": {"events": None, "timeSeries": _ts()}},
            {"filter": {"field": "visitorId", "operator": "==", "value": "x"}},
        ],
        [{"source": {"events": None, "timeSeries": _ts()}}, {"filter": 'nosuchfield == "x"'}],
        [
            {"source": {"events": None, "timeSeries": _ts()}},
            {"group": {"group": ["day"], "fields": [{"n": {"avg": "numEvents"}}]}},
        ],
        [
            {"source": {"events": None, "timeSeries": _ts()}},
            {"group": {"group": ["dayy"], "fields": [{"n": {"sum": "numEvents"}}]}},
        ],
        [{"source": {"events": None, "timeSeries": _ts()}}, {"reduce": [{"n": {"count": "nope"}}]}],
        [{"source": {"events": None, "timeSeries": _ts()}}, {"reduce": []}],
        [
            {"source": {"events": None, "timeSeries": _ts()}},
            _GROUP,
            {"sort": ["numEvents"]},
        ],  # gone after group
        [{"source": {"events": None, "timeSeries": _ts()}}, {"limit": -1}],
        [{"source": {"events": None, "timeSeries": _ts()}}, {"limit": "5"}],
        [{"source": {"events": None, "timeSeries": _ts()}}, {"identified": "!visitorId"}],
        [{"source": {"events": None, "timeSeries": _ts()}}, {"filter": 'visitorId == "x"', "limit": 1}],
    ],
)
async def test_anything_unsupported_is_a_loud_400(
    pendo: httpx.AsyncClient, pipeline: list[dict[str, Any]]
) -> None:
    response = await pendo.post("/api/v1/aggregation", json=queries.envelope("bad", pipeline))
    assert response.status_code == 400, response.text
    assert response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"request": {"pipeline": []}}',
        b'{"response": {"mimeType": "text/csv"}, "request": {}}',
    ],
)
async def test_malformed_envelopes(pendo: httpx.AsyncClient, body: bytes) -> None:
    response = await pendo.post("/api/v1/aggregation", content=body)
    assert response.status_code == 400


async def test_accounts_source(pendo: httpx.AsyncClient, ws: Workspace) -> None:
    pipeline: queries.Pipeline = [
        {"source": {"accounts": None}},
        {"filter": 'accountId == "acme" || accountId == "stark" || accountId == "nope"'},
    ]
    rows = await aggregate(pendo, pipeline)
    assert sorted(rows, key=lambda r: r["accountId"]) == [
        {"accountId": a, "metadata": ws.accounts[a]["metadata"]} for a in ("acme", "stark")
    ]


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago", "Asia/Tokyo"])
async def test_day_values_are_local_midnights_in_any_zone(zone: str) -> None:
    ws = build_workspace(NOW_MS, zone)
    app = create_pendo_app(ws)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pendo") as c:
        c.headers["x-pendo-integration-key"] = SAMPLE_PENDO_KEY
        rows = await aggregate(c, queries.visitor_daily_activity(POWER_USER, ws.now_ms - 29 * DAY_MS, 30))
    assert [r["day"] for r in rows] == [midnight(ws, ws.now_ms, d) for d in range(-29, 1)]
    assert rows == expected_daily(ws, POWER_USER, ws.now_ms - 29 * DAY_MS, 30)


async def test_a_key_for_another_region_gets_400(ws: Workspace) -> None:
    app = create_pendo_app(ws, wrong_region_keys=frozenset({"eu-key"}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pendo") as c:
        wrong = await c.get("/api/v1/metadata/schema/visitor", headers={"x-pendo-integration-key": "eu-key"})
        missing = await c.get("/api/v1/metadata/schema/visitor")
    assert (wrong.status_code, missing.status_code) == (400, 403)


async def test_injected_429_has_no_retry_after(
    pendo: httpx.AsyncClient, pendo_controls: FakeControls
) -> None:
    pendo_controls.fail(r"/aggregation$", 429, times=1)
    response = await pendo.post(
        "/api/v1/aggregation", json=queries.envelope("x", [{"source": {"visitors": None}}])
    )
    assert response.status_code == 429 and "retry-after" not in response.headers


# --- pollEvents -------------------------------------------------------------------------------------------
async def test_poll_events_are_one_row_per_answer_in_the_window(
    pendo: httpx.AsyncClient, ws: Workspace
) -> None:
    first = midnight(ws, ws.now_ms, -364)
    rows = await aggregate(pendo, queries.visitor_poll_events(JANE, first + 12 * 3_600_000))
    raw = [r for r in ws.poll_events if r["visitorId"] == JANE and first <= r["browserTime"] < ws.now_ms]
    assert rows == raw and rows  # as stored: strings, missing fields and all
    assert any(r["browserTime"] < first for r in ws.poll_events if r["visitorId"] == JANE)  # left out
    assert all(isinstance(r["pollResponse"], str) for r in rows)
    quarter = midnight(ws, ws.now_ms, -89)
    rows = await aggregate(pendo, queries.account_poll_events("acme", quarter + 3_600_000))
    assert rows == [r for r in ws.poll_events if r.get("accountId") == "acme" and r["browserTime"] >= quarter]


async def test_poll_events_take_pendos_looker_form_and_refuse_more_than_a_year(
    pendo: httpx.AsyncClient, ws: Workspace
) -> None:
    source = {"pollEvents": {"guideId": "guide-nps-survey", "pollId": "poll-nps-score"}}
    series = {"period": "dayRange", "first": midnight(ws, ws.now_ms, -364), "count": 365}
    rows = await aggregate(pendo, [{"source": source | {"timeSeries": series}}])
    assert rows and {(r["guideId"], r["pollId"]) for r in rows} == {("guide-nps-survey", "poll-nps-score")}
    too_long = {"pollEvents": None, "timeSeries": series | {"count": 366}}
    body = queries.envelope("t", [{"source": too_long}])
    answer = await pendo.post("/api/v1/aggregation", json=body)
    assert answer.status_code == 400 and "365" in answer.text


async def test_nps_guides_carry_two_polls_and_the_score_poll_names_its_follow_up(
    pendo: httpx.AsyncClient,
) -> None:
    answer = await pendo.get(
        "/api/v1/guide", params={"id": "guide-nps-survey,guide-nps-mobile", "expand": "*"}
    )
    guides = answer.json()
    assert len(guides) == 2
    for guide in guides:
        polls = {p["attributes"]["type"]: p for p in guide["polls"]}
        assert set(polls) == {"NPSRating", "FreeForm"}
        assert polls["NPSRating"]["attributes"]["followUp"] == polls["FreeForm"]["id"]
        assert guide["polls"][0]["attributes"]["type"] == "FreeForm"  # order is not to be relied on
