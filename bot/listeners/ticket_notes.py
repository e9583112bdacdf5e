""" "Add to ticket": the requester's Pendo context written into the Zendesk ticket as a private note.

On a ticket's summary (`/pendo #id`, the unfurl's Details, a ticket picked from a choice). After the same
checks as every button, the same note as the webhook's (`bot.notes`), with "Added from Slack by <the
agent's Slack name>" in it, once per ticket whoever clicks, on whichever instance; then the agent's
summary shows "Added to ticket #N ✓" instead of the button.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import Outcome
from bot.deps import Deps
from bot.listeners.access_facts import share_allowed
from bot.listeners.clicks import Click, Result, answer_privately, click_refusal, on_click
from bot.listeners.message_actions import draw
from bot.listeners.routes import Route
from bot.listeners.slack_facts import agent_choices, slack_name
from bot.notes.writer import NoteStatus
from bot.render import buttons as button_kit
from bot.render import messages as message_blocks
from bot.render import notices
from bot.render import summary as summary_blocks


async def add_to_ticket(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    deps: Deps,
) -> None:
    ref = button_kit.ViewRef.decode(action.get("value"))
    target = str(ref.ticket_id) if ref is not None and ref.ticket_id is not None else ""
    await on_click(
        ack, body, deps, "ticket_note", target, lambda click: _add(deps, client, respond, click, ref)
    )


NOTE_ADDED_TTL = 24 * 3600.0


def note_added_key(ref: button_kit.ViewRef) -> tuple[str, int | None, str]:
    """What the agent's copy remembers after "Add to ticket": the ticket and the visitor noted."""
    return ("note-added", ref.ticket_id, ref.visitor_id)


async def _add(
    deps: Deps,
    client: AsyncWebClient,
    respond: AsyncRespond,
    click: Click,
    ref: button_kit.ViewRef | None,
) -> Result:
    usable = ref is not None and ref.ticket_id is not None and deps.notes is not None
    if refused := await click_refusal(deps, client, respond, click, stale=not usable):
        return refused
    assert ref is not None and ref.ticket_id is not None and deps.notes is not None
    # The name Slack shows (users.info, cached), not the payload's legacy `name` handle
    name = await slack_name(deps, client, click.user) or "an agent"
    # The summary's visitor: after a pick among several visitors with the requester's email, the one
    # picked (the writer ignores it when the email matches one visitor only)
    result = await deps.notes.write(ref.ticket_id, added_by=name, visitor_id=ref.visitor_id)

    async def tell(text: str, icon: str) -> None:
        await answer_privately(
            click, message_blocks.notice_message(text, icon=icon), respond, client, replace=False
        )

    if result.status is NoteStatus.WRITTEN:
        deps.memo.put(note_added_key(ref), True, NOTE_ADDED_TTL)  # a later Share keeps "Added to ticket ✓"
        drawn = await draw(deps, ref, await agent_choices(deps, client, click.team, click.user))
        sharing = summary_blocks.Sharing(
            allowed=await share_allowed(deps, client, click.channel), ticket_note="added"
        )
        if not click.private or not await answer_privately(
            click, drawn.message(ref, sharing), respond, client
        ):
            await tell(notices.note_added(ref.ticket_id), "✅")
        return Outcome.NOTE_ADDED, ""
    if result.status is NoteStatus.ALREADY:
        await tell(notices.note_already(ref.ticket_id), "ℹ️")
        return Outcome.DUPLICATE, ""
    if result.status is NoteStatus.BUSY:
        await tell(notices.note_busy(ref.ticket_id), "ℹ️")
        return Outcome.DUPLICATE, "busy"
    if result.status is NoteStatus.SKIPPED:
        await tell(notices.note_skipped(ref.ticket_id), "ℹ️")
        return Outcome.NOT_FOUND, result.reason.replace(" ", "_")
    await tell(notices.note_failure(ref.ticket_id, result.error), "⚠️")
    return Outcome.ERROR, type(result.error).__name__ if result.error else result.status.value


ROUTES = [Route("action", button_kit.ADD_TO_TICKET, add_to_ticket, tracked="new")]
