"""The page's Block Kit and mrkdwn, beyond what today's renderers send, and the payloads its elements post.

A message with every block and element type the page claims to draw is posted through the fake Slack;
the test reads the DOM, then works the date picker, the static select and the overflow menu and checks
the block_actions requests the page sends: signed with the app's signing secret, shaped as Slack's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.sample.preview import DemoStack

TIMEOUT = 15_000
STAMP = 1_700_000_000


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Release notes :tada:", "emoji": True}},
    {
        "type": "section",
        "block_id": "s1",
        "text": {
            "type": "mrkdwn",
            "text": "*bold* _italic_ ~struck~ `code` <https://example.com/a?b=1&amp;c=2|a link> "
            f"<@U012ABCDEF> <#C0SUPPORT> <!date^{STAMP}^{{date_num}} {{time}}|fallback> :warning: &lt;x&gt;",
        },
        "fields": [{"type": "mrkdwn", "text": "*Plan*\nEnterprise"}, {"type": "plain_text", "text": "Two"}],
        "accessory": {
            "type": "static_select",
            "action_id": "pick_plan",
            "placeholder": {"type": "plain_text", "text": "Plan"},
            "options": [option("Free", "free"), option("Enterprise", "ent")],
        },
    },
    {"type": "divider"},
    {"type": "image", "image_url": "data:image/gif;base64,R0lGODlhAQABAAAAACw=", "alt_text": "a chart"},
    {
        "type": "context",
        "elements": [
            {"type": "image", "image_url": "data:image/gif;base64,R0lGODlhAQABAAAAACw=", "alt_text": "icon"},
            {"type": "mrkdwn", "text": "context _text_"},
        ],
    },
    {
        "type": "actions",
        "block_id": "a1",
        "elements": [
            {"type": "datepicker", "action_id": "pick_day", "initial_date": "2026-11-30"},
            {
                "type": "overflow",
                "action_id": "more",
                "options": [option("Copy", "copy"), option("Hide", "hide")],
            },
            {
                "type": "button",
                "action_id": "go",
                "style": "primary",
                "value": "v1",
                "text": {"type": "plain_text", "text": "Go"},
            },
        ],
    },
]


def payload_of(request: Any, secret: str) -> dict[str, Any]:
    body = request.post_data or ""
    headers = request.headers
    assert SignatureVerifier(secret).is_valid_request(body, headers), "the page's request is not signed right"
    parsed: dict[str, Any] = json.loads(parse_qs(body)["payload"][0])
    return parsed


def test_blocks_mrkdwn_and_element_payloads(page: Any, demo: tuple[DemoStack, str]) -> None:
    stack, _ = demo
    api = httpx.Client(
        base_url=f"{stack.slack_url}/api/", headers={"authorization": f"Bearer {stack.bot_token}"}
    )
    assert api.post("chat.postMessage", json={"channel": "C0SUPPORT", "text": "t", "blocks": BLOCKS}).json()[
        "ok"
    ]
    api.close()
    msg = page.locator(".msg-bot").last
    msg.locator(".bk-header").wait_for(timeout=TIMEOUT)
    assert page.locator("[data-unknown]").count() == 0
    assert msg.locator(".bk-header").inner_text() == "Release notes 🎉"

    text = msg.locator("[data-block-id=s1] .bk-text")
    assert text.locator("b").inner_text() == "bold"
    assert text.locator("i").inner_text() == "italic"
    assert text.locator("s").inner_text() == "struck"
    assert text.locator("code").inner_text() == "code"
    assert text.locator("a.mk-link").get_attribute("href") == "https://example.com/a?b=1&c=2"
    assert text.locator("a.mk-link").inner_text() == "a link"
    assert text.locator("[data-user=U012ABCDEF]").inner_text() == "@Robin Lead"
    assert text.locator("[data-channel=C0SUPPORT]").inner_text() == "#support"
    at = datetime.fromtimestamp(STAMP, UTC).astimezone(ZoneInfo("America/New_York"))
    expected = f"{at:%Y-%m-%d} {at.hour % 12 or 12}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"
    assert text.locator("time").inner_text() == expected
    assert "⚠️" in text.inner_text() and "<x>" in text.inner_text()
    assert msg.locator(".bk-field").count() == 2
    assert msg.locator(".bk-image img").get_attribute("alt") == "a chart"
    assert msg.locator(".bk-context-image").count() == 1
    assert msg.locator(".bk-primary", has_text="Go").count() == 1

    # A date picker: block_actions with the picked date and the message's state.
    with page.expect_request("**/slack/events") as sent:
        msg.locator("input[type=date]").fill("2026-12-01")
    p = payload_of(sent.value, stack.signing_secret)
    assert p["type"] == "block_actions" and p["user"]["id"] == "U0AGENT"
    action = p["actions"][0]
    assert (action["type"], action["action_id"], action["block_id"]) == ("datepicker", "pick_day", "a1")
    assert action["selected_date"] == "2026-12-01" and action["initial_date"] == "2026-11-30"
    assert p["container"]["type"] == "message" and p["container"]["is_ephemeral"] is False
    assert p["message"]["blocks"] == BLOCKS and p["channel"]["id"] == "C0SUPPORT"
    assert p["response_url"].startswith(stack.slack_url + "/response/")
    assert p["state"]["values"]["a1"]["pick_day"] == {"type": "datepicker", "selected_date": "2026-12-01"}

    # A static select in a section accessory.
    with page.expect_request("**/slack/events") as sent:
        msg.locator("[data-block-id=s1] select").select_option(label="Enterprise")
    action = payload_of(sent.value, stack.signing_secret)["actions"][0]
    assert action["type"] == "static_select" and action["selected_option"]["value"] == "ent"

    # An overflow menu.
    msg.locator(".bk-overflow-button").click()
    with page.expect_request("**/slack/events") as sent:
        msg.locator(".bk-menu-item", has_text="Hide").click()
    action = payload_of(sent.value, stack.signing_secret)["actions"][0]
    assert action["type"] == "overflow" and action["selected_option"]["value"] == "hide"

    # A button.
    with page.expect_request("**/slack/events") as sent:
        msg.locator(".bk-button", has_text="Go").click()
    action = payload_of(sent.value, stack.signing_secret)["actions"][0]
    assert (action["type"], action["value"], action["style"]) == ("button", "v1", "primary")
