"""The buttons on a summary: Show more / less, another day, pick a visitor, details, Share (with a note).

Handlers are module-level functions listed in `ROUTES`; the deps middleware puts the deps in
Bolt's context, and Bolt passes context keys to listeners by name (the `deps` argument).

Where an answer goes: a button on the agent's own private message replaces that message in place
(through its response_url); a button on a public message (an unfurl, a shared summary) answers with a
private message to whoever clicked, after the same access check as `/pendo`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import error_answer, found_outcome, new_request_id
from bot.audit import Outcome
from bot.deps import Deps
from bot.domain.models import NotFoundInPendo, VisitorFacts
from bot.gates import response_url_allowed
from bot.http.errors import UpstreamError
from bot.listeners.access_facts import share_allowed
from bot.listeners.clicks import Click, Result, answer_privately, click_refusal, on_click
from bot.listeners.replies import slack_error
from bot.listeners.routes import Route
from bot.listeners.slack_facts import agent_choices, team_of
from bot.preferences.model import Choices
from bot.render import blocks as block_kit
from bot.render import buttons as button_kit
from bot.render import messages as message_blocks
from bot.render import modals as modal_blocks
from bot.render import notices
from bot.render import summary as summary_blocks
from bot.render import tickets as ticket_blocks

log = logging.getLogger(__name__)
SHARE_TTL = 24 * 3600.0  # a summary shared once stays shared: a second click within a day never reposts


# --- building what a ViewRef asks for -------------------------------------------------------------------
@dataclass(frozen=True)
class Drawn:
    """A visitor fetched once, to be drawn for the agent and (when shared) for the channel."""

    result: VisitorFacts | NotFoundInPendo | None
    header: list[block_kit.Block]
    ticket_url: str | None
    error: block_kit.Message | None = None
    outcome: Outcome = Outcome.FOUND
    detail: str = ""

    def message(self, ref: button_kit.ViewRef, sharing: summary_blocks.Sharing) -> block_kit.Message:
        if self.error is not None:
            return self.error
        if isinstance(self.result, VisitorFacts):
            return summary_blocks.visitor_message(
                self.result, view=ref, sharing=sharing, header_blocks=self.header
            )
        assert self.result is not None
        return message_blocks.not_found_message(self.result, self.header)


async def draw(deps: Deps, ref: button_kit.ViewRef, choices: Choices | None = None) -> Drawn:
    """The visitor at the ref's time, with the ticket's header when the ref belongs to a ticket, shaped by
    the reader's `choices` (None: the workspace's, for a message the channel sees)."""
    header: list[block_kit.Block] = []
    ticket_url = None
    if ref.ticket_id is not None and deps.tickets is not None:
        try:
            bundle = await deps.tickets.ticket(ref.ticket_id)
            header, ticket_url = ticket_blocks.ticket_header_blocks(bundle), bundle.agent_url
        except UpstreamError as exc:  # the summary still stands without its ticket
            log.warning("ticket header unavailable", extra={"error": str(exc)})
    try:
        result = await deps.customers.for_visitor_id(
            ref.visitor_id,
            anchor_ms=ref.anchor_ms,
            marker=ref.marker,
            choices=choices,
            page=ref.page if ref.full else None,  # the compact view tells the window's newest
        )
    except UpstreamError as exc:
        answer = error_answer(exc, new_request_id())
        return Drawn(
            None, header, ticket_url, error=answer.message, outcome=answer.kind, detail=answer.detail
        )
    if isinstance(result, NotFoundInPendo):
        return Drawn(result, header, ticket_url, outcome=Outcome.NOT_FOUND)
    return Drawn(result, header, ticket_url, outcome=found_outcome(result))


# --- handlers ----------------------------------------------------------------------------------------------
async def show_view(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    deps: Deps,
) -> None:
    """Show more / less, Earlier / Later, their last active day, a picked visitor, the details."""
    kind = str(action.get("action_id", "")).partition(":")[2] or "view"
    ref = button_kit.ViewRef.decode(action.get("value"))
    target = ref.visitor_id if ref else ""
    await on_click(
        ack, body, deps, f"view:{kind}", target, lambda click: _show(deps, client, respond, click, ref)
    )


def note_offer(deps: Deps) -> Literal["offer"] | None:
    """ "Add to ticket" on a ticket's summary, when the bot may write notes (ZENDESK_ADD_TO_TICKET)."""
    return "offer" if deps.notes is not None and deps.settings.zendesk_add_to_ticket else None


async def _show(
    deps: Deps, client: AsyncWebClient, respond: AsyncRespond, click: Click, ref: button_kit.ViewRef | None
) -> Result:
    if refused := await click_refusal(deps, client, respond, click, stale=ref is None):
        return refused
    assert ref is not None  # a stale button is refused above
    drawn = await draw(deps, ref, await agent_choices(deps, client, click.team, click.user))
    sharing = summary_blocks.Sharing(
        allowed=await share_allowed(deps, client, click.channel), ticket_note=note_offer(deps)
    )
    if await answer_privately(click, drawn.message(ref, sharing), respond, client):
        return drawn.outcome, drawn.detail
    return Outcome.UNDELIVERED, ""


async def share_in_channel(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    deps: Deps,
) -> None:
    ref = button_kit.ViewRef.decode(action.get("value"))
    target = ref.visitor_id if ref else ""
    await on_click(
        ack, body, deps, "share", target, lambda click: share(deps, client, respond, click, ref, note=None)
    )


async def share(
    deps: Deps,
    client: AsyncWebClient,
    respond: AsyncRespond,
    click: Click,
    ref: button_kit.ViewRef | None,
    *,
    note: str | None,
) -> Result:
    """Post the summary in the channel once; the agent's copy then says where it went. The audit outcome."""

    async def tell(text: str, icon: str = "⚠️") -> None:
        await answer_privately(
            click, message_blocks.notice_message(text, icon=icon), respond, client, replace=False
        )

    if ref is None:
        return await click_refusal(deps, client, respond, click, stale=True) or (Outcome.STALE, "")
    once = ("shared", click.channel, click.message_ts, ref.encode())
    if not await deps.memo.claim(once, SHARE_TTL):  # across instances too, with Redis
        await tell(notices.already_shared(click.channel), icon="ℹ️")
        return Outcome.DUPLICATE, ""
    outcome = await _share_once(deps, client, respond, click, ref, note, tell)
    if outcome[0] is not Outcome.SHARED:
        await deps.memo.release(once)  # nothing was posted: a later click may try again
    return outcome


async def _share_once(
    deps: Deps,
    client: AsyncWebClient,
    respond: AsyncRespond,
    click: Click,
    ref: button_kit.ViewRef,
    note: str | None,
    tell: Callable[[str, str], Awaitable[None]],
) -> Result:
    if refused := await click_refusal(deps, client, respond, click, stale=False, sharing=True):
        return refused
    drawn = await draw(deps, ref.but(full=False))  # for the channel: compact, the workspace's choices
    if not isinstance(drawn.result, VisitorFacts) or drawn.result.profile.opted_out:
        await answer_privately(
            click, drawn.message(ref, summary_blocks.Sharing(allowed=False)), respond, client, replace=False
        )
        return drawn.outcome, drawn.detail
    public = drawn.message(
        ref.but(full=False),
        summary_blocks.Sharing(shared_by=click.user, note=note or None, ticket_url=drawn.ticket_url),
    )
    try:
        await client.chat_postMessage(
            channel=click.channel,
            thread_ts=click.thread_ts,
            text=public["text"],
            blocks=public["blocks"],
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        code = slack_error(exc)
        log.warning("share refused by Slack", extra={"error": code})
        await tell(notices.cannot_share(code), "⚠️")
        return Outcome.REFUSED, code or "unknown"
    mine = await draw(deps, ref, await agent_choices(deps, client, click.team, click.user))
    if mine.error is not None:  # the agent's own copy could not be redrawn: the channel's will do
        mine = drawn
    noted = ref.ticket_id is not None and deps.memo.get(("note-added", ref.ticket_id, ref.visitor_id))
    after = summary_blocks.Sharing(shared_in=click.channel, ticket_note="added" if noted else None)
    await answer_privately(click, mine.message(ref, after), respond, client)  # keeps "Added to ticket ✓"
    return Outcome.SHARED, ""


async def share_with_note(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """Open the note modal; what to share, where, and how to update the agent's copy ride along."""
    await ack()
    click = Click.of(body)
    request = modal_blocks.NoteRequest(
        ref=action.get("value"),
        response_url=body.get("response_url"),
        channel=click.channel,
        message_ts=click.message_ts,
        thread_ts=click.thread_ts,
        private=click.private,
    )
    modal = modal_blocks.note_modal(request)
    if modal is None or not body.get("trigger_id"):
        respond = AsyncRespond(response_url=body.get("response_url"))
        await answer_privately(
            click,
            message_blocks.notice_message(notices.SHARE_WITH_NOTE_UNAVAILABLE),
            respond,
            client,
            replace=False,
        )
        return
    try:
        await client.views_open(trigger_id=body["trigger_id"], view=modal)
    except SlackApiError as exc:
        log.warning("views.open refused", extra={"error": slack_error(exc)})


async def share_note_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    await ack()  # closes the modal at once; the share follows
    request = modal_blocks.NoteRequest.decode(view.get("private_metadata"))
    try:
        value = (
            ((view.get("state") or {}).get("values") or {})
            .get(modal_blocks.NOTE_BLOCK, {})
            .get(modal_blocks.NOTE_INPUT, {})
        )
        note = str(value.get("value") or "").strip()[: modal_blocks.NOTE_MAX]
    except AttributeError:
        request = None
    if request is None:
        log.warning("note modal with unreadable metadata")
        return
    click = Click(
        user=str((body.get("user") or {}).get("id", "")),
        channel=request.channel,
        message_ts=request.message_ts,
        thread_ts=request.thread_ts,
        private=request.private,
        team=team_of(body),
    )
    if request.response_url is not None and not response_url_allowed(request.response_url, deps.settings):
        log.warning("note modal refused: its response_url is not Slack's")
        return
    respond = AsyncRespond(response_url=request.response_url)
    ref = button_kit.ViewRef.decode(request.ref)
    target = ref.visitor_id if ref else ""
    with deps.auditor.audit("share", user=click.user, channel=click.channel, target=target) as entry:
        entry.set(*await share(deps, client, respond, click, ref, note=note))


ROUTES = [
    Route("action", re.compile(f"^{re.escape(button_kit.VIEW_ACTION)}(:|$)"), show_view, tracked="replace"),
    Route("action", button_kit.SHARE_IN_CHANNEL, share_in_channel, tracked="new"),
    Route("action", button_kit.SHARE_WITH_NOTE, share_with_note),
    Route("view", modal_blocks.NOTE_MODAL, share_note_submitted),
]
