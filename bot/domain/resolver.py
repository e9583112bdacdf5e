"""Email → Pendo visitor: exactly one, several (a choice, never a guess), or none."""

from __future__ import annotations

import re

from bot.domain.models import Ambiguous, Candidate, Email, InvalidInput, NotFoundInPendo
from bot.pendo.client import PendoClient
from bot.pendo.models import Visitor

_MAILTO = re.compile(r"^<mailto:([^|>]*)(?:\|[^>]*)?>$", re.IGNORECASE)
_SLACK_MENTION = re.compile(r"^<[@#!][^>]*>$")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
EXAMPLE = "Try `/pendo jane@acme.com`."


def parse_email(text: str) -> Email:
    """The email in `text` (plain, any case, or Slack's <mailto:…|…>), or InvalidInput saying why not.

    Case is kept as typed: the resolver decides how to match it. Called once, where text comes in (the
    `/pendo` grammar, a message's targets, the command line, a ticket's requester); what it returns is
    looked up as it is (`CustomerLookup.lookup_email`).
    """
    raw = text.strip()
    match = _MAILTO.match(raw)
    if match:
        raw = match.group(1).strip()
    if not raw:
        raise InvalidInput(f"Give me an email address to look up. {EXAMPLE}")
    if _SLACK_MENTION.match(raw):
        raise InvalidInput(f"That's a Slack mention; give the customer's email address instead. {EXAMPLE}")
    shown = raw if len(raw) <= 60 else raw[:57] + "…"
    if any(c.isspace() for c in raw):
        raise InvalidInput(f"“{shown}” has spaces in it; look up one email address at a time. {EXAMPLE}")
    if raw.count("@") != 1:
        reason = "has no @" if "@" not in raw else "has more than one @"
        raise InvalidInput(f"“{shown}” is not an email address: it {reason}. {EXAMPLE}")
    local, domain = raw.split("@")
    if len(raw) > 254 or len(local) > 64:
        raise InvalidInput(f"“{shown}” is too long to be an email address. {EXAMPLE}")
    if not local or not _LOCAL.match(local) or local.startswith(".") or ".." in local:
        raise InvalidInput(f"“{shown}” is not an email address: the part before @ is not valid. {EXAMPLE}")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise InvalidInput(
            f"“{shown}” is not an email address: “{domain}” is not a domain like acme.com. {EXAMPLE}"
        )
    return Email(raw)


Resolution = Visitor | Ambiguous | NotFoundInPendo


class Resolver:
    """Finds the visitor for an email, by visitor ID or by a metadata field (`group/field`)."""

    def __init__(self, pendo: PendoClient, email_field: tuple[str, str] | None) -> None:
        self._pendo = pendo
        self._field = email_field

    @property
    def searched(self) -> str:
        if self._field is None:
            return "visitor ID"
        return f"metadata field {self._field[0]}/{self._field[1]}"

    async def resolve(self, email: str) -> Resolution:
        if self._field is None:
            return await self._by_id(email)
        return await self._by_field(email, *self._field)

    async def _by_id(self, email: str) -> Resolution:
        # Emails used as IDs are nearly always lower-case; the typed form is tried second.
        for candidate in dict.fromkeys([email.lower(), email]):
            visitor = await self._pendo.get_visitor(candidate)
            if visitor is not None:
                return visitor
        return NotFoundInPendo(email=email, searched=self.searched)

    async def _by_field(self, email: str, group: str, field: str) -> Resolution:
        visitors = await self._pendo.visitors_by_metadata(group, field, email)
        if not visitors:
            # Pendo's case-insensitive index may be missing for custom fields: exact-match fallback.
            visitors = await self._pendo.search_visitors(group, field, [email, email.lower()])
        wanted = email.lower()
        matches = [v for v in visitors if str(v.meta(group, field) or "").strip().lower() == wanted]
        unique = list({v.id: v for v in matches}.values())
        if not unique:
            return NotFoundInPendo(email=email, searched=self.searched)
        if len(unique) == 1:
            return unique[0]
        candidates = [_candidate(v, group, field) for v in unique]
        candidates.sort(key=lambda c: -(c.last_visit_ms or 0))
        return Ambiguous(email=email, candidates=candidates, searched=self.searched)


def _candidate(v: Visitor, group: str, field: str) -> Candidate:
    if v.do_not_process:
        return Candidate(
            visitor_id=v.id, name=None, email=None, account_ids=[], last_visit_ms=None, opted_out=True
        )
    return Candidate(
        visitor_id=v.id,
        name=v.name,
        email=str(v.meta(group, field)),
        account_ids=v.all_account_ids,
        last_visit_ms=v.meta_int("auto", "lastvisit"),
    )
