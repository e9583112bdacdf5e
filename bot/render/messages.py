"""The answers that are not a summary: a choice of visitors, not found, a notice or progress note,
help, a choice between what a message mentions, and the note on an answer built from cached data.
Pure; imports the other renderers and the domain's types.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import Ambiguous, Candidate, NotFoundInPendo, Target
from bot.render import words
from bot.render.blocks import Block, Message, button, context_block, mrkdwn, section, typed
from bot.render.buttons import LOOKUP_ACTION, ViewRef, view_button
from bot.render.format import esc, truncate
from bot.render.times import slack_date

ZENDESK_OFF = (
    "Zendesk isn't connected to this bot, so I can't look up tickets. Look up the requester's email "
    "instead, or ask whoever runs the bot to connect Zendesk."
)

UNFURL_CANDIDATES = 4


@dataclass(frozen=True)
class Stale:
    """Part of an answer came from the cache because `who` failed just now; the oldest part is `age_s` old."""

    who: str
    age_s: float


def stale_block(stale: Stale) -> Block:
    """The note on top of an answer built from cached data (a header block: a cut to 50 keeps it)."""
    return context_block(words.stale_sentence(stale.who, stale.age_s))


# --- other answers -----------------------------------------------------------------------------------
def ambiguous_message(
    result: Ambiguous,
    now_ms: int | None = None,
    header_blocks: list[Block] | None = None,
    *,
    view: ViewRef | None = None,
    limit: int = 20,
) -> Message:
    """A choice of visitors with one button each; `view` anchors the pick (e.g. at the ticket's time)."""
    count = len(result.candidates)
    blocks: list[Block] = list(header_blocks or [])
    blocks += candidate_blocks(result, view, limit)
    return {"text": f"{count} Pendo visitors have {esc(result.email)}: pick one", "blocks": blocks}


def candidate_blocks(result: Ambiguous, view: ViewRef | None, limit: int) -> list[Block]:
    count = len(result.candidates)
    whose = "the requester's email" if view and view.ticket_id else f"*{esc(result.email)}*"
    blocks: list[Block] = [
        section(f"*{count} Pendo visitors* have {whose}. I won't guess: pick the one you mean.")
    ]
    for c in result.candidates[:limit]:
        ref = (view or ViewRef(c.visitor_id)).but(visitor_id=c.visitor_id, full=False)
        block: Block = {"type": "section", "text": mrkdwn(_candidate_text(c))}
        pick = view_button("Show this visitor", "pick", ref)
        if pick is not None:
            block["accessory"] = pick
        blocks.append(block)
    if count > limit:
        blocks.append(context_block(f"and {count - limit} more: narrow it down in Pendo"))
    return blocks


def _candidate_text(c: Candidate) -> str:
    visitor_id = f"`{esc(truncate(c.visitor_id, 100))}`"
    if c.opted_out:
        return f"{visitor_id} · 🔒 opted out of processing in Pendo"
    seen = f"last seen {slack_date(c.last_visit_ms)}" if c.last_visit_ms else "never seen"
    accounts = ", ".join(esc(truncate(a, 60)) for a in c.account_ids[:5]) or "no account"
    if len(c.account_ids) > 5:
        accounts += f" and {len(c.account_ids) - 5} more"
    return f"*{esc(truncate(c.name or c.visitor_id, 100))}* {visitor_id}\n{seen} · Accounts: {accounts}"


def not_found_message(result: NotFoundInPendo, header_blocks: list[Block] | None = None) -> Message:
    """No visitor: the agent reads what to check; how the bot searched goes to the log, not here."""
    sentence = words.not_found(result)
    return {
        "text": f"{esc(truncate(result.email, 200))}: {sentence}",
        "blocks": [*(header_blocks or []), section(f"*{esc(truncate(result.email, 200))}*\n{sentence}")],
    }


def notice_message(text: str, *, icon: str = "⚠️") -> Message:
    """A one-sentence answer: an error, a refusal, a progress note. `text` is trusted mrkdwn."""
    return {"text": text.replace("*", "").replace("`", ""), "blocks": [section(f"{icon} {text}")]}


def progress_message(target: str, where: str = "Pendo") -> Message:
    return notice_message(f"Looking up {typed(target)} in {where}…", icon="⏳")


def help_message(command: str = "/pendo", zendesk_host: str | None = None) -> Message:
    """How to use the command; ticket examples use the workspace's own Zendesk host when there is one."""
    lines = [
        f"*{command}* shows what Pendo knows about a customer: how active they are, their account, "
        "and what they did just before they wrote in.",
        f"• `{command} jane@acme.com`: look up a visitor by email",
    ]
    if zendesk_host:
        lines += [
            f"• `{command} 12345` or `{command} #12345`: a Zendesk ticket's requester, with what they did "
            "before filing it",
            f"• `{command} https://{esc(zendesk_host)}/agent/tickets/12345`: the same, from a ticket link",
        ]
    lines += [
        f"• `{command} account Acme Corp` (a name) or `{command} account acme` (an account ID): an account's summary",
        f"• `{command} settings`: your own preferences (event kinds, compact or full first, unfurls of "
        "your links, fields, time zone); also in the bot's Home tab",
        f"• `{command} help`: this message",
        "Answers are private to you: *Show more* opens the detail, *Share in channel* posts the summary "
        "for everyone.",
    ]
    return {"text": f"How to use {command}", "blocks": [section("\n".join(lines))]}


# --- emails and tickets found in a message ----------------------------------------------------------------
def targets_message(targets: list[Target]) -> Message:
    """A choice between what a message mentions, one Look up button each (its value: `Target.encode`)."""
    blocks: list[Block] = [
        section(f"This message mentions *{len(targets)} customers or tickets*. Pick one to look up.")
    ]
    for target in targets:
        block: Block = {"type": "section", "text": mrkdwn(f"*{esc(truncate(target.label, 200))}*")}
        encoded = target.encode()
        if encoded is not None:
            block["accessory"] = button("Look up", LOOKUP_ACTION, value=encoded)
        blocks.append(block)
    return {"text": f"{len(targets)} customers or tickets in this message: pick one", "blocks": blocks}


def nothing_found_message() -> Message:
    return notice_message(
        "I found no email address or Zendesk ticket link in that message. Use `/pendo` with an email, "
        "a ticket number or `account <name>`.",
        icon="🤷",
    )
