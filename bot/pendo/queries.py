"""Aggregation pipelines the bot sends to POST /api/v1/aggregation, and filter escaping.

Every pipeline is scoped to one visitor or to that visitor's accounts, and to at most 60 days (the two
30-day periods of one visitor, in one query), as Pendo asks of integrations (no bulk pulls); survey answers
(`pollEvents`, a few rows per answer) go back 365 days for a visitor and 90 for an account. Windows are
given by an instant inside their first day: Pendo rounds `first` down to the subscription's local
midnight, so an instant inside the wanted day is right whatever the subscription's time zone, where a
UTC midnight would shift the window by a day west of UTC. The embedded sample workspace implements
exactly these shapes and rejects anything else with a 400.
"""

from __future__ import annotations

import json
from typing import Any

from bot.pendo.kinds import PendoKind

DAY_MS = 86_400_000
MAX_DAYS_PER_QUERY = 60
ALL_APPS = {"appId": 'expandAppIds("*")'}

Pipeline = list[dict[str, Any]]


def literal(value: str) -> str:
    """A double-quoted string literal for a filter expression; no input can break out of it.

    JSON string syntax (quote, backslash and control characters escaped) is a subset of the C-like
    literal syntax Pendo's expression language uses.
    """
    return json.dumps(value, ensure_ascii=False)


def equals_any(field: str, values: list[str]) -> str:
    """`field == "a" || field == "b"`, de-duplicated, each value escaped."""
    unique = list(dict.fromkeys(values))
    return " || ".join(f"{field} == {literal(v)}" for v in unique)


def envelope(request_id: str, pipeline: Pipeline) -> dict[str, Any]:
    return {
        "response": {"mimeType": "application/json"},
        "request": {"requestId": request_id, "pipeline": pipeline},
    }


def _event_source(source: str, first_ms: int, days: int) -> dict[str, Any]:
    if not 1 <= days <= MAX_DAYS_PER_QUERY:
        raise ValueError(f"an event query spans 1..{MAX_DAYS_PER_QUERY} days, not {days}")
    return {
        "source": {
            source: dict(ALL_APPS),
            "timeSeries": {"period": "dayRange", "first": first_ms, "count": days},
        }
    }


def visitor_by_id(visitor_id: str) -> Pipeline:
    """One visitor's record by ID, for IDs a URL path cannot carry (e.g. with a `/`)."""
    return [
        {"source": {"visitors": None}},
        {"filter": f"visitorId == {literal(visitor_id)}"},
        {"limit": 1},
    ]


def accounts_by_id(account_ids: list[str]) -> Pipeline:
    """Several accounts' records (`{accountId, metadata}`) in one query."""
    return [
        {"source": {"accounts": None}},
        {"filter": equals_any("accountId", account_ids)},
        {"limit": len(set(account_ids))},
    ]


_EVENTS_AND_MINUTES = [{"numEvents": {"sum": "numEvents"}}, {"numMinutes": {"sum": "numMinutes"}}]
_TOP_SOURCES = {"page": "pageEvents", "feature": "featureEvents"}  # kind → its event source


def _by_day(source: dict[str, Any], scope: str) -> Pipeline:
    """Events and minutes per local day of `source`, within the `scope` filter."""
    return [
        source,
        {"filter": scope},
        {"group": {"group": ["day"], "fields": _EVENTS_AND_MINUTES}},
        {"sort": ["day"]},
    ]


def _top(kind: str, first_ms: int, days: int, scope: str, limit: int) -> Pipeline:
    """The most used pages or features (kind: "page" or "feature") by events, within the `scope` filter."""
    id_field = PendoKind(kind).id_field
    return [
        _event_source(_TOP_SOURCES[kind], first_ms, days),
        {"filter": scope},
        {"group": {"group": [id_field], "fields": _EVENTS_AND_MINUTES}},
        {"sort": ["-numEvents", id_field]},
        {"limit": limit},
    ]


def visitor_feature_days(visitor_id: str, first_ms: int, days: int) -> Pipeline:
    """One visitor's feature rows per local day over both 30-day periods, as Pendo keeps them (one per
    feature, day, account and app): the top features, the distinct features used in each period (depth),
    and the click friction a row carries, in one query. Not grouped: a `sum` would turn a friction count
    a row does not carry (not collected) into a 0."""
    return [
        _event_source("featureEvents", first_ms, days),
        {"filter": f"visitorId == {literal(visitor_id)}"},
    ]


def visitor_page_days(visitor_id: str, first_ms: int, days: int) -> Pipeline:
    """One visitor's page rows per local day over both 30-day periods, not grouped (as the features):
    the top pages of the current period and the friction of both (the 30-day line and its trend)."""
    return [
        _event_source("pageEvents", first_ms, days),
        {"filter": f"visitorId == {literal(visitor_id)}"},
    ]


HOUR_MS = 3_600_000
FRICTION_HOURS = 24  # the hours of page rows read before a ticket (or the end of the latest session)


def visitor_page_hours(visitor_id: str, end_ms: int, hours: int = FRICTION_HOURS) -> Pipeline:
    """One visitor's page rows per hour for the `hours` hours ending with the one holding `end_ms`: each
    row's friction counts, `firstTime`/`lastTime` and, for a recorded session, `recordingSessionId`. An
    `hourRange` series starts at `first` floored to the hour."""
    last_hour = end_ms - end_ms % HOUR_MS
    return [
        {
            "source": {
                "pageEvents": dict(ALL_APPS),
                "timeSeries": {
                    "period": "hourRange",
                    "first": last_hour - (hours - 1) * HOUR_MS,
                    "count": hours,
                },
            }
        },
        {"filter": f"visitorId == {literal(visitor_id)}"},
    ]


FRICTION_ROW = "rageClickCount > 0 || deadClickCount > 0 || errorClickCount > 0 || uTurnCount > 0"


def account_page_friction(account_id: str, first_ms: int) -> Pipeline:
    """One account's friction per page over one 30-day period: the rows with any friction, grouped by page
    with each count summed and the distinct visitors who hit it. Rows without friction are filtered out
    first, so the answer holds only the pages where something went wrong."""
    return [
        _event_source("pageEvents", first_ms, ACCOUNT_WINDOW_DAYS),
        {"filter": f"accountId == {literal(account_id)} && ({FRICTION_ROW})"},
        {
            "group": {
                "group": ["pageId"],
                "fields": [
                    {"rageClickCount": {"sum": "rageClickCount"}},
                    {"errorClickCount": {"sum": "errorClickCount"}},
                    {"deadClickCount": {"sum": "deadClickCount"}},
                    {"uTurnCount": {"sum": "uTurnCount"}},
                    {"visitors": {"count": "visitorId"}},
                ],
            }
        },
    ]


def visitor_daily_activity(visitor_id: str, first_ms: int, days: int) -> Pipeline:
    """Events and minutes per local day for one visitor: days active, totals, trends and the sparkline."""
    return _by_day(_event_source("events", first_ms, days), f"visitorId == {literal(visitor_id)}")


def accounts_activity(account_ids: list[str], first_ms: int, days: int) -> Pipeline:
    """One row per account (`accountId`) with unique visitors, days active, events and minutes: every
    account's figures in one query, whatever the number of accounts."""
    return [
        _event_source("events", first_ms, days),
        {"filter": equals_any("accountId", account_ids)},
        {
            "group": {
                "group": ["accountId"],
                "fields": [
                    {"uniqueVisitors": {"count": "visitorId"}},
                    {"daysActive": {"count": "day"}},
                    {"numEvents": {"sum": "numEvents"}},
                    {"numMinutes": {"sum": "numMinutes"}},
                ],
            }
        },
    ]


def account_activity(account_id: str, first_ms: int, days: int) -> Pipeline:
    """One row for one account: unique visitors, days active, events and minutes."""
    return [
        _event_source("events", first_ms, days),
        {"filter": f"accountId == {literal(account_id)}"},
        {
            "reduce": [
                {"uniqueVisitors": {"count": "visitorId"}},
                {"daysActive": {"count": "day"}},
                {"numEvents": {"sum": "numEvents"}},
                {"numMinutes": {"sum": "numMinutes"}},
            ]
        },
    ]


def visitors_with_field(group: str, field: str, values: list[str], limit: int = 20) -> Pipeline:
    """Identified visitors whose metadata field equals one of `values` (the metadata-lookup fallback)."""
    return [
        {"source": {"visitors": None}},
        {"identified": "visitorId"},
        {"filter": equals_any(f"metadata.{group}.{field}", values)},
        {"limit": limit},
    ]


# --- one account: the account summary ------------------------------------------------------------------
ACCOUNT_WINDOW_DAYS = 30  # an account query spans one 30-day period (the features per day: both)


def account_daily_activity(account_id: str, first_ms: int) -> Pipeline:
    """Events and minutes per local day for one account over one 30-day period."""
    events = _event_source("events", first_ms, ACCOUNT_WINDOW_DAYS)
    return _by_day(events, f"accountId == {literal(account_id)}")


def account_period_totals(account_id: str, first_ms: int) -> Pipeline:
    """One row for one account and one 30-day period: unique visitors, days active, events, minutes."""
    return account_activity(account_id, first_ms, ACCOUNT_WINDOW_DAYS)


def account_top_visitors(account_id: str, first_ms: int, limit: int) -> Pipeline:
    """The account's most active visitors over one 30-day period, by events."""
    return [
        _event_source("events", first_ms, ACCOUNT_WINDOW_DAYS),
        {"filter": f"accountId == {literal(account_id)}"},
        {
            "group": {
                "group": ["visitorId"],
                "fields": [
                    {"numEvents": {"sum": "numEvents"}},
                    {"numMinutes": {"sum": "numMinutes"}},
                    {"daysActive": {"count": "day"}},
                ],
            }
        },
        {"sort": ["-numEvents", "visitorId"]},
        {"limit": limit},
    ]


def account_feature_days(account_id: str, first_ms: int, days: int) -> Pipeline:
    """Events and minutes per feature and local day for one account over both 30-day periods, as for a
    visitor (`visitor_feature_days`): the top features, and the distinct features used in each period
    (the depth and its trend), in one query. At most one row per feature and day."""
    return [
        _event_source("featureEvents", first_ms, days),
        {"filter": f"accountId == {literal(account_id)}"},
        {"group": {"group": ["featureId", "day"], "fields": _EVENTS_AND_MINUTES}},
    ]


def account_feature_visitors(account_id: str, first_ms: int) -> Pipeline:
    """One row: how many of the account's visitors used any feature over one 30-day period. Its own
    query: distinct visitors cannot be added up from rows per feature and day, and rows per feature,
    day and visitor would grow with the account's size."""
    return [
        _event_source("featureEvents", first_ms, ACCOUNT_WINDOW_DAYS),
        {"filter": f"accountId == {literal(account_id)}"},
        {"reduce": [{"visitors": {"count": "visitorId"}}]},
    ]


# --- survey answers (NPS) --------------------------------------------------------------------------------
VISITOR_NPS_DAYS = 365  # a visitor's latest answer within 12 months (Pendo's Looker block reads 365 days)
ACCOUNT_NPS_DAYS = 90  # an account's NPS over the last 90 days


def _poll_source(first_ms: int, days: int) -> dict[str, Any]:
    if not 1 <= days <= VISITOR_NPS_DAYS:
        raise ValueError(f"a poll query spans 1..{VISITOR_NPS_DAYS} days, not {days}")
    return {
        "source": {
            "pollEvents": dict(ALL_APPS),
            "timeSeries": {"period": "dayRange", "first": first_ms, "count": days},
        }
    }


def visitor_poll_events(visitor_id: str, first_ms: int) -> Pipeline:
    """Every poll answer of one visitor over the last 365 days (scores and texts, every guide): a few
    rows per survey answered. Which polls are NPS is read from the guides seen (`PendoClient.guides`)."""
    return [_poll_source(first_ms, VISITOR_NPS_DAYS), {"filter": f"visitorId == {literal(visitor_id)}"}]


def account_poll_events(account_id: str, first_ms: int) -> Pipeline:
    """Every poll answer given in one account over the last 90 days."""
    return [_poll_source(first_ms, ACCOUNT_NPS_DAYS), {"filter": f"accountId == {literal(account_id)}"}]


def account_top_objects(kind: str, account_id: str, first_ms: int, limit: int) -> Pipeline:
    """The account's most used pages or features (kind: "page" or "feature") by events."""
    return _top(kind, first_ms, ACCOUNT_WINDOW_DAYS, f"accountId == {literal(account_id)}", limit)


def visitors_by_id(visitor_ids: list[str]) -> Pipeline:
    """Several visitors' records (`{visitorId, metadata}`) in one query."""
    return [
        {"source": {"visitors": None}},
        {"filter": equals_any("visitorId", visitor_ids)},
        {"limit": len(set(visitor_ids))},
    ]


def name_spellings(name: str) -> list[str]:
    """The spellings an account name is searched under: as typed, lower, upper, Title Case, Capitalised.

    Pendo's `==` is case-sensitive and its filter language has no documented lower-casing function, so
    a case-insensitive match is approximated by these spellings (the caller keeps only true matches).
    Each is searched as typed (a name pasted with a line break in it) and with its spaces folded.
    """
    forms = list(dict.fromkeys([name.strip(), " ".join(name.split())]))
    spellings = [s for f in forms for s in (f, f.lower(), f.upper(), f.title(), f.capitalize())]
    return list(dict.fromkeys(spellings))


def accounts_named(group: str, field: str, name: str, limit: int = 20) -> Pipeline:
    """Account records whose name field equals one of the name's spellings."""
    return [
        {"source": {"accounts": None}},
        {"filter": equals_any(f"metadata.{group}.{field}", name_spellings(name))},
        {"limit": limit},
    ]
