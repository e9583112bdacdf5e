"""What a message is about: the email addresses and Zendesk ticket links in its text. Pure, no I/O.

Slack sends message text with its own markup: links as `<https://…|label>`, emails as
`<mailto:jane@acme.com|jane@acme.com>`, mentions as `<@U123>`, and `&`, `<`, `>` escaped. Emails are
found in `mailto:` links and in plain text; tickets in links to the Zendesk hosts (wrapped or bare).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.context.models import InvalidInput
from bot.context.resolver import parse_email
from bot.zendesk.links import parse_ticket_link, parse_ticket_query, unescape_slack

MAX_TARGETS = 10
_WRAPPED = re.compile(r"<([^<>|]+)(?:\|[^<>]*)?>")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+'@-])[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?!@)")
_URL = re.compile(r"https?://[^\s<>|]+", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    kind: Literal["email", "ticket", "account"]
    value: str  # the email as written, the ticket id's digits, or the account's ID or name

    @property
    def label(self) -> str:
        return {"email": self.value, "ticket": f"Zendesk ticket #{self.value}"}.get(
            self.kind, f"account {self.value}"
        )


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


def parse_query(text: str, ticket_hosts: frozenset[str], *, tickets: bool) -> Target:
    """The global shortcut's one field: a ticket (number, `#number` or link, when Zendesk is connected),
    an email, or else an account ID or name. InvalidInput when it is empty."""
    query = " ".join(text.split())
    if not query:
        raise InvalidInput("Type an email address, a ticket number or an account.")
    if tickets:
        ticket = parse_ticket_query(query, ticket_hosts)
        if ticket is not None:
            return Target("ticket", str(ticket))
    email = _email(query)
    if email:
        return Target("email", email)
    if query.lower().startswith("account "):
        query = query[len("account ") :].strip()
    return Target("account", query)
