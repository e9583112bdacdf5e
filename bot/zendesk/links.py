"""Recognising Zendesk ticket links: a registry of link patterns, each mapping a URL form to a ticket id.

A new kind of link is one more `TicketLinkPattern` in `TICKET_LINK_PATTERNS`, not an edit of the parser.
Only hosts the bot was configured for are accepted, so a link to another Zendesk tenant is never looked
up with this account's credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_TICKET_ID = 2**63 - 1  # Zendesk ids are int64

# The id must end the path segment: end of string, "/", "?" or "#" ("123abc" is not a ticket).
_ID = r"(?P<id>[0-9]{1,19})"
_END = r"(?=[/?#]|\Z)"
_JSON_END = r"(?:\.json)?(?=[?#]|\Z)"
_LOCALE = r"[a-z]{2,3}(?:-[a-z0-9]{2,4})?"  # en, en-us, pt-br, es-419, zh-hant


@dataclass(frozen=True)
class TicketRef:
    """A ticket named by a link: the id, the (lower-cased) host it was linked on, and the link itself.

    `url` is the link exactly as it was given (Slack-escaped, e.g. with `&amp;`): `chat.unfurl` needs its
    `unfurls` map keyed by the URL exactly as it appeared in the `link_shared` event.
    """

    ticket_id: int
    host: str
    url: str


@dataclass(frozen=True)
class TicketLinkPattern:
    """One URL form of a ticket. `regex` is matched against path[?query][#fragment] and captures `id`."""

    name: str
    regex: re.Pattern[str]

    def ticket_id(self, locator: str) -> int | None:
        match = self.regex.match(locator)
        if match is None:
            return None
        return _valid_id(match.group("id"))


def _pattern(name: str, regex: str) -> TicketLinkPattern:
    return TicketLinkPattern(name, re.compile(regex, re.IGNORECASE))


TICKET_LINK_PATTERNS: tuple[TicketLinkPattern, ...] = (
    _pattern("agent", rf"^/agent/tickets/{_ID}{_END}"),
    _pattern("agent-legacy-hash", rf"^/agent/?#/tickets/{_ID}{_END}"),
    _pattern("help-center-request", rf"^/hc/{_LOCALE}/requests/{_ID}{_END}"),
    _pattern("help-center-request-no-locale", rf"^/hc/requests/{_ID}{_END}"),
    _pattern("api-ticket", rf"^/api/v2/tickets/{_ID}{_JSON_END}"),
    _pattern("api-request", rf"^/api/v2/requests/{_ID}{_JSON_END}"),
    _pattern("classic", rf"^/tickets/{_ID}{_END}"),
)

_SLACK_WRAPPED = re.compile(r"^<([^<>|]+)(?:\|[^<>]*)?>$")
_BARE_ID = re.compile(r"^#?([0-9]{1,19})$")


def _valid_id(digits: str) -> int | None:
    value = int(digits)
    return value if 0 < value <= MAX_TICKET_ID else None


def ticket_id(text: str) -> int | None:
    """A ticket id given as plain ASCII digits (a Work Object's `external_ref.id`), else None: no sign,
    no spaces, no Unicode digits, nothing past Zendesk's int64 ids."""
    digits = re.fullmatch(r"[0-9]{1,19}", text)
    return _valid_id(digits.group(0)) if digits else None


def unescape_slack(text: str) -> str:
    """Undo Slack's message escaping (`&amp;` last, so `&amp;lt;` stays a literal `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _host(url: str) -> tuple[str, str] | None:
    """(lower-cased host, path[?query][#fragment]) of an http(s) URL, or None if it is not one."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    locator = parts.path or "/"
    if parts.query:
        locator += "?" + parts.query
    if parts.fragment:
        locator += "#" + parts.fragment
    return parts.hostname.rstrip("."), locator


def parse_ticket_link(
    url: str,
    hosts: frozenset[str],
    *,
    patterns: Iterable[TicketLinkPattern] = TICKET_LINK_PATTERNS,
) -> TicketRef | None:
    """The ticket a link points to, if it is a ticket link on one of `hosts` (compared case-insensitively).

    The link is unescaped only for parsing; the ref keeps `url` as given.
    """
    split = _host(unescape_slack(url.strip()))
    if split is None:
        return None
    host, locator = split
    if host not in {h.lower() for h in hosts}:
        return None
    for pattern in patterns:
        ticket_id = pattern.ticket_id(locator)
        if ticket_id is not None:
            return TicketRef(ticket_id=ticket_id, host=host, url=url)
    return None


def find_ticket_refs(urls: Iterable[str], hosts: frozenset[str], limit: int) -> tuple[list[TicketRef], int]:
    """Ticket refs among `urls`, first link per ticket id kept, at most `limit` of them.

    Returns the refs and how many further distinct tickets were dropped by the cap (links that are not
    tickets, and repeats of a ticket already kept, are not counted).
    """
    refs: list[TicketRef] = []
    seen: set[int] = set()
    dropped = 0
    for url in urls:
        ref = parse_ticket_link(url, hosts)
        if ref is None or ref.ticket_id in seen:
            continue
        seen.add(ref.ticket_id)
        if len(refs) < limit:
            refs.append(ref)
        else:
            dropped += 1
    return refs, dropped


def parse_ticket_query(text: str, hosts: frozenset[str]) -> int | None:
    """A ticket id from slash-command text: `12345`, `#12345`, or a ticket link (bare or Slack-wrapped)."""
    text = text.strip()
    bare = _BARE_ID.match(text)
    if bare:
        return _valid_id(bare.group(1))
    wrapped = _SLACK_WRAPPED.match(text)
    if wrapped:
        text = wrapped.group(1).strip()
    ref = parse_ticket_link(text, hosts)
    return ref.ticket_id if ref else None


def foreign_ticket_host(text: str, hosts: frozenset[str]) -> str | None:
    """The host of a ticket link in slash-command text that is not one of `hosts` (another Zendesk
    account's link, or a domain not in ZENDESK_HOSTS), so the agent is told that, not "not an email"."""
    text = text.strip()
    wrapped = _SLACK_WRAPPED.match(text)
    if wrapped:
        text = wrapped.group(1).strip()
    split = _host(unescape_slack(text))
    if split is None or split[0] in {h.lower() for h in hosts}:
        return None
    return split[0] if parse_ticket_link(text, frozenset({split[0]})) is not None else None
