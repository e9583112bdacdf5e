"""Friction, replays and what stands out, checked against the sample's raw events with plain loops, with
Pendo on time and 5 h late (its hourly figures observed lagging by 4-6 h), and without friction fields.

What the sample's rows hold (bot/sample/README.md): a page row per page, local hour or day, visitor and
account counts the friction flags of its page loads and of the clicks on that page in the same bucket;
it exists only when the page was loaded in that bucket; recorded rows carry the session's id.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from bot.domain.models import VisitorFacts
from bot.domain.signals import SignalKind, stand_out
from bot.sample import JANE, TICKET_JANE, Workspace
from bot.sample.data import FEATURE_PAGE_IDS, JANE_BILLING_RECORDING, local_hour

from .conftest import DAY, HOUR, NOW, ZONE, Make, Oracle, local_midnight

SUB = "5629499534213120"
FIELDS = {"rage": "rage", "error": "error", "dead": "dead", "uturn": "uturn"}


def page_of(e: Any) -> str | None:
    return str(e.object_id) if e.kind == "page" else FEATURE_PAGE_IDS.get(str(e.object_id))


def buckets(
    ws: Workspace, visitor: str, start: int, end: int, by: Any
) -> dict[tuple[str, int], dict[str, int]]:
    """(page, bucket) → friction counts, for buckets where the page was loaded, events in [start, end)."""
    loads: set[tuple[str, int, str | None]] = set()
    counts: dict[tuple[str, int, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in ws.events:
        if e.visitor_id != visitor or not start <= e.ts < end or e.kind not in ("page", "feature"):
            continue
        page = page_of(e)
        if page is None:
            continue
        key = (page, by(e.ts), e.account_id)
        if e.kind == "page":
            loads.add(key)
        if e.friction:
            counts[key][e.friction] += 1
    out: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, c in counts.items():
        if key in loads:
            for kind, n in c.items():
                out[key[:2]][kind] += n
    return out


async def jane_ticket(make_env: Make, oracle: Oracle, lag: int, **overrides: Any) -> tuple[VisitorFacts, int]:
    env = make_env(
        pendo_subscription_id=SUB, pendo_options={"lag_hours": lag, "clock": lambda: NOW}, **overrides
    )
    anchor = oracle.ticket_created_ms(TICKET_JANE)
    facts = await env.deps.customers.lookup(JANE, anchor_ms=anchor, marker="Ticket submitted")
    assert isinstance(facts, VisitorFacts) and facts.gaps == []
    return facts, anchor


@pytest.mark.parametrize("lag", [0, 5], ids=["on-time", "5h-late"])
async def test_the_strongest_friction_before_filing_is_the_raw_events(
    make_env: Make, oracle: Oracle, lag: int
) -> None:
    facts, anchor = await jane_ticket(make_env, oracle, lag)
    cutoff = NOW - NOW % HOUR - lag * HOUR if lag else NOW + 1  # Pendo's figures end here
    start = anchor - 24 * HOUR
    hours = buckets(
        oracle.ws, JANE, start - HOUR, min(anchor + HOUR, cutoff), lambda ts: local_hour(ts, ZONE)
    )
    hours = {k: v for k, v in hours.items() if start - HOUR < k[1] < anchor}
    f = facts.friction
    assert f is not None and f.scope == "ticket" and f.end_ms == anchor
    if hours:
        (page, hour), want = max(hours.items(), key=lambda kv: (sum(kv[1].values()), kv[0][1]))
        s = f.strongest
        assert s is not None and (s.object_id, s.hour_ms) == (page, hour)
        assert {k: v for k, v in s.counts.items().items()} == {k: v for k, v in want.items() if v}
    else:
        assert f.strongest is None
    if lag == 0:  # the sample's story: 4 rage clicks on Billing settings just before filing
        assert (
            f.strongest is not None
            and f.strongest.name == "Billing settings"
            and f.strongest.counts.rage == 4
        )
        assert f.data_until_ms is None
    else:  # her page views after the cutoff are in the history, not in Pendo's figures: said, with where
        views = [
            e.ts
            for e in oracle.ws.events
            if e.visitor_id == JANE and e.kind == "page" and start <= e.ts <= anchor
        ]
        late = [t for t in views if t >= cutoff]
        assert late and f.data_until_ms is not None and f.data_until_ms <= min(late)
        assert f.data_until_ms == min(late) - min(late) % HOUR or f.data_until_ms <= cutoff


async def test_the_replay_is_her_recorded_session_before_filing(make_env: Make, oracle: Oracle) -> None:
    facts, _ = await jane_ticket(make_env, oracle, 0)
    assert facts.friction is not None
    near = facts.friction.nearest_replay
    loads = [
        e.ts
        for e in oracle.ws.events
        if e.visitor_id == JANE and e.recording == JANE_BILLING_RECORDING and e.kind == "page"
    ]
    assert near is not None and near.session_id == JANE_BILLING_RECORDING
    assert (near.start_ms, near.end_ms) == (
        min(loads),
        max(loads),
    )  # first and last page view Pendo's rows hold
    assert near.url is not None and near.url.startswith(
        f"https://app.pendo.io/s/{SUB}/replay/player/{JANE_BILLING_RECORDING}?"
    )
    assert (
        f"startTime={near.start_ms}&endTime={near.end_ms}" in near.url
        and "visitorId=jane.doe%40acme.example" in near.url
    )
    assert all(r.session_id != "rec-jane-evening" for r in facts.friction.replays)


async def test_no_replay_links_without_the_subscription_id(make_env: Make, oracle: Oracle) -> None:
    env = make_env()
    facts = await env.deps.customers.lookup(JANE, anchor_ms=oracle.ticket_created_ms(TICKET_JANE), marker="T")
    assert isinstance(facts, VisitorFacts) and facts.friction is not None and facts.friction.replays == []


async def test_the_30_day_line_is_the_raw_flags_of_both_periods(make_env: Make, oracle: Oracle) -> None:
    facts, _ = await jane_ticket(make_env, oracle, 0)
    assert facts.friction is not None and facts.friction.trend is not None
    days = buckets(oracle.ws, JANE, local_midnight(NOW, -59), NOW + 1, lambda ts: local_midnight(ts))
    current: dict[str, int] = defaultdict(int)
    previous: dict[str, int] = defaultdict(int)
    for (_, day), c in days.items():
        into = current if day >= local_midnight(NOW, -29) else previous
        for kind, n in c.items():
            into[kind] += n
    t = facts.friction.trend
    assert {k: v for k, v in t.current.items().items()} == {k: v for k, v in current.items() if v}
    assert {k: v for k, v in t.previous.items().items()} == {k: v for k, v in previous.items() if v}


async def test_without_friction_fields_nothing_is_said(make_env: Make, oracle: Oracle) -> None:
    env = make_env(pendo_subscription_id=SUB, pendo_options={"friction_fields": False})
    facts = await env.deps.customers.lookup(JANE, anchor_ms=oracle.ticket_created_ms(TICKET_JANE), marker="T")
    assert isinstance(facts, VisitorFacts) and facts.friction is None
    assert SignalKind.FRICTION not in [s.kind for s in stand_out(facts)]


async def test_janes_ticket_stands_out_as_a_detractor_with_friction_and_a_renewal(
    make_env: Make, oracle: Oracle
) -> None:
    facts, anchor = await jane_ticket(make_env, oracle, 0, pendo_renewal_field="custom/renewaldate")
    answers = [r for r in oracle.ws.poll_events if r["visitorId"] == JANE and r["browserTime"] <= anchor]
    assert answers
    renewal = oracle.ws.accounts["acme"]["metadata"]["custom"]["renewaldate"]
    kinds = [s.kind for s in stand_out(facts)]
    assert kinds[:2] == [SignalKind.DETRACTOR, SignalKind.FRICTION]
    assert 0 <= renewal - anchor <= 30 * DAY and SignalKind.RENEWAL in kinds  # Acme renews in 20 days


@pytest.mark.parametrize("lag", [0, 5], ids=["on-time", "5h-late"])
async def test_a_lookup_by_email_says_when_her_latest_visit_is_not_in_pendos_figures_yet(
    make_env: Make, oracle: Oracle, lag: int
) -> None:
    env = make_env(pendo_options={"lag_hours": lag, "clock": lambda: NOW})
    facts = await env.deps.customers.lookup(JANE)
    assert isinstance(facts, VisitorFacts) and facts.friction is not None
    f = facts.friction
    last = oracle.last_visit(JANE)
    cutoff = NOW - NOW % HOUR - lag * HOUR
    assert f.scope == "session" and f.end_ms <= last - last % HOUR + HOUR
    if lag and last >= cutoff:  # her latest visit is after Pendo's cut: said, with where the figures end
        assert f.data_until_ms == last - last % HOUR and f.end_ms <= cutoff
    else:
        assert f.data_until_ms is None
