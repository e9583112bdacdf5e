"""Every message shape the bot produces passes Slack's limits (`validate_message`) and is well-formed mrkdwn.

Two sources of messages:
- real ones, from the customer lookup over the sample workspace (every named visitor, every ticket,
  the failure paths), rendered through `bot.answers` / `bot.render.*` as the listeners do;
- synthetic extremes built by hand from `bot.domain.models`: very long names and values, 40 accounts,
  50 timeline entries, and user data full of Slack control characters.

"Well-formed" means: after removing the control sequences the bot itself writes (links, dates, user
mentions), no `<` or `>` is left, and every `&` starts one of Slack's three escapes. So user data can
neither inject a link or mention nor leave half a control sequence behind after truncation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import answers
from bot.domain.models import (
    AccountSummary,
    AccountUsage,
    Ambiguous,
    Candidate,
    Depth,
    Email,
    Gap,
    MetadataField,
    Missing,
    NotFoundInPendo,
    NpsAnswer,
    Timeline,
    TimelineEntry,
    TopItem,
    Trend,
    VisitorFacts,
    VisitorProfile,
    VisitorUsage,
)
from bot.domain.tickets import TicketFacts, TicketLookup
from bot.http.errors import AuthError, Unavailable, UpstreamError
from bot.listeners.message_actions import draw
from bot.render import activity as activity_blocks
from bot.render import blocks as block_kit
from bot.render import buttons as button_kit
from bot.render import messages as message_blocks
from bot.render import summary as summary_blocks
from bot.render import text as terminal_text
from bot.render import tickets as ticket_blocks
from bot.sample import (
    DORMANT,
    JANE,
    MULTI,
    MULTI_ACCOUNTS,
    NOBODY,
    OPS,
    OPS_VISITOR_IDS,
    POWER_USER,
    PRIVATE,
    SAM_VISITOR_ID,
    SOLO,
    TICKET_FORBIDDEN,
    TONY,
    Workspace,
)
from bot.zendesk.client import TicketNotFound
from bot.zendesk.models import Group, Organization, Ticket, TicketBundle, User
from tests.support.blockkit import validate_message

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NOW = 1_795_000_000_000 + 2 * HOUR
WINDOW_START = NOW - NOW % DAY - 29 * DAY

# --- Slack's control sequences, as the bot writes them -------------------------------------------------
_URL = r"https?://[^\s<>|]+"
_BOT_TOKEN = re.compile(
    rf"<{_URL}\|[^<>|]*>"  # a link with a label (labels have | replaced, < > & escaped)
    rf"|<{_URL}>"
    r"|<!date\^\d+\^[^|<>]+\|[^<>|]+>"  # a date with its fallback
    r"|<@U[A-Z0-9]+>"  # "Shared by <@U…>"
)
_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
EVIL = "<script>alert(1)</script> & *bold* _it_ | <!channel> <@U0BADBAD> <https://evil.example|click> `x` ~s~"


def well_formed(text: str, where: str) -> None:
    rest = _BOT_TOKEN.sub("", text)
    assert "<" not in rest and ">" not in rest, f"{where}: stray < or > in mrkdwn: {text[:300]!r}"
    bad = _ENTITY.search(rest)
    assert bad is None, (
        f"{where}: bare or cut & in mrkdwn near {rest[max(0, bad.start() - 40) : bad.end() + 40]!r}"
    )
    assert "<!channel>" not in text and "<@U0BADBAD>" not in text, f"{where}: user data became a mention"


def mrkdwn_texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield path, node["text"]
        for key, value in node.items():
            yield from mrkdwn_texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from mrkdwn_texts(value, f"{path}[{i}]")


def check_message(message: dict[str, Any]) -> None:
    """A message (chat.postMessage / response_url payload): limits, fallback text, mrkdwn."""
    assert set(message) == {"text", "blocks"}, sorted(message)
    validate_message(message["blocks"], message["text"], "message")
    for where, text in mrkdwn_texts(message["blocks"]):
        well_formed(text, where)


def check_unfurl(unfurl: dict[str, Any]) -> None:
    assert set(unfurl) == {"blocks"}, sorted(unfurl)
    validate_message(unfurl["blocks"], surface="unfurl")
    for where, text in mrkdwn_texts(unfurl["blocks"]):
        well_formed(text, where)


def all_text(message: dict[str, Any]) -> str:
    return "\n".join(text for _, text in mrkdwn_texts(message["blocks"]))


# --- real deps over the sample workspace ----------------------------------------------------------
NAMED = [JANE, POWER_USER, MULTI, SOLO, PRIVATE, DORMANT, TONY]


@pytest.mark.parametrize("visitor", NAMED)
async def test_visitor_message_for_every_named_visitor(make_deps: Any, visitor: str, ws: Workspace) -> None:
    deps, _ = make_deps()
    result = await deps.customers.lookup(visitor)
    assert isinstance(result, VisitorFacts)
    answer = answers.render_result(result, NOW)
    check_message(answer.message)
    full = summary_blocks.visitor_message(result, view=button_kit.ViewRef(result.profile.id, full=True))
    check_message(full)
    check_message(
        summary_blocks.visitor_message(result, sharing=summary_blocks.Sharing(shared_by="U012ABCDEF"))
    )
    check_message(summary_blocks.visitor_message(result, shareable=False))
    if visitor == PRIVATE:
        assert answer.outcome == "opted_out"
        assert "opted out" in all_text(answer.message) and "Events per day" not in all_text(full)
    if visitor == SOLO:
        assert "no account" in all_text(answer.message)
    if visitor == MULTI:
        first = all_text(answer.message)  # every account by name on the first screen, in Pendo's order
        names = [f"|{ws.accounts[a]['metadata']['agent']['name']}>" for a in MULTI_ACCOUNTS]
        assert first.count("🏢") == 1 and "more" not in first.split("🏢")[1].split("\n")[0]
        assert [first.index(n) for n in names] == sorted(first.index(n) for n in names)
        assert all_text(full).count("🏢") == 3


@pytest.mark.parametrize("visitor_id", [SAM_VISITOR_ID, *OPS_VISITOR_IDS, "u-missing"])
async def test_visitor_drawn_by_id(make_deps: Any, visitor_id: str) -> None:
    deps, _ = make_deps()
    ref = button_kit.ViewRef(visitor_id)
    drawn = await draw(deps, ref)
    check_message(drawn.message(ref, summary_blocks.Sharing()))
    check_message(drawn.message(ref, summary_blocks.Sharing(shared_by="U012ABCDEF")))


async def test_visitor_message_with_gaps(make_deps: Any) -> None:
    deps, controls = make_deps()
    controls.fail(r"/history$", 503)
    controls.fail(r"/aggregation$", 500)
    result = await deps.customers.lookup(MULTI)
    assert isinstance(result, VisitorFacts) and len(result.gaps) == 4 + 3  # usage, activity, NPS, friction
    answer = answers.render_result(result, NOW)
    assert answer.outcome == "partial"
    check_message(answer.message)
    text = all_text(answer.message)
    # one failing upstream (Pendo, with 500s and 503s) is said once, naming every part it broke
    assert text.count("⚠️") == 1, text
    assert (
        "⚠️ Usage figures, recent activity, survey answers, friction and 3 accounts' figures could not be "
        "loaded: Pendo is "
        "unavailable right "
        "now. Try again in a minute." in text
    )
    assert "HTTP" not in text and "500" not in text


async def test_ambiguous_and_not_found_messages(make_deps: Any) -> None:
    deps, _ = make_deps(pendo_email_field="agent/email")
    ambiguous = await deps.customers.lookup(OPS)
    assert isinstance(ambiguous, Ambiguous)
    check_message(message_blocks.ambiguous_message(ambiguous, NOW))
    for email in (NOBODY, "Someone.Else@Example.com"):
        result = await deps.customers.lookup(email)
        assert isinstance(result, NotFoundInPendo)
        message = message_blocks.not_found_message(result)
        check_message(message)
        assert "No Pendo visitor has this email. Check for typos; they may never have signed in." in all_text(
            message
        )
        assert "agent/email" not in all_text(message) and "PENDO_EMAIL_FIELD" not in all_text(message)
    services2, _ = make_deps()
    result = await services2.customers.lookup(NOBODY)
    assert isinstance(result, NotFoundInPendo)
    check_message(answers.render_result(result, NOW).message)


def test_help_notice_and_progress_messages() -> None:
    for message in (
        message_blocks.help_message(),
        message_blocks.help_message("/pendo-staging"),
        message_blocks.notice_message("You are not allowed to use this.", icon="🔒"),
        message_blocks.notice_message(block_kit.esc("“jane” is not an email address <x>"), icon="🤔"),
        message_blocks.progress_message(JANE),
        message_blocks.progress_message("ticket #1001"),
        message_blocks.progress_message(EVIL),
        answers.error_answer(
            AuthError("Pendo", "HTTP 401", status=401, setting="PENDO_INTEGRATION_KEY"), "r1"
        ).message,
        answers.error_answer(Unavailable("Pendo", "deadline", timeout=8), "r2").message,
    ):
        check_message(message)
    assert "<script>" not in message_blocks.progress_message(EVIL)["text"]


async def test_email_answer_for_upstream_failure(make_deps: Any) -> None:
    deps, controls = make_deps()
    controls.fail(r"^/api/v1/visitor/", 401)
    answer = await answers.email_answer(deps.customers, Email(JANE), "ref42")
    assert answer.outcome == "error:PendoKeyRefused"
    check_message(answer.message)
    # words for agents: the setting name and the status go to the log and `pendo-bot check`
    assert "PENDO_INTEGRATION_KEY" not in answer.message["text"] and "401" not in answer.message["text"]
    assert "Tell whoever runs the bot" in answer.message["text"] and "ref42" in answer.message["text"]


@pytest.mark.parametrize("email_field", ["", "agent/email"], ids=["by-id", "by-field"])
async def test_every_sandbox_ticket_unfurls_and_answers(
    make_deps: Any, ws: Workspace, email_field: str
) -> None:
    deps, _ = make_deps(pendo_email_field=email_field)
    seen_kinds = set()
    for ticket_id in sorted(ws.tickets):
        check_unfurl(
            ticket_blocks.ticket_number_unfurl(ticket_id, "Details appear when the message is posted.")
        )
        check_message((await answers.ticket_answer(deps.tickets, ticket_id, "r1")).message)
        try:
            bundle = await deps.tickets.ticket(ticket_id)
        except UpstreamError as exc:
            assert ticket_id == TICKET_FORBIDDEN
            check_unfurl(ticket_blocks.ticket_failure_unfurl(ticket_id, exc))
            seen_kinds.add("error")
            continue
        check_unfurl(ticket_blocks.ticket_unfurl(bundle, NOW))
        check_unfurl(ticket_blocks.ticket_unfurl(bundle, NOW, pending=True))
        tc = await deps.tickets.requester_facts(bundle)
        unfurl = ticket_blocks.ticket_unfurl(bundle, NOW, tc)
        check_unfurl(unfurl)
        check_unfurl(ticket_blocks.with_note(unfurl, "2 more ticket links in this message are not shown."))
        seen_kinds.add(type(tc.pendo).__name__ if tc.pendo is not None else "reason")
    assert {"error", "reason", "VisitorFacts", "NotFoundInPendo"} <= seen_kinds
    if email_field:
        assert "Ambiguous" in seen_kinds
    check_unfurl(ticket_blocks.ticket_failure_unfurl(424242, TicketNotFound(424242, "HTTP 404")))


async def test_days_and_events_shown_are_the_raw_figures(make_deps: Any, ws: Workspace) -> None:
    """The numbers an agent reads in Jane's summary, computed from the raw events."""
    days: set[int] = set()
    events = 0
    for e in ws.events:
        if e.visitor_id == JANE and WINDOW_START <= e.ts <= NOW and e.kind in ("page", "feature", "untagged"):
            days.add(e.ts - e.ts % DAY)
            events += 1
    assert len(days) >= 13 and events > 100
    deps, _ = make_deps()
    result = await deps.customers.lookup(JANE)
    assert isinstance(result, VisitorFacts)
    message = answers.render_result(result, NOW).message
    full = summary_blocks.visitor_message(result, view=button_kit.ViewRef(result.profile.id, full=True))
    text = all_text(full)
    assert f"*Active*\n{len(days)} of the last 30 days (Pendo: daily user) · " in text
    assert f"*Events (30 d)*\n{events:,} · " in text
    assert f"Active {len(days)} of the last 30 days (Pendo: daily user), {events:,} events" in message["text"]
    assert f"*Active {len(days)} of the last 30 days (Pendo: daily user)* · {events:,} events (" in all_text(
        message
    )


async def test_minutes_top_items_and_account_line_shown_are_the_raw_figures(
    make_deps: Any, ws: Workspace
) -> None:
    """The other numbers in Jane's summary (Slack and terminal), computed from the raw events."""
    ui = ("page", "feature", "untagged")
    in_window = [e for e in ws.events if WINDOW_START <= e.ts <= NOW]
    jane = [e for e in in_window if e.visitor_id == JANE and e.kind in ui]
    minute_rows: dict[tuple[Any, ...], set[int]] = {}
    for e in jane:  # Pendo counts active minutes per (day, visitor, account, object) row
        minute_rows.setdefault((e.ts - e.ts % DAY, e.account_id, e.kind, e.object_id), set()).add(
            e.ts // 60_000
        )
    minutes = sum(len(m) for m in minute_rows.values())
    per_page: dict[str, int] = {}
    for e in jane:
        if e.kind == "page":
            page = str(e.object_id)
            per_page[page] = per_page.get(page, 0) + 1
    top_page, top_count = sorted(per_page.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    top_name = next(p["name"] for p in ws.pages if p["id"] == top_page)
    acme = [e for e in in_window if e.account_id == "acme" and e.kind in ui]
    visitors, days = len({e.visitor_id for e in acme}), len({e.ts - e.ts % DAY for e in acme})

    deps, _ = make_deps()
    result = await deps.customers.lookup(JANE)
    assert isinstance(result, VisitorFacts)
    text = all_text(
        summary_blocks.visitor_message(result, view=button_kit.ViewRef(result.profile.id, full=True))
    )
    assert f"*Minutes (30 d)*\n{minutes:,} · " in text
    assert f"|{top_name}> · {top_count:,}" in text.split("*Top pages*")[1]
    assert f"{visitors:,} active visitors · Active {days} of the last 30 days (Pendo: daily account)" in text
    assert f"{len(acme):,} events in 30 d" in text
    terminal = terminal_text.render_visitor(result, UTC)
    assert f"Minutes:     {minutes:,} (" in terminal and f"Events:      {len(jane):,} (" in terminal
    assert (
        f"{visitors} active visitors · Active {days} of the last 30 days (Pendo: daily account)" in terminal
    )


# --- synthetic extremes ----------------------------------------------------------------------------------
def long(text: str, n: int) -> str:
    return (text * (n // len(text) + 1))[:n]


def extreme_context(
    *, accounts: int = 40, entries: int = 50, opted_out: bool = False, top_name: int = 40
) -> VisitorFacts:
    base = "https://app.pendo.io"
    name = long(EVIL + " ", 500)
    profile = VisitorProfile(
        id=long("visitor<&>|*", 120),
        name=name,
        email="someone.with.a.rather.long.address@" + long("sub.", 60) + "example.com",
        account_ids=[f"acct-{i}-<&>|*" for i in range(accounts)],
        first_visit_ms=NOW - 300 * DAY,
        last_visit_ms=NOW - 5 * MINUTE,
        browser=long("Chrome <beta> & co ", 120),
        os=long("Mac OS X *|* ", 80),
        fields=[MetadataField(label=long(f"Field {i} <&>", 60), value=long(EVIL, 300)) for i in range(12)],
        url=f"{base}/visitor/visitor%3C%26%3E",
        opted_out=opted_out,
    )
    top = [
        TopItem(
            id=f"f{i}", name=long(EVIL, top_name), events=10_000 - i, minutes=900, url=f"{base}/features/f{i}"
        )
        for i in range(10)
    ]
    usage = VisitorUsage(
        days_active=17,
        events=123_456,
        minutes=9_876,
        events_trend=Trend(123_456, 100_000),
        minutes_trend=Trend(9_876, 0),
        days_trend=Trend(17, 17),
        daily_events=[i * 37 % 500 for i in range(30)],
        top_features=top,
        top_pages=[replace(t, id=f"p{t.id}", url=f"{base}/pages/p{t.id}") for t in top],
        depth=Depth(used=12_345, catalog=99_999, previous=99_999),
    )
    kinds = ["page", "feature", "trackType", "guide", "untagged"]
    timeline = Timeline(
        start_ms=NOW - 72 * HOUR,
        anchor_ms=NOW - HOUR,
        entries=[TimelineEntry(ts_ms=NOW - HOUR, kind="ticket", name="Ticket submitted")]
        + [
            TimelineEntry(
                ts_ms=NOW - HOUR - i * 7 * MINUTE,
                kind=kinds[i % 5],
                name=long(f"{i} {EVIL} ", 200),
                count=1 + i % 4,
                url=None if kinds[i % 5] == "untagged" else f"{base}/{kinds[i % 5]}s/id{i}",
            )
            for i in range(entries - 1)
        ],
        more=321,
        hidden_untagged=12,
        marker="Ticket submitted",
    )
    summaries = []
    for i in range(accounts):
        summaries.append(
            AccountSummary(
                id=profile.account_ids[i],
                name=long(f"Account {i} {EVIL} ", 300),
                url=f"{base}/account/acct-{i}",
                opted_out=i % 7 == 3,
                usage=None if i % 5 == 4 else AccountUsage(1234, 29, 987_654, 54_321),
                fields=[MetadataField(long("Plan <&>", 40), long(EVIL, 300)) for _ in range(3)],
                gap=Gap(None, Missing.NOT_IN_PENDO, account=long(f"Acct {EVIL} ", 300))
                if i % 5 == 4
                else None,
            )
        )
    return VisitorFacts(
        profile=profile,
        generated_at_ms=NOW,
        usage=usage,
        accounts=summaries,
        timeline=timeline,
        gaps=[Gap(None, Missing.NOT_IN_PENDO, account=long(f"Gap {i}: {EVIL} ", 400)) for i in range(12)],
        nps=NpsAnswer(
            visitor_id=profile.id,
            account_id=None,
            score=0,
            ts_ms=NOW - 400 * DAY,
            comment="\n".join(long(f"{EVIL} line {i} ", 3000) for i in range(5)),
            survey=long(EVIL, 500),
        ),
    )


def extreme_bundle(email: str | None = "someone@example.com") -> TicketBundle:
    evil_name = long(EVIL + " ", 300)
    return TicketBundle(
        ticket=Ticket(
            id=987654321,
            subject=long(f"Subject {EVIL} ", 500),
            status=long("escalated_<custom>&", 80),
            priority=long("urgent<&>", 50),
            type="problem",
            requester_id=1,
            assignee_id=2,
            group_id=3,
            organization_id=4,
            created_at=datetime.fromtimestamp((NOW - 3 * HOUR) / 1000, UTC),
            via={"channel": long("native_<messaging>&", 60)},
        ),
        requester=User(id=1, name=evil_name, email=email),
        assignee=User(id=2, name=evil_name),
        organization=Organization(id=4, name=evil_name),
        group=Group(id=3, name=evil_name),
        host="sample-support.zendesk.com",
    )


@pytest.mark.parametrize("accounts", [0, 1, 40])
def test_extreme_visitor_message(accounts: int) -> None:
    ctx = extreme_context(accounts=accounts)
    header = ticket_blocks.ticket_header_blocks(extreme_bundle(), NOW)
    full = button_kit.ViewRef(ctx.profile.id, full=True)
    for message in (
        summary_blocks.visitor_message(ctx),
        summary_blocks.visitor_message(ctx, view=full),
        summary_blocks.visitor_message(ctx, sharing=summary_blocks.Sharing(shared_by="U012ABCDEF")),
        summary_blocks.visitor_message(
            ctx, view=full, sharing=summary_blocks.Sharing(shared_by="U012ABCDEF")
        ),
        summary_blocks.visitor_message(ctx, header_blocks=header),
        summary_blocks.visitor_message(ctx, view=full, header_blocks=header),
        summary_blocks.visitor_message(extreme_context(accounts=accounts, opted_out=True)),
        summary_blocks.visitor_message(replace(ctx, usage=None, timeline=None, gaps=[])),
        summary_blocks.visitor_message(replace(ctx, usage=None, timeline=None, gaps=[]), view=full),
    ):
        check_message(message)
        assert message["blocks"][-1]["type"] == "actions"  # the buttons survive every cap
        text = all_text(message)
        assert "<script>" not in text and "<!channel>" not in text
    assert "&lt;script&gt;" in all_text(
        summary_blocks.visitor_message(ctx)
    )  # the user data is there, escaped


def test_a_stale_full_summary_keeps_its_buttons() -> None:
    # a full summary fills Slack's 50 blocks; the stale note must take a body block's place, not the buttons'
    ctx = extreme_context(accounts=40)
    view = button_kit.ViewRef(ctx.profile.id, full=True)
    fresh = answers.render_result(ctx, NOW, view=view).message
    assert len(fresh["blocks"]) == block_kit.MAX_BLOCKS
    answer = answers.render_result(ctx, NOW, view=view, stale=message_blocks.Stale("Pendo", 12 * 60))
    check_message(answer.message)
    blocks = answer.message["blocks"]
    assert blocks[0]["elements"][0]["text"] == (
        "⚠️ Pendo did not answer just now, so this shows what the bot saw 12 minutes ago."
    )
    assert blocks[-1] == fresh["blocks"][-1] and blocks[-1]["type"] == "actions"
    assert answer.outcome == "partial:stale"  # the extreme context has gaps


def test_extreme_timeline_keeps_whole_lines() -> None:
    ctx = extreme_context(accounts=0)
    assert ctx.timeline is not None
    blocks = activity_blocks.timeline_blocks(ctx.timeline, button_kit.ViewRef(ctx.profile.id, full=True), NOW)
    body = blocks[1]["text"]["text"]
    assert len(body) <= 3000 and not body.endswith("…")
    assert "list shortened" in blocks[2]["elements"][0]["text"]
    assert "and 321 more" in blocks[2]["elements"][0]["text"]


def test_extreme_ambiguous_message() -> None:
    candidates = [
        Candidate(
            visitor_id=long(f"v{i}<&>", 150),
            name=long(f"{EVIL} ", 500),
            email="ops@initech.example",
            account_ids=[long(f"acct-{j}-<&>|", 60) for j in range(40)],
            last_visit_ms=None if i % 3 == 0 else NOW - i * HOUR,
        )
        for i in range(25)
    ]
    message = message_blocks.ambiguous_message(
        Ambiguous("ops@initech.example", candidates, "metadata field agent/email"), NOW
    )
    check_message(message)
    assert "and 5 more" in all_text(message)
    header = ticket_blocks.ticket_header_blocks(extreme_bundle(), NOW)
    check_message(
        message_blocks.ambiguous_message(
            Ambiguous("ops@initech.example", candidates[:3], "visitor ID"), NOW, header
        )
    )


def test_extreme_not_found_message() -> None:
    """NotFoundInPendo.email can be a visitor ID from a button value (up to 2,000 characters)."""
    check_message(message_blocks.not_found_message(NotFoundInPendo(long(EVIL, 2000), "visitor ID")))
    header = ticket_blocks.ticket_header_blocks(extreme_bundle(), NOW)
    check_message(message_blocks.not_found_message(NotFoundInPendo(JANE, "visitor ID"), header))


def test_extreme_ticket_unfurls() -> None:
    bundle = extreme_bundle()
    ctx = extreme_context(accounts=40)
    variants: list[TicketFacts] = [
        TicketFacts(bundle, pendo=ctx),
        TicketFacts(bundle, pendo=extreme_context(accounts=0, opted_out=True)),
        TicketFacts(bundle, pendo=NotFoundInPendo("someone@example.com", "visitor ID")),
        TicketFacts(bundle, pendo=Ambiguous("someone@example.com", [], "metadata field agent/email")),
        TicketFacts(bundle, reason=Gap(long(EVIL, 3000), Unavailable("Pendo", "HTTP 503", status=503))),
    ]
    for tc in variants:
        unfurl = ticket_blocks.ticket_unfurl(bundle, NOW, tc)
        check_unfurl(unfurl)
        check_unfurl(ticket_blocks.with_note(unfurl, long(EVIL, 500)))
    check_unfurl(ticket_blocks.ticket_unfurl(bundle, NOW, pending=True))
    check_unfurl(ticket_blocks.ticket_error_unfurl(bundle.ticket_id, long(EVIL, 3000)))
    check_unfurl(ticket_blocks.ticket_number_unfurl(bundle.ticket_id, long(EVIL, 3000)))
    text = all_text(ticket_blocks.ticket_unfurl(bundle, NOW, variants[0]))
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_link_labels_cannot_split_a_link() -> None:
    """A `|` or `>` in a name must not end the label (or the link) early."""
    ctx = extreme_context(accounts=1, entries=3)
    message = summary_blocks.visitor_message(ctx)
    for _, text in mrkdwn_texts(message["blocks"]):
        for match in re.finditer(r"<(https?://[^|>]+)\|([^>]*)>", text):
            assert "|" not in match.group(2) and "<" not in match.group(2)


# --- truncation must not cut a control sequence ----------------------------------------------------------
# `mrkdwn()` truncates any text past Slack's limit at a fixed character count. When the cut lands inside
# `<url|label>`, `<!date^…>` or `&amp;`, Slack gets half a control sequence. The scans below try a run of
# consecutive lengths, so one of them is bound to put the cut inside the trailing token.
def test_long_feature_names_do_not_cut_a_top_items_link() -> None:
    """Ten top features (TOP_ITEMS=10) with 200-character names overflow the 2,000-character field."""
    ctx = extreme_context(accounts=1, top_name=200)
    check_message(summary_blocks.visitor_message(ctx))


def test_long_account_names_do_not_cut_the_last_seen_date() -> None:
    """Five long account names push the facts line past 2,000 characters: "last seen" is cut or lost."""
    for n in range(360, 420):
        ctx = extreme_context(accounts=5)
        ctx = replace(ctx, accounts=[replace(a, name="N" * n) for a in ctx.accounts], gaps=[])
        message = summary_blocks.visitor_message(ctx, view=button_kit.ViewRef(ctx.profile.id, full=True))
        check_message(message)
        assert "last seen <!date^" in message["blocks"][1]["elements"][0]["text"], n
        compact = summary_blocks.visitor_message(ctx)
        check_message(compact)
        assert "Last seen <!date^" in compact["blocks"][1]["text"]["text"], n


def test_many_candidate_accounts_do_not_cut_the_last_seen_date() -> None:
    for n in range(60, 75):
        candidate = Candidate("u-1", "Initech Ops", OPS, [f"a{j}-" + "x" * n for j in range(40)], NOW - HOUR)
        check_message(
            message_blocks.ambiguous_message(Ambiguous(OPS, [candidate, candidate], "visitor ID"), NOW)
        )


# --- the fallback `text` is mrkdwn too -----------------------------------------------------------------
def test_context_fallback_text_escapes_user_data() -> None:
    """Slack formats a message's top-level `text` as mrkdwn (it is the notification and the fallback)."""
    message = summary_blocks.visitor_message(extreme_context(accounts=1))
    assert "<script>" not in message["text"] and "<!channel>" not in message["text"]


async def test_ticket_answer_fallback_text_escapes_the_subject(make_deps: Any) -> None:
    """A ticket subject is written by the customer; `ticket_answer` puts it in the fallback text."""
    deps, _ = make_deps()
    bundle = extreme_bundle(email=None)

    class OneTicket:
        async def get_ticket(self, ticket_id: int, *, host: str | None = None) -> TicketBundle:
            return bundle

    tickets = TicketLookup(OneTicket(), deps.customers)  # type: ignore[arg-type]
    answer = await answers.ticket_answer(tickets, bundle.ticket_id, "r1")
    check_message(answer.message)
    assert "<script>" not in answer.message["text"] and "<!channel>" not in answer.message["text"]


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        ("Acme Corp", "*Acme Corp*"),
        ("a*b_c", "`a*b_c`"),
        ("x ~y~", "`x ~y~`"),
        ("code `here`", "`code ˋhereˋ`"),
        ("Initech\nLabs", "`Initech ↵ Labs`"),
        ("<b>&", "*&lt;b&gt;&amp;*"),
        ("<*>", "`&lt;*&gt;`"),
    ],
)
def test_typed_words_are_quoted_as_typed(words: str, shown: str) -> None:
    assert block_kit.typed(words) == shown
