"""The account summary as Slack messages: compact first, everything on Show more; a choice of accounts.

Pure functions from `bot.domain.models` account objects to `{"text", "blocks"}`. Buttons carry an
`AccountRef` (which account, which view); a top visitor's button carries the visitor summary's `ViewRef`,
so the visitor opens through the same handler as any picked visitor.
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from bot.domain.models import (
    AccountChoice,
    AccountFacts,
    AccountFigures,
    AccountNotFound,
    AccountSummary,
    AccountVisitor,
)
from bot.render import friction_blocks as fb
from bot.render import nps as nps_words
from bot.render import words
from bot.render.activity import sparkline_block, tops_blocks
from bot.render.blocks import (
    MAX_BLOCKS,
    Block,
    Message,
    actions,
    button,
    context_block,
    esc,
    mrkdwn,
    plain,
    section,
    typed,
)
from bot.render.buttons import OPEN_ACTION, AccountRef, ViewRef, account_button, view_button
from bot.render.fields import field_text, field_value
from bot.render.format import number, plural, sparkline, truncate
from bot.render.summary import gap_block
from bot.render.times import slack_date

COMPACT_VISITORS = 3  # top visitors on the first screen
CHOICE_LIMIT = 20


# --- the summary ------------------------------------------------------------------------------------------
def account_message(ctx: AccountFacts, *, full: bool = False) -> Message:
    blocks: list[Block] = [{"type": "header", "text": plain(f"🏢 {ctx.name}", 150)}]
    pendo = button("Open in Pendo", OPEN_ACTION + ":account", url=ctx.url)
    if ctx.opted_out:
        blocks.append(
            section(
                f"`{esc(truncate(ctx.id, 100))}`\n🔒 This account has *opted out of processing* in Pendo. "
                "No activity is shown."
            )
        )
        return {"text": _fallback(ctx), "blocks": [*blocks, actions(pendo)]}
    body = _full(ctx) if full else _compact(ctx)
    tail: list[Block] = []
    if ctx.gaps:
        tail.append(gap_block(ctx.gaps, compact=not full))
    toggle = (
        account_button("Show less", "less", AccountRef(ctx.id, full=False))
        if full
        else account_button("Show more", "more", AccountRef(ctx.id, full=True), style="primary")
    )
    tail.append(actions(toggle, pendo))
    return {"text": _fallback(ctx), "blocks": (blocks + body)[: MAX_BLOCKS - len(tail)] + tail}


def _fallback(ctx: AccountFacts) -> str:
    name = esc(truncate(ctx.name, 150))
    if ctx.opted_out:
        return f"Pendo account {name} has opted out of processing"
    f = ctx.figures
    if f is None:
        return f"Pendo account {name}"
    return (
        f"Pendo account {name}: {plural(f.active_visitors.current, 'active visitor')}, "
        f"{words.activity(f.frequency, f.days_active.current, who='account')}"
    )


def _compact(ctx: AccountFacts) -> list[Block]:
    first = [f"`{esc(truncate(ctx.id, 60))}`"]
    first += [field_text(f, 24, 40) for f in ctx.fields[:3]]
    lines = [" · ".join(first)]
    f = ctx.figures
    if f is not None:
        lines.append(
            f"*{words.activity(f.frequency, f.days_active.current, who='account')}* ({f.days_active.label}) · "
            f"{plural(f.active_visitors.current, 'active visitor')} ({f.active_visitors.label})"
        )
        lines.append(f"{plural(f.events.current, 'event')} in 30 d ({f.events.label})")
        if f.depth:
            lines.append(nps_words.account_depth_text(f.depth, f.feature_visitors, f.active_visitors.current))
    if ctx.nps is not None:
        lines.append(nps_words.account_line(ctx.nps))
    if ctx.last_visit_ms and not _seen_below(ctx, COMPACT_VISITORS):
        lines.append(f"Last activity {slack_date(ctx.last_visit_ms)}")
    blocks = [section("\n".join(lines)), *fb.account_blocks(ctx)]
    if f is not None and f.top_visitors:
        shown = [_visitor_line(v) for v in f.top_visitors[:COMPACT_VISITORS]]
        blocks.append(section("*Most active visitors*\n" + "\n".join(shown)))
    return blocks


def _seen_below(ctx: AccountFacts, shown: int | None = None) -> bool:
    """Whether a listed visitor's "last seen" already says when the account was last active (said once)."""
    visitors = ctx.figures.top_visitors[:shown] if ctx.figures is not None else []
    return any(not v.opted_out and v.last_visit_ms == ctx.last_visit_ms for v in visitors)


def _visitor_line(v: AccountVisitor) -> str:
    if v.opted_out:
        return f"`{esc(truncate(v.id, 60))}` · 🔒 opted out of processing"
    who = f"*{esc(truncate(v.title, 60))}*"
    if v.email and v.email != v.title:
        who += f" {esc(truncate(v.email, 60))}"
    seen = f"last seen {slack_date(v.last_visit_ms)}" if v.last_visit_ms else "never seen"
    return f"{who} · {plural(v.events, 'event')} · {seen}"


def _full(ctx: AccountFacts) -> list[Block]:
    facts = [f"`{esc(truncate(ctx.id, 100))}`"]
    if ctx.first_visit_ms:
        facts.append(f"first activity {slack_date(ctx.first_visit_ms, '{date_short}')}")
    if ctx.last_visit_ms and not _seen_below(ctx):
        facts.append(f"last activity {slack_date(ctx.last_visit_ms)}")
    blocks: list[Block] = [context_block(" · ".join(facts))]
    f = ctx.figures
    fields: list[str] = []
    if f is not None:
        fields += [
            f"*Active*\n{words.active_days(f.frequency, f.days_active.current, who='account')} · {f.days_active.label}",
            f"*Active visitors (30 d)*\n{number(f.active_visitors.current)} · {f.active_visitors.label}",
            f"*Events (30 d)*\n{number(f.events.current)} · {f.events.label}",
            f"*Minutes (30 d)*\n{number(f.minutes.current)} · {f.minutes.label}",
        ]
        if f.depth:
            used = nps_words.account_depth_text(f.depth, f.feature_visitors, f.active_visitors.current)
            fields.append(f"*Features used (30 d)*\n{used}")
    if ctx.nps is not None:
        nps_text = nps_words.account_line(ctx.nps, period=False).removeprefix("NPS ")
        fields.append(f"*NPS ({ctx.nps.days} d)*\n{nps_text}")
    fields += [f"*{esc(truncate(m.label, 100))}*\n{field_value(m, 300)}" for m in ctx.fields]
    if fields:
        blocks.append({"type": "section", "fields": [mrkdwn(t, 2000) for t in fields[:10]]})
    if ctx.nps is not None and ctx.nps.latest:
        latest = "\n".join(nps_words.account_answer_line(a) for a in ctx.nps.latest)
        blocks.append(section(f"*Latest NPS answers*\n{latest}"))
    blocks += fb.account_blocks(ctx)
    if f is not None:
        blocks += _activity(f)
    return blocks


def _activity(f: AccountFigures) -> list[Block]:
    blocks: list[Block] = [sparkline_block(f.daily_events)]
    if f.top_visitors:
        blocks.append({"type": "divider"})
        blocks.append(section("*Most active visitors (30 d)*"))
        for v in f.top_visitors:
            block: Block = {"type": "section", "text": mrkdwn(_visitor_line(v))}
            opener = None if v.opted_out else view_button("Show visitor", "pick", ViewRef(v.id))
            if opener is not None:
                block["accessory"] = opener
            blocks.append(block)
    return [*blocks, *tops_blocks(f.top_features, f.top_pages)]


# --- other answers ---------------------------------------------------------------------------------------
def account_choice_message(choice: AccountChoice, limit: int = CHOICE_LIMIT) -> Message:
    count = len(choice.accounts)
    blocks: list[Block] = [
        section(f"*{count} Pendo accounts* are named {typed(choice.query)}. Pick the one you mean.")
    ]
    for a in choice.accounts[:limit]:
        block: Block = {"type": "section", "text": mrkdwn(_choice_text(a))}
        pick = account_button("Show this account", "pick", AccountRef(a.id))
        if pick is not None:
            block["accessory"] = pick
        blocks.append(block)
    if count > limit:
        blocks.append(context_block(f"and {count - limit} more: narrow it down in Pendo"))
    return {"text": f"{count} Pendo accounts are named {esc(choice.query)}: pick one", "blocks": blocks}


def _choice_text(a: AccountSummary) -> str:
    head = f"*{esc(truncate(a.name, 100))}* `{esc(truncate(a.id, 100))}`"
    if a.opted_out:
        return f"{head}\n🔒 opted out of processing in Pendo"
    details = " · ".join(field_text(f, 40, 80) for f in a.fields)
    return f"{head}\n{details}" if details else head


def account_not_found_message(result: AccountNotFound) -> Message:
    text = (
        f"No Pendo account has the ID or the name {typed(result.query)}. Check the spelling "
        "(names must match whole, in any case), or find the account in Pendo and use its ID."
    )
    return {"text": text, "blocks": [section(f"🤷 {text}")]}


# --- plain text, for the command line ---------------------------------------------------------------------
def account_text(result: AccountFacts | AccountChoice | AccountNotFound, tz: tzinfo = UTC) -> str:
    """The account summary as plain text (`pendo-bot account`): every figure of the full view."""
    if isinstance(result, AccountNotFound):
        return f"No Pendo account has the ID or the name {result.query}."
    if isinstance(result, AccountChoice):
        lines = [f"{len(result.accounts)} Pendo accounts are named {result.query}:"]
        lines += [f"  {a.name} ({a.id})" for a in result.accounts]
        return "\n".join(lines)
    lines = [f"{result.name} ({result.id})", result.url]
    if result.opted_out:
        return "\n".join([*lines, "Opted out of processing: no activity shown."])
    lines += [f"{m.label}: {m.value}" for m in result.fields]
    f = result.figures
    if f is not None:
        lines += [
            f"Active: {words.active_days(f.frequency, f.days_active.current, who='account')} ({f.days_active.label})",
            f"Active visitors (30 d): {f.active_visitors.current} ({f.active_visitors.label})",
            f"Events (30 d): {number(f.events.current)} ({f.events.label})",
            f"Minutes (30 d): {number(f.minutes.current)} ({f.minutes.label})",
            f"Events per day: {sparkline(f.daily_events)}",
            "Most active visitors:" + ("" if f.top_visitors else " none"),
            *(f"  {v.title} ({v.id}): {plural(v.events, 'event')}" for v in f.top_visitors),
            "Top features: " + (", ".join(f"{i.name} · {i.events}" for i in f.top_features) or "none"),
            "Top pages: " + (", ".join(f"{i.name} · {i.events}" for i in f.top_pages) or "none"),
        ]
        if f.depth:
            used = nps_words.account_depth_text(f.depth, f.feature_visitors, f.active_visitors.current)
            lines.append(f"Features used (30 d): {used}")
    if result.nps is not None:
        lines.append(nps_words.account_line(result.nps))
        lines += [nps_words.account_answer_text(a, tz) for a in result.nps.latest]
    lines += fb.account_text_lines(result)
    lines += [f"Missing: {words.gap_line(g)}" for g in result.gaps]
    return "\n".join(lines)
