"""Block Kit builders: pure functions from domain objects to Slack messages (dicts), within Slack's limits.

A message is `{"text": fallback, "blocks": [...]}`. User data is escaped for mrkdwn; times use Slack's
`<!date^…>` so every reader sees them in their own time zone, with a UTC fallback.
"""

from __future__ import annotations

import json
from typing import Any

from bot.context.models import (
    AccountSummary,
    Ambiguous,
    Candidate,
    CustomerContext,
    NotFoundInPendo,
    Timeline,
    VisitorUsage,
)
from bot.render.format import FREQUENCY_NOTE, KIND_ICON, ago, number, plural, sparkline, truncate, when

Block = dict[str, Any]
Message = dict[str, Any]

SHARE_ACTION = "share_summary"
PICK_ACTION = "pick_visitor"
OPEN_ACTION = "open_link"
ZENDESK_OFF = (
    "Zendesk isn't connected to this bot, so I can't look up tickets. Look up the requester's email "
    "instead, or ask whoever runs the bot to set `ZENDESK_SUBDOMAIN`."
)
MAX_BLOCKS = 50
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000


def esc(text: object) -> str:
    """Escape user data for mrkdwn: &, < and > (Slack's control characters)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str, limit: int = 80) -> str:
    """A mrkdwn link; long labels are shortened so a list of links stays within Slack's limits."""
    return f"<{url}|{esc(truncate(label, limit)).replace('|', '¦')}>"


def fit(text: str, limit: int) -> str:
    """Cut mrkdwn to `limit` characters without splitting a <link>, <!date> or &entity;."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    return cut + "…"


def slack_date(ms: int, fmt: str = "{date_short_pretty} {time}") -> str:
    return f"<!date^{ms // 1000}^{fmt}|{when(ms)}>"


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> dict[str, str]:
    return {"type": "mrkdwn", "text": fit(text, limit)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context_block(*texts: str) -> Block:
    """Up to 10 elements: any beyond the ninth are joined into the last one rather than dropped."""
    elements = list(texts[:9]) + (["\n".join(texts[9:])] if texts[9:] else [])
    return {"type": "context", "elements": [mrkdwn(t, FIELD_LIMIT) for t in elements]}


def button(text: str, action_id: str, *, url: str | None = None, value: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": plain(text, 75), "action_id": action_id}
    if url:
        button["url"] = url
    if value is not None:
        button["value"] = value
    return button


def share_value(visitor_id: str, anchor_ms: int | None = None, marker: str | None = None) -> str:
    """What the Share button carries: enough to rebuild the same summary, nothing more."""
    return json.dumps({"v": visitor_id, "a": anchor_ms, "m": marker}, separators=(",", ":"))[:2000]


# --- the summary ------------------------------------------------------------------------------------
def context_message(
    ctx: CustomerContext,
    *,
    shareable: bool = True,
    shared_by: str | None = None,
    header_blocks: list[Block] | None = None,
) -> Message:
    """The visitor summary. `shared_by` (a user id) marks a copy posted in the channel."""
    p = ctx.profile
    blocks: list[Block] = list(header_blocks or [])
    blocks.append({"type": "header", "text": plain(p.title, 150)})
    facts = [f"`{esc(truncate(p.id, 100))}`"]
    if p.email and p.email != p.id and p.email != p.title:
        facts.append(esc(truncate(p.email, 100)))
    if p.last_visit_ms:
        facts.append(f"last seen {slack_date(p.last_visit_ms)} ({ago(p.last_visit_ms, ctx.generated_at_ms)})")
    names = {a.id: a.name for a in ctx.accounts}
    if p.account_ids:
        shown = ", ".join(esc(truncate(names.get(a, a), 60)) for a in p.account_ids[:5])
        facts.append(shown + (f" and {len(p.account_ids) - 5} more" if len(p.account_ids) > 5 else ""))
    else:
        facts.append("no account")
    blocks.append(context_block(" · ".join(facts)))

    if p.opted_out:
        blocks.append(
            section("🔒 This visitor has *opted out of processing* in Pendo. No activity is shown.")
        )
    else:
        blocks += _usage_blocks(ctx)
        if ctx.timeline is not None:
            blocks += timeline_blocks(ctx.timeline, ctx.generated_at_ms)
        blocks += _account_blocks(ctx.accounts, len(p.account_ids))
    tail: list[Block] = []
    if ctx.gaps:
        tail.append(context_block(*(f"⚠️ {esc(g)}" for g in ctx.gaps)))
    if shared_by:
        tail.append(context_block(f"Shared by <@{shared_by}> · from Pendo"))
    actions = [button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url)]
    if len(ctx.accounts) == 1:
        actions.append(button("Open account", OPEN_ACTION + ":account", url=ctx.accounts[0].url))
    if shareable and not shared_by:
        t = ctx.timeline
        anchor, marker = (t.anchor_ms, t.marker) if t and t.marker else (None, None)
        actions.append(button("Share in channel", SHARE_ACTION, value=share_value(p.id, anchor, marker)))
    tail.append({"type": "actions", "elements": actions})
    # Slack allows 50 blocks: the body gives way, the gaps, attribution and buttons always stay.
    return {"text": _fallback(ctx), "blocks": blocks[: MAX_BLOCKS - len(tail)] + tail}


def _fallback(ctx: CustomerContext) -> str:
    """The notification text: Slack formats it as mrkdwn too, so user data is escaped here as well."""
    p = ctx.profile
    title = esc(truncate(p.title, 150))
    if p.opted_out:
        return f"Pendo: {title} has opted out of processing"
    if ctx.usage:
        u = ctx.usage
        return (
            f"Pendo: {title}: {u.days_active} days active in 30 d ({u.frequency}), {number(u.events)} events"
        )
    return f"Pendo: {title}"


def _usage_blocks(ctx: CustomerContext) -> list[Block]:
    p, u = ctx.profile, ctx.usage
    fields: list[str] = []
    if u:
        fields += [
            f"*Days active (30 d)*\n{u.days_active} · {FREQUENCY_NOTE[u.frequency]}",
            f"*Events (30 d)*\n{number(u.events)} · {u.events_trend.label}",
            f"*Minutes (30 d)*\n{number(u.minutes)} · {u.minutes_trend.label}",
        ]
    if p.first_visit_ms:
        fields.append(f"*First visit*\n{slack_date(p.first_visit_ms, '{date_short}')}")
    if p.browser or p.os:
        fields.append(f"*Browser / OS*\n{esc(p.browser or '?')} · {esc(p.os or '?')}")
    fields += [f"*{esc(f.label)}*\n{esc(f.value)}" for f in p.fields]
    blocks: list[Block] = []
    if fields:
        blocks.append({"type": "section", "fields": [mrkdwn(f, FIELD_LIMIT) for f in fields[:10]]})
    if u:
        blocks += _activity_blocks(u)
    return blocks


def _activity_blocks(u: VisitorUsage) -> list[Block]:
    peak = max(u.daily_events, default=0)
    blocks: list[Block] = [
        section(
            f"*Activity, last 30 days* (events per day, peak {number(peak)})\n`{sparkline(u.daily_events)}`"
        )
    ]
    tops = [
        f"*{title}*\n" + "\n".join(f"{link(i.url, i.name)} · {number(i.events)}" for i in items)
        for title, items in (("Top features", u.top_features), ("Top pages", u.top_pages))
        if items
    ]
    if tops:
        blocks.append({"type": "section", "fields": [mrkdwn(t, FIELD_LIMIT) for t in tops]})
    return blocks


def timeline_blocks(t: Timeline, now_ms: int) -> list[Block]:
    title = f"*Recent activity* (the {t.hours} h before {slack_date(t.anchor_ms)})"
    lines: list[str] = []
    for e in t.entries:
        name = f"*{esc(e.name)}*" if e.kind == "ticket" else link(e.url, e.name) if e.url else esc(e.name)
        repeat = f" ×{e.count}" if e.count > 1 else ""
        lines.append(
            f"{KIND_ICON.get(e.kind, '•')} {name}{repeat} · {slack_date(e.ts_ms, '{time}')} ({ago(e.ts_ms, now_ms)})"
        )
    if not any(e.kind != "ticket" for e in t.entries):
        lines.append("_No tracked activity in this window._")
    notes = []
    if t.more:
        notes.append(f"and {t.more} more")
    if t.hidden_untagged:
        notes.append(f"{plural(t.hidden_untagged, 'untagged page view')} hidden")
    body = title
    for line in lines:  # keep whole lines within the section limit
        if len(body) + len(line) + 40 > SECTION_LIMIT:
            notes.insert(0, "list shortened")
            break
        body += "\n" + line
    blocks: list[Block] = [{"type": "divider"}, section(body)]
    if notes:
        blocks.append(context_block(" · ".join(notes)))
    return blocks


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
                f"{plural(a.usage.unique_visitors, 'active visitor')} · {plural(a.usage.days_active, 'day')} active "
                f"· {FREQUENCY_NOTE[a.usage.frequency]} · {plural(a.usage.events, 'event')} in 30 d"
            )
        if a.fields:
            lines.append(" · ".join(f"{esc(f.label)}: {esc(f.value)}" for f in a.fields))
        if a.gap:
            lines.append(f"_{esc(a.gap)}_")
        blocks.append(section("\n".join(lines)))
    if total > len(accounts):
        blocks.append(
            context_block(f"and {plural(total - len(accounts), 'more account')}: see the visitor in Pendo")
        )
    return blocks


# --- other answers -----------------------------------------------------------------------------------
def ambiguous_message(result: Ambiguous, now_ms: int, header_blocks: list[Block] | None = None) -> Message:
    count = len(result.candidates)
    blocks: list[Block] = list(header_blocks or [])
    blocks.append(
        section(
            f"*{count} Pendo visitors* have *{esc(result.email)}* ({esc(result.searched)}). "
            "I won't guess: pick the one you mean."
        )
    )
    for c in result.candidates[:20]:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(_candidate_text(c, now_ms)),
                "accessory": button("Show this visitor", PICK_ACTION, value=c.visitor_id[:2000]),
            }
        )
    if count > 20:
        blocks.append(context_block(f"and {count - 20} more: narrow it down in Pendo"))
    return {"text": f"{count} Pendo visitors have {esc(result.email)}: pick one", "blocks": blocks}


def _candidate_text(c: Candidate, now_ms: int) -> str:
    visitor_id = f"`{esc(truncate(c.visitor_id, 100))}`"
    if c.opted_out:
        return f"{visitor_id} · 🔒 opted out of processing in Pendo"
    seen = (
        f"last seen {slack_date(c.last_visit_ms)} ({ago(c.last_visit_ms, now_ms)})"
        if c.last_visit_ms
        else "never seen"
    )
    accounts = ", ".join(esc(truncate(a, 60)) for a in c.account_ids[:5]) or "no account"
    if len(c.account_ids) > 5:
        accounts += f" and {len(c.account_ids) - 5} more"
    return f"*{esc(truncate(c.name or c.visitor_id, 100))}* {visitor_id}\n{seen} · Accounts: {accounts}"


def not_found_message(result: NotFoundInPendo, header_blocks: list[Block] | None = None) -> Message:
    text = (
        f"No Pendo visitor found for *{esc(result.email)}* (searched: {esc(result.searched)}).\n"
        "The email must be unique to one visitor. If your Pendo keeps emails in a metadata field "
        "(for example `agent/email`), ask whoever runs the bot to set `PENDO_EMAIL_FIELD`."
    )
    return {
        "text": f"No Pendo visitor found for {esc(result.email)}",
        "blocks": [*(header_blocks or []), section(text)],
    }


def notice_message(text: str, *, icon: str = "⚠️") -> Message:
    """A one-sentence answer: an error, a refusal, a progress note. `text` is trusted mrkdwn."""
    return {"text": text.replace("*", "").replace("`", ""), "blocks": [section(f"{icon} {text}")]}


def progress_message(target: str, where: str = "Pendo") -> Message:
    return notice_message(f"Looking up *{esc(target)}* in {where}…", icon="⏳")


def help_message(command: str = "/pendo") -> Message:
    text = (
        f"*{command}* shows what Pendo knows about a customer: activity, accounts, and what they did recently.\n"
        f"• `{command} jane@acme.com`: look up a visitor by email\n"
        f"• `{command} 12345` or `{command} #12345`: a Zendesk ticket's requester, with what they did before filing it\n"
        f"• `{command} https://acme.zendesk.com/agent/tickets/12345`: the same, from a ticket link\n"
        f"• `{command} help`: this message\n"
        "Answers are private to you; use *Share in channel* to post one for everyone."
    )
    return {"text": f"How to use {command}", "blocks": [section(text)]}
