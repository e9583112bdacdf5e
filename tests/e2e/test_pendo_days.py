"""Subscription days through the real HTTP app: a ticket filed just after local midnight, west and east of
UTC, for `/pendo #ticket` and for unfurls, under UTC, UTC-6 and UTC+9 subscriptions and both readings of
what one history call returns.

The same events are served by the fake Pendo as subscriptions in three zones would serve them. Timeline
lines are instants, so they must be identical everywhere; the day-based figures (days active, events,
minutes, the sparkline's peak, the account line) must be those of each subscription's own local days,
computed here from the raw events with `zoneinfo`, independently of the bot.

The bot is driven as an agent drives it: the compact first message (the private answer, or the channel's
unfurl), then a click on its Show more (replaces the private answer) or Details (a private message to
whoever clicked). Both screens are checked: the first one's figures, story line and last events, the full
one's every figure, the whole window before the ticket and its marker.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sample import ACME, POWER_USER, TICKET_AFTER_MIDNIGHT, Workspace, build_workspace
from bot.sample.slack_api import FakeSlack

from .conftest import NOW, make_bot
from .test_message_actions import buttons, click, text
from .test_unfurls import posted, settle, url

DATA_ZONES = {"west": "America/Chicago", "east": "Asia/Tokyo"}  # where the ticket is just after midnight
SERVED_AS = ["UTC", "Etc/GMT+6", "Asia/Tokyo"]  # UTC, UTC-6, UTC+9 subscriptions
READINGS = ["calendar", "24h"]
UI = ("page", "feature", "untagged")
TIMELINE_KINDS = ("page", "feature", "trackType", "guide")
RECENT_SHOWN = 3  # events listed on the first screen, under the story line
LINE = re.compile(
    r"<https://app\.pendo\.io/[^|>]+\|([^>]+)>(?: ×(\d+))? · (at filing|[\d hmin]+ before ticket)"
)


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
    """(name, repeats, ts in ms) newest first: the 24 h before the ticket, repeats collapsed."""
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
            out.append([names[e.object_id], 1, e.ts])
        previous = e.object_id
    return [(name, count, ts) for name, count, ts in out]


def hidden_untagged(ws: Workspace, anchor: int) -> int:
    """Untagged page views in the window: not listed, only counted."""
    return sum(
        1
        for e in ws.events
        if e.visitor_id == POWER_USER and anchor - 86_400_000 <= e.ts <= anchor and e.kind == "untagged"
    )


def before(gap_ms: int) -> str:
    """How far before the ticket, in the renderer's words ("at filing", "4 min", "4 h 48 min")."""
    minutes = gap_ms // 60_000
    if minutes < 1:
        return "at filing"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min before ticket"
    return f"{hours} h" + (f" {minutes} min" if minutes else "") + " before ticket"


def expected_line(name: str, count: int, ts: int, anchor: int) -> tuple[str, int, str]:
    return (name, count, before(anchor - ts))


def story(lines: list[tuple[str, int, int]], anchor: int) -> str:
    """The first screen's one-line story: what they did in the 30 min before filing, most done first."""
    cluster = [(name, count, ts) for name, count, ts in lines if anchor - ts <= 30 * 60_000]
    assert cluster  # the scenario: activity just before the ticket
    minutes = max(1, math.ceil((anchor - cluster[-1][2]) / 60_000))
    done: dict[str, int] = {}
    for name, count, _ in cluster:
        done[name] = done.get(name, 0) + count
    ranked = sorted(done.items(), key=lambda kv: -kv[1])
    parts = [name + (f" ×{n}" if n > 1 else "") for name, n in ranked[:3]]
    rest = f" and {len(ranked) - 3} more" if len(ranked) > 3 else ""
    return f"*{minutes} min before filing:* {', '.join(parts)}{rest}"


def story_names(lines: list[tuple[str, int, int]], anchor: int) -> set[str]:
    """The names the story line gives: the three most done in the 30 min before filing."""
    done: dict[str, int] = {}
    for name, count, ts in lines:
        if anchor - ts <= 30 * 60_000:
            done[name] = done.get(name, 0) + count
    return {name for name, _ in sorted(done.items(), key=lambda kv: -kv[1])[:3]}


def events_word(n: int) -> str:
    return f"{n:,} event{'' if n == 1 else 's'}"


@dataclass
class Views:
    first: str  # the compact first screen (the agent's private answer, or the channel's unfurl)
    full: str  # after Show more (replacing the private answer) or Details (a private message to the clicker)


async def views(
    fake_slack: FakeSlack, slack_url: str, ws: Workspace, zone: str, reading: str, surface: str
) -> Views:
    """Drive the bot as an agent would: the first message, then its Show more or Details button."""
    bot = make_bot(fake_slack, slack_url, ws=ws, pendo_options={"timezone": zone, "history_reading": reading})
    try:
        if surface == "command":
            _, rid = await bot.command(f"#{TICKET_AFTER_MIDNIGHT}")
            first = await bot.final_response(rid)
            more = buttons(first)["message_view:more"]["value"]
            full = await bot.final_response(await click(bot, "message_view:more", more))
            assert full["replace_original"] is True and full["response_type"] == "ephemeral"
        else:
            link = url(TICKET_AFTER_MIDNIGHT)
            fake_slack.calls.clear()
            assert (await bot.event(posted([link]))).status_code == 200
            _header, unfurled = await settle(bot, 2)
            first = unfurled["unfurls"][link]
            detail = buttons(first)["message_view:detail"]["value"]
            await click(bot, "message_view:detail", detail, public=True, user="U0READER")
            await fake_slack.wait_for(lambda: fake_slack.by_method("chat.postEphemeral"))
            [full] = fake_slack.by_method("chat.postEphemeral")
            assert full["user"] == "U0READER" and full["channel"] == "C0SUPPORT"
            assert fake_slack.responses == []  # the channel's unfurl itself is left as it was
        return Views(text(first), text(full))
    finally:
        await bot.http.aclose()
        await bot.deps.aclose()


def section_starting(text: str, start: str) -> str:
    """The mrkdwn of the one section that starts with `start` (as it appears in the JSON dump)."""
    found = re.findall(r'"text": "(' + re.escape(start) + r'(?:[^"\\]|\\.)*)"', text)
    assert len(found) == 1, (start, text[:500])
    return str(found[0])


def timeline_lines(section: str) -> list[tuple[str, int, str]]:
    return [(name, int(count or 1), at) for name, count, at in LINE.findall(section)]


@pytest.mark.parametrize("surface", ["command", "unfurl"])
@pytest.mark.parametrize("where", list(DATA_ZONES))
async def test_ticket_just_after_local_midnight(
    clean_env: None, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack, where: str, surface: str
) -> None:
    ws = workspace(DATA_ZONES[where])
    created = created_ms(ws)
    midnight = local_midnight(created, DATA_ZONES[where])
    assert 0 < created - midnight < 3_600_000  # the scenario: filed in the first hour of the local day
    raw_lines = timeline(ws, created)
    expected_lines = [expected_line(*line, created) for line in raw_lines]
    marker = f"🎫 *Ticket submitted* · <!date^{created // 1000}^{{time}}|"
    filed = f"*Activity in the 24 h before the ticket (<!date^{created // 1000}^"

    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for zone in SERVED_AS:
        want = figures(ws, zone)
        visitors, days, events = want["acme"]
        for reading in READINGS:
            label = f"{zone}/{reading}"
            got = await views(fake_slack, slack_server[1], ws, zone, reading, surface)

            # the first screen: how active in the subscription's days, and the story before filing
            assert re.search(
                rf"\*Active {want['days']} of the last 30 days \(Pendo: [a-z]+ user\)\* · {events_word(want['events'])} \(",
                got.first,
            ), label
            recent = section_starting(got.first, story(raw_lines, created))
            # below the story, the events it does not already name (each thing said once)
            named = story_names(raw_lines, created)
            unnamed = [line for line in expected_lines if line[0] not in named]
            assert timeline_lines(recent) == unnamed[:RECENT_SHOWN], label

            # the full view: every figure, and the whole window before the ticket
            full = got.full
            active = rf"\*Active\*\\n{want['days']} of the last 30 days \(Pendo: [a-z]+ user\) · "
            assert re.search(active, full), label
            assert f"*Events (30 d)*\\n{want['events']:,} · " in full, label
            assert f"*Minutes (30 d)*\\n{want['minutes']:,} · " in full, label
            assert f"_█ = {events_word(want['peak'])} (the busiest day)" in full, label
            account = (
                rf"{visitors} active visitors? · Active {days} of the last 30 days \(Pendo: [a-z]+ account\) · "
                rf"{events_word(events)} in 30 d"
            )
            assert re.search(account, full), label
            activity = section_starting(full, filed)
            assert marker in activity, label  # the ticket marker at the anchor
            lines = timeline_lines(activity)
            assert lines == expected_lines[: len(lines)], label
            shown = [ts for _, _, ts in raw_lines[: len(lines)]]
            assert min(shown) < midnight <= max(shown), label  # the full view reaches back past midnight
            rest = len(expected_lines) - len(lines)
            hidden = hidden_untagged(ws, created)
            assert f"and {rest} more · {hidden} untagged page view{'' if hidden == 1 else 's'} hidden" in full
            seen[(zone, reading)] = (recent, activity)
    # Instants do not depend on the subscription's zone or on Pendo's reading of a history day.
    assert len(set(seen.values())) == 1, sorted(seen)


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
        await bot.deps.aclose()
    assert "*Escalated to engineering*" in header
    [request] = [r for r in bot.zendesk.requests if "/tickets/" in r.path]
    assert "custom_statuses" in request.params["include"].split(",")
