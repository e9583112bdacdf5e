"""bot.domain.signals: each rule at its edges, the order, the cap of three, and nothing for an opted-out
visitor."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import signals
from bot.domain.friction import Counts, FrictionFacts, Spot
from bot.domain.models import AccountSummary, NpsAnswer, Trend, VisitorFacts, VisitorProfile, VisitorUsage
from bot.domain.signals import SignalKind

DAY = 86_400_000
ANCHOR = 1_800_000_000_000


def facts(**changes: object) -> VisitorFacts:
    profile = VisitorProfile(
        id="v",
        name="Jane",
        email="j@x.example",
        account_ids=["acme"],
        first_visit_ms=ANCHOR - 400 * DAY,
        last_visit_ms=ANCHOR,
        browser=None,
        os=None,
        fields=[],
        url="u",
    )
    base = VisitorFacts(profile=profile, generated_at_ms=ANCHOR + DAY, anchor_ms=ANCHOR)
    return replace(base, **changes)  # type: ignore[arg-type]


def usage(events: int, previous: int) -> VisitorUsage:
    t = Trend(events, previous)
    return VisitorUsage(1, events, 1, t, t, t, [0] * 30, [], [])


def answer(score: int, days_before: float) -> NpsAnswer:
    return NpsAnswer("v", "acme", score, int(ANCHOR - days_before * DAY))


def kinds(v: VisitorFacts) -> list[SignalKind]:
    return [s.kind for s in signals.every_signal(v)]


def test_detractor_is_a_0_to_6_answer_within_the_90_days_before_the_anchor() -> None:
    assert kinds(facts(recent_nps=answer(6, 89.9))) == [SignalKind.DETRACTOR]
    assert kinds(facts(recent_nps=answer(7, 1))) == []
    assert kinds(facts(recent_nps=answer(0, 90.1))) == []
    assert kinds(facts(recent_nps=None, nps=answer(2, 1))) == []  # the 12-month line is not the signal's


def test_usage_down_is_at_most_half_and_never_for_a_visitor_first_seen_under_60_days() -> None:
    assert kinds(facts(usage=usage(50, 100))) == [SignalKind.USAGE_DROP]
    assert kinds(facts(usage=usage(51, 100))) == []
    assert kinds(facts(usage=usage(0, 0))) == []
    young = replace(facts().profile, first_visit_ms=ANCHOR - 59 * DAY)
    assert kinds(facts(usage=usage(0, 100), profile=young)) == []


def test_new_user_is_a_first_visit_under_14_days_before_the_anchor() -> None:
    p = facts().profile
    assert kinds(facts(profile=replace(p, first_visit_ms=ANCHOR - 13 * DAY))) == [SignalKind.NEW_USER]
    assert kinds(facts(profile=replace(p, first_visit_ms=ANCHOR - 14 * DAY))) == []
    assert kinds(facts(profile=replace(p, first_visit_ms=None))) == []


def test_renewal_is_0_to_30_days_after_the_anchor_on_any_account_the_soonest_named() -> None:
    accounts = [
        AccountSummary("a", "Acme", "u", renewal_ms=ANCHOR + 20 * DAY),
        AccountSummary("b", "Beta", "u", renewal_ms=ANCHOR + 3 * DAY),
        AccountSummary("c", "Hidden", "u", opted_out=True, renewal_ms=ANCHOR + DAY),
        AccountSummary("d", "Later", "u", renewal_ms=ANCHOR + 31 * DAY),
    ]
    found = signals.every_signal(facts(accounts=accounts))
    assert [(s.kind, s.account) for s in found] == [(SignalKind.RENEWAL, "Beta")]
    assert kinds(facts(accounts=[AccountSummary("a", "Acme", "u", renewal_ms=ANCHOR - 1)])) == []


def test_friction_before_filing_and_a_session_only_when_it_ended_in_the_24_h_before_now() -> None:
    spot = Spot("page", "p", "Billing", None, Counts(rage=4), hour_ms=ANCHOR - 3_600_000)
    ticket = FrictionFacts("ticket", ANCHOR - DAY, ANCHOR, [spot], spot, [])
    assert kinds(facts(friction=ticket)) == [SignalKind.FRICTION]
    assert kinds(facts(friction=replace(ticket, strongest=None, spots=[]))) == []
    now = ANCHOR + DAY
    recent = FrictionFacts("session", ANCHOR, now - 3_600_000, [spot], spot, [])
    assert kinds(facts(anchor_ms=None, friction=recent)) == [SignalKind.FRICTION]
    old = replace(recent, end_ms=now - DAY - 1)
    assert kinds(facts(anchor_ms=None, friction=old)) == []


def test_strongest_first_at_most_three_and_none_for_an_opted_out_visitor() -> None:
    spot = Spot("page", "p", "Billing", None, Counts(rage=4), hour_ms=ANCHOR - 3_600_000)
    every = facts(
        recent_nps=answer(3, 12),
        friction=FrictionFacts("ticket", ANCHOR - DAY, ANCHOR, [spot], spot, []),
        usage=usage(10, 100),
        accounts=[AccountSummary("a", "Acme", "u", renewal_ms=ANCHOR + 20 * DAY)],
        profile=replace(facts().profile, first_visit_ms=ANCHOR - 61 * DAY),
    )
    assert kinds(every) == [
        SignalKind.DETRACTOR,
        SignalKind.FRICTION,
        SignalKind.USAGE_DROP,
        SignalKind.RENEWAL,
    ]
    assert [s.kind for s in signals.stand_out(every)] == kinds(every)[:3]
    hidden = replace(every, profile=replace(every.profile, opted_out=True))
    assert signals.stand_out(hidden) == []
