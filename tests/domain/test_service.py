"""The customer lookup end to end over the sample workspace: figures, privacy, timeline, failures, politeness.

Every expected number comes from the `oracle` (plain loops over `ws.events`), never from `bot.domain`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import pytest

from bot.deadline import answer_deadline
from bot.domain.models import NotFoundInPendo, TimelineEntry, VisitorFacts
from bot.domain.tickets import MARKER
from bot.http.errors import AuthError
from bot.render import words
from bot.sample import (
    ACME,
    DORMANT,
    JANE,
    MULTI,
    MULTI_ACCOUNTS,
    POWER_USER,
    PRIVATE,
    SAM,
    SAM_VISITOR_ID,
    SAMPLE_PENDO_KEY,
    SOLO,
    STARK,
    TICKET_AFTER_MIDNIGHT,
    TICKET_PRIVATE,
    TICKET_SAM,
    TONY,
)
from bot.sample.data import SLASH_VISITOR_ID

from .conftest import DAY, HOUR, MIDNIGHT, NOW, PREVIOUS_START, WINDOW_START, Make, Oracle, local_midnight


def frequency(days: int) -> str:
    if days >= 13:
        return "daily"
    if days >= 5:
        return "weekly"
    if days >= 1:
        return "monthly"
    return "inactive"


ACCOUNT_RECORDS = r'"source":\s*\{\s*"accounts"'  # the body of the account-records aggregation


def history_requests(env: Any, visitor_id: str) -> list[Any]:
    return [r for r in env.requests if r.path == f"/api/v1/visitor/{visitor_id}/history"]


def filters(pipeline: list[dict[str, Any]]) -> list[str]:
    return [stage["filter"] for stage in pipeline if "filter" in stage]


async def lookup_context(env: Any, text: str, **kw: Any) -> VisitorFacts:
    result = await env.deps.customers.lookup(text, **kw)
    assert isinstance(result, VisitorFacts), result
    return result


# --- 1. figures ------------------------------------------------------------------------------------------
def test_the_sample_visitors_cover_every_bucket(oracle: Oracle) -> None:
    """Guards the figure tests below against passing on trivial data (all zeros, one bucket)."""
    days = {who: oracle.figures(who, WINDOW_START).days_active for who in (JANE, POWER_USER, MULTI, DORMANT)}
    assert days[POWER_USER] == 30
    assert days[DORMANT] == 0
    assert frequency(days[JANE]) == "daily" and 13 <= days[JANE] < 30
    assert frequency(days[MULTI]) == "weekly"
    assert oracle.figures(DORMANT, PREVIOUS_START).events > 0  # a trend against real previous activity
    assert oracle.figures(JANE, WINDOW_START).daily[-1] > 0  # today counts


@pytest.mark.parametrize("visitor", [JANE, POWER_USER, MULTI, DORMANT, SOLO])
async def test_visitor_figures_match_the_raw_events(make_env: Make, oracle: Oracle, visitor: str) -> None:
    env = make_env()
    ctx = await lookup_context(env, visitor)
    current = oracle.figures(visitor, WINDOW_START)
    previous = oracle.figures(visitor, PREVIOUS_START)
    u = ctx.usage
    assert u is not None
    assert (u.days_active, u.events, u.minutes) == (current.days_active, current.events, current.minutes)
    assert (u.days_trend.current, u.days_trend.previous) == (current.days_active, previous.days_active)
    assert (u.events_trend.current, u.events_trend.previous) == (current.events, previous.events)
    assert (u.minutes_trend.current, u.minutes_trend.previous) == (current.minutes, previous.minutes)
    assert u.frequency == frequency(current.days_active)
    assert u.daily_events == current.daily
    assert len(u.daily_events) == 30
    assert sum(u.daily_events) == u.events


@pytest.mark.parametrize("visitor", [JANE, POWER_USER, MULTI, DORMANT])
async def test_top_features_and_pages_match_the_raw_events(
    make_env: Make, oracle: Oracle, visitor: str
) -> None:
    env = make_env()
    u = (await lookup_context(env, visitor)).usage
    assert u is not None
    got_features = [(i.id, i.name, i.events, i.minutes) for i in u.top_features]
    got_pages = [(i.id, i.name, i.events, i.minutes) for i in u.top_pages]
    assert got_features == oracle.top(visitor, "feature")
    assert got_pages == oracle.top(visitor, "page")
    for item in u.top_features:
        assert item.url == f"https://app.pendo.io/features/{item.id}"
    for item in u.top_pages:
        assert item.url == f"https://app.pendo.io/pages/{item.id}"


async def test_top_items_follow_the_configured_count(make_env: Make, oracle: Oracle) -> None:
    env = make_env(top_items=3)
    u = (await lookup_context(env, POWER_USER)).usage
    assert u is not None
    assert [i.id for i in u.top_features] == [row[0] for row in oracle.top(POWER_USER, "feature", 3)]
    assert len(u.top_pages) == 3


@pytest.mark.parametrize("visitor", [JANE, MULTI, DORMANT, SOLO])
async def test_account_figures_match_the_raw_events(
    make_env: Make, oracle: Oracle, ws: Any, visitor: str
) -> None:
    env = make_env()
    ctx = await lookup_context(env, visitor)
    expected_ids = ws.visitors[visitor]["accountIds"]
    assert [a.id for a in ctx.accounts] == expected_ids
    if visitor == MULTI:
        assert expected_ids == list(MULTI_ACCOUNTS)
    for account in ctx.accounts:
        want = oracle.account(account.id)
        assert account.usage is not None, account
        got = account.usage
        assert (got.unique_visitors, got.days_active, got.events, got.minutes) == (
            want.unique_visitors,
            want.days_active,
            want.events,
            want.minutes,
        ), account.id
        assert account.name == ws.accounts[account.id]["metadata"]["agent"]["name"]
        assert account.url == f"https://app.pendo.io/account/{account.id}"
        assert account.gap is None
    assert ctx.gaps == []


async def test_account_figures_count_every_visitor_of_the_account(make_env: Make, oracle: Oracle) -> None:
    """Acme has several visitors: the account's figures are theirs together, not Jane's alone."""
    env = make_env()
    ctx = await lookup_context(env, JANE)
    acme = ctx.accounts[0]
    assert acme.id == ACME and acme.usage is not None
    assert acme.usage.unique_visitors == oracle.account(ACME).unique_visitors > 1
    assert acme.usage.events > oracle.figures(JANE, WINDOW_START).events


# --- 3. privacy ------------------------------------------------------------------------------------------
async def test_opted_out_visitor_shows_nothing_and_fetches_nothing(make_env: Make) -> None:
    env = make_env()
    ctx = await lookup_context(env, PRIVATE)
    p = ctx.profile
    assert p.opted_out is True
    assert ctx.usage is None and ctx.timeline is None and ctx.accounts == []
    assert p.name is None and p.fields == [] and p.last_visit_ms is None and p.first_visit_ms is None
    assert p.browser is None and p.os is None
    paths = [r.path for r in env.requests]
    assert paths == [f"/api/v1/visitor/{PRIVATE}"], paths  # the visitor record, to learn the opt-out
    assert not [p for p in paths if p.endswith("/history") or p == "/api/v1/aggregation"]


async def test_opted_out_ticket_requester_fetches_nothing_either(make_env: Make) -> None:
    env = make_env()
    bundle = await env.tickets.ticket(TICKET_PRIVATE)
    tc = await env.tickets.requester_facts(bundle)
    assert isinstance(tc.pendo, VisitorFacts) and tc.pendo.profile.opted_out
    assert tc.pendo.timeline is None and tc.pendo.usage is None
    assert [r.path for r in env.requests] == [f"/api/v1/visitor/{PRIVATE}"]


async def test_opted_out_account_is_summarised_without_its_activity(make_env: Make, oracle: Oracle) -> None:
    env = make_env()
    ctx = await lookup_context(env, TONY)
    assert ctx.usage is not None and ctx.usage.events == oracle.figures(TONY, WINDOW_START).events
    [stark] = ctx.accounts
    assert stark.id == STARK and stark.opted_out is True
    assert stark.usage is None and stark.fields == [] and stark.gap is None
    assert ctx.gaps == []
    activity = [p for p in env.aggregations() if "timeSeries" in p[0]["source"]]
    assert activity
    for pipeline in activity:
        for expr in filters(pipeline):
            assert '"stark"' not in expr, expr


# --- 4. timeline -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("reading", ["calendar", "24h"])
async def test_ticket_after_midnight_timeline_spans_both_days(
    make_env: Make, oracle: Oracle, reading: str
) -> None:
    env = make_env(timeline_limit=50, pendo_options={"history_reading": reading})
    bundle = await env.tickets.ticket(TICKET_AFTER_MIDNIGHT)
    tc = await env.tickets.requester_facts(bundle)
    ctx = tc.pendo
    assert isinstance(ctx, VisitorFacts), tc
    assert ctx.profile.id == POWER_USER
    t = ctx.timeline
    assert t is not None
    created = oracle.ticket_created_ms(TICKET_AFTER_MIDNIGHT)
    assert MIDNIGHT < created < MIDNIGHT + HOUR  # the scenario: filed just after midnight
    assert t.anchor_ms == created
    assert t.start_ms == created - 24 * HOUR and t.hours == 24
    assert t.entries[0] == TimelineEntry(ts_ms=created, kind="ticket", name=MARKER)
    assert t.marker == MARKER

    expected, hidden = oracle.timeline(POWER_USER, created - 24 * HOUR, created)
    got = [(e.ts_ms, e.kind, e.name, e.count) for e in t.entries[1:]]
    shown = expected[: 50 - 1]
    assert got == shown
    assert t.more == len(expected) + 1 - len(t.entries)
    assert t.hidden_untagged == hidden
    assert any(e.ts_ms < MIDNIGHT for e in t.entries[1:]) and any(e.ts_ms >= MIDNIGHT for e in t.entries[1:])
    assert all(created - 24 * HOUR <= e.ts_ms <= created for e in t.entries)

    starts = sorted(int(r.params["starttime"]) for r in history_requests(env, POWER_USER))
    # the window's start and the anchor (each at its quarter hour, for the cache): both readings
    q = (created - 24 * HOUR) % (15 * 60_000)
    assert starts == [created - 24 * HOUR - q, created - q]


async def test_ticket_timeline_with_the_default_cap(make_env: Make, oracle: Oracle) -> None:
    """Default limit 15: the marker plus the 14 newest entries; `more` counts the rest."""
    env = make_env()
    bundle = await env.tickets.ticket(TICKET_AFTER_MIDNIGHT)
    ctx = (await env.tickets.requester_facts(bundle)).pendo
    assert isinstance(ctx, VisitorFacts) and ctx.timeline is not None
    created = oracle.ticket_created_ms(TICKET_AFTER_MIDNIGHT)
    expected, _ = oracle.timeline(POWER_USER, created - 24 * HOUR, created)
    t = ctx.timeline
    assert len(t.entries) == 15
    assert [(e.ts_ms, e.kind, e.name, e.count) for e in t.entries[1:]] == expected[:14]
    assert t.more == len(expected) + 1 - 15
    # The export the ticket is about, on both sides of midnight, is among what is shown.
    names_after = [e.name for e in t.entries[1:] if e.ts_ms >= MIDNIGHT]
    names_before = [e.name for e in t.entries[1:] if e.ts_ms < MIDNIGHT]
    assert "Export CSV" in names_after and "Export CSV" in names_before


async def test_lookup_timeline_ends_now_and_collapses_repeats(make_env: Make, oracle: Oracle) -> None:
    """Jane's billing trouble: three clicks on the same feature in a row become one entry ×3."""
    env = make_env(timeline_limit=50)
    ctx = await lookup_context(env, JANE)
    t = ctx.timeline
    assert t is not None and t.marker is None
    assert t.anchor_ms == NOW and t.start_ms == NOW - 24 * HOUR
    expected, hidden = oracle.timeline(JANE, NOW - 24 * HOUR, NOW)
    assert [(e.ts_ms, e.kind, e.name, e.count) for e in t.entries] == expected[:50]
    assert hidden >= 1 and t.hidden_untagged == hidden
    assert ("feature", "Update payment method", 3) in [(e.kind, e.name, e.count) for e in t.entries]


# --- 5. partial failure ------------------------------------------------------------------------------------
async def test_failing_account_becomes_a_gap_and_the_rest_is_shown(make_env: Make, oracle: Oracle) -> None:
    env = make_env()
    env.controls.fail(r"^/api/v1/aggregation$", 500, body_regex=ACCOUNT_RECORDS)
    ctx = await lookup_context(env, JANE)
    assert ctx.usage is not None and ctx.usage.events == oracle.figures(JANE, WINDOW_START).events
    assert ctx.timeline is not None and len(ctx.timeline.entries) > 0
    [acme] = ctx.accounts
    assert acme.id == ACME and acme.usage is None
    assert acme.gap and "unavailable" in str(acme.gap)
    assert len(ctx.gaps) == 1
    assert ACME in words.gap_line(ctx.gaps[0]) and "Try again" in words.gap_line(ctx.gaps[0])
    account_calls = [r for r in env.requests if re.search(ACCOUNT_RECORDS.encode(), r.body)]
    assert len(account_calls) == 3  # retried (5xx), within the policy's 3 attempts


async def test_slow_history_becomes_a_gap_at_the_deadline(make_env: Make, oracle: Oracle) -> None:
    env = make_env(lookup_deadline_seconds=1)
    env.controls.fail(r"/history$", 503, delay=2)
    ctx = await lookup_context(env, JANE)
    assert ctx.usage is not None and ctx.usage.days_active == oracle.figures(JANE, WINDOW_START).days_active
    assert ctx.accounts and ctx.accounts[0].usage is not None
    assert ctx.timeline is None
    assert [words.gap_line(g) for g in ctx.gaps] == [
        "Recent activity unavailable: Pendo did not answer in 1 s. Try again in a minute."
    ]


async def test_the_answer_deadline_started_at_the_ack_is_the_one_every_part_keeps(make_env: Make) -> None:
    # LOOKUP_DEADLINE_SECONDS is 5, but the answer's deadline (started earlier, at the ack) has 1 s left:
    # the slow part is cut at that one and says so, whichever of the customer lookup or the send sees it
    env = make_env(lookup_deadline_seconds=5)
    env.controls.fail(r"/history$", 503, delay=2)
    with answer_deadline(1):
        ctx = await lookup_context(env, JANE)
    assert ctx.timeline is None and ctx.usage is not None
    assert [words.gap_line(g) for g in ctx.gaps] == [
        "Recent activity unavailable: Pendo did not answer in 1 s. Try again in a minute."
    ]


async def test_rejected_key_fails_the_whole_lookup_without_leaking_it(make_env: Make) -> None:
    key = "5f2c8a1e-9d4b-4c3a-8e7f-0a1b2c3d4e5f"
    env = make_env(pendo_integration_key=f"{key}.us", pendo_app_key=key)
    env.controls.fail(r"^/api/v1/visitor/", 401)
    with pytest.raises(AuthError) as caught:
        await env.deps.customers.lookup(JANE)
    exc = caught.value
    assert "PENDO_INTEGRATION_KEY" in (exc.hint or "") and "integration key" in words.admin_sentence(exc)
    for text in (words.admin_sentence(exc), str(exc), exc.detail, repr(exc)):
        assert key not in text
    assert [r.path for r in env.requests] == [f"/api/v1/visitor/{JANE}"]  # 401 is not retried
    assert env.requests[0].headers["x-pendo-integration-key"] == key  # the region suffix is stripped


async def test_wrong_key_403_is_an_auth_error(make_env: Make) -> None:
    env = make_env(pendo_integration_key="not-the-right-key")
    with pytest.raises(AuthError) as caught:
        await env.deps.customers.lookup(JANE)
    assert "PENDO_INTEGRATION_KEY" in (
        caught.value.hint or ""
    ) and "another Pendo region" in words.admin_sentence(caught.value)
    assert "not-the-right-key" not in words.admin_sentence(caught.value) + str(caught.value)


# --- 6. politeness -----------------------------------------------------------------------------------------
async def test_a_repeated_lookup_within_the_ttl_sends_nothing(make_env: Make) -> None:
    env = make_env()
    first = await lookup_context(env, JANE)
    sent, calls = len(env.requests), env.deps.pendo.calls
    second = await lookup_context(env, JANE)
    assert len(env.requests) == sent and env.deps.pendo.calls == calls
    assert second == first


async def test_a_cold_lookup_sends_a_bounded_set_of_scoped_requests(make_env: Make, oracle: Oracle) -> None:
    env = make_env()
    await lookup_context(env, JANE)
    paths = sorted(f"{r.method} {r.path}" for r in env.requests)
    # visitor 1 + visitor schema 1 + usage (per-day activity over both periods, features per day, top
    # pages; page and feature catalogs) 5 + accounts (records, figures, account schema) 3 + timeline (2
    # history calls, track type catalog) 3 + survey answers (pollEvents) 1 = 14, and the guides: those
    # the timeline names and those answered, each asked once (one request when one set is in flight
    # already, as for Jane, whose timeline's guide is one she answered; at most two)
    guide_requests = paths.count("GET /api/v1/guide")
    assert 1 <= guide_requests <= 2
    assert paths == sorted(
        [
            f"GET /api/v1/visitor/{JANE}",
            "GET /api/v1/metadata/schema/visitor",
            "GET /api/v1/metadata/schema/account",
            f"GET /api/v1/visitor/{JANE}/history",
            f"GET /api/v1/visitor/{JANE}/history",
            "GET /api/v1/page",
            "GET /api/v1/feature",
            "GET /api/v1/tracktype",
            *["GET /api/v1/guide"] * guide_requests,
            *["POST /api/v1/aggregation"] * 7,
        ]
    )
    assert env.deps.pendo.calls == 15 + guide_requests
    # No request twice.
    keys = [(r.method, r.path, r.query, r.body) for r in env.requests]
    assert len(set(keys)) == len(keys)
    # Guides only for those the timeline shows and those whose polls were answered, never the catalog.
    asked = sorted(sorted(r.params["id"].split(",")) for r in env.requests if r.path == "/api/v1/guide")
    seen = {str(e.object_id) for e in oracle.ws.events if e.visitor_id == JANE and e.kind == "guide"}
    seen = {
        g
        for g in seen
        if any(e.object_id == g and e.ts >= NOW - 24 * HOUR for e in oracle.ws.events if e.visitor_id == JANE)
    }
    year = local_midnight(NOW, -364)
    answered = {
        r["guideId"] for r in oracle.ws.poll_events if r["visitorId"] == JANE and r["browserTime"] >= year
    }
    flat = [g for ids in asked for g in ids]
    assert seen and answered and sorted(flat) == sorted(seen | answered)  # each guide asked once
    assert seen & answered  # Jane's case: a guide both seen and answered is fetched once, not twice
    pipelines = env.aggregations()
    assert len(pipelines) == 7
    last_visit = oracle.ws.visitors[JANE]["metadata"]["auto"]["lastvisit"]
    for pipeline in pipelines:
        source = pipeline[0]["source"]
        [expr] = filters(pipeline)
        if "accounts" in source:  # the account records
            assert expr == f'accountId == "{ACME}"'
            continue
        if "pollEvents" in source:  # 365 local days of survey answers, today included
            series = source["timeSeries"]
            assert series["count"] == 365 and expr == f'visitorId == "{JANE}"'
            first_day = local_midnight(NOW, -364)
            assert first_day <= series["first"] < first_day + DAY
            continue
        series = source["timeSeries"]
        if series["period"] == "hourRange":  # the page rows per hour of the 24 h up to her latest visit
            assert series["count"] == 24 and expr == f'visitorId == "{JANE}"'
            assert series["first"] == last_visit - last_visit % HOUR - 23 * HOUR
            continue
        assert series["period"] == "dayRange"
        # An instant inside the first wanted local day: Pendo rounds it down to that local midnight.
        first_day = {30: WINDOW_START, 60: PREVIOUS_START}[series["count"]]
        assert first_day <= series["first"] < first_day + DAY
        assert re.fullmatch(rf'(visitorId == "{re.escape(JANE)}"|accountId == "{ACME}")', expr), expr


async def test_a_repeat_a_few_minutes_later_asks_pendo_nothing(make_env: Make) -> None:
    """Within the cache TTL a repeat costs no upstream call, although "now" (the timeline's anchor) moved."""
    env = make_env()
    assert isinstance(await env.deps.customers.lookup(JANE), VisitorFacts)
    sent = len(env.requests)
    make_env.now_ms += 4 * 60_000  # type: ignore[attr-defined]  # the factory's clock
    assert isinstance(await env.deps.customers.lookup(JANE), VisitorFacts)
    assert len(env.requests) == sent


async def test_every_request_carries_the_integration_key(make_env: Make) -> None:
    env = make_env()
    await lookup_context(env, MULTI)
    assert env.requests
    assert all(r.headers.get("x-pendo-integration-key") == SAMPLE_PENDO_KEY for r in env.requests)


async def test_concurrent_identical_lookups_share_their_requests(make_env: Make) -> None:
    env = make_env()
    first, second = await asyncio.gather(lookup_context(env, JANE), lookup_context(env, JANE))
    assert first == second
    guides = [r for r in env.requests if r.path == "/api/v1/guide"]
    assert env.deps.pendo.calls == len(env.requests) == 15 + len(guides) <= 17
    asked = [g for r in guides for g in r.params["id"].split(",")]
    assert len(asked) == len(set(asked))  # no guide asked twice, whoever asked first


# --- more shapes -----------------------------------------------------------------------------------------
async def test_untagged_pages_shown_when_configured(make_env: Make, oracle: Oracle) -> None:
    env = make_env(timeline_limit=50, show_untagged_pages=True)
    ctx = await lookup_context(env, JANE)
    assert ctx.timeline is not None
    expected, hidden = oracle.timeline(JANE, NOW - 24 * HOUR, NOW, show_untagged=True)
    assert hidden == 0 and ctx.timeline.hidden_untagged == 0
    assert [(e.ts_ms, e.kind, e.name, e.count) for e in ctx.timeline.entries] == expected[:50]
    assert "untagged" in [e.kind for e in ctx.timeline.entries]


async def test_timeline_hours_setting_widens_the_window(make_env: Make, oracle: Oracle) -> None:
    env = make_env(timeline_limit=50, timeline_hours=72)
    ctx = await lookup_context(env, JANE)
    t = ctx.timeline
    assert t is not None and t.start_ms == NOW - 72 * HOUR and t.hours == 72
    expected, _ = oracle.timeline(JANE, NOW - 72 * HOUR, NOW)
    assert [(e.ts_ms, e.kind, e.name, e.count) for e in t.entries] == expected[:50]
    starts = sorted(int(r.params["starttime"]) for r in history_requests(env, JANE))
    q = NOW % (15 * 60_000)  # each asked at its quarter hour, so that a repeat hits the cache
    assert starts == [NOW - q - 72 * HOUR, NOW - q - 48 * HOUR, NOW - q - 24 * HOUR, NOW - q]


async def test_anchor_in_the_future_is_clamped_to_now(make_env: Make) -> None:
    env = make_env()
    ctx = await lookup_context(env, JANE, anchor_ms=NOW + 5 * DAY, marker=MARKER)
    assert ctx.timeline is not None and ctx.timeline.anchor_ms == NOW
    assert ctx.timeline.entries[0].ts_ms == NOW


async def test_for_visitor_id(make_env: Make, oracle: Oracle) -> None:
    env = make_env()
    ctx = await env.deps.customers.for_visitor_id(SAM_VISITOR_ID)
    assert isinstance(ctx, VisitorFacts) and ctx.profile.id == SAM_VISITOR_ID
    assert ctx.profile.email is None  # ID mode, and the ID is not an email: nothing typed to show
    assert ctx.usage is not None and ctx.usage.events == oracle.figures(SAM_VISITOR_ID, WINDOW_START).events
    missing = await env.deps.customers.for_visitor_id("u-does-not-exist")
    assert missing == NotFoundInPendo(email="u-does-not-exist", searched="visitor ID")


async def test_profile_fields_come_from_the_visitor_record(make_env: Make, ws: Any, oracle: Oracle) -> None:
    env = make_env()
    p = (await lookup_context(env, JANE)).profile
    meta = ws.visitors[JANE]["metadata"]
    assert p.name == "Jane Doe"
    assert p.account_ids == [ACME]
    assert p.last_visit_ms == oracle.last_visit(JANE)
    assert p.first_visit_ms == min(e.ts for e in ws.events if e.visitor_id == JANE)
    assert p.browser == f"{meta['auto']['lastbrowsername']} {meta['auto']['lastbrowserversion']}"
    assert p.os == meta["auto"]["lastoperatingsystem"]
    assert [(f.label, f.value) for f in p.fields] == [
        ("Role", meta["agent"]["role"]),
        ("Language", meta["agent"]["language"]),
        ("Plan Level", meta["custom"]["planlevel"]),
    ]
    assert p.url == f"https://app.pendo.io/visitor/{JANE.replace('@', '%40')}"


async def test_metadata_mode_ticket_requester_is_found_despite_case(make_env: Make) -> None:
    env = make_env(pendo_email_field="agent/email")
    bundle = await env.tickets.ticket(TICKET_SAM)
    assert bundle.requester_email == SAM.lower()
    tc = await env.tickets.requester_facts(bundle)
    assert isinstance(tc.pendo, VisitorFacts) and tc.pendo.profile.id == SAM_VISITOR_ID
    assert tc.pendo.timeline is not None and tc.pendo.timeline.marker == MARKER


async def test_failing_account_schema_does_not_hide_the_account(make_env: Make, oracle: Oracle) -> None:
    """Labels are a nicety: without the account schema the account is still shown, with raw field names."""
    env = make_env()
    env.controls.fail(r"/metadata/schema/account$", 500)
    ctx = await lookup_context(env, JANE)
    [acme] = ctx.accounts
    assert acme.usage is not None and acme.usage.events == oracle.account(ACME).events
    assert acme.gap is None and ctx.gaps == []
    assert [f.label for f in acme.fields] == ["planlevel", "renewaldate"]


async def test_failing_catalogs_only_lose_names(make_env: Make, oracle: Oracle) -> None:
    """...and the NPS, whose polls are known from the guides: said as a gap."""
    env = make_env()
    env.controls.fail(r"^/api/v1/(page|feature|tracktype|guide)$", 500)
    ctx = await lookup_context(env, JANE)
    assert ctx.nps is None and [str(g).split(":")[0] for g in ctx.gaps] == ["Survey answers unavailable"]
    assert ctx.usage is not None and ctx.timeline is not None
    assert [i.id for i in ctx.usage.top_features] == [row[0] for row in oracle.top(JANE, "feature")]
    assert {i.name for i in ctx.usage.top_features} == {"Unrecognized feature"}
    assert {e.name for e in ctx.timeline.entries} <= {
        "Unrecognized page",
        "Unrecognized feature",
        "Unrecognized track event",
        "Unrecognized guide",
    }


async def test_failing_visitor_schema_only_loses_labels(make_env: Make, ws: Any) -> None:
    env = make_env()
    env.controls.fail(r"/metadata/schema/visitor$", 500)
    ctx = await lookup_context(env, JANE)
    assert ctx.gaps == [] and ctx.usage is not None
    assert [f.label for f in ctx.profile.fields] == ["role", "language", "planlevel"]


# --- history limits ----------------------------------------------------------------------------------------
async def test_an_anchor_older_than_pendo_keeps_history_says_so(make_env: Make) -> None:
    env = make_env()
    ctx = await lookup_context(env, JANE, anchor_ms=NOW - 200 * DAY, marker=MARKER)
    assert ctx.timeline is None and ctx.usage is not None
    assert [words.gap_line(g) for g in ctx.gaps] == [
        "Recent activity unavailable: Pendo keeps history for about 180 days, and this moment is older "
        "than that."
    ]
    assert history_requests(env, JANE) == []  # nothing asked that Pendo no longer has


async def test_one_malformed_history_item_is_skipped_and_counted(
    make_env: Make, caplog: pytest.LogCaptureFixture
) -> None:
    env = make_env()
    good = {"type": "page", "ts": NOW - HOUR, "pageId": "page-dashboard", "lastTs": None, "uri": None}
    body = json.dumps([good, {"type": "feature", "ts": None, "featureId": "feature-add-chart"}])
    env.controls.fail(r"/history$", 200, body=body)
    with caplog.at_level(logging.WARNING):
        ctx = await lookup_context(env, JANE)
    assert ctx.timeline is not None and ctx.gaps == []
    assert [(e.ts_ms, e.kind, e.name) for e in ctx.timeline.entries] == [(NOW - HOUR, "page", "Dashboard")]
    skipped = [
        r.__dict__["skipped"] for r in caplog.records if r.getMessage() == "skipped malformed history items"
    ]
    assert skipped and set(skipped) == {1}  # once per history call, each with its one bad item


async def test_a_refused_lc_lookup_falls_back_to_the_exact_match_search(make_env: Make) -> None:
    """The `_lc_` endpoint is undocumented: a 400 (no lower-cased index) is no match, then the aggregation."""
    env = make_env(pendo_email_field="agent/email")
    env.controls.fail(r"^/api/v1/visitor/metadata/", 400)
    ctx = await lookup_context(env, SAM)
    assert ctx.profile.id == SAM_VISITOR_ID and ctx.gaps == []
    lookups = [r for r in env.requests if r.path.startswith("/api/v1/visitor/metadata/")]
    assert len(lookups) == 1  # a 400 is not retried
    searches = [p for p in env.aggregations() if p[0]["source"] == {"visitors": None}]
    assert len(searches) == 1 and "metadata.agent.email" in searches[0][2]["filter"]


async def test_a_visitor_id_with_a_slash_is_found_by_aggregation(make_env: Make, oracle: Oracle) -> None:
    env = make_env()
    ctx = await env.deps.customers.for_visitor_id(SLASH_VISITOR_ID)
    assert isinstance(ctx, VisitorFacts) and ctx.profile.id == SLASH_VISITOR_ID
    assert ctx.profile.name == "Kim Park" and ctx.profile.account_ids == [ACME]
    assert ctx.usage is not None and ctx.usage.events == oracle.figures(SLASH_VISITOR_ID, WINDOW_START).events
    assert ctx.gaps == []
    # Found through a `visitors` aggregation filtered on visitorId, never GET /visitor/okta/kim.park.
    assert not [r for r in env.requests if r.path == f"/api/v1/visitor/{SLASH_VISITOR_ID}"]
    [lookup] = [p for p in env.aggregations() if p[0]["source"] == {"visitors": None}]
    assert filters(lookup) == [f'visitorId == "{SLASH_VISITOR_ID}"']
