"""Depth and NPS as an agent reads them: where they appear, escaped, cut, relative to the ticket.

Figures are recomputed here from the sample's raw rows (`ws.poll_events`, `ws.events`), not read back.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC
from typing import Any

import pytest

from bot import answers
from bot.domain.models import AccountFacts, VisitorFacts
from bot.render import accounts as account_blocks
from bot.render import buttons as button_kit
from bot.render import nps as nps_words
from bot.render import summary as summary_blocks
from bot.render import text as terminal_text
from bot.render import tickets as ticket_blocks
from bot.render.accounts import account_message
from bot.sample import ACME, JANE, POWER_USER, TICKET_JANE, Workspace
from bot.sample.data import RESELLER, RESELLER_ACCOUNTS
from bot.sample.surveys import JANE_COMMENT
from tests.render.test_messages import DAY, NOW, all_text, check_message, check_unfurl
from tests.render.visible import visible_text


def _jane_latest(ws: Workspace) -> dict[str, Any]:
    """Jane's newest score row (the score polls are named in the guides)."""
    scores = {
        p["id"] for g in ws.guides for p in g.get("polls", []) if p["attributes"]["type"] == "NPSRating"
    }
    return max(
        (
            r
            for r in ws.poll_events
            if r["visitorId"] == JANE and r["pollId"] in scores and r["browserTime"] <= NOW
        ),
        key=lambda r: r["browserTime"],
    )


async def test_a_detractor_is_on_the_first_screen_of_the_ticket_answer_and_the_unfurl(
    make_deps: Any, ws: Workspace
) -> None:
    deps, _ = make_deps(pendo_email_field="agent/email")
    answer = await answers.ticket_answer(deps.tickets, TICKET_JANE, "r1")
    check_message(answer.message)
    bundle = await deps.tickets.ticket(TICKET_JANE)
    tc = await deps.tickets.requester_facts(bundle)
    unfurl = ticket_blocks.ticket_unfurl(bundle, NOW, tc)
    check_unfurl(unfurl)
    row = _jane_latest(ws)
    days = (bundle.ticket.created_ms - row["browserTime"]) // DAY
    whole = " ".join(line.strip() for line in JANE_COMMENT.splitlines())  # under 300 characters: all of it
    assert len(whole) < 300
    escaped = whole.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for text in (all_text(answer.message), all_text({"blocks": unfurl["blocks"]})):
        # the stand-out line names the score; the line below carries the comment and when, not the label
        assert f"🚩 Detractor (NPS {row['pollResponse']})" in text and "(detractor)" not in text
        assert f"⚠️ NPS comment, {days} days before the ticket: “" in text
        assert "&amp; the &lt;invoice&gt;" in text and "<invoice>" not in text  # escaped
        assert f"“{escaped}”" in text  # the whole sentence, not its first few words
        assert "We're evaluating alternatives before the renewal; please call me." in text
    assert isinstance(tc.pendo, VisitorFacts)
    view = ticket_blocks.ticket_view(bundle, tc.pendo.profile.id).but(full=True)
    full = summary_blocks.visitor_message(tc.pendo, view=view)
    check_message(full)
    text = all_text(full)
    assert "We're evaluating alternatives before the renewal; please call me." in text
    assert f"{days} days before the ticket" in text and "NPS survey" in text


async def test_promoters_are_in_show_more_only(make_deps: Any) -> None:
    deps, _ = make_deps()
    ctx = await deps.customers.lookup(POWER_USER)
    assert isinstance(ctx, VisitorFacts) and ctx.nps is not None and ctx.nps.score >= 9
    compact = summary_blocks.visitor_message(ctx)
    full = summary_blocks.visitor_message(ctx, view=button_kit.ViewRef(ctx.profile.id, full=True))
    assert "NPS" not in all_text(compact)
    assert f"*NPS {ctx.nps.score} (promoter)*" in all_text(
        full
    ) and "Love the new report builder." in all_text(full)


async def test_depth_is_on_the_activity_line_and_in_show_more(make_deps: Any, ws: Workspace) -> None:
    deps, _ = make_deps()
    ctx = await deps.customers.lookup(JANE)
    assert isinstance(ctx, VisitorFacts)
    day = NOW - NOW % DAY  # the render tests' workspace is on UTC days
    now = {
        str(e.object_id)
        for e in ws.events
        if e.visitor_id == JANE and e.kind == "feature" and day - 29 * DAY <= e.ts <= NOW
    }
    before = {
        str(e.object_id)
        for e in ws.events
        if e.visitor_id == JANE and e.kind == "feature" and day - 59 * DAY <= e.ts < day - 29 * DAY
    }
    catalog = len(ws.features)
    change = len(now) - len(before)
    arrow = "no change" if change == 0 else f"{'▲' if change > 0 else '▼'} {abs(change)} vs previous 30 d"
    share = round(len(now) * 100 / catalog)
    compact = all_text(summary_blocks.visitor_message(ctx))
    activity = next(line for line in compact.splitlines() if "of the last 30 days" in line)
    assert activity.endswith(f" · {len(now)} of {catalog} features ({share}%), {arrow}")
    full = all_text(summary_blocks.visitor_message(ctx, view=button_kit.ViewRef(ctx.profile.id, full=True)))
    assert f"*Features used (30 d)*\n{len(now)} of {catalog} ({share}%)" in full
    assert f"Features:    {len(now)} of {catalog} ({share}%)" in terminal_text.render_visitor(ctx, UTC)


async def test_the_first_screen_names_five_accounts_then_counts_the_rest(
    make_deps: Any, ws: Workspace
) -> None:
    deps, _ = make_deps()
    ctx = await deps.customers.lookup(RESELLER)
    assert isinstance(ctx, VisitorFacts)
    message = summary_blocks.visitor_message(ctx)
    check_message(message)
    line = next(t for t in all_text(message).splitlines() if "🏢" in t)
    names = [ws.accounts[a]["metadata"]["agent"]["name"] for a in RESELLER_ACCOUNTS]
    labels = re.findall(r"\|([^>]*)>", line)
    assert len(labels) == 5 and len(set(labels)) == 5
    for label, name in zip(labels, names[:5], strict=True):
        assert label == name or _cut_in_the_middle(label, name), (label, name)
    assert line.endswith(f" and {len(RESELLER_ACCOUNTS) - 5} more")
    assert len(message["blocks"]) <= 8 and len(visible_text(message["blocks"])) <= 900


def _cut_in_the_middle(label: str, name: str) -> bool:
    """`label` is `name` with a middle part replaced by "…": its start and its end are the name's."""
    head, sep, tail = label.partition("…")
    return bool(sep) and name.startswith(head) and name.endswith(tail) and len(label) < len(name)


async def test_the_worst_first_screen_stays_within_budget(make_deps: Any) -> None:
    """Five account names of 32 characters that differ only at the end, a detractor's line, the ticket
    header and the Add to ticket button: 8 blocks and 1,200 characters at most (the detractor's whole
    comment included); the account line 120."""
    deps, _ = make_deps(pendo_email_field="agent/email")
    bundle = await deps.tickets.ticket(TICKET_JANE)
    tc = await deps.tickets.requester_facts(bundle)
    assert isinstance(tc.pendo, VisitorFacts) and nps_words.is_detractor(tc.pendo.nps)
    base = tc.pendo.accounts[0]
    names = [f"Northwind Traders Worldwide {i:04d}" for i in range(7)]
    assert all(len(n) == 32 for n in names)
    accounts = [replace(base, id=f"nw-{i}", name=n, url=f"{base.url}-{i}") for i, n in enumerate(names)]
    profile = replace(tc.pendo.profile, account_ids=[a.id for a in accounts])
    ctx = replace(tc.pendo, profile=profile, accounts=accounts)
    header = ticket_blocks.ticket_header_blocks(bundle, NOW)
    view = ticket_blocks.ticket_view(bundle, profile.id)
    message = answers.render_result(ctx, NOW, header, view=view, ticket_note=True).message
    check_message(message)
    text = all_text(message)
    assert "[Add to ticket]" in visible_text(message["blocks"]) and "Detractor (NPS" in text
    blocks, chars = len(message["blocks"]), len(visible_text(message["blocks"]))
    assert blocks <= 8 and chars <= 1200, (blocks, chars)
    line = next(t for t in visible_text(message["blocks"]).splitlines() if "🏢" in t)
    line = line[line.index("🏢") :]  # after the email
    assert len(line) <= 120 and line.endswith(" and 2 more")
    shown = re.findall(r"\|([^>]*)>", next(t for t in text.splitlines() if "🏢" in t))
    assert len(set(shown)) == 5  # cut in the middle, the names stay apart
    assert all(_cut_in_the_middle(s, n) for s, n in zip(shown, names[:5], strict=True))


async def test_the_account_summary_shows_depth_nps_and_who_answered(make_deps: Any, ws: Workspace) -> None:
    deps, _ = make_deps()
    ctx = await deps.customers.account(ACME)
    assert isinstance(ctx, AccountFacts) and ctx.nps is not None and ctx.figures is not None
    compact, full = account_message(ctx), account_message(ctx, full=True)
    for message in (compact, full):
        check_message(message)
    assert len(compact["blocks"]) <= 8
    assert nps_words.account_line(ctx.nps) in all_text(compact)
    assert f"NPS {ctx.nps.score} · {ctx.nps.responses} people answered in 90 d (" in all_text(compact)
    field = f"*NPS (90 d)*\n{ctx.nps.score} · {ctx.nps.responses} people answered ("
    assert field in all_text(full)  # the title says the period: not said again
    assert "features (" in all_text(compact) and "active visitors" in all_text(compact)
    text = all_text(full)
    for a in ctx.nps.latest:
        assert f"*{ws.visitors[a.visitor_id]['displayName']}* · {a.score} ({a.category.value})" in text
    assert "&lt;invoice&gt;" in text and "<invoice>" not in text
    plain = account_blocks.account_text(ctx)
    assert nps_words.account_line(ctx.nps) in plain and "Features used (30 d)" in plain


@pytest.mark.parametrize(
    ("comment", "limit", "expected"),
    [
        ("The invoice page is slow and the export fails", 30, "The invoice page is slow and…"),
        ("Short and sweet", 30, "Short and sweet"),
        ("Supercalifragilisticexpialidocious-words-without-spaces here", 20, "Supercalifragilisti…"),
        ("Slow, broken, annoying", 14, "Slow, broken…"),
    ],
)
def test_a_first_line_is_cut_at_a_word_boundary(comment: str, limit: int, expected: str) -> None:
    text, more = nps_words.first_line(comment, limit)
    assert text == expected and len(text) <= limit
    assert more is (text != comment)


LONG_COMMENT = (
    "Updating our card fails every time and the invoice page takes forever to load. "
    "We tried three browsers, cleared every cache and asked our admin to re-invite us, yet exports still "
    "time out after a minute and the numbers in the dashboard disagree with the CSV we download. "
    "We're evaluating alternatives before the renewal; please call me. Nobody answered our last two emails."
)


async def test_a_long_detractor_comment_shows_300_characters_cut_at_a_word_on_first_screens(
    make_deps: Any,
) -> None:
    assert len(LONG_COMMENT) > 300
    deps, _ = make_deps(pendo_email_field="agent/email")
    bundle = await deps.tickets.ticket(TICKET_JANE)
    tc = await deps.tickets.requester_facts(bundle)
    assert isinstance(tc.pendo, VisitorFacts) and tc.pendo.nps is not None
    ctx = replace(tc.pendo, nps=replace(tc.pendo.nps, comment=LONG_COMMENT))
    # the expected excerpt, from the raw text: the longest run of whole words within 299 characters
    words_ = LONG_COMMENT.split(" ")
    kept = ""
    for w in words_:
        if len(f"{kept} {w}".strip()) > 299:
            break
        kept = f"{kept} {w}".strip()
    expected = f"“{kept.rstrip(',;:-')}…”"
    header = ticket_blocks.ticket_header_blocks(bundle, NOW)
    view = ticket_blocks.ticket_view(bundle, ctx.profile.id)
    message = answers.render_result(ctx, NOW, header, view=view, ticket_note=True).message
    unfurl = ticket_blocks.ticket_unfurl(bundle, NOW, replace(tc, pendo=ctx))
    compact = summary_blocks.visitor_message(ctx)
    check_message(message)
    check_message(compact)
    check_unfurl(unfurl)
    for blocks in (message["blocks"], unfurl["blocks"], compact["blocks"]):
        text = all_text({"blocks": blocks})
        assert expected in text and len(expected) - 2 <= 300
        assert LONG_COMMENT not in text  # the rest is behind Show more
        assert len(blocks) <= 8  # the first screen's cap
    full = all_text(summary_blocks.visitor_message(ctx, view=view.but(full=True)))
    assert "Nobody answered our last two emails." in full  # Show more has the whole comment


def test_the_account_view_shows_200_characters_of_each_answer_cut_at_a_word() -> None:
    text, more = nps_words.excerpt(LONG_COMMENT, nps_words.ACCOUNT_COMMENT)
    assert more and len(text) <= 200 and text.endswith("…")
    assert LONG_COMMENT.startswith(text[:-1]) and LONG_COMMENT[len(text) - 1] == " "  # a word boundary
    jane = " ".join(JANE_COMMENT.split())
    assert nps_words.excerpt(JANE_COMMENT, nps_words.ACCOUNT_COMMENT) == (jane, False)  # 147: whole
