"""Finding emails and ticket links in Slack message text (its markup included)."""

from __future__ import annotations

import pytest

from bot.domain.models import InvalidInput
from bot.domain.targets import ForeignTicket, Target, find_targets, parse_query
from bot.render.modals import NoteRequest

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


def test_the_slash_command_uses_the_same_grammar() -> None:
    def command(text: str, tickets: bool = True) -> Target:
        return parse_query(text, HOSTS, tickets=tickets, command=True)

    assert command("ACCOUNT  Acme   Corp") == Target("account", "Acme   Corp")  # as typed: searched so
    assert command("account") == Target("account", "")  # the listener says what to type
    assert command("#1001", tickets=False) == Target("ticket", "1001")  # the listener says Zendesk is off
    assert command("<https://help.acme.example/agent/tickets/7>") == Target("ticket", "7")
    assert command("jane@acme.example") == Target("email", "jane@acme.example")
    with pytest.raises(ForeignTicket) as foreign:
        command("https://other.zendesk.com/agent/tickets/7")
    assert foreign.value.host == "other.zendesk.com"
    with pytest.raises(InvalidInput):
        command("Acme Corp")  # only the modal takes a bare name


@pytest.mark.parametrize(
    "target", [Target("email", "Jane@Acme.example"), Target("ticket", "12"), Target("account", "a b")]
)
def test_a_target_survives_its_button(target: Target) -> None:
    assert Target.decode(target.encode()) == target


@pytest.mark.parametrize(
    "raw", [None, "", "x", "[]", '{"k":"ticket","v":"12a"}', '{"k":"email","v":""}', '{"k":"other","v":"x"}']
)
def test_a_tampered_button_is_no_target(raw: str | None) -> None:
    assert Target.decode(raw) is None


def test_a_note_request_survives_its_modal() -> None:
    request = NoteRequest(
        ref='{"v":"u1"}',
        response_url="https://r",
        channel="C1",
        message_ts="1.2",
        thread_ts=None,
        private=True,
    )
    assert NoteRequest.decode(request.encode()) == request
    assert NoteRequest.decode("not json") is None and NoteRequest.decode("[1]") is None
