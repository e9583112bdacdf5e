"""Ticket-link recognition: a table of real-world link forms, and the traps that must not match."""

from __future__ import annotations

import re

import pytest

from bot.zendesk.links import (
    TICKET_LINK_PATTERNS,
    TicketLinkPattern,
    TicketRef,
    find_ticket_refs,
    parse_ticket_link,
    parse_ticket_query,
    unescape_slack,
)

HOSTS = frozenset({"acme.zendesk.com", "support.acme.com"})

TICKETS: list[tuple[str, int]] = [
    # agent UI
    ("https://acme.zendesk.com/agent/tickets/12345", 12345),
    ("https://acme.zendesk.com/agent/tickets/12345/", 12345),
    ("https://acme.zendesk.com/agent/tickets/12345/events", 12345),
    ("https://acme.zendesk.com/agent/tickets/12345?foo=bar", 12345),
    ("https://acme.zendesk.com/agent/tickets/12345#anchor", 12345),
    ("https://acme.zendesk.com/agent/tickets/12345?a=1&amp;b=2", 12345),
    ("https://acme.zendesk.com/agent/tickets/6130869168922", 6130869168922),  # 13-digit id (new accounts)
    ("http://acme.zendesk.com/agent/tickets/7", 7),
    ("https://acme.zendesk.com:443/agent/tickets/7", 7),
    ("https://ACME.Zendesk.COM/agent/tickets/7", 7),
    ("  https://acme.zendesk.com/agent/tickets/7  ", 7),
    # legacy hash routing
    ("https://acme.zendesk.com/agent/#/tickets/123", 123),
    ("https://acme.zendesk.com/agent#/tickets/123", 123),
    ("https://acme.zendesk.com/agent/#/tickets/123/events", 123),
    # help center requests (end-user view of the same ticket)
    ("https://acme.zendesk.com/hc/en-us/requests/82917", 82917),
    ("https://support.acme.com/hc/en-us/requests/82917", 82917),  # host-mapped help center
    ("https://support.acme.com/hc/pt-br/requests/82917", 82917),
    ("https://support.acme.com/hc/es-419/requests/82917", 82917),
    ("https://support.acme.com/hc/EN-US/requests/82917", 82917),
    ("https://support.acme.com/hc/de/requests/82917", 82917),
    ("https://support.acme.com/hc/zh-cn/requests/82917?page=2", 82917),
    ("https://acme.zendesk.com/hc/requests/82917", 82917),
    # REST API
    ("https://acme.zendesk.com/api/v2/tickets/35436.json", 35436),
    ("https://acme.zendesk.com/api/v2/tickets/35436", 35436),
    ("https://acme.zendesk.com/api/v2/tickets/35436.json?include=users", 35436),
    ("https://acme.zendesk.com/api/v2/requests/35436.json", 35436),
    ("https://acme.zendesk.com/api/v2/requests/35436", 35436),
    # Zendesk Classic
    ("https://acme.zendesk.com/tickets/12345", 12345),
    # largest int64
    (f"https://acme.zendesk.com/agent/tickets/{2**63 - 1}", 2**63 - 1),
]

NOT_TICKETS: list[str] = [
    # "contact support" links are everywhere
    "https://acme.zendesk.com/hc/en-us/requests/new",
    "https://acme.zendesk.com/hc/en-us/requests/new?ticket_form_id=360000",
    "https://acme.zendesk.com/hc/en-us/requests",
    "https://acme.zendesk.com/hc/en-us/requests?query=printer",
    "https://acme.zendesk.com/hc/requests/new",
    "https://acme.zendesk.com/hc/en-us/articles/4408838571930",
    # user profiles
    "https://acme.zendesk.com/agent/#/users/5",
    "https://acme.zendesk.com/agent/users/5",
    "https://acme.zendesk.com/agent/users/5/requested_tickets",
    # non-numeric or junk ids
    "https://acme.zendesk.com/agent/tickets/abc",
    "https://acme.zendesk.com/agent/tickets/123abc",
    "https://acme.zendesk.com/agent/tickets/12.5",
    "https://acme.zendesk.com/agent/tickets/-5",
    "https://acme.zendesk.com/agent/tickets/",
    "https://acme.zendesk.com/agent/tickets/0",
    f"https://acme.zendesk.com/agent/tickets/{2**63}",  # past int64
    "https://acme.zendesk.com/agent/tickets/123456789012345678901234567890",
    "https://acme.zendesk.com/api/v2/tickets/show_many.json?ids=1,2",
    "https://acme.zendesk.com/api/v2/tickets/123.xml",
    "https://acme.zendesk.com/api/v2/tickets/123/comments.json",
    # other tenants and look-alike hosts
    "https://other.zendesk.com/agent/tickets/12345",
    "https://zendesk.com/agent/tickets/12345",
    "https://acme.zendesk.com.evil.example/agent/tickets/12345",
    "https://evil.example/acme.zendesk.com/agent/tickets/12345",
    "https://acme.zendesk.com@evil.example/agent/tickets/12345",
    # the path must start with the pattern
    "https://acme.zendesk.com/foo/agent/tickets/12345",
    "https://acme.zendesk.com/views?next=/agent/tickets/12345",
    # not http(s) or not a URL at all
    "ftp://acme.zendesk.com/agent/tickets/12345",
    "acme.zendesk.com/agent/tickets/12345",
    "mailto:jane@acme.com",
    "https://acme.zendesk.com:notaport/agent/tickets/12345",
    "",
]


@pytest.mark.parametrize(("url", "ticket_id"), TICKETS)
def test_ticket_links(url: str, ticket_id: int) -> None:
    ref = parse_ticket_link(url, HOSTS)
    assert ref is not None, url
    assert ref.ticket_id == ticket_id
    assert ref.host in HOSTS


@pytest.mark.parametrize("url", NOT_TICKETS)
def test_not_ticket_links(url: str) -> None:
    assert parse_ticket_link(url, HOSTS) is None


def test_ref_keeps_the_url_exactly_as_given_and_lowercase_host() -> None:
    ref = parse_ticket_link("https://ACME.zendesk.com/agent/tickets/9?a=1&amp;b=2", HOSTS)
    assert ref == TicketRef(
        ticket_id=9, host="acme.zendesk.com", url="https://ACME.zendesk.com/agent/tickets/9?a=1&amp;b=2"
    )


@pytest.mark.parametrize(
    ("url", "ticket_id"),
    [
        ("https://acme.zendesk.com/agent/tickets/12?a=1&amp;b=2", 12),
        ("https://acme.zendesk.com/agent/tickets/12?a=1&b=2", 12),
        ("https://acme.zendesk.com/hc/en-us/requests/34?x=&lt;y&gt;&amp;z=1#c", 34),
    ],
)
def test_slack_escaped_links_parse_but_keep_the_raw_url_for_unfurl_keys(url: str, ticket_id: int) -> None:
    ref = parse_ticket_link(url, HOSTS)
    assert ref is not None and ref.ticket_id == ticket_id
    assert ref.url == url
    refs, _ = find_ticket_refs([url], HOSTS, 5)
    assert [r.url for r in refs] == [url]


def test_configured_hosts_compared_case_insensitively() -> None:
    assert parse_ticket_link("https://acme.zendesk.com/agent/tickets/1", frozenset({"ACME.zendesk.com"}))


def test_no_hosts_matches_nothing() -> None:
    assert parse_ticket_link("https://acme.zendesk.com/agent/tickets/1", frozenset()) is None


def test_unescape_order() -> None:
    assert unescape_slack("a&amp;b&lt;c&gt;") == "a&b<c>"
    assert unescape_slack("&amp;lt;") == "&lt;"  # an escaped literal "&lt;" stays literal


def test_a_new_link_form_is_an_addition() -> None:
    url = "https://acme.zendesk.com/agent/workspace/tickets/77"
    assert parse_ticket_link(url, HOSTS) is None
    extra = TicketLinkPattern(
        "workspace", re.compile(r"^/agent/workspace/tickets/(?P<id>[0-9]+)(?=[/?#]|\Z)")
    )
    ref = parse_ticket_link(url, HOSTS, patterns=(*TICKET_LINK_PATTERNS, extra))
    assert ref is not None and ref.ticket_id == 77


# --- find_ticket_refs ----------------------------------------------------------------------------------
def test_find_dedupes_by_ticket_id_and_keeps_first_link() -> None:
    urls = [
        "https://acme.zendesk.com/agent/tickets/1",
        "https://example.com/not-zendesk",
        "https://support.acme.com/hc/en-us/requests/1",  # same ticket, other form
        "https://acme.zendesk.com/agent/tickets/2",
        "https://acme.zendesk.com/agent/tickets/1",
    ]
    refs, dropped = find_ticket_refs(urls, HOSTS, limit=5)
    assert [r.ticket_id for r in refs] == [1, 2]
    assert refs[0].url == "https://acme.zendesk.com/agent/tickets/1"
    assert dropped == 0


def test_find_caps_and_counts_distinct_dropped_tickets() -> None:
    urls = [f"https://acme.zendesk.com/agent/tickets/{i}" for i in (1, 2, 3, 4, 3, 5, 5)]
    refs, dropped = find_ticket_refs(urls, HOSTS, limit=2)
    assert [r.ticket_id for r in refs] == [1, 2]
    assert dropped == 3  # 3, 4, 5 (repeats not counted twice)


def test_find_with_no_ticket_links() -> None:
    assert find_ticket_refs(["https://example.com/a"], HOSTS, limit=5) == ([], 0)


# --- parse_ticket_query (slash command text) ------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "ticket_id"),
    [
        ("12345", 12345),
        ("#12345", 12345),
        ("  #12345 ", 12345),
        ("https://acme.zendesk.com/agent/tickets/12345", 12345),
        ("<https://acme.zendesk.com/agent/tickets/12345>", 12345),
        ("<https://acme.zendesk.com/agent/tickets/12345|ticket 12345>", 12345),
        ("<https://acme.zendesk.com/agent/tickets/12345?a=1&amp;b=2|label>", 12345),
        ("<https://support.acme.com/hc/en-us/requests/42>", 42),
    ],
)
def test_query_forms(text: str, ticket_id: int) -> None:
    assert parse_ticket_query(text, HOSTS) == ticket_id


@pytest.mark.parametrize(
    "text",
    [
        "",
        "jane@acme.com",
        "help",
        "0",
        "#0",
        "12 345",
        "##12",
        "12345abc",
        str(2**63),
        "<https://other.zendesk.com/agent/tickets/12345>",
        "<https://acme.zendesk.com/hc/en-us/requests/new|Submit a request>",
        "<mailto:jane@acme.com|jane@acme.com>",
    ],
)
def test_query_rejects(text: str) -> None:
    assert parse_ticket_query(text, HOSTS) is None
