"""The account summary: figures against the raw events (the oracle's plain loops), the name search, and
the Pendo calls one summary makes, counted by endpoint and by query."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from bot.domain.models import AccountChoice, AccountFacts, AccountNotFound, InvalidInput
from bot.pendo import queries
from bot.sample import ACME, Workspace
from bot.sample.data import ACME_NAMESAKE, GLOBEX, STARK

from .conftest import NOW, Env, Make, Oracle, local_day, local_midnight
from .test_fanout import endpoint

EVENT_KINDS = ("page", "feature", "untagged")


def account_events(ws: Workspace, account_id: str, start: int, end: int) -> list[Any]:
    return [
        e
        for e in ws.events
        if e.account_id == account_id and start <= e.ts < end and e.ts <= NOW and e.kind in EVENT_KINDS
    ]


def period(oracle: Oracle, ws: Workspace, account_id: str, start: int) -> tuple[int, int, int, int]:
    """(unique visitors, days active, events, minutes) of one 30-day period starting at `start`."""
    events = account_events(ws, account_id, start, local_midnight(start, 30, oracle.zone))
    minutes: dict[tuple[Any, ...], set[int]] = {}
    for e in events:
        minutes.setdefault((oracle.day(e.ts), e.visitor_id, e.kind, e.object_id), set()).add(e.ts // 60_000)
    days = {local_day(e.ts, oracle.zone) for e in events}
    return (
        len({e.visitor_id for e in events}),
        len(days),
        len(events),
        sum(len(m) for m in minutes.values()),
    )


async def summary(env: Env, query: str) -> AccountFacts:
    result = await env.deps.customers.account(query)
    assert isinstance(result, AccountFacts), result
    return result


@pytest.mark.parametrize("account_id", [ACME, GLOBEX])
async def test_account_figures_match_the_raw_events(
    make_env: Make, ws: Workspace, oracle: Oracle, account_id: str
) -> None:
    ctx = await summary(make_env(), account_id)
    previous_start, current_start, _ = oracle.windows()
    now_visitors, now_days, now_events, now_minutes = period(oracle, ws, account_id, current_start)
    before = period(oracle, ws, account_id, previous_start)
    f = ctx.figures
    assert f is not None and ctx.gaps == []
    assert now_events > 0 and before[2] > 0  # the sample gives both periods activity
    assert (f.active_visitors.current, f.days_active.current) == (now_visitors, now_days)
    assert (f.events.current, f.minutes.current) == (now_events, now_minutes)
    assert (
        f.active_visitors.previous,
        f.days_active.previous,
        f.events.previous,
        f.minutes.previous,
    ) == before
    assert f.frequency.value == ("daily" if now_days >= 13 else "weekly" if now_days >= 5 else "monthly")

    daily = [0] * 30
    first = local_day(current_start, oracle.zone).date()
    for e in account_events(ws, account_id, current_start, NOW + 1):
        daily[(local_day(e.ts, oracle.zone).date() - first).days] += 1
    assert f.daily_events == daily and sum(daily) == now_events

    per_visitor: Counter[str] = Counter(
        e.visitor_id for e in account_events(ws, account_id, current_start, NOW + 1)
    )
    expected = sorted(per_visitor.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert [(v.id, v.events) for v in f.top_visitors] == expected
    for v in f.top_visitors:
        record = ws.visitors[v.id]
        assert v.name == record["metadata"]["agent"]["name"]
        assert v.last_visit_ms == oracle.last_visit(v.id)

    for kind, items in (("feature", f.top_features), ("page", f.top_pages)):
        counts: Counter[str] = Counter(
            str(e.object_id) for e in account_events(ws, account_id, current_start, NOW + 1) if e.kind == kind
        )
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        assert [(i.id, i.events) for i in items] == top
        assert all(i.name == oracle.names[kind][i.id] for i in items)
    names = {f.label: f.value for f in ctx.fields}
    assert names["Plan Level"] == ws.accounts[account_id]["metadata"]["custom"]["planlevel"]


async def test_by_name_ignores_case_and_offers_a_choice_between_namesakes(make_env: Make) -> None:
    env = make_env()
    one = await summary(env, "globex CORPORATION")
    assert one.id == GLOBEX and one.name == "Globex Corporation"
    for typed in ("acme corp", "Acme Corp", "ACME CORP"):
        choice = await env.deps.customers.account(typed)
        assert isinstance(choice, AccountChoice), typed
        assert sorted(a.id for a in choice.accounts) == sorted([ACME, ACME_NAMESAKE])
    assert isinstance(await env.deps.customers.account("Acme"), AccountNotFound)  # whole names only
    with pytest.raises(InvalidInput):
        await env.deps.customers.account("   ")


async def test_an_opted_out_account_is_named_and_never_queried_for_activity(make_env: Make) -> None:
    env = make_env()
    ctx = await summary(env, STARK)
    assert ctx.opted_out and ctx.figures is None and ctx.fields == []
    bodies = [r.body.decode() for r in env.requests if r.path == "/api/v1/aggregation"]
    assert bodies and not any('"events"' in b or "Events" in b for b in bodies)


async def test_pendo_calls_per_account_summary_are_fixed_and_scoped(make_env: Make, ws: Workspace) -> None:
    """11 calls for a summary by ID (record, per-day, two period totals, top visitors and their records,
    the features used per day over both periods, how many visitors used any, top pages, the pages with
    friction, the survey answers) with the catalogs, schema and guides warm; each event query is one account and 30 days (the
    features per day 60: the depth's trend), the survey answers 90 days."""
    counts = {}
    for account_id in (ACME, GLOBEX):
        env = make_env()
        pendo = env.deps.pendo
        for kind in ("page", "feature"):
            await pendo.catalog(kind)
        await pendo.schema("account")
        await pendo.guides([str(g["id"]) for g in ws.guides])
        env.controls.clear()
        await summary(env, account_id)
        by_endpoint = Counter(endpoint(r.method, r.path) for r in env.requests)
        by_query = Counter(str(r.json()["request"]["requestId"]) for r in env.requests)
        counts[account_id] = by_endpoint
        assert by_endpoint == Counter({"POST /api/v1/aggregation": 11})
        assert by_query == Counter(
            {
                "pendo-slack-accounts": 1,
                "pendo-slack-account-daily": 1,
                "pendo-slack-account-totals": 2,
                "pendo-slack-account-top-visitors": 1,
                "pendo-slack-visitors-by-id": 1,
                "pendo-slack-account-features": 1,
                "pendo-slack-account-feature-visitors": 1,
                "pendo-slack-account-top-pages": 1,
                "pendo-slack-account-friction": 1,
                "pendo-slack-account-nps": 1,
            }
        )
        for r in env.requests:
            pipeline = r.json()["request"]["pipeline"]
            series = pipeline[0]["source"].get("timeSeries")
            if series is not None:
                query = r.json()["request"]["requestId"]
                days = 90 if "pollEvents" in pipeline[0]["source"] else 60 if "features" in query else 30
                assert series["count"] == days if days != 30 else series["count"] <= 30, (query, series)
                scope = f'accountId == "{account_id}"'
                if "friction" in query:  # then only its rows with friction
                    scope += f" && ({queries.FRICTION_ROW})"
                assert pipeline[1] == {"filter": scope}
    print(f"\nPendo calls per account summary: {dict(counts[ACME])}")


async def test_cold_catalogs_add_the_schema_two_catalogs_and_the_guides_answered_once(make_env: Make) -> None:
    env = make_env()
    await summary(env, ACME)
    cold = Counter(endpoint(r.method, r.path) for r in env.requests)
    assert cold == Counter(
        {
            "POST /api/v1/aggregation": 11,
            "GET /api/v1/metadata/schema/account": 1,
            "GET /api/v1/feature": 1,
            "GET /api/v1/page": 1,
            "GET /api/v1/guide": 1,
        }
    )
    env.controls.clear()
    await summary(env, ACME)  # within the cache TTL: nothing asked again
    assert env.requests == []
    print(f"\nPendo calls, cold catalogs: {sum(cold.values())} {dict(cold)}")
