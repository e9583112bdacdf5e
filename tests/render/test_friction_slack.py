"""Friction, replays and what stands out on Slack's surfaces: the first screen (the private answer and the
unfurl), Show more / Details, the account view and the ticket's Work Object panel.

The facts are built by hand; every expected phrase is the shared wording (`bot.render.friction`) applied
to those facts, or a figure read from them, never read back from the Slack renderer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import answers
from bot.domain import signals
from bot.domain.friction import AccountFriction, Counts, FrictionFacts, Replay, Spot
from bot.domain.friction import Trend as FrictionTrend
from bot.domain.models import (
    AccountFacts,
    AccountSummary,
    Gap,
    Missing,
    NpsAnswer,
    Timeline,
    TimelineEntry,
    Trend,
    VisitorFacts,
    VisitorProfile,
    VisitorUsage,
)
from bot.domain.tickets import TicketFacts
from bot.render import accounts as account_blocks
from bot.render import activity as activity_blocks
from bot.render import friction as words
from bot.render import messages as message_blocks
from bot.render import summary as summary_blocks
from bot.render import tickets as ticket_blocks
from bot.render import work_objects as wo
from bot.render.buttons import OPEN_ACTION
from bot.render.times import slack_date
from bot.zendesk.models import Group, Organization, Ticket, TicketBundle, User
from tests.render.test_messages import (
    EVIL,
    all_text,
    check_message,
    check_unfurl,
    extreme_bundle,
    extreme_context,
)
from tests.render.visible import visible_text

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NOW = 1_795_000_000_000
CREATED = NOW - 3 * HOUR  # the ticket's creation: the answers' anchor
BASE = "https://app.pendo.io"
COMMENT = "Updating our card fails every time & the <invoice> page takes forever to load."
REPLAY = "▶ Replay"


def bundle(created_ms: int = CREATED) -> TicketBundle:
    return TicketBundle(
        ticket=Ticket(
            id=1001,
            subject="Can't update our credit card",
            status="open",
            priority="high",
            type="problem",
            requester_id=1,
            assignee_id=2,
            group_id=3,
            organization_id=4,
            created_at=datetime.fromtimestamp(created_ms / 1000, UTC),
            via={"channel": "web"},
        ),
        requester=User(id=1, name="Jane Doe", email="jane@acme.example"),
        assignee=User(id=2, name="Alex Rivera"),
        organization=Organization(id=4, name="Acme Corp"),
        group=Group(id=3, name="Tier 1"),
        host="sample-support.zendesk.com",
    )


def spot(name: str = "Billing settings", counts: Counts | None = None, **kw: Any) -> Spot:
    page = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return Spot("page", page, name, f"{BASE}/pages/{page}", counts or Counts(rage=4, error=2), **kw)


def replays(n: int, anchor: int = CREATED) -> list[Replay]:
    """`n` recordings, nearest to the anchor first, each with its player link."""
    return [
        Replay(
            f"rec-{i}",
            anchor - (9 + 40 * i) * MINUTE,
            anchor - (2 + 40 * i) * MINUTE,
            f"{BASE}/s/123/replay/player/rec-{i}?startTime={anchor - (9 + 40 * i) * MINUTE}",
            Counts(rage=i + 1),
        )
        for i in range(n)
    ]


def friction(*, strongest: bool = True, n_replays: int = 4, trend: bool = True) -> FrictionFacts:
    top = spot(last_ms=CREATED - 6 * MINUTE, hour_ms=CREATED - CREATED % HOUR)
    return FrictionFacts(
        scope="ticket",
        start_ms=CREATED - 24 * HOUR,
        end_ms=CREATED,
        spots=[top] if strongest else [],
        strongest=top if strongest else None,
        replays=replays(n_replays),
        trend=FrictionTrend(Counts(rage=12, error=3), Counts(rage=7, error=3), spot(counts=Counts(rage=9)))
        if trend
        else None,
    )


def facts(**changes: Any) -> VisitorFacts:
    """A struggling detractor before a ticket: detractor, friction, usage down and a renewal fire."""
    answer = NpsAnswer("jane", "acme", 3, CREATED - 12 * DAY, comment=COMMENT, survey="NPS survey")
    entries = [
        TimelineEntry(CREATED, "ticket", "Ticket submitted"),
        TimelineEntry(CREATED - 2 * MINUTE, "feature", "Contact support", url=f"{BASE}/features/f1"),
        TimelineEntry(CREATED - 4 * MINUTE, "page", "Help center", url=f"{BASE}/pages/help"),
        TimelineEntry(CREATED - 5 * MINUTE, "feature", "Download invoice PDF", url=f"{BASE}/features/f2"),
        TimelineEntry(CREATED - 7 * MINUTE, "page", "Invoices list", url=f"{BASE}/pages/inv"),
        TimelineEntry(
            CREATED - 11 * MINUTE,
            "page",
            "Billing settings",
            count=3,
            url=f"{BASE}/pages/billing-settings",
            friction=Counts(rage=4, error=0),
        ),
        TimelineEntry(
            CREATED - 50 * MINUTE, "page", "Dashboard", url=f"{BASE}/pages/dash", friction=Counts()
        ),
    ]
    ctx = VisitorFacts(
        profile=VisitorProfile(
            id="jane",
            name="Jane Doe",
            email="jane@acme.example",
            account_ids=["acme"],
            first_visit_ms=CREATED - 200 * DAY,
            last_visit_ms=CREATED + 90 * MINUTE,
            browser="Chrome",
            os="Mac OS X",
            fields=[],
            url=f"{BASE}/visitor/jane",
        ),
        generated_at_ms=NOW,
        usage=VisitorUsage(
            days_active=9,
            events=40,
            minutes=30,
            events_trend=Trend(40, 100),
            minutes_trend=Trend(30, 60),
            days_trend=Trend(9, 20),
            daily_events=[1] * 30,
            top_features=[],
            top_pages=[],
        ),
        accounts=[AccountSummary("acme", "Acme Corp", f"{BASE}/account/acme", renewal_ms=CREATED + 21 * DAY)],
        timeline=Timeline(CREATED - 24 * HOUR, CREATED, entries, marker="Ticket submitted", zone="UTC"),
        nps=answer,
        anchor_ms=CREATED,
        recent_nps=answer,
        friction=friction(),
    )
    return replace(ctx, **changes)


def ticket_answer(ctx: VisitorFacts, **kw: Any) -> dict[str, Any]:
    """The private answer to `/pendo 1001`, as `answers.ticket_answer` draws it."""
    b = bundle()
    header = ticket_blocks.ticket_header_blocks(b)
    view = ticket_blocks.ticket_view(b, ctx.profile.id)
    message = answers.render_result(ctx, NOW, header, view=view, ticket_note=True, **kw).message
    check_message(message)
    return message


def unfurl(ctx: VisitorFacts) -> dict[str, Any]:
    made = ticket_blocks.ticket_unfurl(bundle(), NOW, TicketFacts(bundle(), pendo=ctx))
    check_unfurl(made)
    return made


def details(ctx: VisitorFacts) -> dict[str, Any]:
    view = ticket_blocks.ticket_view(bundle(), ctx.profile.id).but(full=True)
    message = summary_blocks.visitor_message(ctx, view=view)
    check_message(message)
    return message


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def name(s: Spot) -> str:
    return f"<{s.url}|{s.name}>"


def at(ms: int) -> str:
    return slack_date(ms, "{time}")


def day(ms: int) -> str:
    return slack_date(ms, "{date_short}")


# --- what stands out, and the first screen's order ---------------------------------------------------------
def test_the_facts_fire_four_signals_and_the_line_names_the_strongest_three() -> None:
    kinds = [s.kind for s in signals.every_signal(facts())]
    assert kinds == ["detractor", "friction", "usage_drop", "renewal"]
    lines = visible_text(ticket_answer(facts())["blocks"]).split("\n")
    [line] = [line for line in lines if line.startswith("🚩")]
    drop = words.signal_words(signals.stand_out(facts())[2], day, ticket=True)  # the shared words
    assert line == f"🚩 Detractor (NPS 3) · Friction before filing · {drop}"  # the renewal: not shown
    assert drop.startswith("Usage down")


@pytest.mark.parametrize("surface", ["answer", "unfurl"])
def test_the_first_screen_reads_stand_out_who_comment_friction_last_session_replay(surface: str) -> None:
    ctx = facts()
    blocks = (ticket_answer(ctx) if surface == "answer" else unfurl(ctx))["blocks"]
    lines = visible_text(blocks).split("\n")

    def at_line(start: str) -> int:
        [index] = [i for i, line in enumerate(lines) if line.startswith(start) or f" {start}" in line]
        return index

    f = ctx.friction
    assert f is not None and f.strongest is not None
    friction_line = f"😣 4 rage clicks and 2 error clicks on Billing settings, {words.before(CREATED - 6 * MINUTE, CREATED)}"
    order = [
        at_line("🚩 Detractor (NPS 3)"),
        at_line("jane@acme.example"),
        at_line("⚠️ NPS comment, 12 days before the ticket: “Updating our card fails"),
        at_line(friction_line),
        at_line("11 min before filing:"),
        at_line("▶ Replay: starts 9 min before filing · 7 min · 1 rage click"),
        at_line("[Show more]" if surface == "answer" else "[Details (only you see them)]"),
    ]
    assert order == sorted(order) and len(set(order)) == len(order), lines
    assert lines[order[3]] == friction_line  # exactly the shared words, nothing added
    assert "6 min before filing" in friction_line


def test_the_detractors_label_is_said_once_on_the_first_screen() -> None:
    for blocks in (ticket_answer(facts())["blocks"], unfurl(facts())["blocks"]):
        text = visible_text(blocks)
        assert text.count("NPS 3") == 1 and "(detractor)" not in text
        assert f"“{COMMENT}”" in text  # the comment stays, quoted, with when it was given
    # a detractor answer the stand-out does not name (older than its 90 days) keeps its label
    old = NpsAnswer("jane", "acme", 3, CREATED - 120 * DAY, comment=COMMENT)
    text = visible_text(ticket_answer(facts(nps=old, recent_nps=old))["blocks"])
    assert "🚩 Detractor" not in text and "⚠️ NPS 3 (detractor), 120 days before the ticket: “" in text
    # the stand-out names a detractor with no comment: no second line about it
    bare = replace(old, ts_ms=CREATED - 12 * DAY, comment=None)
    text = visible_text(ticket_answer(facts(nps=bare, recent_nps=bare))["blocks"])
    assert "🚩 Detractor (NPS 3)" in text and "⚠️" not in text


def test_a_lookup_by_email_speaks_of_the_latest_session() -> None:
    session = replace(friction(), scope="session", end_ms=NOW - HOUR, start_ms=NOW - 3 * HOUR)
    ctx = facts(anchor_ms=None, timeline=None, friction=session)
    text = all_text(summary_blocks.visitor_message(ctx))
    assert "Friction in their latest session" in text and "before filing" not in text
    r = session.replays[0]
    assert f"▶ Replay: starts {slack_date(r.start_ms, '{date_short_pretty} at {time}')} · 7 min" in text


# --- the 8-block cap ------------------------------------------------------------------------------------
def test_everything_at_once_stays_within_8_blocks() -> None:
    """The extreme visitor (long names, 40 accounts, twelve gaps) as a struggling detractor: a 3,000
    character comment, friction on a page with a long hostile name, a replay, three signals, a stale note."""
    base = extreme_context(accounts=40)
    anchor = extreme_bundle().ticket.created_ms
    answer = NpsAnswer(base.profile.id, None, 0, anchor - 2 * DAY, comment=(EVIL + " ") * 200)
    evil = spot(EVIL * 5, last_ms=anchor - MINUTE, hour_ms=anchor - anchor % HOUR)
    f = replace(
        friction(),
        end_ms=anchor,
        strongest=evil,
        spots=[evil],
        replays=replays(1, anchor),
        data_until_ms=anchor - 2 * HOUR,
    )
    ctx = replace(
        base,
        nps=answer,
        recent_nps=answer,
        anchor_ms=anchor,
        friction=f,
        usage=replace(base.usage, events=10, events_trend=Trend(10, 1000)) if base.usage else None,
        profile=replace(base.profile, first_visit_ms=anchor - 300 * DAY),
    )
    assert len(signals.stand_out(ctx)) == 3
    header = ticket_blocks.ticket_header_blocks(extreme_bundle())
    view = ticket_blocks.ticket_view(extreme_bundle(), ctx.profile.id)
    stale = message_blocks.Stale("Pendo", 600)
    message = answers.render_result(ctx, NOW, header, view=view, ticket_note=True, stale=stale).message
    check_message(message)
    made = ticket_blocks.ticket_unfurl(extreme_bundle(), NOW, TicketFacts(extreme_bundle(), pendo=ctx))
    check_unfurl(made)
    for blocks in (message["blocks"], made["blocks"]):
        text = visible_text(blocks)
        assert len(blocks) <= 8, len(blocks)
        assert "🚩 " in text and "😣 " in text and "▶ Replay: " in text and "Pendo has data until" in text
        assert len(text) <= 2600, len(text)  # the extreme names and the 300-character comment at their caps


def test_a_struggling_detractors_first_screen_stays_compact() -> None:
    for blocks in (ticket_answer(facts())["blocks"], unfurl(facts())["blocks"]):
        assert len(blocks) <= 8 and len(visible_text(blocks)) <= 1200, visible_text(blocks)


# --- the Replay button ----------------------------------------------------------------------------------
def test_the_replay_button_opens_the_nearest_recording_after_open_in_pendo() -> None:
    ctx = facts()
    nearest = ctx.friction.nearest_replay if ctx.friction else None
    assert nearest is not None and nearest.url
    shared = summary_blocks.visitor_message(ctx, sharing=summary_blocks.Sharing(shared_by="U012ABCDEF"))
    for blocks in (ticket_answer(ctx)["blocks"], unfurl(ctx)["blocks"], shared["blocks"]):
        elements = buttons(blocks)
        labels = [e["text"]["text"] for e in elements]
        replay = elements[labels.index(REPLAY)]
        assert replay["url"] == nearest.url and replay["action_id"] == OPEN_ACTION + ":replay"
        assert labels.index(REPLAY) == labels.index("Open in Pendo") + 1, labels
        assert labels.count(REPLAY) == 1 and len(elements) <= 25
    labels = [e["text"]["text"] for e in buttons(ticket_answer(ctx)["blocks"])]
    assert labels == [
        "Show more",
        "Open account",
        "Open in Pendo",
        REPLAY,
        "Add to ticket",
        "Share in channel",
        "Share with a note…",
    ]


def test_no_replay_button_without_a_player_link_or_a_recording() -> None:
    no_link = replace(friction(), replays=[replace(r, url=None) for r in replays(2)])
    for f in (no_link, friction(n_replays=0), None):
        ctx = facts(friction=f)
        for blocks in (ticket_answer(ctx)["blocks"], unfurl(ctx)["blocks"], details(ctx)["blocks"]):
            assert REPLAY not in visible_text(blocks) and ":replay" not in str(blocks)


def test_an_opted_out_visitor_has_no_stand_out_friction_or_replay() -> None:
    ctx = facts(profile=replace(facts().profile, opted_out=True))  # even if facts slipped through
    assert signals.stand_out(ctx) == []
    for blocks in (ticket_answer(ctx)["blocks"], unfurl(ctx)["blocks"], details(ctx)["blocks"]):
        text = visible_text(blocks)
        assert "opted out" in text
        assert "🚩" not in text and "😣" not in text and "Replay" not in text and "rage" not in text
    fields = wo.pendo_fields(TicketFacts(bundle(), pendo=ctx))
    assert {f["key"] for f in fields} == {"pendo_visitor", "pendo"}


# --- Show more / Details --------------------------------------------------------------------------------
def test_details_opens_with_the_stand_out_line_and_lists_three_replays_and_the_trend() -> None:
    ctx = facts()
    f = ctx.friction
    assert f is not None and f.trend is not None and len(f.replays) == 4
    blocks = details(ctx)["blocks"]
    text = all_text({"blocks": blocks})
    first_section = next(b for b in blocks if b["type"] == "section")
    assert first_section["text"]["text"].startswith("🚩 Detractor (NPS 3) · Friction before filing")
    assert (
        f"😣 4 rage clicks and 2 error clicks on {name(f.strongest or spot())}, 6 min before filing" in text
    )
    assert words.trend_line(f.trend, name) in text
    assert "30 d: 12 rage clicks (▲ 5 vs previous 30 d), 3 error clicks (no change)" in text
    listed = [line for line in text.split("\n") if line.startswith(f"<{BASE}/s/123/replay/player/")]
    assert listed == [f"<{r.url}|{REPLAY}> {words.replay_words(f, r, at)}" for r in f.replays[:3]]
    assert "starts 9 min before filing · 7 min · 1 rage click" in listed[0]
    labels = [e["text"]["text"] for e in buttons(blocks)]
    assert REPLAY not in labels  # the list has the links


def test_details_says_when_the_window_had_no_friction_and_how_far_pendo_goes() -> None:
    quiet = facts(friction=friction(strongest=False, trend=False, n_replays=0))
    text = all_text(details(quiet))
    assert "No friction in the 24 h before filing." in text and "30 d:" not in text
    lagging = replace(friction(strongest=False, trend=False), data_until_ms=CREATED - 2 * HOUR)
    text = all_text(details(facts(friction=lagging)))
    assert f"Pendo has data until {at(CREATED - 2 * HOUR)}" in text
    assert "No friction in the 24 h before filing." not in text  # never implied while Pendo lags


def test_timeline_entries_carry_their_own_friction_in_details_only() -> None:
    ctx = facts()
    full = visible_text(details(ctx)["blocks"])
    assert "📄 Billing settings ×3 · 4 rage clicks · 11 min before ticket" in full
    assert "📄 Dashboard · 50 min before ticket" in full  # zero friction: nothing added
    assert ctx.timeline is not None
    entry = ctx.timeline.entries[5]
    line = activity_blocks.entry_line(entry, ctx.timeline)
    assert line.endswith(f" ×3 · {words.short_counts(Counts(rage=4))} · 11 min before ticket")
    plain = activity_blocks.entry_line(entry, ctx.timeline, friction=False)
    assert "rage" not in plain
    assert "rage clicks ·" not in visible_text(ticket_answer(ctx)["blocks"])  # the friction line says it


# --- the account view -----------------------------------------------------------------------------------
def account(**changes: Any) -> AccountFacts:
    top = [
        spot("Billing settings", Counts(rage=9, uturn=2), visitors=3),
        spot(EVIL, Counts(error=1), visitors=1),
        replace(spot("Reports", Counts(dead=2)), url=None, visitors=None),
    ]
    ctx = AccountFacts(
        id="acme",
        name="Acme Corp",
        url=f"{BASE}/account/acme",
        generated_at_ms=NOW,
        friction=AccountFriction(Counts(rage=9, error=1, dead=2, uturn=2), top),
    )
    return replace(ctx, **changes)


@pytest.mark.parametrize("full", [False, True])
def test_the_account_view_shows_its_30_day_friction_and_top_pages(full: bool) -> None:
    ctx = account()
    message = account_blocks.account_message(ctx, full=full)
    check_message(message)
    text = all_text(message)
    assert "*Friction (30 d):* 9 rage clicks, 1 error click, 2 dead clicks and 2 U-turns" in text
    assert (
        f"<{BASE}/pages/billing-settings|Billing settings>: 9 rage clicks and 2 U-turns · 3 visitors" in text
    )
    assert "Reports: 2 dead clicks" in text  # no link, no visitor count: said as it is
    assert "&lt;script&gt;" in text  # a hostile name is escaped (check_message: no stray markup)
    plain = account_blocks.account_text(ctx)
    assert "Friction (30 d): 9 rage clicks, 1 error click, 2 dead clicks and 2 U-turns" in plain
    assert "  Billing settings: 9 rage clicks and 2 U-turns · 3 visitors" in plain


def test_an_account_without_friction_or_opted_out_says_nothing_of_it() -> None:
    for ctx in (account(friction=None), account(opted_out=True)):
        for full in (False, True):
            assert "Friction" not in all_text(account_blocks.account_message(ctx, full=full))
        assert "Friction" not in account_blocks.account_text(ctx)


# --- the Work Object panel ------------------------------------------------------------------------------
def test_the_panel_carries_the_stand_out_friction_and_replay() -> None:
    ctx = facts()
    fields = {f["key"]: f for f in wo.pendo_fields(TicketFacts(bundle(), pendo=ctx))}
    assert fields["pendo_stand_out"]["value"].startswith("🚩 Detractor (NPS 3) · Friction before filing")
    assert fields["pendo_friction"]["value"] == (
        "😣 4 rage clicks and 2 error clicks on Billing settings, 6 min before filing"
    )
    nearest = replays(1)[0]
    assert fields["pendo_replay"]["link"] == nearest.url
    assert fields["pendo_replay"]["value"] == "starts 9 min before filing · 7 min · 1 rage click"


def test_gaps_still_fit_beside_the_friction_lines() -> None:
    ctx = facts(gaps=[Gap("Usage figures", Missing.NOT_IN_PENDO)])
    for blocks in (ticket_answer(ctx)["blocks"], unfurl(ctx)["blocks"]):
        assert len(blocks) <= 8 and "⚠️" in visible_text(blocks)
