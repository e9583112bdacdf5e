"""Where it went wrong: friction counts, the strongest spot before an anchor, the 30-day trend, session
replays and how fresh Pendo's figures are. Pure: rows in, facts out.

The evidence (shared/reference/friction-replays-alerts.md, docs/pendo-api.md): Pendo's page-event rows can
carry `rageClickCount`, `deadClickCount`, `errorClickCount` and `uTurnCount` (F2, a third-party audit of
the rows Pendo returned; no first-party document), feature rows the click counts, and recorded sessions
`recordingSessionId` (F2, R2). So every count is optional per row: absent means "not collected", never 0.
The history endpoint carries no friction; page rows per hour (with `lastTime`) are joined onto it.
Pendo's aggregates can lag the history by hours (pendo-api.md §7): `data_until` says where they end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlencode

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
BEFORE_TICKET_MS = 24 * HOUR_MS  # friction and replays "before filing": the 24 h before the ticket
REPLAYS_LISTED = 3  # Details, the note and the CLI list up to three recordings

# our name → Pendo's row field, in the order the counts are worded
FIELDS: dict[str, str] = {
    "rage": "rageClickCount",
    "error": "errorClickCount",
    "dead": "deadClickCount",
    "uturn": "uTurnCount",
}


def _count(row: Mapping[str, Any], key: str) -> int | None:
    value = row.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return int(value)
    return None  # absent, null or not a count: not collected


def hour_of(row: Mapping[str, Any]) -> int | None:
    """The row's `hour` (epoch ms), or None when it has none or not a number."""
    return _count(row, "hour")


def _add(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else a + b


@dataclass(frozen=True)
class Counts:
    """The four friction counts; None: this count was not collected (never read as 0)."""

    rage: int | None = None
    error: int | None = None
    dead: int | None = None
    uturn: int | None = None

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> Counts:
        return cls(**{name: _count(row, key) for name, key in FIELDS.items()})

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            _add(self.rage, other.rage),
            _add(self.error, other.error),
            _add(self.dead, other.dead),
            _add(self.uturn, other.uturn),
        )

    @property
    def collected(self) -> bool:
        return any(v is not None for v in self.items(every=True).values())

    @property
    def total(self) -> int:
        """Friction events: rage + dead + error clicks + U-turns, of those collected."""
        return sum(v for v in self.items(every=True).values() if v is not None)

    def items(self, *, every: bool = False) -> dict[str, int | None]:
        """name → count, in wording order; only the counts above zero unless `every`."""
        found = {"rage": self.rage, "error": self.error, "dead": self.dead, "uturn": self.uturn}
        return found if every else {k: v for k, v in found.items() if v}


def total_of(counts: Iterable[Counts]) -> Counts:
    out = Counts()
    for c in counts:
        out = out + c
    return out


@dataclass(frozen=True)
class Spot:
    """A page or feature in one hour (or, for a 30-day total, one period) with its friction."""

    kind: str  # "page" | "feature"
    object_id: str
    name: str
    url: str | None
    counts: Counts
    hour_ms: int | None = None  # the hour's start, for a page × hour
    last_ms: int | None = None  # the row's `lastTime`: "N min before filing" only from this
    visitors: int | None = None  # an account's: how many of its visitors hit it


@dataclass(frozen=True)
class Replay:
    """One recorded session: its first and last event, the player link, its friction."""

    session_id: str
    start_ms: int
    end_ms: int
    url: str | None  # None without PENDO_SUBSCRIPTION_ID: the player's address needs it
    counts: Counts = field(default_factory=Counts)

    @property
    def minutes(self) -> int:
        return max(1, round((self.end_ms - self.start_ms) / 60_000))


@dataclass(frozen=True)
class Trend:
    """Friction over the last 30 days against the 30 before, and where most of it was."""

    current: Counts
    previous: Counts
    top: Spot | None  # the page or feature carrying most of the current period's friction


@dataclass(frozen=True)
class FrictionFacts:
    """Friction and replays for one visitor answer. `scope`: "ticket" (the 24 h before filing) or
    "session" (the visitor's most recent session, for a lookup by email)."""

    scope: Literal["ticket", "session"]
    start_ms: int
    end_ms: int  # the anchor: the ticket's creation, or the end of the most recent session
    spots: list[Spot]  # every page × hour with friction in the window, newest first
    strongest: Spot | None
    replays: list[Replay]  # nearest to `end_ms` first
    data_until_ms: int | None = None  # Pendo's figures end here, before `end_ms` (None: no lag seen)
    trend: Trend | None = None

    @property
    def nearest_replay(self) -> Replay | None:
        return self.replays[0] if self.replays else None


@dataclass(frozen=True)
class AccountFriction:
    """An account's friction over 30 days and the three pages where it is highest."""

    counts: Counts
    top: list[Spot]


# --- computations -------------------------------------------------------------------------------------
def collected(rows: Iterable[Mapping[str, Any]]) -> bool | None:
    """True when any row carries a friction count; False when rows exist and none does; None: no rows."""
    seen = False
    for row in rows:
        seen = True
        if any(key in row for key in FIELDS.values()):
            return True
    return False if seen else None


def strongest(spots: Iterable[Spot]) -> Spot | None:
    """The spot with the most friction events; ties: the later one."""
    best: Spot | None = None
    for s in spots:
        if s.counts.total <= 0:
            continue
        key = (s.counts.total, s.hour_ms or 0, s.last_ms or 0)
        if best is None or key > (best.counts.total, best.hour_ms or 0, best.last_ms or 0):
            best = s
    return best


Names = Mapping[str, tuple[str, str | None]]  # object id → (name, link)


def hour_spots(rows: Iterable[Mapping[str, Any]], names: Names, start_ms: int, end_ms: int) -> list[Spot]:
    """Page × hour spots with friction from hourly page rows, for hours starting in [start, end): rows of
    one page and hour (several accounts or apps) are added up. `last_ms` is kept only when it is not after
    `end_ms` (a row of the anchor's hour may run past it). Newest first."""
    merged: dict[tuple[str, int], tuple[Counts, int | None]] = {}
    for row in rows:
        page, hour = row.get("pageId"), _count(row, "hour")
        if not page or hour is None or not start_ms - HOUR_MS < hour < end_ms:
            continue
        counts = Counts.of_row(row)
        if counts.total <= 0:
            continue
        last = _count(row, "lastTime")
        key = (str(page), hour)
        before = merged.get(key)
        if before is not None:
            counts = before[0] + counts
            last = max((t for t in (last, before[1]) if t is not None), default=None)
        merged[key] = (counts, last)
    spots = []
    for (page, hour), (counts, last) in merged.items():
        name, url = names.get(page, ("Unrecognized page", None))
        last = last if last is not None and last <= end_ms else None
        spots.append(Spot("page", page, name, url, counts, hour_ms=hour, last_ms=last))
    spots.sort(key=lambda s: (s.hour_ms or 0, s.last_ms or 0), reverse=True)
    return spots


def session_window(rows: Iterable[Mapping[str, Any]]) -> tuple[int, int] | None:
    """[first hour, end of last hour) of the most recent run of consecutive active hours: the visitor's
    most recent session, as near as hourly rows tell it (Pendo ends a session after 30 idle minutes)."""
    hours = sorted({h for r in rows if (h := _count(r, "hour")) is not None and _count(r, "numEvents")})
    if not hours:
        return None
    first = hours[-1]
    for h in reversed(hours[:-1]):
        if first - h > HOUR_MS:
            break
        first = h
    return first, hours[-1] + HOUR_MS


def replays(
    rows: Iterable[Mapping[str, Any]],
    anchor_ms: int,
    link: Any,  # (session id, start, end, visitor, app, account) → url or None
    visitor_id: str,
) -> list[Replay]:
    """The recorded sessions among the rows (`recordingSessionId`), start and end from their rows' first
    and last events, nearest to the anchor first (a session spanning it is nearest)."""
    by_session: dict[str, dict[str, Any]] = {}
    for row in rows:
        session = row.get("recordingSessionId")
        first, last = _count(row, "firstTime"), _count(row, "lastTime")
        if not session or not isinstance(session, str) or first is None or last is None:
            continue
        found = by_session.setdefault(
            session,
            {"start": first, "end": last, "counts": Counts(), "app": row.get("appId"), "account": None},
        )
        found["start"], found["end"] = min(found["start"], first), max(found["end"], last)
        found["counts"] = found["counts"] + Counts.of_row(row)
        found["account"] = found["account"] or row.get("accountId")
    out = [
        Replay(
            session,
            s["start"],
            s["end"],
            link(session, s["start"], s["end"], visitor_id, s["app"], s["account"]),
            s["counts"],
        )
        for session, s in by_session.items()
    ]

    def distance(r: Replay) -> int:
        return (
            0
            if r.start_ms <= anchor_ms <= r.end_ms
            else min(abs(anchor_ms - r.end_ms), abs(r.start_ms - anchor_ms))
        )

    out.sort(key=lambda r: (distance(r), -r.end_ms))
    return out


def player_url(
    app_url: str,
    subscription_id: str,
    session_id: str,
    start_ms: int,
    end_ms: int,
    visitor_id: str,
    app_id: Any,
    account_id: Any,
) -> str:
    """Pendo's replay player (R1): /s/<subscription>/replay/player/<session>?startTime&endTime&visitorId
    &appId&accountId; values percent-encoded, the ids left out when the row did not carry them."""
    query: dict[str, str] = {"startTime": str(start_ms), "endTime": str(end_ms), "visitorId": visitor_id}
    if app_id is not None:
        query["appId"] = str(app_id)
    if account_id:
        query["accountId"] = str(account_id)
    path = f"/s/{quote(subscription_id, safe='')}/replay/player/{quote(session_id, safe='')}"
    return f"{app_url.rstrip('/')}{path}?{urlencode(query)}"


def data_until(rows: Iterable[Mapping[str, Any]], page_views_ms: Iterable[int], end_ms: int) -> int | None:
    """Where Pendo's hourly figures end, when the history shows page views they do not cover yet: the
    start of the hour of the earliest page view after the last hour with a row (Pendo processes by the
    hour). None when every page view of the window is covered (or there were none)."""
    hours = [h for r in rows if (h := _count(r, "hour")) is not None]
    covered = max(hours) + HOUR_MS if hours else None
    uncovered = [t for t in page_views_ms if t <= end_ms and (covered is None or t >= covered)]
    if not uncovered:
        return None
    first = min(uncovered)
    return first - first % HOUR_MS


def period_spots(
    rows: Iterable[Mapping[str, Any]], kind: str, names: Names, today_ms: int, days: int = 30
) -> tuple[list[Spot], Counts, Counts]:
    """From rows per object and local day over two periods: each object's friction in the current
    period (spots), and the totals of the current and the previous period."""
    id_field = "pageId" if kind == "page" else "featureId"
    per: dict[str, Counts] = {}
    current, previous = Counts(), Counts()
    for row in rows:
        day, obj = _count(row, "day"), row.get(id_field)
        if day is None or not obj:
            continue
        counts = Counts.of_row(row)
        ago = round((today_ms - day) / DAY_MS)
        if 0 <= ago < days:
            current = current + counts
            per[str(obj)] = per.get(str(obj), Counts()) + counts
        elif days <= ago < 2 * days:
            previous = previous + counts
    spots = []
    for obj, counts in per.items():
        name, url = names.get(obj, (f"Unrecognized {kind}", None))
        spots.append(Spot(kind, obj, name, url, counts))
    return spots, current, previous


def trend(
    page_rows: Sequence[Mapping[str, Any]],
    feature_rows: Sequence[Mapping[str, Any]],
    page_names: Names,
    feature_names: Names,
    today_ms: int,
) -> Trend | None:
    """The 30-day line: totals from the page rows (a click's friction is on its page's row too), the top
    from pages and features alike. None when the page rows carry no friction."""
    if not collected(page_rows):
        return None
    pages, current, previous = period_spots(page_rows, "page", page_names, today_ms)
    features, _, _ = period_spots(feature_rows, "feature", feature_names, today_ms)
    top = max(
        (s for s in [*pages, *features] if s.counts.total > 0),
        key=lambda s: (s.counts.total, s.kind == "feature", s.name),
        default=None,
    )
    return Trend(current, previous, top)


def account_friction(rows: Iterable[Mapping[str, Any]], names: Names, limit: int = 3) -> AccountFriction:
    """From rows per page (sums of the four counts, distinct `visitors`): the total and the top pages."""
    spots = []
    for row in rows:
        page = row.get("pageId")
        counts = Counts.of_row(row)
        if not page or counts.total <= 0:
            continue
        name, url = names.get(str(page), ("Unrecognized page", None))
        spots.append(Spot("page", str(page), name, url, counts, visitors=_count(row, "visitors")))
    spots.sort(key=lambda s: (-s.counts.total, s.name, s.object_id))
    return AccountFriction(total_of(s.counts for s in spots), spots[:limit])
