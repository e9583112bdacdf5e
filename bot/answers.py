"""Questions from Slack → finished Slack messages. Every failure becomes a sentence, never an exception.

Listeners call these after they have acked and post the message (`bot.listeners.replies`); the answer's
`Outcome` feeds the audit line. No Slack I/O here.
Layer: below the listeners; may import domain, render, upstream (errors) and audit (the `Outcome`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass

from bot.audit import Outcome
from bot.domain.customers import AccountResult, CustomerLookup, LookupResult
from bot.domain.models import AccountChoice, AccountFacts, Ambiguous, Email, Target, VisitorFacts
from bot.domain.tickets import TicketLookup
from bot.http.cache import StaleUse, track_stale
from bot.http.errors import UpstreamError
from bot.preferences.model import Choices
from bot.render import accounts as ac
from bot.render import blocks as block_kit
from bot.render import buttons as button_kit
from bot.render import messages as message_blocks
from bot.render import notices
from bot.render import summary as summary_blocks
from bot.render import tickets as ticket_blocks
from bot.render.words import failure_sentence

log = logging.getLogger(__name__)


def new_request_id() -> str:
    """A short id shown to the agent with an error and logged with its detail."""
    return uuid.uuid4().hex[:8]


TEXT_LIMIT = 3000  # a message's `text` (the notification fallback): upstream data can make it any size


@dataclass(frozen=True)
class Answer:
    message: block_kit.Message
    kind: Outcome
    detail: str = ""  # for errors: the error kind

    def result(self, delivered: bool) -> tuple[Outcome, str]:
        """For the audit line: how the answer ended, or `undelivered` when Slack did not take it."""
        return (self.kind, self.detail) if delivered else (Outcome.UNDELIVERED, "")

    @property
    def outcome(self) -> str:
        """As written in the audit line: `found`, `error:AuthError`, ..."""
        return self.kind.label(self.detail)

    def __post_init__(self) -> None:
        text = self.message.get("text")
        if isinstance(text, str) and len(text) > TEXT_LIMIT:  # a 1 MB ticket subject made a 1 MB reply
            self.message["text"] = text[: TEXT_LIMIT - 1] + "…"


def found_outcome(result: VisitorFacts | AccountFacts) -> Outcome:
    """How a found visitor or account is audited: opted out, found with labelled gaps, or found."""
    opted_out = result.profile.opted_out if isinstance(result, VisitorFacts) else result.opted_out
    return Outcome.OPTED_OUT if opted_out else (Outcome.PARTIAL if result.gaps else Outcome.FOUND)


def render_result(
    result: LookupResult,
    now_ms: int,
    header_blocks: list[block_kit.Block] | None = None,
    *,
    view: button_kit.ViewRef | None = None,
    shareable: bool = True,
    stale: message_blocks.Stale | None = None,
    full_first: bool = False,
    ticket_note: bool = False,
) -> Answer:
    """A lookup's result as a message; a `stale` note goes on top, inside the renderer's 50-block cut.
    `full_first`: the reader's choice (or DEFAULT_VIEW) of the first screen: everything, not compact."""
    if stale is not None:
        header_blocks = [message_blocks.stale_block(stale), *(header_blocks or [])]
    detail = "stale" if stale is not None else ""
    if isinstance(result, VisitorFacts):
        view = view or summary_blocks.default_view(result)
        if full_first:
            view = view.but(full=True)
        sharing = summary_blocks.Sharing(allowed=shareable, ticket_note="offer" if ticket_note else None)
        message = summary_blocks.visitor_message(
            result, view=view, sharing=sharing, header_blocks=header_blocks
        )
        return Answer(message, found_outcome(result), detail)
    if isinstance(result, Ambiguous):
        return Answer(
            message_blocks.ambiguous_message(result, now_ms, header_blocks, view=view),
            Outcome.AMBIGUOUS,
            detail,
        )
    return Answer(message_blocks.not_found_message(result, header_blocks), Outcome.NOT_FOUND, detail)


def error_answer(exc: UpstreamError, request_id: str) -> Answer:
    log.warning("upstream failure", extra={"request_id": request_id, "error": str(exc)})
    return Answer(
        message_blocks.notice_message(f"{failure_sentence(exc)} (ref `{request_id}`)"),
        Outcome.ERROR,
        type(exc).__name__,
    )


def stale_of(use: StaleUse, who: str) -> message_blocks.Stale | None:
    """Whether an answer was built partly from cached data because `who` failed, and how old it is."""
    return None if use.oldest is None else message_blocks.Stale(who, use.oldest)


async def email_answer(
    service: CustomerLookup,
    email: Email,
    request_id: str,
    *,
    shareable: bool = True,
    choices: Choices | None = None,
) -> Answer:
    """`/pendo jane@acme.com`: the email as its parse left it (not parsed again). `choices`: the asking
    agent's (None: the workspace's)."""
    choices = choices or Choices.workspace(service.settings)
    with track_stale() as use:
        try:
            result = await service.lookup_email(email, choices=choices)
        except UpstreamError as exc:
            return error_answer(exc, request_id)
    stale = stale_of(use, "Pendo")
    return render_result(
        result, service.now_ms(), shareable=shareable, stale=stale, full_first=choices.full_first
    )


async def ticket_answer(
    tickets: TicketLookup,
    ticket_id: int,
    request_id: str,
    *,
    shareable: bool = True,
    choices: Choices | None = None,
) -> Answer:
    """`/pendo 12345`: the ticket header, then the requester's context anchored at creation time."""
    choices = choices or Choices.workspace(tickets.customers.settings)
    with track_stale() as use:
        try:
            bundle = await tickets.ticket(ticket_id)
        except UpstreamError as exc:
            return error_answer(exc, request_id)
        now = tickets.now_ms()
        tc = await tickets.requester_facts(bundle, choices)
    stale = stale_of(use, "Zendesk or Pendo")
    header = ticket_blocks.ticket_header_blocks(bundle, now)
    if isinstance(tc.pendo, VisitorFacts):
        view = ticket_blocks.ticket_view(bundle, tc.pendo.profile.id)
        return render_result(
            tc.pendo,
            now,
            header,
            view=view,
            shareable=shareable,
            stale=stale,
            full_first=choices.full_first,
            ticket_note=tickets.customers.settings.zendesk_add_to_ticket,  # "Add to ticket"
        )
    blocks = header + ticket_blocks.pendo_part_blocks(tc)
    outcome = (
        Outcome.AMBIGUOUS
        if isinstance(tc.pendo, Ambiguous)
        else Outcome.NOT_FOUND
        if tc.pendo
        else Outcome.NO_PENDO
    )
    if stale is not None:
        blocks = [message_blocks.stale_block(stale), *blocks]
    return Answer(
        {"text": f"Zendesk ticket #{ticket_id}: {block_kit.esc(bundle.ticket.title)}", "blocks": blocks},
        outcome,
        "stale" if stale is not None else "",
    )


def render_account(result: AccountResult, *, full: bool = False) -> Answer:
    if isinstance(result, AccountFacts):
        return Answer(ac.account_message(result, full=full), found_outcome(result))
    if isinstance(result, AccountChoice):
        return Answer(ac.account_choice_message(result), Outcome.AMBIGUOUS)
    return Answer(ac.account_not_found_message(result), Outcome.NOT_FOUND)


async def account_answer(
    service: CustomerLookup, query: str, request_id: str, choices: Choices | None = None
) -> Answer:
    """`/pendo account <id or name>`: the query is already checked to be non-empty."""
    choices = choices or Choices.workspace(service.settings)
    try:
        result = await service.account(query, choices)
    except UpstreamError as exc:
        return error_answer(exc, request_id)
    return render_account(result, full=choices.full_first)


async def account_id_answer(
    service: CustomerLookup,
    account_id: str,
    request_id: str,
    *,
    full: bool = False,
    choices: Choices | None = None,
) -> Answer:
    """An account button: Open account, a picked account, Show more / less."""
    try:
        result = await service.for_account_id(account_id, choices)
    except UpstreamError as exc:
        return error_answer(exc, request_id)
    return render_account(result, full=full)


async def target_answer(
    customers: CustomerLookup, tickets: TicketLookup | None, target: Target, choices: Choices | None = None
) -> Answer:
    """One email, ticket or account found in a message, a mention or the lookup modal; these answers
    carry no Share button. `choices`: the reader's; None (an answer in a thread): the workspace's."""
    request_id = new_request_id()
    if target.kind == "ticket":
        if tickets is None:
            return Answer(
                message_blocks.notice_message(message_blocks.ZENDESK_OFF, icon="🤔"), Outcome.NOT_CONNECTED
            )
        return await ticket_answer(tickets, int(target.value), request_id, shareable=False, choices=choices)
    if target.kind == "account":
        return await account_answer(customers, target.value, request_id, choices)
    return await email_answer(customers, target.email, request_id, shareable=False, choices=choices)


async def safely(work: Awaitable[Answer]) -> Answer:
    """Await an answer; a bug becomes a polite message instead of a silent failure."""
    try:
        return await work
    except Exception:
        request_id = new_request_id()
        log.exception("lookup failed", extra={"request_id": request_id})
        return Answer(
            message_blocks.notice_message(notices.internal_error(request_id)), Outcome.ERROR, "internal"
        )
