"""Block Kit for Zendesk tickets: the one-block header, the compact Pendo part, and the unfurl variants.

Unfurls are public and compact always: what stands out, who the requester is, how active, where it went
wrong and what they did just before filing, a button that opens the detail privately for whoever clicks,
and (with Open in Pendo, a link) the nearest session replay.
"""

from __future__ import annotations

from typing import Any

from bot.domain.models import Ambiguous, NotFoundInPendo, VisitorFacts
from bot.domain.tickets import TicketFacts
from bot.http.errors import UpstreamError
from bot.render import friction_blocks as fb
from bot.render import words
from bot.render.blocks import Block, actions, button, context_block, esc, link, mrkdwn, section
from bot.render.buttons import OPEN_ACTION, ViewRef, view_button
from bot.render.format import truncate
from bot.render.messages import UNFURL_CANDIDATES, candidate_blocks
from bot.render.summary import gap_block, moment_lines, who_lines
from bot.render.times import slack_date
from bot.zendesk.models import TicketBundle

Unfurl = dict[str, Any]


def ticket_header_blocks(bundle: TicketBundle, now_ms: int | None = None) -> list[Block]:
    """One section: the ticket, its status and channel in words, who asked and who has it.

    `now_ms` is accepted for callers' convenience; nothing relative to now is shown (it would go stale).
    """
    return [
        {
            "type": "section",
            "text": mrkdwn(ticket_header_text(bundle)),
            "accessory": button("Open ticket", OPEN_ACTION + ":ticket", url=bundle.agent_url),
        }
    ]


def ticket_header_text(bundle: TicketBundle, *, title: bool = True) -> str:
    """The header's mrkdwn: the linked title (without `title`: left out, for a message whose first line
    names the ticket already), the status line, the people line."""
    t = bundle.ticket
    status = " · ".join(
        part
        for part in (
            f"*{esc(words.ticket_status_label(t.status, bundle.status_label))}*",
            esc(words.ticket_priority(t.priority) or ""),
            esc(words.ticket_channel(t.via_channel) or ""),
            f"filed {slack_date(t.created_ms)}",
        )
        if part
    )
    requester = (
        esc(truncate(bundle.requester.name, 80)) if bundle.requester and bundle.requester.name else "Unknown"
    )
    if bundle.organization and bundle.organization.name:
        requester += f" ({esc(truncate(bundle.organization.name, 80))})"
    people = [f"Requester *{requester}*"]
    people.append(
        f"Assignee {esc(truncate(bundle.assignee.name, 80))}"
        if bundle.assignee and bundle.assignee.name
        else "Unassigned"
    )
    if bundle.group and bundle.group.name:
        people.append(f"Group {esc(truncate(bundle.group.name, 80))}")
    lines = [status, " · ".join(people)]
    if title:
        lines.insert(0, f"🎫 *{link(bundle.agent_url, ticket_title(bundle), 130)}*")
    return "\n".join(lines)


def ticket_title(bundle: TicketBundle) -> str:
    """ "#1234 Export fails" (the subject cut to 120 characters), unescaped."""
    return f"#{bundle.ticket.id} {truncate(bundle.ticket.title, 120)}"


def ticket_view(bundle: TicketBundle, visitor_id: str) -> ViewRef:
    """The summary of a ticket's requester, anchored at the ticket's creation."""
    created = bundle.ticket.created_ms
    return ViewRef(visitor_id, anchor_ms=created, ticket_id=bundle.ticket_id, ticket_ms=created)


def pendo_part_blocks(tc: TicketFacts) -> list[Block]:
    """The compact Pendo part of an unfurl: what stands out, who, how active, where it went wrong and
    what they did before filing, and the nearest replay."""
    result = tc.pendo
    if result is None:
        via = tc.bundle.ticket.via_channel
        reason = words.no_pendo(tc.reason, words.ticket_channel(via) or via)  # "(a Messaging ticket)"
        return [context_block(f"ℹ️ {esc(reason)}")]
    if isinstance(result, NotFoundInPendo):
        return [context_block(f"ℹ️ Requester: {esc(words.not_found(result))}")]
    if isinstance(result, Ambiguous):
        return candidate_blocks(result, ticket_view(tc.bundle, ""), UNFURL_CANDIDATES)
    return _visitor_part(result, ticket_view(tc.bundle, result.profile.id))


def _visitor_part(ctx: VisitorFacts, view: ViewRef) -> list[Block]:
    p = ctx.profile
    if p.opted_out:
        return [context_block("🔒 The requester has opted out of processing in Pendo: no activity is shown.")]
    lines = who_lines(ctx, view.ticket_ms)
    lines[0] = f"*Pendo:* {link(p.url, p.title, 60)} · {lines[0]}"
    # the first screen's order: stand-out, who (with the NPS comment), friction; last session, replay
    lines = [line for line in (fb.stand_out(ctx), *lines, fb.friction_line(ctx)) if line]
    blocks: list[Block] = [section("\n".join(lines))]
    moment = moment_lines(ctx)
    if moment:
        blocks.append(section("\n".join(moment)))
    if ctx.gaps:
        blocks.append(gap_block(ctx.gaps, compact=True))
    blocks.append(
        actions(
            view_button("Details (only you see them)", "detail", view.but(full=True)),
            button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url),
            fb.replay_button(ctx),  # a link, like Open in Pendo: whoever may open one may open both
        )
    )
    return blocks


def ticket_unfurl(
    bundle: TicketBundle, now_ms: int | None = None, tc: TicketFacts | None = None, *, pending: bool = False
) -> Unfurl:
    blocks = ticket_header_blocks(bundle)
    if pending:
        blocks.append(context_block("⏳ Looking up the requester in Pendo…"))
    elif tc is not None:
        blocks += pendo_part_blocks(tc)
    return {"blocks": blocks}


def ticket_number_unfurl(ticket_id: int, note: str) -> Unfurl:
    return {"blocks": [section(f"🎫 Zendesk ticket #{ticket_id}"), context_block(esc(note))]}


def ticket_error_unfurl(ticket_id: int, message: str) -> Unfurl:
    """The ticket's number and why there is nothing more: `message` is a sentence for agents."""
    return {
        "blocks": [
            section(f"🎫 Zendesk ticket #{ticket_id}"),
            context_block(f"⚠️ {esc(message)}"),
        ]
    }


def ticket_failure_unfurl(ticket_id: int, error: UpstreamError | None) -> Unfurl:
    """`ticket_error_unfurl` for Zendesk's failure, or (None) a ticket left out of Zendesk's answer
    (deleted, or the bot may not see it): said by `words`."""
    message = words.failure_sentence(error) if error is not None else words.ticket_missing(ticket_id)
    return ticket_error_unfurl(ticket_id, message)


def with_note(unfurl: Unfurl, note: str) -> Unfurl:
    return {"blocks": [*unfurl["blocks"], context_block(esc(note))]}
