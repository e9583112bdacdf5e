"""Block Kit for Zendesk tickets: the header card, the compact Pendo part, and the unfurl variants."""

from __future__ import annotations

from typing import Any

from bot.context.models import Ambiguous, CustomerContext, NotFoundInPendo
from bot.context.tickets import TicketContext
from bot.render.blocks import (
    OPEN_ACTION,
    Block,
    button,
    context_block,
    esc,
    link,
    mrkdwn,
    section,
    slack_date,
    timeline_blocks,
)
from bot.render.format import FREQUENCY_NOTE, ago, number, truncate
from bot.zendesk.models import TicketBundle

Unfurl = dict[str, Any]


def _humanize(value: str | None) -> str:
    return value.replace("_", " ").capitalize() if value else "—"


def ticket_header_blocks(bundle: TicketBundle, now_ms: int) -> list[Block]:
    t = bundle.ticket
    created = t.created_ms
    title = f"#{t.id} {truncate(t.title, 200)}"
    status = " · ".join(
        part
        for part in (
            f"*{esc(_humanize(bundle.status_label))}*",
            f"priority {esc(t.priority)}" if t.priority else "no priority",
            f"via {esc(_humanize(t.via_channel))}" if t.via_channel else "",
        )
        if part
    )
    requester = esc(bundle.requester.name) if bundle.requester and bundle.requester.name else "Unknown"
    if bundle.organization and bundle.organization.name:
        requester += f" · {esc(bundle.organization.name)}"
    assignee = esc(bundle.assignee.name) if bundle.assignee and bundle.assignee.name else "Unassigned"
    group = esc(bundle.group.name) if bundle.group and bundle.group.name else "—"
    return [
        {
            "type": "section",
            "text": mrkdwn(f"🎫 *{link(bundle.agent_url, title)}*\n{status}"),
            "accessory": button("Open ticket", OPEN_ACTION + ":ticket", url=bundle.agent_url),
        },
        {
            "type": "section",
            "fields": [
                mrkdwn(f"*Requester*\n{requester}"),
                mrkdwn(f"*Assignee*\n{assignee}"),
                mrkdwn(f"*Group*\n{group}"),
                mrkdwn(f"*Created*\n{slack_date(created)} ({ago(created, now_ms)})"),
            ],
        },
    ]


def pendo_part_blocks(tc: TicketContext) -> list[Block]:
    """The compact Pendo part of an unfurl: who, how active, what they did before filing."""
    result = tc.pendo
    if result is None:
        return [context_block(f"ℹ️ {esc(tc.reason or 'No Pendo data for this requester.')}")]
    if isinstance(result, NotFoundInPendo):
        return [
            context_block(
                f"ℹ️ No Pendo visitor found for the requester's email (searched: {esc(result.searched)})."
            )
        ]
    if isinstance(result, Ambiguous):
        return [
            context_block(
                f"ℹ️ {len(result.candidates)} Pendo visitors share the requester's email, so none is shown. "
                "Use `/pendo` with the email to pick one."
            )
        ]
    return _context_part(result)


def _context_part(ctx: CustomerContext) -> list[Block]:
    p = ctx.profile
    if p.opted_out:
        return [context_block("🔒 The requester has opted out of processing in Pendo: no activity is shown.")]
    facts = [f"*Pendo:* {link(p.url, p.title)}"]
    if ctx.usage:
        u = ctx.usage
        facts.append(f"{FREQUENCY_NOTE[u.frequency]}, {u.days_active} days active in 30 d")
        facts.append(f"{number(u.events)} events ({u.events_trend.label})")
    if ctx.accounts:
        facts.append(
            ", ".join(esc(a.name) for a in ctx.accounts[:3]) + ("…" if len(ctx.accounts) > 3 else "")
        )
    elif not p.account_ids:
        facts.append("no account")
    blocks: list[Block] = [section(" · ".join(facts))]
    if ctx.timeline is not None:
        blocks += timeline_blocks(ctx.timeline, ctx.generated_at_ms)[1:]  # no divider inside an unfurl
    if ctx.gaps:
        blocks.append(context_block(*(f"⚠️ {esc(g)}" for g in ctx.gaps)))
    blocks.append(
        {"type": "actions", "elements": [button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url)]}
    )
    return blocks


def ticket_unfurl(
    bundle: TicketBundle, now_ms: int, tc: TicketContext | None = None, *, pending: bool = False
) -> Unfurl:
    blocks = ticket_header_blocks(bundle, now_ms)
    if pending:
        blocks.append(context_block("⏳ Looking up the requester in Pendo…"))
    elif tc is not None:
        blocks += pendo_part_blocks(tc)
    return {"blocks": blocks}


def ticket_number_unfurl(ticket_id: int, note: str) -> Unfurl:
    return {"blocks": [section(f"🎫 Zendesk ticket #{ticket_id}"), context_block(esc(note))]}


def ticket_error_unfurl(ticket_id: int, message: str) -> Unfurl:
    return {"blocks": [section(f"🎫 Zendesk ticket #{ticket_id}"), context_block(f"⚠️ {esc(message)}")]}


def with_note(unfurl: Unfurl, note: str) -> Unfurl:
    return {"blocks": [*unfurl["blocks"], context_block(esc(note))]}
