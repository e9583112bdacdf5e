"""What a message is about: the email addresses and Zendesk ticket links in its text. Pure, no I/O.

Slack sends message text with its own markup: links as `<https://…|label>`, emails as
`<mailto:jane@acme.com|jane@acme.com>`, mentions as `<@U123>`, and `&`, `<`, `>` escaped. Emails are
found in `mailto:` links and in plain text; tickets in links to the Zendesk hosts (wrapped or bare).
"""

from __future__ import annotations

import re

from bot.domain.models import InvalidInput, Target
from bot.domain.resolver import parse_email
from bot.zendesk.links import foreign_ticket_host, parse_ticket_link, parse_ticket_query, unescape_slack

MAX_TARGETS = 10
_WRAPPED = re.compile(r"<([^<>|]+)(?:\|[^<>]*)?>")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+'@-])[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?!@)")
_URL = re.compile(r"https?://[^\s<>|]+", re.IGNORECASE)


ACCOUNT_WORD = "account"
__all__ = ["ACCOUNT_WORD", "ForeignTicket", "Target", "find_targets", "parse_query"]


class ForeignTicket(InvalidInput):
    """A ticket link on a Zendesk host that is not this bot's (another account, or not in ZENDESK_HOSTS)."""

    def __init__(self, host: str) -> None:
        super().__init__(f"a ticket link on {host}")
        self.host = host


def find_targets(text: str, ticket_hosts: frozenset[str], limit: int = MAX_TARGETS) -> list[Target]:
    """Emails and tickets in order of appearance, each once (emails ignoring case), at most `limit`."""
    found: list[tuple[int, Target]] = []
    rest = text
    for match in _WRAPPED.finditer(text):
        inner = match.group(1).strip()
        if inner.lower().startswith("mailto:"):
            email = _email(inner[len("mailto:") :])
            if email:
                found.append((match.start(), Target("email", email)))
        elif inner.lower().startswith(("http://", "https://")):
            ref = parse_ticket_link(inner, ticket_hosts)
            if ref is not None:
                found.append((match.start(), Target("ticket", str(ref.ticket_id))))
        rest = rest[: match.start()] + " " * (match.end() - match.start()) + rest[match.end() :]
    plain = unescape_slack(rest)
    for match in _URL.finditer(plain):
        ref = parse_ticket_link(match.group(0).rstrip(".,;:!?)"), ticket_hosts)
        if ref is not None:
            found.append((match.start(), Target("ticket", str(ref.ticket_id))))
        plain = plain[: match.start()] + " " * (match.end() - match.start()) + plain[match.end() :]
    for match in _EMAIL.finditer(plain):
        email = _email(match.group(0).rstrip("."))
        if email:
            found.append((match.start(), Target("email", email)))
    out: list[Target] = []
    seen: set[tuple[str, str]] = set()
    for _, target in sorted(found, key=lambda pt: pt[0]):
        key = (target.kind, target.value.lower())
        if key not in seen:
            seen.add(key)
            out.append(target)
    return out[:limit]


def _email(text: str) -> str | None:
    try:
        return parse_email(text)
    except InvalidInput:
        return None


def parse_query(text: str, ticket_hosts: frozenset[str], *, tickets: bool, command: bool = False) -> Target:
    """The one grammar of `/pendo <text>` and of the lookup modal's field:

    `account <ID or name>` → an account; a ticket number, `#number` or ticket link → a ticket (in the
    modal only when Zendesk is connected: `tickets`); an email → an email. Anything else is an account
    name in the modal, and an error for `/pendo` (`command`), where `account` with nothing after it is an
    account query without a name (the caller says what to type), a link to another Zendesk is a
    ForeignTicket and the rest fails as an email would. InvalidInput when the modal's field is empty.
    """
    if command:  # the name as typed after the word (a line break in it stays: it is searched as typed)
        word, _, rest = text.strip().partition(" ")
        if word.lower() == ACCOUNT_WORD:
            return Target("account", rest.strip())
    query = " ".join(text.split())
    if not query and not command:
        raise InvalidInput("Type an email address, a ticket number or an account.")
    word, _, rest = query.partition(" ")
    if word.lower() == ACCOUNT_WORD and rest and not command:
        return Target("account", rest)
    if tickets or command:
        ticket = parse_ticket_query(query, ticket_hosts)
        if ticket is not None:
            return Target("ticket", str(ticket))
    if command:
        foreign = foreign_ticket_host(text, ticket_hosts)
        if foreign:
            raise ForeignTicket(foreign)
        return Target("email", parse_email(text))
    email = _email(query)
    if email:
        return Target("email", email)
    return Target("account", query)
