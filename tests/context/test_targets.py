"""Finding emails and ticket links in Slack message text (its markup included)."""

from __future__ import annotations

import pytest

from bot.context.models import InvalidInput
from bot.context.targets import Target, find_targets, parse_query

HOSTS = frozenset({"acme.zendesk.com", "help.acme.example"})


def test_emails_in_mailto_links_and_plain_text_and_tickets_in_links() -> None:
    text = (
        "Hi <@U123>, <mailto:Jane.Doe@Acme.example|Jane.Doe@Acme.example> wrote in "
        "<https://acme.zendesk.com/agent/tickets/1001|#1001>, cc sam@globex.example and "
        "https://help.acme.example/hc/requests/1005. Also jane.doe@acme.example again, "
        "<https://other.example/agent/tickets/9> and <https://acme.zendesk.com/agent/tickets/1001>."
    )
    assert find_targets(text, HOSTS) == [
        Target("email", "Jane.Doe@Acme.example"),
        Target("ticket", "1001"),
        Target("email", "sam@globex.example"),
        Target("ticket", "1005"),
    ]


@pytest.mark.parametrize(
    "text",
    ["", "no targets here", "<@U0123> and <#C0123|general>", "jane@acme", "a@b@c.com", "x <https://a.b/c>"],
)
def test_nothing_found(text: str) -> None:
    assert find_targets(text, HOSTS) == []


def test_the_number_of_targets_is_capped() -> None:
    text = " ".join(f"user{i}@acme.example" for i in range(30))
    assert len(find_targets(text, HOSTS)) == 10


def test_the_modal_query() -> None:
    assert parse_query("#1001", HOSTS, tickets=True) == Target("ticket", "1001")
    assert parse_query("1001", HOSTS, tickets=False) == Target("account", "1001")
    assert parse_query(" jane@acme.example ", HOSTS, tickets=True) == Target("email", "jane@acme.example")
    assert parse_query("Acme   Corp", HOSTS, tickets=True) == Target("account", "Acme Corp")
    assert parse_query("account acme", HOSTS, tickets=True) == Target("account", "acme")
    with pytest.raises(InvalidInput):
        parse_query("  ", HOSTS, tickets=True)
