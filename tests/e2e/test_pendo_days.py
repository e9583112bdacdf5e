"""Subscription days through the real HTTP app: a ticket filed just after local midnight, west and east of
UTC, for `/pendo #ticket` and for unfurls, under UTC, UTC-6 and UTC+9 subscriptions and both readings of
what one history call returns.

The same events are served by the fake Pendo as subscriptions in three zones would serve them. Timeline
lines are instants, so they must be identical everywhere; the day-based figures (days active, events,
minutes, the sparkline's peak, the account line) must be those of each subscription's own local days,
computed here from the raw events with `zoneinfo`, independently of the bot.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sample import ACME, POWER_USER, TICKET_AFTER_MIDNIGHT, Workspace, build_workspace
from bot.sample.slack_api import FakeSlack

from .conftest import NOW, make_bot
from .test_unfurls import posted, settle, url

DATA_ZONES = {"west": "America/Chicago", "east": "Asia/Tokyo"}  # where the ticket is just after midnight
SERVED_AS = ["UTC", "Etc/GMT+6", "Asia/Tokyo"]  # UTC, UTC-6, UTC+9 subscriptions
READINGS = ["calendar", "24h"]
UI = ("page", "feature", "untagged")
TIMELINE_KINDS = ("page", "feature", "trackType", "guide")
LINE = re.compile(r"<https://app\.pendo\.io/[^|>]+\|([^>]+)>(?: ×(\d+))? · <!date\^(\d+)\^\{time\}")


@functools.cache
def workspace(zone: str) -> Workspace:
    return build_workspace(NOW, zone)


def local_midnight(ts_ms: int, zone: str, days: int = 0) -> int:
    tz = ZoneInfo(zone)
    day = datetime.fromtimestamp(ts_ms / 1000, tz).date() + timedelta(days=days)
    return int(datetime.combine(day, time(0), tz).timestamp() * 1000)


def created_ms(ws: Workspace) -> int:
    raw = ws.tickets[TICKET_AFTER_MIDNIGHT]["created_at"]
    return int(datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp() * 1000)


def figures(ws: Workspace, zone: str) -> dict[str, Any]:
    """The requester's and Acme's 30-day figures in `zone`'s local days, from the raw events."""
    start = local_midnight(NOW, zone, -29)
    day: dict[int, str] = {}

    def day_of(ts: int) -> str:
        if ts not in day:
            day[ts] = datetime.fromtimestamp(ts / 1000, ZoneInfo(zone)).date().isoformat()
        return day[ts]

    mine = [e for e in ws.events if e.visitor_id == POWER_USER and start <= e.ts <= NOW and e.kind in UI]
    per_day: dict[str, int] = {}
    minutes: set[tuple[Any, ...]] = set()
    for e in mine:
        per_day[day_of(e.ts)] = per_day.get(day_of(e.ts), 0) + 1
        minutes.add((day_of(e.ts), e.account_id, e.kind, e.object_id, e.ts // 60_000))
    acme = [e for e in ws.events if e.account_id == ACME and start <= e.ts <= NOW and e.kind in UI]
    return {
        "days": len(per_day),
        "events": len(mine),
        "minutes": len(minutes),
        "peak": max(per_day.values()),
        "acme": (len({e.visitor_id for e in acme}), len({day_of(e.ts) for e in acme}), len(acme)),
    }


def timeline(ws: Workspace, anchor: int) -> list[tuple[str, int, int]]:
    """(name, repeats, ts in s) newest first: the 24 h before the ticket, repeats collapsed."""
    names = {i["id"]: i["name"] for i in (*ws.pages, *ws.features, *ws.track_types, *ws.guides)}
    shown = sorted(
        (
            e
            for e in ws.events
            if e.visitor_id == POWER_USER
            and anchor - 86_400_000 <= e.ts <= anchor
            and e.kind in TIMELINE_KINDS
        ),
        key=lambda e: e.ts,
        reverse=True,
    )
    out: list[list[Any]] = []
    previous = None
    for e in shown:
        if e.object_id == previous:
            out[-1][1] += 1
        else:
            out.append([names[e.object_id], 1, e.ts // 1000])
        previous = e.object_id
    return [(name, count, ts) for name, count, ts in out]


async def answer(
    fake_slack: FakeSlack, slack_url: str, ws: Workspace, zone: str, reading: str, surface: str
) -> str:
    bot = make_bot(fake_slack, slack_url, ws=ws, pendo_options={"timezone": zone, "history_reading": reading})
    try:
        if surface == "command":
            _, rid = await bot.command(f"#{TICKET_AFTER_MIDNIGHT}")
            blocks = (await bot.final_response(rid))["blocks"]
        else:
            link = url(TICKET_AFTER_MIDNIGHT)
            fake_slack.calls.clear()
            assert (await bot.event(posted([link]))).status_code == 200
            _header, full = await settle(bot, 2)
            blocks = full["unfurls"][link]["blocks"]
        return json.dumps(blocks, ensure_ascii=False)
    finally:
        await bot.http.aclose()
        await bot.services.aclose()


def recent_activity(text: str) -> str:
    found = re.search(r"\*Recent activity\*[^\"]*", text)
    assert found, text[:500]
    return found.group(0)


@pytest.mark.parametrize("surface", ["command", "unfurl"])
@pytest.mark.parametrize("where", list(DATA_ZONES))
async def test_ticket_just_after_local_midnight(
    clean_env: None, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack, where: str, surface: str
) -> None:
    ws = workspace(DATA_ZONES[where])
    created = created_ms(ws)
    midnight = local_midnight(created, DATA_ZONES[where])
    assert 0 < created - midnight < 3_600_000  # the scenario: filed in the first hour of the local day
    expected_lines = timeline(ws, created)
    assert any(ts * 1000 < midnight for _, _, ts in expected_lines)  # activity on both sides of midnight
    assert any(ts * 1000 >= midnight for _, _, ts in expected_lines)

    sections: dict[tuple[str, str], str] = {}
    for zone in SERVED_AS:
        want = figures(ws, zone)
        for reading in READINGS:
            text = await answer(fake_slack, slack_server[1], ws, zone, reading, surface)
            label = f"{zone}/{reading}"
            activity = recent_activity(text)
            sections[(zone, reading)] = activity
            lines = [(name, int(count or 1), int(ts)) for name, count, ts in LINE.findall(activity)]
            assert lines and lines == expected_lines[: len(lines)], label
            assert f"<!date^{created // 1000}^" in activity  # the ticket marker at the anchor
            if surface == "command":
                assert f"*Days active (30 d)*\\n{want['days']} · " in text, label
                assert f"*Events (30 d)*\\n{want['events']:,} · " in text, label
                assert f"*Minutes (30 d)*\\n{want['minutes']:,} · " in text, label
                assert f"peak {want['peak']:,})" in text, label
                visitors, days, events = want["acme"]
                assert f"{visitors} active visitors · {days} days active" in text, label
                assert f"{events:,} events in 30 d" in text, label
            else:  # the unfurl's compact summary
                assert f"{want['days']} days active" in text and f"{want['events']:,} events" in text, label
    # Instants do not depend on the subscription's zone or on Pendo's reading of a history day.
    assert len(set(sections.values())) == 1, sorted(sections)


async def test_custom_status_label_in_the_ticket_header(
    clean_env: None, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> None:
    """Not about days, but about reading the real wire format: the label agents see, not the category."""
    bot = make_bot(fake_slack, slack_server[1])
    try:
        _, rid = await bot.command("#1008")
        header = (await bot.final_response(rid))["blocks"][0]["text"]["text"]
    finally:
        await bot.http.aclose()
        await bot.services.aclose()
    assert "*Escalated to engineering*" in header
    [request] = [r for r in bot.zendesk.requests if "/tickets/" in r.path]
    assert "custom_statuses" in request.params["include"].split(",")
