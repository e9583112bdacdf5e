"""The first screen is compact; Show more has everything; times read well and never go stale.

Numbers checked here (days, events, the story's tallies) are recomputed from the raw entries or events,
not read back from the renderer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from bot import answers
from bot.domain.models import (
    Ambiguous,
    Candidate,
    Gap,
    MetadataField,
    Missing,
    Timeline,
    TimelineEntry,
    VisitorFacts,
)
from bot.domain.tickets import NoPendo, TicketFacts
from bot.http.errors import AuthError, BadResponse, RateLimited, Unavailable, UpstreamError
from bot.pendo.client import PendoKeyOrRegionRejected
from bot.render import activity as activity_blocks
from bot.render import buttons as button_kit
from bot.render import messages as message_blocks
from bot.render import summary as summary_blocks
from bot.render import tickets as ticket_blocks
from bot.render import words
from bot.render.times import before_ticket, span
from bot.sample import (
    JANE,
    MULTI,
    OPS,
    TICKET_AFTER_MIDNIGHT,
    TICKET_JANE,
    TICKET_MULTI,
    TICKET_SAM,
    Workspace,
)
from bot.zendesk.client import TicketNotFound, ZendeskAuthError, ZendeskForbidden
from bot.zendesk.models import Via
from tests.render.test_messages import (
    DAY,
    HOUR,
    MINUTE,
    NAMED,
    NOW,
    all_text,
    check_message,
    check_unfurl,
    extreme_bundle,
    extreme_context,
)
from tests.render.visible import visible_text

STALE = re.compile(r"\b\d+ (?:min|h|d) ago\b|just now")
MAX_COMPACT_BLOCKS = 8
MAX_COMPACT_CHARS = 1200  # a detractor's whole comment (up to 300 characters) fits


def compact_size(blocks: list[dict[str, Any]]) -> tuple[int, int]:
    return len(blocks), len(visible_text(blocks))


# --- the first screen -----------------------------------------------------------------------------------
@pytest.mark.parametrize("visitor", NAMED)
async def test_first_screen_is_compact_for_every_named_visitor(make_deps: Any, visitor: str) -> None:
    deps, _ = make_deps()
    result = await deps.customers.lookup(visitor)
    assert isinstance(result, VisitorFacts)
    message = answers.render_result(result, NOW).message
    check_message(message)
    blocks, chars = compact_size(message["blocks"])
    assert blocks <= MAX_COMPACT_BLOCKS and chars <= MAX_COMPACT_CHARS, (blocks, chars)
    full = summary_blocks.visitor_message(result, view=button_kit.ViewRef(result.profile.id, full=True))
    check_message(full)
    if not result.profile.opted_out:
        assert len(visible_text(full["blocks"])) > chars  # Show more really shows more


async def test_ticket_answers_and_unfurls_are_compact(make_deps: Any, ws: Workspace) -> None:
    deps, _ = make_deps(pendo_email_field="agent/email")
    sizes = []
    for ticket_id in sorted(ws.tickets):
        answer = await answers.ticket_answer(deps.tickets, ticket_id, "r1")
        check_message(answer.message)
        sizes.append(compact_size(answer.message["blocks"]))
        try:
            bundle = await deps.tickets.ticket(ticket_id)
        except Exception:
            continue
        unfurl = ticket_blocks.ticket_unfurl(bundle, NOW, await deps.tickets.requester_facts(bundle))
        check_unfurl(unfurl)
        sizes.append(compact_size(unfurl["blocks"]))
    for blocks, chars in sizes:
        assert blocks <= MAX_COMPACT_BLOCKS and chars <= MAX_COMPACT_CHARS, sizes


@pytest.mark.parametrize("accounts", [0, 1, 40])
def test_first_screen_stays_within_8_blocks_with_extreme_data(accounts: int) -> None:
    ctx = extreme_context(accounts=accounts)
    header = ticket_blocks.ticket_header_blocks(extreme_bundle())
    for message in (
        summary_blocks.visitor_message(ctx),
        summary_blocks.visitor_message(ctx, header_blocks=header),
    ):
        check_message(message)
        assert len(message["blocks"]) <= MAX_COMPACT_BLOCKS
        # twelve 400-character gaps become two short sentences on the first screen
        # every name at its cap and twelve 400-character gaps: still one screen, gaps as two sentences
        assert len(visible_text(message["blocks"])) <= 2300  # and a detractor's 300-character comment
    unfurl = ticket_blocks.ticket_unfurl(extreme_bundle(), NOW, TicketFacts(extreme_bundle(), pendo=ctx))
    check_unfurl(unfurl)
    assert len(unfurl["blocks"]) <= MAX_COMPACT_BLOCKS


async def test_first_screen_numbers_are_the_raw_figures(make_deps: Any, ws: Workspace) -> None:
    window_start = NOW - NOW % DAY - 29 * DAY
    jane = [
        e
        for e in ws.events
        if e.visitor_id == JANE and window_start <= e.ts <= NOW and e.kind in ("page", "feature", "untagged")
    ]
    days = len({e.ts - e.ts % DAY for e in jane})
    deps, _ = make_deps()
    result = await deps.customers.lookup(JANE)
    assert isinstance(result, VisitorFacts)
    text = all_text(answers.render_result(result, NOW).message)
    frequency = "daily" if days >= 13 else "weekly" if days >= 5 else "monthly"
    assert f"*Active {days} of the last 30 days (Pendo: {frequency} user)* · {len(jane):,} events (" in text


# --- the story of the last minutes --------------------------------------------------------------------
def _timeline(entries: list[TimelineEntry], anchor: int, marker: str | None) -> Timeline:
    marked = [TimelineEntry(anchor, "ticket", marker)] if marker else []
    return Timeline(start_ms=anchor - 24 * HOUR, anchor_ms=anchor, entries=marked + entries, marker=marker)


RAW = [  # (minutes before the anchor, name, repeats): newest first, as the timeline is
    (2, "Export CSV", 2),
    (3, "Reports", 1),
    (4, "Export CSV", 1),
    (6, "Report exported", 2),
    (9, "Dashboard", 1),
    (29, "Settings", 1),
    (45, "Billing", 3),  # outside the half hour before filing
]


def _entries(anchor: int) -> list[TimelineEntry]:
    kinds = {"Reports": "page", "Dashboard": "page", "Settings": "page", "Billing": "page"}
    return [
        TimelineEntry(anchor - m * MINUTE, kinds.get(name, "feature"), name, count=n) for m, name, n in RAW
    ]


def test_story_before_a_ticket_tallies_the_last_half_hour() -> None:
    anchor = NOW - 3 * HOUR
    line = activity_blocks.story(_timeline(_entries(anchor), anchor, "Ticket submitted"))
    counts: dict[str, int] = {}
    for minutes, name, n in RAW:
        if minutes <= 30:
            counts[name] = counts.get(name, 0) + n
    top = sorted(counts.items(), key=lambda kv: -kv[1])
    oldest = max(m for m, _, _ in RAW if m <= 30)
    assert line is not None and line.startswith(f"*{oldest} min before filing:* ")
    expected = ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in top[:3])
    assert f"{expected} and {len(top) - 3} more" in line
    assert "Export CSV ×3" in line and "Billing" not in line


def test_story_when_nothing_happened_just_before_filing() -> None:
    anchor = NOW - 3 * HOUR
    old = [TimelineEntry(anchor - 2 * HOUR - 5 * MINUTE, "page", "Billing")]
    line = activity_blocks.story(_timeline(old, anchor, "Ticket submitted"))
    assert line == "*Nothing in the 30 min before filing;* last activity 2 h 5 min before."


def test_story_without_a_ticket_is_the_last_session() -> None:
    anchor = NOW
    entries = [replace(e, ts_ms=e.ts_ms - 5 * HOUR) for e in _entries(anchor)]
    line = activity_blocks.story(_timeline(entries, anchor, None))
    newest, oldest_in_half_hour = RAW[0][0], max(m for m, _, _ in RAW if m - RAW[0][0] <= 30)
    assert line is not None
    assert line.startswith(f"*Last session ({oldest_in_half_hour - newest} min):* Export CSV ×3")


@pytest.mark.parametrize(
    ("gap_ms", "words_"),
    [
        (0, "at filing"),
        (59_000, "at filing"),
        (2 * MINUTE + 30_000, "2 min before ticket"),
        (HOUR + 10 * MINUTE, "1 h 10 min before ticket"),
        (3 * HOUR, "3 h before ticket"),
        (26 * HOUR, "1 d 2 h before ticket"),
        (-5 * MINUTE, "5 min after ticket"),
    ],
)
def test_times_relative_to_the_ticket(gap_ms: int, words_: str) -> None:
    assert before_ticket(NOW - gap_ms, NOW) == words_


def test_ticket_window_lines_read_relative_to_the_ticket_and_never_to_now() -> None:
    anchor = NOW - 13 * HOUR
    t = _timeline(_entries(anchor), anchor, "Ticket submitted")
    ctx = replace(extreme_context(accounts=1), timeline=t)
    view = button_kit.ViewRef(ctx.profile.id, anchor_ms=anchor, ticket_id=42, ticket_ms=anchor)
    for message in (
        summary_blocks.visitor_message(ctx, view=view),
        summary_blocks.visitor_message(ctx, view=view.but(full=True)),
        summary_blocks.visitor_message(
            ctx, view=view, sharing=summary_blocks.Sharing(shared_by="U1", ticket_url="https://x/42")
        ),
    ):
        text = all_text(message)
        assert not STALE.search(text) and "(13 h" not in text
        # the first screen's story names what was done "… min before filing"; Details lists each event
        assert "min before filing" in text or "2 min before ticket" in text
    full = all_text(summary_blocks.visitor_message(ctx, view=view.but(full=True)))
    assert "2 min before ticket" in full


def test_day_lines_only_when_the_window_crosses_midnight() -> None:
    midnight = NOW - NOW % DAY
    crossing = _timeline(
        [
            TimelineEntry(midnight + 5 * MINUTE, "page", "A"),
            TimelineEntry(midnight - 5 * MINUTE, "page", "B"),
        ],
        midnight + 10 * MINUTE,
        None,
    )
    view = button_kit.ViewRef("v", full=True)
    body = activity_blocks.timeline_blocks(crossing, view, NOW)[1]["text"]["text"]
    labels = re.findall(r"<!date\^(\d+)\^\{date_long_pretty\}", body)
    assert [int(s) * 1000 - int(s) * 1000 % DAY for s in labels] == [midnight, midnight - DAY]
    within = replace(crossing, start_ms=midnight + MINUTE, entries=crossing.entries[:1])
    assert "date_long_pretty" not in activity_blocks.timeline_blocks(within, view, NOW)[1]["text"]["text"]


def test_span_words() -> None:
    assert [span(ms) for ms in (0, MINUTE, 61 * MINUTE, 2 * DAY)] == [
        "less than a minute",
        "1 min",
        "1 h 1 min",
        "2 d",
    ]


# --- pick another day ----------------------------------------------------------------------------------
def test_day_navigation_moves_one_window_and_back_to_the_ticket() -> None:
    anchor = NOW - 13 * HOUR
    t = _timeline(_entries(anchor), anchor, "Ticket submitted")
    view = button_kit.ViewRef("v", anchor_ms=anchor, ticket_id=7, ticket_ms=anchor, full=True)
    nav = {
        b["action_id"]: button_kit.ViewRef.decode(b["value"])
        for b in activity_blocks.day_navigation(t, view, NOW)
    }
    assert nav["message_view:earlier"] == view.but(anchor_ms=anchor - 24 * HOUR)
    # a day later is past now: now, from the entries after this window (its oldest first)
    assert nav["message_view:later"] == view.but(anchor_ms=None, after_ms=anchor - 1)
    assert "message_view:ticket" not in nav
    earlier = view.but(anchor_ms=anchor - 24 * HOUR)
    moved = replace(t, anchor_ms=anchor - 24 * HOUR, start_ms=anchor - 48 * HOUR, marker=None)
    nav2 = {
        b["action_id"]: button_kit.ViewRef.decode(b["value"])
        for b in activity_blocks.day_navigation(moved, earlier, NOW)
    }
    # Later from the window before walks the ticket's window from its oldest entries (past its start)
    assert nav2["message_view:later"] == view.but(anchor_ms=anchor, after_ms=anchor - 24 * HOUR - 1)
    assert nav2["message_view:ticket"] == view
    assert earlier.marker is None and view.marker == "Ticket submitted"


def test_an_empty_window_says_when_they_were_last_active_and_offers_that_day() -> None:
    ctx = extreme_context(accounts=1)
    last = NOW - 6 * DAY
    quiet = Timeline(start_ms=NOW - 24 * HOUR, anchor_ms=NOW, entries=[])
    ctx = replace(ctx, profile=replace(ctx.profile, last_visit_ms=last), timeline=quiet)
    message = summary_blocks.visitor_message(ctx)
    check_message(message)
    assert f"No activity in the 24 h before <!date^{NOW // 1000}^" in all_text(message)
    # when they were last active is said once: "Last seen", not again as "Last active"
    assert f"Last seen <!date^{last // 1000}^" in all_text(message)
    assert all_text(message).count(f"<!date^{last // 1000}^") == 1
    offer = next(
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "message_view:day"
    )
    ref = button_kit.ViewRef.decode(offer["value"])
    assert ref is not None and ref.anchor_ms is not None and last <= ref.anchor_ms <= last + MINUTE


def test_view_refs_round_trip_and_reject_anything_else() -> None:
    ref = button_kit.ViewRef("jane@acme.example", anchor_ms=NOW, ticket_id=1001, ticket_ms=NOW, full=True)
    assert button_kit.ViewRef.decode(ref.encode()) == ref
    assert button_kit.ViewRef.decode(button_kit.ViewRef("x").encode()) == button_kit.ViewRef("x")
    for bad in (
        None,
        "",
        "jane",
        "[]",
        '{"v": ""}',
        '{"a": 1}',
        '{"v": "x", "a": "soon"}',
        '{"v":"x","t":true}',
    ):
        assert button_kit.ViewRef.decode(bad) is None, bad
    assert button_kit.ViewRef("x" * 2000).encode() is None


# --- Share -------------------------------------------------------------------------------------------------
def _action_ids(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_share_buttons_only_where_sharing_may_happen() -> None:
    ctx = extreme_context(accounts=1)
    assert {"message_share", "message_share_note"} <= set(_action_ids(summary_blocks.visitor_message(ctx)))
    refused = summary_blocks.visitor_message(ctx, sharing=summary_blocks.Sharing(allowed=False))
    assert "message_share" not in _action_ids(refused) and "message_view:more" in _action_ids(refused)
    opted_out = summary_blocks.visitor_message(extreme_context(accounts=1, opted_out=True))
    assert _action_ids(opted_out) == ["open_link:visitor"]
    done = summary_blocks.visitor_message(ctx, sharing=summary_blocks.Sharing(shared_in="C0SUPPORT"))
    assert "message_share" not in _action_ids(done) and "Shared in <#C0SUPPORT> ✓" in all_text(done)


def test_the_channel_copy_names_the_ticket_the_sharer_and_the_note() -> None:
    ctx = extreme_context(accounts=1)
    view = button_kit.ViewRef(ctx.profile.id, anchor_ms=NOW - HOUR, ticket_id=1001, ticket_ms=NOW - HOUR)
    url = "https://sample-support.zendesk.com/agent/tickets/1001"
    shared = summary_blocks.visitor_message(
        ctx,
        view=view,
        sharing=summary_blocks.Sharing(shared_by="U0SHARER", note="<!channel> see *this*", ticket_url=url),
    )
    check_message(shared)
    text = all_text(shared)
    assert f"Shared by <@U0SHARER> · about <{url}|Zendesk ticket #1001>" in text
    assert "💬 &lt;!channel&gt; see *this*" in text
    assert _action_ids(shared) == [
        "message_view:detail",
        "account_view:open",
        "open_link:visitor",
    ]  # detail opens privately


# --- choices ---------------------------------------------------------------------------------------------
def test_candidates_in_a_ticket_unfurl_are_picked_at_the_ticket_time() -> None:
    bundle = extreme_bundle()
    candidates = [Candidate(f"u-{i}", f"Ops {i}", OPS, ["initech"], NOW - i * HOUR) for i in range(6)]
    tc = TicketFacts(bundle, pendo=Ambiguous(OPS, candidates, "metadata field agent/email"))
    unfurl = ticket_blocks.ticket_unfurl(bundle, NOW, tc)
    check_unfurl(unfurl)
    picks = [
        b["accessory"]
        for b in unfurl["blocks"]
        if b.get("accessory", {}).get("action_id") == "message_view:pick"
    ]
    refs = [button_kit.ViewRef.decode(p["value"]) for p in picks]
    created = bundle.ticket.created_ms
    assert refs == [
        button_kit.ViewRef(f"u-{i}", anchor_ms=created, ticket_id=bundle.ticket_id, ticket_ms=created)
        for i in range(4)
    ]
    assert "and 2 more" in all_text(unfurl) and "metadata field" not in all_text(unfurl)


# --- words for agents -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("open", "Open"),
        ("hold", "On hold"),
        ("pending", "Pending (waiting on the customer)"),
        ("escalated_custom", "Escalated"),
    ],
)
def test_statuses_in_words(status: str, shown: str) -> None:
    assert words.ticket_status(status) == shown


@pytest.mark.parametrize(
    ("channel", "shown"),
    [
        ("web", "Web form"),
        ("native_messaging", "Messaging"),
        ("email", "Email"),
        ("voice", "Phone call"),
        ("4", None),
        ("some_new_thing", "Some new thing"),
    ],
)
def test_channels_in_words(channel: str, shown: str | None) -> None:
    assert words.ticket_channel(channel) == shown


def test_ticket_header_never_shows_raw_values() -> None:
    bundle = extreme_bundle()
    bundle = replace(bundle, ticket=bundle.ticket.model_copy(update={"status": "escalated_custom"}))
    text = all_text({"blocks": ticket_blocks.ticket_header_blocks(bundle)})
    assert "escalated_custom" not in text and "*Escalated*" in text
    status_line = visible_text(ticket_blocks.ticket_header_blocks(bundle)).split("\n")[1]
    assert status_line.startswith("Escalated · Urgent<&>"), status_line


@pytest.mark.parametrize(
    ("error", "agent"),
    [
        (
            AuthError("Pendo", "x", status=401, setting="PENDO_INTEGRATION_KEY"),
            "Pendo rejected the bot's credentials. Tell whoever runs the bot.",
        ),
        (ZendeskAuthError("x"), "Zendesk rejected the bot's credentials. Tell whoever runs the bot."),
        (
            ZendeskForbidden(7, "x"),
            "The bot's Zendesk user cannot see ticket #7. Ask your Zendesk admin to give it access to the "
            "ticket's group or brand.",
        ),
        (
            ZendeskForbidden(None, "x"),
            "The bot's Zendesk user is not allowed to read these tickets. Ask your Zendesk admin to check its "
            "role (or the OAuth token's scopes).",
        ),
        (
            PendoKeyOrRegionRejected("Pendo", "x", status=400, setting="PENDO_REGION"),
            "Pendo refused the bot's key: the key or the Pendo region is likely wrong. Ask your Pendo admin "
            "to check the bot's Pendo settings.",
        ),
        (Unavailable("Pendo", "x", status=503), "Pendo is unavailable right now. Try again in a minute."),
        (Unavailable("Pendo", "x", timeout=8), "Pendo did not answer in 8 s. Try again in a minute."),
        (
            TicketNotFound(7, "x"),
            "Ticket #7 was not found in Zendesk (it may have been deleted, or the link is for another account).",
        ),
        (
            RateLimited("Zendesk", "x", retry_after=30),
            "Zendesk is busy with too many requests from the bot. Try again in 30 s.",
        ),
    ],
)
def test_each_failure_says_its_own_agent_sentence(error: UpstreamError, agent: str) -> None:
    # one sentence per cause, written by words from the error's facts (the admin's says more)
    assert words.failure_sentence(error) == agent
    assert not re.search(r"\bHTTP\b|\(\d{3}\)|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", agent)


def test_upstream_failures_in_words_for_agents() -> None:
    errors = [
        AuthError("Pendo", "HTTP 401 GET /api/v1/visitor/{id}", status=401, setting="PENDO_INTEGRATION_KEY"),
        Unavailable("Pendo", "HTTP 503", status=503),
        BadResponse("Pendo", "not JSON"),
        RateLimited("Zendesk", "HTTP 429", retry_after=30),
    ]
    for exc in errors:
        sentence = words.failure_sentence(exc)
        assert not re.search(r"[A-Z]{3,}_|HTTP|\b[45]\d\d\b|/api/|Error\b", sentence), sentence
        assert sentence.endswith(".")
    assert (
        words.failure_sentence(errors[3])
        == "Zendesk is busy with too many requests from the bot. Try again in 30 s."
    )


def test_gaps_group_by_cause() -> None:
    gaps = [
        Gap.of("Usage figures", Unavailable("Pendo", "HTTP 503 from x", status=503)),
        Gap.of("Recent activity", Unavailable("Pendo", "overall deadline", timeout=8)),
        Gap.of("Details", Unavailable("Pendo", "HTTP 500 from x", status=500)).for_account("Acme"),
        Gap(None, Missing.NOT_IN_PENDO, account="Beta"),
    ]
    assert words.gap_sentences(gaps) == [
        "Usage figures and an account's figures could not be loaded: Pendo is unavailable right now. Try again in a minute.",
        "Recent activity could not be loaded: Pendo did not answer in 8 s. Try again in a minute.",
        "Account Beta: not found in Pendo.",
    ]
    auth = Gap.of("Usage figures", AuthError("Pendo", "x", status=401, setting="PENDO_INTEGRATION_KEY"))
    assert words.gap_sentences([auth]) == [
        "Usage figures could not be loaded: Pendo rejected the bot's credentials. Tell whoever runs the bot."
    ]


def test_an_account_name_that_reads_like_a_gap_stays_a_name() -> None:
    # a gap once went through "Account {name}: {part} unavailable: {why}" and a regex read it back
    name = "Ops: Usage figures unavailable: EU"
    gap = Gap.of("Details", Unavailable("Pendo", "overall deadline", timeout=8)).for_account(name)
    assert words.gap_sentences([gap]) == [
        "An account's figures could not be loaded: Pendo did not answer in 8 s. Try again in a minute."
    ]
    assert (
        words.gap_line(gap)
        == f"Account {name}: Details unavailable: Pendo did not answer in 8 s. Try again in a minute."
    )


# --- small things ------------------------------------------------------------------------------------------
def test_a_field_on_the_visitor_and_the_account_is_shown_once() -> None:
    ctx = extreme_context(accounts=1)
    plan = MetadataField("Plan", "Enterprise")
    ctx = replace(
        ctx,
        profile=replace(ctx.profile, fields=[plan, MetadataField("Role", "admin")]),
        accounts=[replace(ctx.accounts[0], fields=[plan], opted_out=False)],
    )
    text = all_text(summary_blocks.visitor_message(ctx, view=button_kit.ViewRef(ctx.profile.id, full=True)))
    assert text.count("Enterprise") == 1 and "*Role*\nadmin" in text


def test_the_sparkline_says_its_scale() -> None:
    ctx = extreme_context(accounts=0)
    assert ctx.usage is not None
    text = all_text(summary_blocks.visitor_message(ctx, view=button_kit.ViewRef(ctx.profile.id, full=True)))
    peak = max(ctx.usage.daily_events)
    assert f"█ = {peak:,} events (the busiest day) · ▁ = none" in text and "right: today" in text


def test_help_uses_the_real_zendesk_host() -> None:
    text = all_text(message_blocks.help_message("/pendo", "support.initech.example"))
    assert "https://support.initech.example/agent/tickets/12345" in text and "acme.zendesk.com" not in text
    assert "tickets" not in all_text(message_blocks.help_message("/pendo"))


@pytest.mark.parametrize("ticket_id", [TICKET_JANE, TICKET_MULTI, TICKET_SAM, TICKET_AFTER_MIDNIGHT])
async def test_nothing_goes_stale_in_a_public_message(make_deps: Any, ticket_id: int) -> None:
    deps, _ = make_deps()
    bundle = await deps.tickets.ticket(ticket_id)
    tc = await deps.tickets.requester_facts(bundle)
    text = all_text(ticket_blocks.ticket_unfurl(bundle, NOW, tc))
    assert not STALE.search(text)
    result = await deps.customers.lookup(MULTI)
    assert isinstance(result, VisitorFacts)
    assert not STALE.search(
        all_text(summary_blocks.visitor_message(result, sharing=summary_blocks.Sharing(shared_by="U1")))
    )


def test_a_missing_pendo_part_is_said_in_agent_words() -> None:
    reason = Gap.of("Pendo data", AuthError("Pendo", "x", status=401, setting="PENDO_INTEGRATION_KEY"))
    text = all_text(
        ticket_blocks.ticket_unfurl(extreme_bundle(), NOW, TicketFacts(extreme_bundle(), reason=reason))
    )
    assert "Pendo rejected the bot's credentials. Tell whoever runs the bot." in text
    assert "PENDO_" not in text and "401" not in text


def test_a_reason_names_the_channel_in_words() -> None:
    bundle = extreme_bundle(email=None)
    bundle = replace(bundle, ticket=bundle.ticket.model_copy(update={"via": Via(channel="native_messaging")}))
    reason = NoPendo.NO_EMAIL
    text = all_text(ticket_blocks.ticket_unfurl(bundle, NOW, TicketFacts(bundle, reason=reason)))
    assert "(a Messaging ticket)" in text and "native_messaging" not in text
