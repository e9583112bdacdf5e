""" "What about this ticket": the Zendesk ticket, then its requester's Pendo context at creation time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from bot.domain.customers import CustomerLookup, LookupResult
from bot.domain.models import TICKET_MARKER, Gap, InvalidInput
from bot.http.errors import UpstreamError
from bot.preferences.model import Choices
from bot.zendesk.client import ZendeskClient
from bot.zendesk.models import TicketBundle

log = logging.getLogger(__name__)
MARKER = TICKET_MARKER


class NoPendo(Enum):
    """Why a ticket's requester cannot be looked up in Pendo (the renderers say it in words)."""

    NO_PROFILE = "the requester's Zendesk profile is not available"
    NO_EMAIL = "the requester has no email address in Zendesk"
    BAD_EMAIL = "the requester's email address is not one Pendo can look up"


@dataclass(frozen=True)
class TicketFacts:
    bundle: TicketBundle
    pendo: LookupResult | None = None
    reason: NoPendo | Gap | None = None  # why there is no Pendo part: no one to look up, or Pendo failed


class TicketLookup:
    def __init__(self, zendesk: ZendeskClient, customers: CustomerLookup) -> None:
        self.zendesk = zendesk
        self.customers = customers

    def now_ms(self) -> int:
        return self.customers.now_ms()

    async def ticket(self, ticket_id: int) -> TicketBundle:
        """One ticket with its requester, assignee, organization and group. Raises UpstreamError."""
        return await self.zendesk.get_ticket(ticket_id)

    async def tickets(self, ids: list[int]) -> dict[int, TicketBundle]:
        """One request for one ticket, one `show_many` for several. Raises UpstreamError."""
        if len(ids) == 1:
            return {ids[0]: await self.ticket(ids[0])}
        return await self.zendesk.get_tickets(ids)

    async def requester_facts(self, bundle: TicketBundle, choices: Choices | None = None) -> TicketFacts:
        """The requester's Pendo context anchored at the ticket's creation; never raises. `choices`: the
        reader's (None: the workspace's, as for an unfurl)."""
        email = bundle.requester_email
        if bundle.requester is None:
            return TicketFacts(bundle, reason=NoPendo.NO_PROFILE)
        if email is None:
            return TicketFacts(bundle, reason=NoPendo.NO_EMAIL)
        anchor = bundle.ticket.created_ms
        try:
            result = await self.customers.lookup(email, anchor_ms=anchor, marker=MARKER, choices=choices)
        except InvalidInput:
            return TicketFacts(bundle, reason=NoPendo.BAD_EMAIL)
        except UpstreamError as exc:
            log.warning(
                "pendo part of a ticket failed", extra={"ticket": bundle.ticket_id, "error": str(exc)}
            )
            return TicketFacts(bundle, reason=Gap.of("Pendo data", exc))
        return TicketFacts(bundle, pendo=result)
