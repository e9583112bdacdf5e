"""`TicketNotes.write(ticket_id)`: the requester's Pendo context as one private note on the ticket, once.

Once, whoever asks and however often (a webhook delivered twice, to two instances, a restart between,
an agent's click): a per-ticket lock in the shared store (Redis with REDIS_URL, else this instance's
memory), held while one writer works, keeps two writers apart (the other is told BUSY), and before
writing the bot reads the ticket's own comments for its marker (`bot.render.note.MARKER`), which
survives any restart. The lock is scoped by the Zendesk account alone (not the Slack or Pendo side of
the deployment), so two deployments writing to one Zendesk through one Redis see one lock; with
REDIS_URL set and Redis not answering, the writer answers BUSY (try later) rather than lock in memory.
An agent who picked one of several visitors with the requester's email gets that visitor's note, once
per visitor (its marker names the visitor).

Writes use Zendesk's safe update (`safe_update` + an `updated_stamp`): an agent's concurrent edit makes
Zendesk answer 409 instead of being overwritten. The custom fields from Pendo (ZENDESK_FIELD_MAP) go in
the note's own update; a value Zendesk refuses (422: a field id that does not exist, a value of the wrong
type) makes the bot send the note again without them, so it costs the fields only, never the note (one
warning line says so). Tags (ZENDESK_TICKET_TAGS) follow through Zendesk's Add Tags, which appends: no
read, no safe update. A write is sent once (never retried blind: a timeout may hide a comment that was
written); the next attempt starts by looking for the marker. The note's figures come from the same
`TicketLookup` as the Slack answer, so they are the same.

Requests per note. With the webhook's signed body (`hint`: the requester's email, the ticket's creation
and update times to the second), the note is written at once: the ticket is built from the body, the
requester looked up in Pendo, and one safe update is stamped with the body's `updated_at`. A ticket
unchanged since it was filed cannot hold the note yet, so no comment is read: the stamp proves it (the
bot's own earlier write would have moved `updated_at`, and the write waits until the stamp's second is
over so that it does). A 409 (the ticket changed, or an earlier attempt's note is there) falls back to the
reading path: read the ticket, look for the marker, write with the fresh stamp (three requests, as
without a body or with a stamp that has no seconds). So: 1 request, 2 with tags, 3 on the reading path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.models import TICKET_MARKER, Ambiguous, Gap, VisitorFacts
from bot.domain.tickets import TicketFacts, TicketLookup
from bot.http.cache import TTLCache
from bot.http.errors import AuthError, NotFound, RateLimited, UpstreamError
from bot.pendo.kinds import PendoLinks
from bot.pendo.models import Account, Visitor
from bot.render import note as note_render
from bot.render import ticket_fields
from bot.settings import Settings
from bot.zendesk.client import TicketConflict, TicketUnwritable, ZendeskClient
from bot.zendesk.models import Ticket, TicketBundle, TicketField, User
from bot.zendesk.webhook import WebhookBody

log = logging.getLogger(__name__)
CONFLICT_TRIES = 3
STAMP_GRACE = 1.5  # s: a fast write waits until the body's stamp is this old (Zendesk keeps whole seconds)
FIELDS_REFUSED = "Zendesk refused them (HTTP 422): check ZENDESK_FIELD_MAP's field ids and types"


class NoteStatus(StrEnum):
    WRITTEN = "written"
    ALREADY = "already"  # the note is on the ticket
    BUSY = "busy"  # another writer (a click, another instance) has this ticket in hand right now
    SKIPPED = "skipped"  # nothing to write: opted out, not found, no requester email
    RETRY = "retry"  # Pendo or Zendesk failed for now: try again later
    FAILED = "failed"  # will not work by trying again: ticket gone, no access, closed


@dataclass(frozen=True)
class NoteResult:
    status: NoteStatus
    reason: str = ""  # a few words for the log: never customer data
    retry_after: float | None = None  # what Zendesk asked for (429), in seconds
    error: UpstreamError | None = None  # the failure behind RETRY or FAILED


def _upstream_result(exc: UpstreamError, what: str) -> NoteResult:
    if isinstance(exc, NotFound | AuthError | TicketUnwritable):
        return NoteResult(NoteStatus.FAILED, f"{what}: {type(exc).__name__}", error=exc)
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    return NoteResult(NoteStatus.RETRY, f"{what}: {type(exc).__name__}", retry_after, exc)


class TicketNotes:
    def __init__(
        self,
        tickets: TicketLookup,
        zendesk: ZendeskClient,
        memo: TTLCache,
        settings: Settings,
        *,
        locks: TTLCache | None = None,
    ) -> None:
        """`locks`: where the per-ticket lock lives, shared under the Zendesk account alone (two deployments
        writing to one Zendesk through one Redis see one lock); `memo` when not given."""
        self.tickets = tickets
        self.zendesk = zendesk
        self.memo = memo
        self.locks = locks if locks is not None else memo
        self.settings = settings
        self.host = zendesk.host
        self._tz = ZoneInfo(settings.display_timezone)
        self._links = PendoLinks(settings.pendo_app_url)

    async def write(
        self,
        ticket_id: int,
        *,
        added_by: str | None = None,
        final: bool = True,
        visitor_id: str | None = None,
        hint: WebhookBody | None = None,
    ) -> NoteResult:
        """Write the note on `ticket_id` unless it is there already. Never raises for upstream failures.

        `final` False (an early webhook attempt): a summary with gaps (Pendo partly down) is not written
        yet, so a later attempt can write it whole; True writes what there is, gaps labelled.
        `visitor_id`: the visitor an agent picked among those with the requester's email ("Add to
        ticket" on the pick): that visitor's context, once per visitor per ticket (its marker names the
        visitor). Ignored when the email does not match several visitors, that one among them.
        `hint`: what the webhook's signed body said; with the email and both times to the second, the
        note is written with one request (see the module's docstring), else the ticket is read.

        With REDIS_URL the lock is Redis's or nobody's: while Redis does not answer, BUSY (try again
        later), never a lock only this instance sees.
        """
        lock = ("zendesk-note", self.host, ticket_id)
        if not await self.locks.claim(lock, self.settings.notes_lease_seconds, require_shared=True):
            return NoteResult(NoteStatus.BUSY, "another writer has it, or the shared lock is unavailable")
        result = NoteResult(NoteStatus.FAILED, "interrupted")
        try:
            if hint is not None and hint.fresh and hint.ticket_id == ticket_id and visitor_id is None:
                fast = await self._write_fresh(hint, added_by, final)
                if fast is not None:
                    result = fast
                    return result
            result = await self._write(ticket_id, added_by, final, visitor_id)
            return result
        finally:
            await self.locks.release(lock)  # the next delivery or click reads the ticket: the marker says

    async def _write(
        self, ticket_id: int, added_by: str | None, final: bool, visitor_id: str | None
    ) -> NoteResult:
        tc: TicketFacts | None = None
        picked: str | None = None  # the visitor the note is about, when an agent picked one
        for _ in range(CONFLICT_TRIES):
            try:
                bundle = await self.zendesk.fresh_ticket(ticket_id)
                if tc is None and visitor_id is not None:
                    tc, picked = await self._picked(bundle, visitor_id)
                marked = await self._has_marker(ticket_id, picked)
            except UpstreamError as exc:
                return _upstream_result(exc, "read")
            if marked:
                return NoteResult(NoteStatus.ALREADY, "marker found")
            if tc is None:
                tc = await self.tickets.requester_facts(bundle)
            note = self._note(tc, added_by, final, picked)
            if isinstance(note, NoteResult):
                return note
            try:
                await self._send_note(ticket_id, note, tc, bundle.ticket.updated_at)
            except TicketConflict:
                log.info(
                    "ticket changed while writing the note: reading it again", extra={"ticket": ticket_id}
                )
                continue
            except UpstreamError as exc:
                return _upstream_result(exc, "write")
            return NoteResult(NoteStatus.WRITTEN, note.kind)
        return NoteResult(NoteStatus.RETRY, "conflict: the ticket kept changing")

    async def _write_fresh(self, hint: WebhookBody, added_by: str | None, final: bool) -> NoteResult | None:
        """The note from the webhook's body alone: one safe update stamped with the body's `updated_at`
        (plus Add Tags with ZENDESK_TICKET_TAGS). None: the ticket changed since (409), read it instead."""
        bundle = _bundle_of(hint, self.host)
        tc = await self.tickets.requester_facts(bundle)
        note = self._note(tc, added_by, final)
        if isinstance(note, NoteResult):
            return note
        stamp = bundle.ticket.updated_at
        assert stamp is not None
        # Zendesk keeps `updated_at` in whole seconds: a write within the stamp's own second would leave
        # it as it was, and a later attempt with the same body could not tell the note is there.
        wait = stamp.timestamp() + STAMP_GRACE - time.time()
        if wait > 0:
            await asyncio.sleep(min(wait, STAMP_GRACE))
        try:
            await self._send_note(hint.ticket_id, note, tc, stamp)
        except TicketConflict:
            log.info(
                "ticket changed since the webhook (or holds the note): reading it",
                extra={"ticket": hint.ticket_id},
            )
            return None
        except UpstreamError as exc:
            return _upstream_result(exc, "write")
        return NoteResult(NoteStatus.WRITTEN, note.kind)

    def _note(
        self, tc: TicketFacts, added_by: str | None, final: bool, picked: str | None = None
    ) -> note_render.Note | NoteResult:
        """The note to write, or why none is written now: Pendo failed (RETRY), a summary with gaps on
        an early attempt (RETRY: a later one may write it whole), nothing to say (SKIPPED)."""
        if isinstance(tc.reason, Gap):  # Pendo failed for now (the no-one-to-look-up reasons skip)
            return NoteResult(NoteStatus.RETRY, "pendo: unavailable")
        if isinstance(tc.pendo, VisitorFacts) and tc.pendo.gaps and not final:
            return NoteResult(NoteStatus.RETRY, "pendo: gaps")
        note = note_render.note_for(
            tc,
            self._tz,
            visitor_url=self._links.visitor,
            added_by=added_by,
            not_found_note=self.settings.zendesk_note_not_found,
            visitor_marker=picked,
        )
        return note if note is not None else NoteResult(NoteStatus.SKIPPED, _skip_reason(tc))

    async def _send_note(
        self, ticket_id: int, note: note_render.Note, tc: TicketFacts, stamp: datetime | None
    ) -> None:
        """The note (and the custom fields) in one safe update, then the tags (Add Tags). A 422 with
        fields sends the note again without them (one warning line); the tags' failure is one warning
        line. Raises what the note's update raises (TicketConflict: read the ticket again)."""
        comment = {"comment": {"html_body": note.html_body, "public": False}}
        visitor, account = await self._metadata(tc)
        fields = await self._custom_fields(visitor, account)
        try:
            changes: dict[str, Any] = comment | ({"custom_fields": fields} if fields else {})
            await self.zendesk.update_ticket(ticket_id, changes, updated_stamp=stamp)
        except TicketUnwritable:
            if not fields:
                raise
            await self.zendesk.update_ticket(ticket_id, comment, updated_stamp=stamp)
            log.warning(
                "pendo fields not written on the ticket (its note is)",
                extra={"ticket": ticket_id, "error": FIELDS_REFUSED},
            )
        log.info("pendo note written", extra={"ticket": ticket_id, "note": note.kind})
        await self._add_tags(ticket_id, tc, visitor, account)

    async def _picked(self, bundle: TicketBundle, visitor_id: str) -> tuple[TicketFacts, str | None]:
        """The requester's facts; when the email matches several visitors and `visitor_id` is one of them
        (not opted out), that visitor's facts at the ticket's creation instead, and the visitor."""
        tc = await self.tickets.requester_facts(bundle)
        result = tc.pendo
        if not isinstance(result, Ambiguous):
            return tc, None
        if visitor_id not in {c.visitor_id for c in result.candidates if not c.opted_out}:
            return tc, None
        try:
            facts = await self.tickets.customers.for_visitor_id(
                visitor_id, anchor_ms=bundle.ticket.created_ms, marker=TICKET_MARKER
            )
        except UpstreamError as exc:
            return TicketFacts(bundle, reason=Gap.of("Pendo data", exc)), visitor_id
        return TicketFacts(bundle, pendo=facts), visitor_id

    async def _has_marker(self, ticket_id: int, visitor_id: str | None = None) -> bool:
        """Whether a private comment on the ticket carries the bot's marker (any, or with `visitor_id`
        the marker of that visitor's note): every comment is looked at (a ticket holds up to 5000),
        newest first, reading no further page once it is found."""
        async with aclosing(self.zendesk.comment_pages(ticket_id)) as pages:
            async for page in pages:
                if any(
                    not c.public and note_render.has_marker(c.body or c.html_body, visitor_id) for c in page
                ):
                    return True
        return False

    async def _metadata(self, tc: TicketFacts) -> tuple[Visitor | None, Account | None]:
        """The Pendo records the tags and fields read (none when neither is asked for, or no one to tag)."""
        ctx = tc.pendo
        if not isinstance(ctx, VisitorFacts) or ctx.profile.opted_out:
            return None, None
        tag_fields = self.settings.zendesk_tag_fields if self.settings.zendesk_ticket_tags else []
        if tag_fields or self.settings.zendesk_field_map:
            return await self._records(ctx)
        return None, None

    async def _custom_fields(self, visitor: Visitor | None, account: Account | None) -> list[Any]:
        """ZENDESK_FIELD_MAP's values for the note's update ([] when none)."""
        if not self.settings.zendesk_field_map or (visitor is None and account is None):
            return []
        values = ticket_fields.field_values(
            self.settings.zendesk_field_map, visitor, account, await self._definitions()
        )
        return list(values or [])

    async def _add_tags(
        self, ticket_id: int, tc: TicketFacts, visitor: Visitor | None, account: Account | None
    ) -> None:
        """ZENDESK_TICKET_TAGS: Pendo's tags appended with Add Tags (the ticket's own stay: it appends).
        A failure leaves the note as it is and logs one line."""
        ctx = tc.pendo
        if not self.settings.zendesk_ticket_tags or not isinstance(ctx, VisitorFacts):
            return
        if ctx.profile.opted_out:
            return
        tag_fields = self.settings.zendesk_tag_fields
        frequency = ctx.usage.frequency.value if ctx.usage is not None else None
        tags = ticket_fields.ticket_tags(frequency, tag_fields, visitor, account)
        if not tags:
            return
        try:
            await self.zendesk.add_tags(ticket_id, tags)
        except UpstreamError as exc:
            problem = type(exc).__name__
            if isinstance(exc, TicketUnwritable):
                problem = "Zendesk refused them (HTTP 422): check ZENDESK_TAG_FIELDS"
            log.warning(
                "pendo tags not written on the ticket (its note is)",
                extra={"ticket": ticket_id, "error": problem},
            )

    async def _definitions(self) -> dict[int, TicketField | None]:
        """The mapped fields' definitions (read once, then cached): what type each value must be. One
        that cannot be read now leaves its value as text (Zendesk refuses it if it must be another)."""

        async def one(field_id: int) -> TicketField | None:
            try:
                return await self.zendesk.ticket_field(field_id)
            except (UpstreamError, ValueError) as exc:
                log.warning("zendesk ticket field definition unavailable", extra={"error": str(exc)})
                return None

        ids = list(dict.fromkeys(field_id for _, field_id in self.settings.zendesk_field_map))
        return dict(zip(ids, await asyncio.gather(*(one(i) for i in ids)), strict=True))

    async def _records(self, ctx: VisitorFacts) -> tuple[Visitor | None, Account | None]:
        """The visitor's and first account's metadata (cached from the lookup just made)."""
        pendo = self.tickets.customers.pendo
        try:
            visitor = await pendo.get_visitor(ctx.profile.id)
            first = ctx.profile.account_ids[0] if ctx.profile.account_ids else None
            accounts = await pendo.accounts([first]) if first else {}
        except UpstreamError as exc:
            log.warning("pendo metadata for ticket fields unavailable", extra={"error": str(exc)})
            return None, None
        return visitor, accounts.get(first) if first else None


def _bundle_of(hint: WebhookBody, host: str) -> TicketBundle:
    """The ticket as the signed body describes it: what the note and the lookup read (its creation time,
    its requester's email) and the stamp of its last update."""
    assert hint.created_at is not None and hint.updated_at is not None
    ticket = Ticket(
        id=hint.ticket_id,
        status="new",
        created_at=hint.created_at.at,
        updated_at=hint.updated_at.at,
    )
    requester = User(id=0, email=hint.requester_email)
    return TicketBundle(ticket, requester, None, None, None, host)


def _skip_reason(tc: TicketFacts) -> str:
    if isinstance(tc.pendo, VisitorFacts):
        return "opted out"
    if tc.pendo is None:
        return "no pendo part"  # no requester, or no email
    return "not found"
