"""Friction signals, replay ids, hour rows, data lag and the renewal date of the sample workspace,
checked against the raw events with plain loops."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette

from bot.pendo import queries
from bot.sample import build_workspace, create_pendo_app
from bot.sample.aggregation import _group
from bot.sample.credentials import SAMPLE_PENDO_KEY
from bot.sample.data import (
    ACME,
    ACME_FRICTION_PAGE,
    HOUR_MS,
    JANE,
    JANE_BILLING_RECORDING,
    JANE_TODAY_RECORDING,
    POWER_USER,
    RENEWAL_FIELD,
    TICKET_JANE,
    RawEvent,
    Workspace,
)

from .conftest import NOW_MS

FIELD = {
    "rage": "rageClickCount",
    "dead": "deadClickCount",
    "error": "errorClickCount",
    "uturn": "uTurnCount",
}
PAGE_FRICTION = ("rageClickCount", "deadClickCount", "errorClickCount", "uTurnCount")
CLICK_FRICTION = PAGE_FRICTION[:3]
SOURCE_KINDS = {
    "events": ("page", "feature", "untagged"),
    "pageEvents": ("page",),
    "featureEvents": ("feature",),
    "trackEvents": ("trackType",),
}
ANY_FRICTION = " || ".join(f"{f} > 0" for f in PAGE_FRICTION)


# --- plain helpers ---------------------------------------------------------------------------------------
def local_midnight(ws: Workspace, ts_ms: int, days: int = 0) -> int:
    tz = ZoneInfo(ws.timezone)
    day = datetime.fromtimestamp(ts_ms / 1000, tz).date() + timedelta(days=days)
    return int(datetime.combine(day, time(0), tz).timestamp() * 1000)


def local_hour(ws: Workspace, ts_ms: int) -> int:
    moment = datetime.fromtimestamp(ts_ms / 1000, ZoneInfo(ws.timezone))
    return int(moment.replace(minute=0, second=0, microsecond=0).timestamp() * 1000)


def app_client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://pendo.test",
        headers={"x-pendo-integration-key": SAMPLE_PENDO_KEY},
    )


async def aggregate(client: httpx.AsyncClient, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = await client.post("/api/v1/aggregation", json=queries.envelope("test", pipeline))
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["results"]
    return rows


def source(name: str, first: int, count: int, period: str = "dayRange") -> dict[str, Any]:
    return {
        "source": {name: queries.ALL_APPS, "timeSeries": {"period": period, "first": first, "count": count}}
    }


def scoped(name: str, field: str, value: str, first: int, count: int, period: str = "dayRange") -> list[Any]:
    return [source(name, first, count, period), {"filter": f"{field} == {queries.literal(value)}"}]


def in_scope(e: RawEvent, field: str, value: str) -> bool:
    return (e.visitor_id if field == "visitorId" else e.account_id) == value


def expected_page_friction(
    ws: Workspace, field: str, value: str, start: int, end: int, bucket: Callable[[int], int]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """(bucket, visitor, account, app, pageId) -> the four counts, for every bucket with a page load: the
    flagged loads plus the flagged clicks on the page's features in the bucket."""
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    feature_page = {f["id"]: f["pageId"] for f in ws.features}  # from the catalog, as Pendo's UI knows it
    chosen = [e for e in ws.events if in_scope(e, field, value) and start <= e.ts < end]
    for e in chosen:
        if e.kind == "page":
            rows.setdefault(
                (bucket(e.ts), e.visitor_id, e.account_id, e.app_id, e.object_id),
                dict.fromkeys(PAGE_FRICTION, 0),
            )
    for e in chosen:
        if not e.friction:
            continue
        page = (
            e.object_id
            if e.kind == "page"
            else feature_page.get(e.object_id or "")
            if e.kind == "feature"
            else None
        )
        key = (bucket(e.ts), e.visitor_id, e.account_id, e.app_id, page)
        if key in rows:
            rows[key][FIELD[e.friction]] += 1
    return rows


def page_key(row: dict[str, Any], period: str) -> tuple[Any, ...]:
    return (
        row["hour" if period == "hourRange" else "day"],
        row["visitorId"],
        row["accountId"],
        row["appId"],
        row["pageId"],
    )


# --- friction on event rows ------------------------------------------------------------------------------
@pytest.mark.parametrize("period", ["dayRange", "hourRange"])
@pytest.mark.parametrize(
    ("field", "value"), [("visitorId", JANE), ("visitorId", POWER_USER), ("accountId", ACME)]
)
async def test_page_rows_count_their_own_and_their_features_friction(
    pendo: httpx.AsyncClient, ws: Workspace, period: str, field: str, value: str
) -> None:
    bucket: Callable[[int], int]
    if period == "dayRange":
        first, count = ws.now_ms - 29 * 86_400_000, 30
        start, end = local_midnight(ws, first), local_midnight(ws, first, 30)

        def bucket(ts: int) -> int:
            return local_midnight(ws, ts)
    else:
        first, count = ws.now_ms - 167 * HOUR_MS + 1234, 168
        start = local_hour(ws, first)
        end = start + 168 * HOUR_MS

        def bucket(ts: int) -> int:
            return local_hour(ws, ts)

    rows = await aggregate(pendo, scoped("pageEvents", field, value, first, count, period))
    expected = expected_page_friction(ws, field, value, start, end, bucket)
    assert {page_key(r, period): {f: r[f] for f in PAGE_FRICTION} for r in rows} == expected
    assert len(rows) == len(expected)
    assert sum(r["rageClickCount"] + r["errorClickCount"] for r in rows) > 0  # not vacuous
    loads: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for e in ws.events:
        if in_scope(e, field, value) and e.kind == "page" and start <= e.ts < end:
            loads[(bucket(e.ts), e.visitor_id, e.account_id, e.app_id, e.object_id)].append(e.ts)
    for r in rows:
        times = loads[page_key(r, period)]
        assert (r["firstTime"], r["lastTime"], r["numEvents"]) == (min(times), max(times), len(times))


async def test_feature_rows_count_clicks_and_no_u_turns_other_sources_none(
    pendo: httpx.AsyncClient, ws: Workspace
) -> None:
    first = ws.now_ms - 29 * 86_400_000
    rows = await aggregate(pendo, scoped("featureEvents", "accountId", ACME, first, 30))
    expected: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    start = local_midnight(ws, first)
    for e in ws.events:
        if e.account_id == ACME and e.kind == "feature" and e.ts >= start:
            key = (local_midnight(ws, e.ts), e.visitor_id, e.app_id, e.object_id)
            expected[key].update([FIELD[e.friction]] if e.friction else [])
    got = {(r["day"], r["visitorId"], r["appId"], r["featureId"]): r for r in rows}
    assert got.keys() == expected.keys()
    for key, r in got.items():
        assert "uTurnCount" not in r and "recordingSessionId" not in r
        assert {f: r[f] for f in CLICK_FRICTION} == {f: expected[key][f] for f in CLICK_FRICTION}
    assert sum(r["rageClickCount"] for r in rows) > 0
    for name in ("events", "trackEvents"):
        rows = await aggregate(pendo, scoped(name, "accountId", ACME, first, 30))
        assert rows and not any(set(PAGE_FRICTION) & r.keys() for r in rows)
        assert all(r["firstTime"] <= r["lastTime"] for r in rows)


async def test_no_friction_fields_when_the_subscription_does_not_collect_them(ws: Workspace) -> None:
    app = create_pendo_app(ws, friction_fields=False)
    first = ws.now_ms - 29 * 86_400_000
    async with app_client(app) as client:
        for name in SOURCE_KINDS:
            for period, count in (("dayRange", 30), ("hourRange", 168)):
                rows = await aggregate(
                    client,
                    scoped(
                        name,
                        "visitorId",
                        POWER_USER,
                        ws.now_ms - 100 * HOUR_MS if period == "hourRange" else first,
                        count,
                        period,
                    ),
                )
                assert rows and not any(set(PAGE_FRICTION) & r.keys() for r in rows), (name, period)
        pages = await aggregate(client, scoped("pageEvents", "visitorId", POWER_USER, first, 30))
        web = [r for r in pages if r["appId"] == -323232]
        assert web and all(r["recordingSessionId"] for r in web)  # replays do not depend on the switch
        # a filter on a field the rows lack is simply false; a sum of it is absent
        assert (
            await aggregate(
                client, [*scoped("pageEvents", "accountId", ACME, first, 30), {"filter": ANY_FRICTION}]
            )
            == []
        )
        summed = await aggregate(
            client,
            [
                *scoped("pageEvents", "accountId", ACME, first, 30),
                {"reduce": [{"rage": {"sum": "rageClickCount"}}, {"n": {"sum": "numEvents"}}]},
            ],
        )
        assert len(summed) == 1 and "rage" not in summed[0] and summed[0]["n"] > 0
        app.state.set_friction_fields(True)
        rows = await aggregate(client, scoped("pageEvents", "visitorId", POWER_USER, first, 30))
        assert all(set(PAGE_FRICTION) <= r.keys() for r in rows)


# --- hour rows -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SOURCE_KINDS))
async def test_hour_rows_are_per_local_hour(pendo: httpx.AsyncClient, ws: Workspace, name: str) -> None:
    first = ws.now_ms - 71 * HOUR_MS - 17 * 60_000  # not on the hour: the window starts at its hour
    start = local_hour(ws, first)
    rows = await aggregate(pendo, scoped(name, "accountId", ACME, first, 72, "hourRange"))
    per_hour: Counter[int] = Counter()
    for e in ws.events:
        if e.account_id == ACME and e.kind in SOURCE_KINDS[name] and start <= e.ts < start + 72 * HOUR_MS:
            per_hour[local_hour(ws, e.ts)] += 1
    got: Counter[int] = Counter()
    for r in rows:
        got[r["hour"]] += r["numEvents"]
        assert r["day"] == local_midnight(ws, r["hour"]) and r["hour"] % 60_000 == 0
        assert r["hour"] <= r["firstTime"] <= r["lastTime"] < r["hour"] + HOUR_MS
    assert got == per_hour and len(per_hour) > 10
    grouped = await aggregate(
        pendo,
        [
            *scoped(name, "accountId", ACME, first, 72, "hourRange"),
            {"group": {"group": ["hour"], "fields": [{"n": {"sum": "numEvents"}}]}},
            {"sort": ["hour"]},
        ],
    )
    assert grouped == [{"hour": h, "n": per_hour[h]} for h in sorted(per_hour)]


@pytest.mark.parametrize("count", [0, 169])
async def test_hour_range_allows_one_week(pendo: httpx.AsyncClient, ws: Workspace, count: int) -> None:
    body = queries.envelope("t", [source("pageEvents", ws.now_ms, count, "hourRange")])
    assert (await pendo.post("/api/v1/aggregation", json=body)).status_code == 400


# --- Jane's story and replays ----------------------------------------------------------------------------
def ticket_ms(ws: Workspace) -> int:
    created = datetime.strptime(ws.tickets[TICKET_JANE]["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    return int(created.replace(tzinfo=UTC).timestamp() * 1000)


async def test_janes_billing_hour_has_four_rage_clicks_and_a_replay(
    pendo: httpx.AsyncClient, ws: Workspace
) -> None:
    first = ws.now_ms - 30 * HOUR_MS
    rows = await aggregate(pendo, scoped("pageEvents", "visitorId", JANE, first, 31, "hourRange"))
    ticket = ticket_ms(ws)
    billing = [r for r in rows if r["pageId"] == "page-billing-settings"]
    assert len(billing) == 1
    [row] = billing
    assert row["rageClickCount"] == 4 and row["hour"] <= ticket - HOUR_MS < row["hour"] + 2 * HOUR_MS
    assert row["recordingSessionId"] == JANE_BILLING_RECORDING and row["recordingId"]
    assert max(rows, key=lambda r: (r["rageClickCount"], r["errorClickCount"])) is row  # the strongest
    [invoices] = [r for r in rows if r["pageId"] == "page-invoices"]
    assert invoices["errorClickCount"] == 2 and invoices["recordingSessionId"] == JANE_BILLING_RECORDING
    midnight = local_midnight(ws, ws.now_ms)
    evening = [r for r in rows if r["lastTime"] < midnight]
    today = [r for r in rows if r["firstTime"] >= ticket]
    assert evening and all("recordingSessionId" not in r and "recordingId" not in r for r in evening)
    assert not any(r[f] for r in evening for f in PAGE_FRICTION)
    assert today and {r["recordingSessionId"] for r in today} == {JANE_TODAY_RECORDING}
    # Acme as a whole over the day: Billing settings' hour is still the strongest page x hour for rage.
    acme = await aggregate(
        pendo,
        [
            *scoped("pageEvents", "accountId", ACME, ws.now_ms - 23 * HOUR_MS, 24, "hourRange"),
            {"group": {"group": ["pageId", "hour"], "fields": [{"rage": {"sum": "rageClickCount"}}]}},
            {"sort": ["-rage", "pageId"]},
        ],
    )
    assert (acme[0]["pageId"], acme[0]["rage"]) == ("page-billing-settings", 4) and acme[1]["rage"] < 4


@pytest.mark.parametrize("now_ms", [NOW_MS, NOW_MS + 50 * 60_000, NOW_MS + 20 * 60_000, 1_795_000_000_000])
def test_janes_billing_burst_shares_one_hour_whatever_now(now_ms: int) -> None:
    ws = build_workspace(now_ms)
    billing = [e for e in ws.events if e.recording == JANE_BILLING_RECORDING]
    burst = [e for e in billing if e.friction or e.object_id in ("page-billing-settings", "page-invoices")]
    assert len(burst) == 8 and len({local_hour(ws, e.ts) for e in burst}) == 1
    assert Counter(e.friction for e in burst if e.friction) == {"rage": 4, "error": 2}


def test_recordings_are_whole_sessions_of_a_few_visitors(ws: Workspace) -> None:
    recorded = {e.visitor_id for e in ws.events if e.recording}
    assert recorded == {JANE, POWER_USER}
    power = [e for e in ws.events if e.visitor_id == POWER_USER and e.app_id == -323232]
    assert all(e.recording for e in power)
    for a, b in itertools.pairwise(power):
        assert (a.recording == b.recording) == (b.ts - a.ts < 30 * 60_000)
    jane = [e for e in ws.events if e.visitor_id == JANE and e.ts >= ws.now_ms - 86_400_000]
    assert {e.recording for e in jane} == {None, JANE_BILLING_RECORDING, JANE_TODAY_RECORDING}


def test_friction_is_spread_and_drawn_without_moving_events(ws: Workspace) -> None:
    web = [e for e in ws.events if e.app_id == -323232]
    features = [e for e in web if e.kind == "feature"]
    pages = [e for e in web if e.kind == "page"]
    flagged = Counter(e.friction for e in features if e.friction)
    assert 0.02 < sum(flagged.values()) / len(features) < 0.045 and flagged.most_common(1)[0][0] == "rage"
    assert 0.01 < sum(1 for e in pages if e.friction) / len(pages) < 0.03
    assert {e.friction for e in pages} <= {None, "uturn", "dead"}
    assert not any(e.friction for e in ws.events if e.app_id != -323232 or e.kind not in ("page", "feature"))
    start = local_midnight(ws, ws.now_ms, -29)
    active, hit = set(), set()
    periods: Counter[str] = Counter()
    for e in ws.events:
        if e.ts >= start:
            active.add(e.visitor_id)
            if e.friction:
                hit.add(e.visitor_id)
        if e.friction and e.ts >= local_midnight(ws, ws.now_ms, -59):
            periods["current" if e.ts >= start else "previous"] += 1
    assert len(hit) > 0.7 * len(active) and periods["current"] != periods["previous"]
    again = build_workspace(ws.now_ms)
    assert again.events == ws.events


async def test_several_acme_visitors_hit_friction_on_one_page(
    pendo: httpx.AsyncClient, ws: Workspace
) -> None:
    rows = await aggregate(
        pendo,
        [
            *scoped("pageEvents", "accountId", ACME, ws.now_ms - 29 * 86_400_000, 30),
            {"filter": ANY_FRICTION},
            {"group": {"group": ["pageId"], "fields": [{"visitors": {"count": "visitorId"}}]}},
            {"sort": ["-visitors", "pageId"]},
        ],
    )
    by_page = {r["pageId"]: r["visitors"] for r in rows}
    assert by_page[ACME_FRICTION_PAGE] >= 4 and by_page["page-billing-settings"] >= 1


# --- data lag --------------------------------------------------------------------------------------------
@pytest.fixture
async def lagging(ws: Workspace) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_pendo_app(ws, lag_hours=5, clock=lambda: ws.now_ms)
    async with app_client(app) as client:
        yield app, client


async def test_lag_leaves_out_the_latest_hours(
    lagging: tuple[Starlette, httpx.AsyncClient], ws: Workspace
) -> None:
    app, client = lagging
    cutoff = local_hour(ws, ws.now_ms - 5 * HOUR_MS)
    first = ws.now_ms - 3 * 86_400_000
    for who in (JANE, POWER_USER):
        for name, kinds in SOURCE_KINDS.items():
            for period, count in (("dayRange", 4), ("hourRange", 80)):
                rows = await aggregate(client, scoped(name, "visitorId", who, first, count, period))
                lo = local_midnight(ws, first) if period == "dayRange" else local_hour(ws, first)
                wanted = [
                    e for e in ws.events if e.visitor_id == who and e.kind in kinds and lo <= e.ts < cutoff
                ]
                assert all(r["lastTime"] < cutoff for r in rows)
                assert sum(r["numEvents"] for r in rows) == len(wanted), (who, name, period)
    # Jane's billing trouble (two hours ago) is not processed yet; her history still has it.
    jane = await aggregate(client, scoped("pageEvents", "visitorId", JANE, first, 4))
    assert not any(r.get("recordingSessionId") == JANE_BILLING_RECORDING for r in jane)
    history = await client.get(
        f"/api/v1/visitor/{JANE.replace('@', '%40')}/history", params={"starttime": ws.now_ms - 3 * HOUR_MS}
    )
    assert any(i["ts"] >= cutoff for i in history.json())
    # no lag: the latest events are there
    app.state.set_lag_hours(0)
    rows = await aggregate(client, scoped("events", "visitorId", JANE, first, 4))
    latest = max(e.ts for e in ws.events if e.visitor_id == JANE and e.kind in SOURCE_KINDS["events"])
    assert max(r["lastTime"] for r in rows) == latest


async def test_lag_counts_from_the_samples_clock_by_default(ws: Workspace) -> None:
    app = create_pendo_app(ws)
    app.state.set_lag_hours(5)
    cutoff = local_hour(ws, ws.now_ms - 5 * HOUR_MS)
    async with app_client(app) as client:
        rows = await aggregate(client, scoped("events", "accountId", ACME, ws.now_ms - 86_400_000, 2))
        polls = await aggregate(client, queries.visitor_poll_events(JANE, ws.now_ms - 364 * 86_400_000))
    assert rows and max(r["lastTime"] for r in rows) < cutoff
    assert polls == [
        r
        for r in ws.poll_events
        if r["visitorId"] == JANE and r["browserTime"] >= local_midnight(ws, ws.now_ms, -364)
    ]
    with pytest.raises(ValueError):
        app.state.set_lag_hours(-1)


# --- pipeline operators ----------------------------------------------------------------------------------
async def test_sum_of_a_field_no_row_carries_is_absent(ws: Workspace) -> None:
    first = ws.now_ms - 29 * 86_400_000
    pipeline = [
        *scoped("featureEvents", "accountId", ACME, first, 30),
        {"filter": "rageClickCount > 0 || errorClickCount >= 1"},
        {
            "group": {
                "group": ["featureId"],
                "fields": [{"r": {"sum": "rageClickCount"}}, {"n": {"sum": "numEvents"}}],
            }
        },
    ]
    async with app_client(create_pendo_app(ws)) as client:
        rows = await aggregate(client, pipeline)
    assert rows and all(isinstance(r["r"], int) for r in rows) and any(r["r"] for r in rows)
    async with app_client(create_pendo_app(ws, friction_fields=False)) as client:
        assert await aggregate(client, pipeline) == []  # the filter is false on every row
        rows = await aggregate(client, [pipeline[0], pipeline[1], pipeline[3]])
    assert rows and all("r" not in r and r["n"] > 0 for r in rows)
    # some rows carry it: those are summed
    mixed, _ = _group(
        {"group": ["k"], "fields": [{"s": {"sum": "x"}}]},
        [{"k": 1, "x": 2}, {"k": 1}, {"k": 1, "x": 3}, {"k": 2}],
        {"k", "x"},
    )
    assert mixed == [{"k": 1, "s": 5}, {"k": 2}]


# --- renewal date ----------------------------------------------------------------------------------------
async def test_the_renewal_date_is_an_account_date_field_acme_in_20_days(
    pendo: httpx.AsyncClient, ws: Workspace
) -> None:
    group, field = RENEWAL_FIELD.split("/")
    acme = (await pendo.get(f"/api/v1/account/{ACME}")).json()["metadata"]
    days = (acme[group][field] - ws.now_ms) / 86_400_000
    assert 19 < days <= 20  # today's local midnight + 20 days
    schema = (await pendo.get("/api/v1/metadata/schema/account")).json()
    assert schema[group][field]["Type"] == "time"  # Pendo's type for a date


@pytest.mark.parametrize("period", ["dayRange", "hourRange"])
async def test_a_first_out_of_range_is_a_400(pendo: httpx.AsyncClient, period: str) -> None:
    body = queries.envelope("t", [source("pageEvents", 10**20, 1, period)])
    assert (await pendo.post("/api/v1/aggregation", json=body)).status_code == 400
