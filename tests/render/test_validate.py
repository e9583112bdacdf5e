"""validate_message: a valid payload passes, and each limit it enforces can fail with a specific message."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.blockkit import validate_message


def section(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def field(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def button(label: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": "open", **extra}


def header(text: str, kind: str = "plain_text") -> dict[str, Any]:
    return {"type": "header", "text": {"type": kind, "text": text}}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


VALID: list[dict[str, Any]] = [
    header("Ticket #35436: Help, my printer is on fire!"),
    section(
        "*Jane Customer* · jane@customer.example", fields=[field("*Status*\nOpen"), field("*Priority*\nHigh")]
    ),
    {"type": "divider"},
    context("Created 2009-07-20", "via web"),
    {
        "type": "context",
        "elements": [{"type": "image", "image_url": "https://example.com/i.png", "alt_text": "icon"}],
    },
    {
        "type": "actions",
        "elements": [button("Open in Zendesk", url="https://acme.zendesk.com/agent/tickets/1")],
    },
    section("with accessory", accessory=button("View")),
]


def test_valid_message_passes() -> None:
    validate_message(VALID, text="Ticket #35436: Help, my printer is on fire!")


def test_valid_home_and_unfurl_pass_without_text() -> None:
    validate_message(VALID, surface="home")
    validate_message(VALID, surface="unfurl")


def test_limits_are_inclusive() -> None:
    blocks = [
        header("h" * 150),
        section("s" * 3000, fields=[field("f" * 2000)] * 10),
        context(*["c" * 2000] * 10),
        {"type": "actions", "elements": [button("b" * 75)]},
    ]
    validate_message(blocks, text="t" * 40_000)
    validate_message([section()] * 50, text="ok")
    validate_message([section()] * 100, surface="home")


@pytest.mark.parametrize(
    ("blocks", "text", "surface", "message"),
    [
        ([section()] * 51, "t", "message", "51 blocks: a message allows at most 50"),
        ([section()] * 101, None, "home", "101 blocks: a home allows at most 100"),
        ([section()] * 51, None, "unfurl", "at most 50"),
        ([section()], None, "message", "non-empty text fallback"),
        ([section()], "   ", "message", "non-empty text fallback"),
        ([section()], "t" * 40_001, "message", "at most 40000"),
        ([{"type": "no_such_block"}], "t", "message", "unknown block type 'no_such_block'"),
        (["not a dict"], "t", "message", "block[0]: must be a dict"),
        ([section("x" * 3001)], "t", "message", "block[0] (section)"),
        ([{"type": "section"}], "t", "message", "text or fields"),
        ([{"type": "section", "text": "a bare string"}], "t", "message", "text must be a text object"),
        ([section(fields=[field("x")] * 11)], "t", "message", "fields"),
        ([section(fields=[field("ok"), field("x" * 2001)])], "t", "message", "fields[1] is 2001 characters"),
        ([header("x" * 151)], "t", "message", "block[0] (header)"),
        ([header("*bold*", kind="mrkdwn")], "t", "message", "header text must be a plain_text object"),
        ([context(*["c"] * 11)], "t", "message", "elements"),
        ([context("ok", "c" * 2001)], "t", "message", "elements[1] text is 2001 characters"),
        ([{"type": "actions", "elements": [button("x" * 76)]}], "t", "message", "block[0] (actions)"),
        ([section(accessory=button("x" * 76))], "t", "message", "block[0] (section)"),
        ([section(), section(block_id="b" * 256)], "t", "message", "block[1] (section)"),
    ],
)
def test_each_rule_can_fail(blocks: list[Any], text: str | None, surface: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        validate_message(blocks, text=text, surface=surface)
    assert message in str(info.value)


def test_button_text_over_75_is_caught_even_where_slack_sdk_does_not_look() -> None:
    # slack_sdk ignores keys it does not know (so never validates this button); the recursive walk does.
    odd = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "x"},
        "extra": {"type": "button", "text": {"type": "plain_text", "text": "y" * 76}},
    }
    with pytest.raises(ValueError, match="button text is 76 characters"):
        validate_message([odd], text="t", surface="message")


def test_unknown_surface_rejected() -> None:
    with pytest.raises(ValueError, match="unknown surface"):
        validate_message([section()], text="t", surface="modal")  # type: ignore[arg-type]
