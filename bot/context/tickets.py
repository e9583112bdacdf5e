""" "What about this ticket": the Zendesk ticket, then its requester's Pendo context at creation time."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.context.customers import CustomerLookup, LookupResult
from bot.context.models import InvalidInput
from bot.upstream import UpstreamError
from bot.zendesk.client import ZendeskClient
from bot.zendesk.models import TicketBundle

log = logging.getLogger(__name__)
MARKER = "Ticket submitted"


@dataclass(frozen=True)
class TicketContext:
    bundle: TicketBundle
    pendo: LookupResult | None = None
    reason: str | None = None  # why there is no Pendo part, as a sentence
    error: UpstreamError | None = None  # the failure behind `reason`, when Pendo failed (a value, not words)


class TicketLookup:
    def __init__(self, zendesk: ZendeskClient, context: CustomerLookup) -> None:
        self.zendesk = zendesk
        self.context = context

    def now_ms(self) -> int:
        return self.context.now_ms()

    async def ticket(self, ticket_id: int) -> TicketBundle:
        """One ticket with its requester, assignee, organization and group. Raises UpstreamError."""
        return await self.zendesk.get_ticket(ticket_id)

    async def tickets(self, ids: list[int]) -> dict[int, TicketBundle]:
        """One request for one ticket, one `show_many` for several. Raises UpstreamError."""
        if len(ids) == 1:
            return {ids[0]: await self.ticket(ids[0])}
        return await self.zendesk.get_tickets(ids)

    async def requester_context(self, bundle: TicketBundle) -> TicketContext:
        """The requester's Pendo context anchored at the ticket's creation; never raises."""
        email = bundle.requester_email
        if bundle.requester is None:
            return TicketContext(bundle, reason="The requester's Zendesk profile is not available.")
        if email is None:
            via = f" (a {bundle.ticket.via_channel} ticket)" if bundle.ticket.via_channel else ""
            return TicketContext(
                bundle,
                reason=f"The requester has no email address in Zendesk{via}, so there is no Pendo visitor to show.",
            )
        anchor = bundle.ticket.created_ms
        try:
            result = await self.context.lookup(email, anchor_ms=anchor, marker=MARKER)
        except InvalidInput:
            return TicketContext(bundle, reason="The requester's email address is not one Pendo can look up.")
        except UpstreamError as exc:
            log.warning(
                "pendo part of a ticket failed", extra={"ticket": bundle.ticket_id, "error": str(exc)}
            )
            return TicketContext(bundle, reason=f"Pendo data unavailable: {exc.user_message}", error=exc)
        return TicketContext(bundle, pendo=result)
