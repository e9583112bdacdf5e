"""The NPS alert: one Pendo NPS answer, as it arrives, posted to an alert channel. Pure.

What it says, in order: the score and its category first, with who answered and the survey ("⚠️ *NPS 3
(detractor)* from *Jane Doe* · Quarterly NPS"); the comment (customer text: escaped, quoted, up to 1,200
characters), or that there is none yet (a comment that comes later replaces the message); who they are
(email, accounts, the usage line, last seen: `bot.render.summary.who_lines`); the stand-out signals
(`bot.render.friction_blocks.stand_out`); the requester's open Zendesk tickets, linked (five at most,
then "and N more"); the gaps; then the buttons of a channel copy: Details (private to whoever clicks,
with every button's access rules), Open account, Open in Pendo.

The answer itself is the NPS shown: Pendo's own NPS history (the visitor's latest answer before this one,
and the detractor signal it makes) is left out, so the message never shows two scores. Nothing is relative
to "now" (the message stays in a channel): the answer's time is Slack's date token.
Pure; imports the other renderers, the domain's types and the Zendesk models.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain.models import NpsAnswer, VisitorFacts
from bot.render import friction_blocks as fb
from bot.render import nps as nps_words
from bot.render.blocks import Message, actions, button, context_block, link, section
from bot.render.buttons import OPEN_ACTION, ViewRef, open_account_button, view_button
from bot.render.format import esc, plural, truncate
from bot.render.summary import gap_block, who_lines
from bot.render.times import slack_date
from bot.zendesk.models import OpenTickets

TICKETS_SHOWN = 5
TICKET_TITLE = 70  # characters of a ticket's subject in the list


def headline(answer: NpsAnswer, who: str) -> str:
    """ "⚠️ *NPS 3 (detractor)* from *Jane Doe* · Quarterly NPS · Dec 3, 14:05"."""
    parts = [f"{nps_words.ICON[answer.category]} *{nps_words.head(answer)}* from *{esc(truncate(who, 80))}*"]
    if answer.survey:
        parts.append(esc(truncate(answer.survey, 80)))
    parts.append(slack_date(answer.ts_ms))
    return " · ".join(parts)


def comment_text(answer: NpsAnswer) -> str:
    if not answer.comment:
        return "💬 _No comment yet._"
    lines = nps_words.comment_lines(answer.comment)
    return "💬 " + nps_words.quoted(truncate("\n".join(lines), nps_words.FULL_COMMENT))


def tickets_line(tickets: OpenTickets | None, *, connected: bool) -> str | None:
    """ "🎫 Open tickets: #1001 Can't update… (open), #1012 … (pending)"; None without Zendesk."""
    if not connected:
        return None
    if tickets is None:
        return "🎫 ⚠️ Their open Zendesk tickets could not be read just now."
    if not tickets.tickets:
        return "🎫 No open Zendesk tickets."
    shown = tickets.tickets[:TICKETS_SHOWN]
    items = [
        f"{link(b.agent_url, f'#{b.ticket_id} {b.ticket.title}', TICKET_TITLE)} ({esc(b.status_label)})"
        for b in shown
    ]
    more = tickets.count - len(shown)
    tail = f" and {plural(more, 'more')}" if more > 0 else ""
    title = "Open ticket" if tickets.count == 1 else f"{tickets.count} open tickets"
    return f"🎫 {title}: " + ", ".join(items) + tail


def nps_alert_message(
    answer: NpsAnswer,
    facts: VisitorFacts,
    tickets: OpenTickets | None,
    *,
    zendesk: bool = True,
) -> Message:
    """The alert for `answer` (the score, the comment if any) about the visitor of `facts`. `tickets`
    None with `zendesk` on: the search failed (said so); `zendesk` off: no ticket line at all."""
    p = facts.profile
    who = p.name or p.email or p.id
    ctx = replace(facts, nps=None, recent_nps=None)  # this answer is the NPS shown, not Pendo's history
    blocks = [section(headline(answer, who)), section(comment_text(answer))]
    about = [line for line in (fb.stand_out(ctx), *who_lines(ctx)) if line]
    ticket_line = tickets_line(tickets, connected=zendesk)
    if ticket_line:
        about.append(ticket_line)
    blocks.append(section("\n".join(about)))
    if facts.gaps:
        blocks.append(gap_block(facts.gaps, compact=True))
    detail = view_button("Details (only you see them)", "detail", ViewRef(p.id, full=True))
    pendo = button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url)
    blocks.append(actions(detail, open_account_button(ctx), pendo))
    blocks.append(context_block("Pendo NPS answer · from Pendo's webhook"))
    text = f"Pendo NPS: {esc(truncate(who, 80))} answered {answer.score} ({answer.category.value})"
    return {"text": text, "blocks": blocks}
