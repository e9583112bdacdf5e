"""What stands out about a visitor at an anchor (a ticket's creation, or now): one definition per signal.

Every visitor answer opens with the strongest (at most three); the alerts reuse the same definitions.
A signal fires only on data the bot has: a part that failed (a labelled gap) or a value Pendo does not
hold never fires one, and an opted-out visitor has none. The rules, as docs/what-agents-see.md states them:

- detractor: the latest NPS answer within the 90 days before the anchor is 0-6;
- friction: the strongest friction before the anchor (the 24 h before a ticket, or a session that ended
  in the 24 h before now), as `bot.domain.friction` finds it;
- usage_drop: events over the last 30 days at most half of the 30 before (none for a visitor first seen
  under 60 days before the anchor, or with no events in the 30 before);
- renewal: a date 0-30 days after the anchor in the account field `PENDO_RENEWAL_FIELD`, on any of the
  visitor's accounts (the soonest);
- new_user: the first visit under 14 days before the anchor.

Strongest first in that order: an unhappy customer, then where it went wrong, then the trends.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.friction import BEFORE_TICKET_MS, DAY_MS, Spot
from bot.domain.models import NpsAnswer, NpsCategory, VisitorFacts

SHOWN = 3
DETRACTOR_DAYS = 90
USAGE_DROP_MIN_AGE_DAYS = 60
NEW_USER_DAYS = 14
RENEWAL_DAYS = 30


class SignalKind(StrEnum):
    """Also the alert rules' names (ALERT_RULES)."""

    DETRACTOR = "detractor"
    FRICTION = "friction"
    USAGE_DROP = "usage_drop"
    RENEWAL = "renewal"
    NEW_USER = "new_user"


@dataclass(frozen=True)
class Signal:
    kind: SignalKind
    nps: NpsAnswer | None = None  # detractor
    spot: Spot | None = None  # friction
    events: int = 0  # usage_drop: the last 30 days
    previous: int = 0  # usage_drop: the 30 before
    at_ms: int | None = None  # new_user: the first visit; renewal: the renewal date
    account: str | None = None  # renewal: the account's name
    anchor_ms: int = 0


def anchor_of(facts: VisitorFacts) -> int:
    """The ticket's creation when the answer is about a ticket, else when the answer was made."""
    return facts.anchor_ms if facts.anchor_ms is not None else facts.generated_at_ms


def detractor(facts: VisitorFacts, anchor: int) -> Signal | None:
    answer = facts.recent_nps
    if answer is None or not anchor - DETRACTOR_DAYS * DAY_MS <= answer.ts_ms <= anchor:
        return None
    if answer.category is not NpsCategory.DETRACTOR:
        return None
    return Signal(SignalKind.DETRACTOR, nps=answer, anchor_ms=anchor)


def friction(facts: VisitorFacts, anchor: int) -> Signal | None:
    f = facts.friction
    if f is None or f.strongest is None:
        return None
    if f.scope == "session" and f.end_ms < anchor - BEFORE_TICKET_MS:
        return None  # their latest session was long ago: shown below, not a signal now
    return Signal(SignalKind.FRICTION, spot=f.strongest, anchor_ms=anchor)


def usage_drop(facts: VisitorFacts, anchor: int) -> Signal | None:
    u, first = facts.usage, facts.profile.first_visit_ms
    if u is None or first is None or anchor - first < USAGE_DROP_MIN_AGE_DAYS * DAY_MS:
        return None
    previous = u.events_trend.previous
    if previous <= 0 or u.events * 2 > previous:
        return None
    return Signal(SignalKind.USAGE_DROP, events=u.events, previous=previous, anchor_ms=anchor)


def renewal(facts: VisitorFacts, anchor: int) -> Signal | None:
    soonest: tuple[int, str] | None = None
    for a in facts.accounts:
        when = a.renewal_ms
        if a.opted_out or when is None or not 0 <= when - anchor <= RENEWAL_DAYS * DAY_MS:
            continue
        if soonest is None or when < soonest[0]:
            soonest = (when, a.name)
    if soonest is None:
        return None
    return Signal(SignalKind.RENEWAL, at_ms=soonest[0], account=soonest[1], anchor_ms=anchor)


def new_user(facts: VisitorFacts, anchor: int) -> Signal | None:
    first = facts.profile.first_visit_ms
    if first is None or not 0 <= anchor - first < NEW_USER_DAYS * DAY_MS:
        return None
    return Signal(SignalKind.NEW_USER, at_ms=first, anchor_ms=anchor)


RULES = {
    SignalKind.DETRACTOR: detractor,
    SignalKind.FRICTION: friction,
    SignalKind.USAGE_DROP: usage_drop,
    SignalKind.RENEWAL: renewal,
    SignalKind.NEW_USER: new_user,
}


def every_signal(facts: VisitorFacts) -> list[Signal]:
    """Every signal that fires, strongest first (the alerts match their rules against these)."""
    if facts.profile.opted_out:
        return []
    anchor = anchor_of(facts)
    return [s for rule in RULES.values() if (s := rule(facts, anchor)) is not None]


def stand_out(facts: VisitorFacts) -> list[Signal]:
    """The answer's first line: the strongest signals, at most three."""
    return every_signal(facts)[:SHOWN]
