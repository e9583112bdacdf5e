"""Fixtures for the domain tests: real deps over the sample workspace, and an oracle.

The deps are built with `build_deps` exactly as the bot builds them, with the fake Pendo and
Zendesk apps plugged in as in-process transports and a fixed clock. The `oracle` computes every expected
figure straight from `ws.events` (the raw events) with plain loops: it never calls `bot.domain`, so a
bug there cannot hide in the expectation.

Days are the Pendo subscription's local days (the sample's default zone is America/Chicago, UTC-6 at
NOW, and the last 60 days cross a daylight-saving change): the oracle finds an event's day with
`zoneinfo`, on its own, never with the bot's arithmetic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sample import Workspace, build_workspace
from tests.support.factories import SampleDeps, deps_factory

MINUTE = 60_000
HOUR = 3_600_000
DAY = 86_400_000
# A fixed "now": 2026-11-18 13:06:40 UTC, 07:06:40 in Chicago (the sample subscription's zone), so
# "today" already has activity and the after-midnight ticket sits 7 minutes past local midnight.
NOW = 1_795_000_000_000 + 2 * HOUR
ZONE = "America/Chicago"


def local_day(ts_ms: int, zone: str = ZONE) -> datetime:
    """The local calendar day containing `ts_ms`, as an aware local midnight."""
    tz = ZoneInfo(zone)
    return datetime.combine(datetime.fromtimestamp(ts_ms / 1000, tz).date(), time(0), tz)


def local_midnight(ts_ms: int, days: int = 0, zone: str = ZONE) -> int:
    """Epoch ms of the local midnight `days` calendar days after the one starting `ts_ms`'s day."""
    tz = ZoneInfo(zone)
    day = datetime.fromtimestamp(ts_ms / 1000, tz).date() + timedelta(days=days)
    return int(datetime.combine(day, time(0), tz).timestamp() * 1000)


MIDNIGHT = local_midnight(NOW)
WINDOW_START = local_midnight(NOW, -29)  # first day of the current 30-day window (today included)
PREVIOUS_START = local_midnight(NOW, -59)
APP_URL = "https://app.pendo.io"  # the US region's host: where message links point


@pytest.fixture(scope="session")
def ws() -> Workspace:
    return build_workspace(NOW)


Env = SampleDeps
Make = Callable[..., SampleDeps]  # a `DepsFactory`


@pytest.fixture
async def make_env(ws: Workspace) -> AsyncIterator[Make]:
    """`make_env(**settings_overrides)` → deps over fresh fake apps (see `DepsFactory`)."""
    async with deps_factory(ws, NOW) as make:
        yield make


# --- the oracle: expectations from the raw events, with plain loops ---------------------------------------
EVENT_KINDS = ("page", "feature", "untagged")  # what the `events` source counts
TIMELINE_KINDS = ("page", "feature", "trackType", "guide")  # shown in the timeline (untagged hidden)


@dataclass(frozen=True)
class Figures:
    days_active: int
    events: int
    minutes: int
    daily: list[int]


@dataclass(frozen=True)
class AccountFigures:
    unique_visitors: int
    days_active: int
    events: int
    minutes: int


class Oracle:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.zone = ws.timezone
        self._days: dict[int, int] = {}
        self.names: dict[str, dict[str, str]] = {
            "page": {p["id"]: p["name"] for p in ws.pages},
            "feature": {f["id"]: f["name"] for f in ws.features},
            "trackType": {t["id"]: t["name"] for t in ws.track_types},
            "guide": {g["id"]: g["name"] for g in ws.guides},
        }

    def day(self, ts_ms: int) -> int:
        """Local midnight (epoch ms) of the subscription day containing `ts_ms`."""
        hour = ts_ms // HOUR
        if hour not in self._days:
            self._days[hour] = local_midnight(hour * HOUR, zone=self.zone)
        return self._days[hour]

    def windows(self, now: int = NOW) -> tuple[int, int, int]:
        """Local midnights starting the previous period, the current one (today included) and today."""
        return (
            local_midnight(now, -59, self.zone),
            local_midnight(now, -29, self.zone),
            local_midnight(now, 0, self.zone),
        )

    def _minutes(self, events: list[Any]) -> int:
        """The fake's definition: distinct minutes per (day, visitor, account, kind, object) row, summed."""
        rows: dict[tuple[Any, ...], set[int]] = {}
        for e in events:
            key = (self.day(e.ts), e.visitor_id, e.account_id, e.kind, e.object_id)
            rows.setdefault(key, set()).add(e.ts // MINUTE)
        total = 0
        for minutes in rows.values():
            total += len(minutes)
        return total

    def visitor_events(self, visitor_id: str, start: int, days: int = 30) -> list[Any]:
        end = local_midnight(start, days, self.zone)
        out = []
        for e in self.ws.events:
            if e.visitor_id == visitor_id and start <= e.ts < end and e.ts <= NOW and e.kind in EVENT_KINDS:
                out.append(e)
        return out

    def figures(self, visitor_id: str, start: int) -> Figures:
        events = self.visitor_events(visitor_id, start)
        first = local_day(start, self.zone).date()
        daily = [0] * 30
        days = set()
        for e in events:
            index = (local_day(e.ts, self.zone).date() - first).days
            daily[index] += 1
            days.add(index)
        return Figures(len(days), len(events), self._minutes(events), daily)

    def top(self, visitor_id: str, kind: str, n: int = 5) -> list[tuple[str, str, int, int]]:
        """(id, name, events, minutes) of the visitor's most used pages or features, events desc then id."""
        per_object: dict[str, list[Any]] = {}
        for e in self.visitor_events(visitor_id, self.windows()[1]):
            if e.kind == kind:
                per_object.setdefault(e.object_id, []).append(e)
        rows = [(oid, self.names[kind][oid], len(evs), self._minutes(evs)) for oid, evs in per_object.items()]
        rows.sort(key=lambda r: (-r[2], r[0]))
        return rows[:n]

    def account(self, account_id: str) -> AccountFigures:
        events = []
        start = self.windows()[1]
        for e in self.ws.events:
            if e.account_id == account_id and start <= e.ts <= NOW and e.kind in EVENT_KINDS:
                events.append(e)
        visitors = {e.visitor_id for e in events}
        days = {local_day(e.ts, self.zone) for e in events}
        return AccountFigures(len(visitors), len(days), len(events), self._minutes(events))

    def last_visit(self, visitor_id: str) -> int:
        return max(e.ts for e in self.ws.events if e.visitor_id == visitor_id)

    def timeline(
        self, visitor_id: str, start: int, anchor: int, *, show_untagged: bool = False
    ) -> tuple[list[tuple[int, str, str, int]], int]:
        """Entries (ts of newest occurrence, kind, name, repeats), newest first, and the hidden count.

        Untagged page views are hidden (and counted) unless `show_untagged`; then their URL is the name.
        """
        raw = [e for e in self.ws.events if e.visitor_id == visitor_id and start <= e.ts <= anchor]
        kinds = (*TIMELINE_KINDS, "untagged") if show_untagged else TIMELINE_KINDS
        hidden = sum(1 for e in raw if e.kind not in kinds)
        shown = sorted((e for e in raw if e.kind in kinds), key=lambda e: e.ts, reverse=True)
        entries: list[list[Any]] = []
        previous_key = None
        for e in shown:
            key = (e.kind, e.object_id or e.url)
            if key == previous_key:
                entries[-1][3] += 1
            else:
                name = e.url if e.kind == "untagged" else self.names[e.kind][str(e.object_id)]
                entries.append([e.ts, e.kind, name, 1])
            previous_key = key
        return [(ts, kind, name, count) for ts, kind, name, count in entries], hidden

    def ticket_created_ms(self, ticket_id: int) -> int:
        raw = self.ws.tickets[ticket_id]["created_at"]
        return int(datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="session")
def oracle(ws: Workspace) -> Oracle:
    return Oracle(ws)
