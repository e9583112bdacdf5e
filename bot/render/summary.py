"""The visitor summary: pure functions from a `VisitorFacts` to a Slack message.

Nothing in a message is relative to "now" (it would go stale in a channel): absolute times use Slack's
`<!date^…>` and relative ones are relative to the ticket.

Every summary comes in two views: compact (the first screen: what stands out, who, how active, where
it went wrong, what they did just now, buttons; at most 8 blocks) and full ("Show more": every figure, field, account and the whole timeline,
with Earlier / Later to move through the days). A `ViewRef` in each button says which view to draw next.
Pure; imports the other renderers and the domain's types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.domain.models import (
    AccountSummary,
    FieldKind,
    Gap,
    MetadataField,
    Timeline,
    VisitorFacts,
    VisitorUsage,
)
from bot.render import friction_blocks as fb
from bot.render import nps as nps_words
from bot.render import words
from bot.render.activity import (
    entry_line,
    sparkline_block,
    story,
    story_names,
    timeline_blocks,
    tops_blocks,
)
from bot.render.blocks import (
    FIELD_LIMIT,
    MAX_BLOCKS,
    Block,
    Message,
    actions,
    button,
    context_block,
    link,
    mrkdwn,
    plain,
    section,
)
from bot.render.buttons import (
    ADD_TO_TICKET,
    OPEN_ACTION,
    SHARE_IN_CHANNEL,
    SHARE_WITH_NOTE,
    AccountRef,
    ViewRef,
    account_button,
    open_account_button,
    view_button,
)
from bot.render.fields import field_text, field_value, field_words
from bot.render.format import esc, middle, number, plural, truncate
from bot.render.times import DAY_AND_TIME, MINUTE_MS, slack_date

RECENT_SHOWN = 3  # events on the first screen


@dataclass(frozen=True)
class Sharing:
    """Where a summary stands with the channel: may it be shared, was it, by whom, with what note."""

    allowed: bool = True  # False in Slack Connect and outside UNFURL_CHANNELS: no Share button at all
    shared_by: str | None = None  # a user id: this is the copy posted in the channel
    shared_in: str | None = None  # a channel id: the agent's private copy after sharing
    note: str | None = None  # the sharer's words, shown with the channel copy
    ticket_url: str | None = None  # the ticket the summary is about (shown with the channel copy)
    ticket_note: Literal["offer", "added"] | None = None  # "Add to ticket" on a ticket's summary, or done


# --- the summary ------------------------------------------------------------------------------------
def visitor_message(
    ctx: VisitorFacts,
    *,
    view: ViewRef | None = None,
    sharing: Sharing | None = None,
    header_blocks: list[Block] | None = None,
    shareable: bool = True,
) -> Message:
    """The visitor summary, compact unless `view.full`. A channel copy (`sharing.shared_by`) never has
    Share buttons and opens its detail privately for whoever clicks."""
    view = view or default_view(ctx)
    sharing = sharing or Sharing(allowed=shareable)
    p = ctx.profile
    blocks: list[Block] = list(header_blocks or [])
    blocks.append({"type": "header", "text": plain(p.title, 150)})
    if p.opted_out:
        blocks.append(
            section("🔒 This visitor has *opted out of processing* in Pendo. No activity is shown.")
        )
        tail = [actions(button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url))]
        return {"text": _fallback(ctx), "blocks": blocks + tail}
    body = _full_blocks(ctx, view) if view.full else _compact_blocks(ctx, view)
    tail = _tail(ctx, view, sharing)
    # Slack allows 50 blocks: the body gives way, the gaps, attribution and buttons always stay.
    return {"text": _fallback(ctx), "blocks": (blocks + body)[: MAX_BLOCKS - len(tail)] + tail}


def default_view(ctx: VisitorFacts) -> ViewRef:
    t = ctx.timeline
    at_marker = t is not None and t.marker is not None
    anchor = t.anchor_ms if t is not None and at_marker else None
    return ViewRef(ctx.profile.id, anchor_ms=anchor, ticket_ms=anchor)


def _fallback(ctx: VisitorFacts) -> str:
    """The notification text: Slack formats it as mrkdwn too, so user data is escaped here as well."""
    p = ctx.profile
    title = esc(truncate(p.title, 150))
    if p.opted_out:
        return f"Pendo: {title} has opted out of processing"
    if ctx.usage:
        u = ctx.usage
        return f"Pendo: {title}: {words.activity(u.frequency, u.days_active)}, {plural(u.events, 'event')}"
    return f"Pendo: {title}"


def _tail(ctx: VisitorFacts, view: ViewRef, sharing: Sharing) -> list[Block]:
    """Gaps (each cause once), who shared it, and the buttons."""
    p = ctx.profile
    tail: list[Block] = []
    if ctx.gaps:
        tail.append(gap_block(ctx.gaps, compact=not view.full))
    if sharing.shared_by:
        about = f" · about {link(sharing.ticket_url, _ticket_label(view))}" if sharing.ticket_url else ""
        tail.append(context_block(f"Shared by <@{sharing.shared_by}>{about} · from Pendo"))
        if sharing.note:
            tail.append(section(f"💬 {esc(truncate(sharing.note, 2000))}"))
        detail = view_button("Details (only you see them)", "detail", view.but(full=True))
        pendo = button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url)
        tail.append(actions(detail, open_account_button(ctx), pendo, fb.replay_button(ctx)))
        return tail
    toggle = (
        view_button("Show less", "less", view.but(full=False))
        if view.full
        else view_button("Show more", "more", view.but(full=True), style="primary")
    )
    offer = _last_active_offer(ctx, view)
    elements: list[dict[str, Any] | None] = [toggle]
    if offer is not None and not view.full:
        elements.append(view_button("Show their last active day", "day", offer))
    elements.append(open_account_button(ctx))
    elements.append(button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url))
    if not view.full:  # Details lists the replays
        elements.append(fb.replay_button(ctx))
    if view.ticket_id is not None and sharing.ticket_note == "offer" and view.encode() is not None:
        elements.append(button("Add to ticket", ADD_TO_TICKET, value=view.encode()))
    done = [context_block(f"Added to ticket #{view.ticket_id} ✓")] if sharing.ticket_note == "added" else []
    if sharing.shared_in:
        tail.append(actions(*elements))
        tail.append(context_block(f"Shared in <#{sharing.shared_in}> ✓"))
        return tail + done
    if sharing.allowed and view.encode() is not None:
        value = view.encode()
        elements.append(button("Share in channel", SHARE_IN_CHANNEL, value=value))
        elements.append(button("Share with a note…", SHARE_WITH_NOTE, value=value))
    tail.append(actions(*elements))
    return tail + done


def gap_block(gaps: list[Gap], *, compact: bool) -> Block:
    """What is missing, each cause once; the first screen keeps it to two short sentences."""
    sentences = words.gap_sentences(gaps)
    if compact and len(sentences) > 2:
        sentences = [*sentences[:1], f"{len(sentences) - 1} other problems: see Show more."]
    limit = 200 if compact else FIELD_LIMIT
    return context_block(*(f"⚠️ {esc(truncate(s, limit))}" for s in sentences))


def _ticket_label(view: ViewRef) -> str:
    return f"Zendesk ticket #{view.ticket_id}" if view.ticket_id else "the Zendesk ticket"


# --- compact: the first screen -------------------------------------------------------------------------
def _compact_blocks(ctx: VisitorFacts, view: ViewRef) -> list[Block]:
    """What stands out, who, and where it went wrong; then what they did just now and its replay."""
    who = [
        line for line in (fb.stand_out(ctx), *who_lines(ctx, view.ticket_ms), fb.friction_line(ctx)) if line
    ]
    moment = moment_lines(ctx)
    return [section("\n".join(who))] + ([section("\n".join(moment))] if moment else [])


def moment_lines(ctx: VisitorFacts) -> list[str]:
    """The last session (`recent_lines`), then the words of the ▶ Replay button below it."""
    return [line for line in (*recent_lines(ctx), fb.replay_line(ctx)) if line]


def who_lines(ctx: VisitorFacts, ticket_ms: int | None = None) -> list[str]:
    """Email, accounts and plan; how active and how deep; a detractor's NPS (only its comment when the
    stand-out line names the score); last seen."""
    p = ctx.profile
    first: list[str] = []
    if p.email and p.email != p.title:
        first.append(esc(truncate(p.email, 80)))
    elif p.id != p.title:
        first.append(f"`{esc(truncate(p.id, 60))}`")
    first.append(_account_line(ctx))
    lines = [" · ".join(first)]
    if ctx.usage:
        u = ctx.usage
        activity = f"*{words.activity(u.frequency, u.days_active)}* · {plural(u.events, 'event')} ({u.events_trend.label})"
        depth = f" · {nps_words.depth_text(u.depth)}" if u.depth else ""
        if len(activity + depth) > ACTIVITY_WIDTH and u.depth:  # the first screen's budget: "▲ 3" alone
            depth = f" · {nps_words.depth_text(u.depth, compared=False)}"
        lines.append(activity + depth)
    if detractor := fb.nps_line(ctx, ticket_ms):
        lines.append(detractor)
    if p.last_visit_ms:
        lines.append(f"Last seen {slack_date(p.last_visit_ms)}")
    return lines


ACCOUNTS_NAMED = 5  # accounts named on a first screen, then "and N more"
ACCOUNT_LINE = 120  # visible characters of the first screen's account line (names, plan, "and N more")
ONE_ACCOUNT_NAME = 60  # a visitor's only account: its name has this much, the plan the rest
ACTIVITY_WIDTH = 140  # the first screen's activity line says "vs previous 30 d" when it fits in this


def _account_line(ctx: VisitorFacts) -> str:
    """Every account by name (up to five, then "and N more"); the plan of a visitor's only account."""
    p = ctx.profile
    if not p.account_ids:
        return "no account"
    by_id = {a.id: a for a in ctx.accounts}
    shown = p.account_ids[:ACCOUNTS_NAMED]
    more = f" and {len(p.account_ids) - len(shown)} more" if len(p.account_ids) > len(shown) else ""
    room = ACCOUNT_LINE - len("🏢 ") - len(more) - len(", ") * (len(shown) - 1)
    width = min(ONE_ACCOUNT_NAME, room // len(shown))  # five names: 19 characters each, cut in the middle
    labels = [middle(by_id[a].name if a in by_id else a, width) for a in shown]
    names = [
        link(by_id[a].url, label) if a in by_id else esc(label)
        for a, label in zip(shown, labels, strict=True)
    ]
    text = "🏢 " + ", ".join(names)
    first = by_id.get(shown[0])
    left = room - len(labels[0]) - len(" ()")
    if len(p.account_ids) == 1 and first and first.fields and left >= 12:
        plan = _plan(first.fields[:2], left)
        text += f" ({plan})" if plan else ""
    return text + more


def _plan(fields: list[MetadataField], room: int) -> str:
    """The only account's first fields within `room` visible characters: a field that does not fit is
    left out (a text one alone is cut), never a date token cut in half."""
    parts: list[str] = []
    for f in fields:
        visible = f"{truncate(f.label, 24)}: {field_words(f, 40)}"
        cost = len(visible) + (2 if parts else 0)
        if cost <= room:
            parts.append(field_text(f, 24, 40))
            room -= cost
        elif not parts and f.kind is FieldKind.TEXT:
            parts.append(esc(truncate(visible, room)))
            break
        else:
            break
    return ", ".join(parts)


def recent_lines(ctx: VisitorFacts) -> list[str]:
    """The story line, then the last few events it does not already name (each thing said once); or,
    for a quiet window, that it was quiet (the first screen's "Last seen" says when they were)."""
    t = ctx.timeline
    if t is None:
        return []  # the gap says why
    events = [e for e in t.entries if e.kind != "ticket"]
    if not events:
        return [_quiet_window(ctx, t)]
    lines = [story(t) or ""]
    named = story_names(t)
    shown = RECENT_SHOWN - 1 if fb.nps_line(ctx, None) else RECENT_SHOWN  # room for the NPS line
    unnamed = [e for e in events if e.name not in named][:shown]
    return lines + [entry_line(e, t, 50, DAY_AND_TIME, friction=False) for e in unnamed]


def _quiet_window(ctx: VisitorFacts, t: Timeline) -> str:
    end = "filing" if t.marker else slack_date(t.anchor_ms)
    line = f"No activity in the {t.hours} h before {end}."
    if ctx.profile.last_visit_ms is None:
        return line + " No visit on record."
    return line  # when they were last active: "Last seen" above, once


def _last_active_offer(ctx: VisitorFacts, view: ViewRef) -> ViewRef | None:
    """When the window is empty and the visitor was active before it: their last active day."""
    t, last = ctx.timeline, ctx.profile.last_visit_ms
    if t is None or last is None or last >= t.start_ms or any(e.kind != "ticket" for e in t.entries):
        return None
    return view.but(anchor_ms=last + MINUTE_MS)


# --- full: "Show more" ---------------------------------------------------------------------------------
def _full_blocks(ctx: VisitorFacts, view: ViewRef) -> list[Block]:
    p = ctx.profile
    facts = [f"`{esc(truncate(p.id, 100))}`"]
    if p.email and p.email != p.id and p.email != p.title:
        facts.append(esc(truncate(p.email, 100)))
    if p.last_visit_ms:
        facts.append(f"last seen {slack_date(p.last_visit_ms)}")
    stand_out = fb.stand_out(ctx)
    blocks: list[Block] = [section(stand_out)] if stand_out else []
    blocks.append(context_block(" · ".join(facts)))
    blocks += _usage_blocks(ctx)
    if ctx.nps is not None:
        blocks.append(section(nps_words.answer_section(ctx.nps, view.ticket_ms)))
    blocks += fb.details_blocks(ctx)
    if ctx.timeline is not None:
        blocks += timeline_blocks(ctx.timeline, view, ctx.generated_at_ms)
    blocks += _account_blocks(ctx.accounts, len(p.account_ids))
    return blocks


def visitor_fields(ctx: VisitorFacts) -> list[MetadataField]:
    """The visitor's fields, minus any an account already shows with the same value (shown once; the
    Zendesk note lists the same)."""
    on_accounts = {(f.label, f.value) for a in ctx.accounts for f in a.fields}
    return [f for f in ctx.profile.fields if (f.label, f.value) not in on_accounts]


def usage_pairs(u: VisitorUsage) -> list[tuple[str, str]]:
    """Details' usage figures as (label, value), in words: the Slack view and the Zendesk note both."""
    pairs = [
        ("Active", f"{words.active_days(u.frequency, u.days_active)} · {u.days_trend.label}"),
        ("Events (30 d)", f"{number(u.events)} · {u.events_trend.label}"),
        ("Minutes (30 d)", f"{number(u.minutes)} · {u.minutes_trend.label}"),
    ]
    if u.depth:
        pairs.append(("Features used (30 d)", nps_words.depth_field(u.depth)))
    return pairs


def _usage_blocks(ctx: VisitorFacts) -> list[Block]:
    p, u = ctx.profile, ctx.usage
    fields: list[str] = []
    if u:
        fields += [f"*{label}*\n{value}" for label, value in usage_pairs(u)]
    if p.first_visit_ms:
        fields.append(f"*First visit*\n{slack_date(p.first_visit_ms, '{date_short}')}")
    if p.browser or p.os:
        fields.append(f"*Browser / OS*\n{esc(p.browser or '?')} · {esc(p.os or '?')}")
    fields += [f"*{esc(f.label)}*\n{field_value(f)}" for f in visitor_fields(ctx)]
    blocks: list[Block] = []
    if fields:
        blocks.append({"type": "section", "fields": [mrkdwn(f, FIELD_LIMIT) for f in fields[:10]]})
    if u:
        blocks += _activity_blocks(u)
    return blocks


def _activity_blocks(u: VisitorUsage) -> list[Block]:
    return [sparkline_block(u.daily_events), *tops_blocks(u.top_features, u.top_pages)]


def _account_blocks(accounts: list[AccountSummary], total: int) -> list[Block]:
    blocks: list[Block] = []
    if accounts:
        blocks.append({"type": "divider"})
    for a in accounts:
        head = f"🏢 *{link(a.url, a.name)}* `{esc(a.id)}`"
        if a.opted_out:
            blocks.append(section(f"{head}\nOpted out of processing: no activity shown."))
            continue
        lines = [head]
        if a.usage:
            lines.append(
                f"{plural(a.usage.unique_visitors, 'active visitor')} · "
                f"{words.activity(a.usage.frequency, a.usage.days_active, who='account')} · "
                f"{plural(a.usage.events, 'event')} in 30 d"
            )
        if a.fields:
            lines.append(" · ".join(field_text(f, 60, 300) for f in a.fields))
        if a.gap:
            lines.append("_Figures missing (see below)._")
        block = section("\n".join(lines))
        opener = account_button("Open account", "open", AccountRef(a.id))
        if opener is not None and len(accounts) > 1:
            block["accessory"] = opener
        blocks.append(block)
    if total > len(accounts):
        blocks.append(
            context_block(f"and {plural(total - len(accounts), 'more account')}: see the visitor in Pendo")
        )
    return blocks
