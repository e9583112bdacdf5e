"""A `response_url` is posted to only when it points at Slack (issue 21 item 3).

Slack's hooks hosts (hooks.slack.com, and hooks.slack-gov.com for GovSlack) over https, or the host and
port of an overridden SLACK_API_URL (here: the fake Slack). A signed request pointing anywhere else is
refused with a 400 and one log line, and nothing is sent there. The "exfil" receiver below is a second
fake Slack on another loopback port: it records every post it gets.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.gates import response_url_allowed
from bot.sample import JANE, LoopbackServer
from bot.sample.slack_api import FakeSlack, create_slack_app
from bot.settings import load_settings
from tests.e2e.conftest import Bot
from tests.e2e.test_message_actions import buttons, lookup
from tests.e2e.test_shortcuts import open_modal


@pytest.fixture(scope="module")
def exfil() -> Iterator[tuple[FakeSlack, str]]:
    state = FakeSlack()
    with LoopbackServer(create_slack_app(state)) as server:
        yield state, f"{server.base_url}/response/exfil"


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


async def post_form(bot: Bot, fields: dict[str, str]) -> httpx.Response:
    body = urlencode(fields)
    headers = {"content-type": "application/x-www-form-urlencoded", **bot.sign(body)}
    return await bot.http.post("/slack/events", content=body, headers=headers)


def assert_refused(
    response: httpx.Response, caplog: pytest.LogCaptureFixture, exfil: tuple[FakeSlack, str], bot: Bot
) -> None:
    assert response.status_code == 400
    lines = refusals(caplog)
    assert len(lines) == 1 and "response_url" in lines[0].getMessage(), [r.getMessage() for r in lines]
    assert "exfil" not in lines[0].getMessage() and not lines[0].exc_info
    assert exfil[0].responses == [] and bot.pendo.requests == []


async def test_a_command_whose_response_url_is_elsewhere_is_refused_and_nothing_is_sent(
    bot: Bot, exfil: tuple[FakeSlack, str], caplog: pytest.LogCaptureFixture
) -> None:
    exfil[0].reset()
    caplog.set_level(logging.INFO)
    fields = {
        "command": "/pendo",
        "text": JANE,
        "user_id": "U0AGENT",
        "channel_id": "C0SUPPORT",
        "team_id": "T0001",
        "response_url": exfil[1],
    }
    assert_refused(await post_form(bot, fields), caplog, exfil, bot)


async def test_a_click_whose_response_url_is_elsewhere_is_refused(
    bot: Bot, exfil: tuple[FakeSlack, str], caplog: pytest.LogCaptureFixture
) -> None:
    exfil[0].reset()
    value = buttons(await lookup(bot, JANE))["message_share"]["value"]
    bot.pendo.requests.clear()
    caplog.set_level(logging.INFO)
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": "U0AGENT"},
        "api_app_id": "A0001",
        "container": {
            "type": "message",
            "message_ts": "1.2",
            "channel_id": "C0SUPPORT",
            "is_ephemeral": True,
        },
        "channel": {"id": "C0SUPPORT"},
        "trigger_id": "1.2.3",
        "response_url": exfil[1],
        "actions": [{"action_id": "message_share", "block_id": "b", "type": "button", "value": value}],
    }
    assert_refused(await post_form(bot, {"payload": json.dumps(payload)}), caplog, exfil, bot)
    assert bot.slack.by_method("chat.postMessage") == []


async def test_a_modal_whose_response_urls_point_elsewhere_is_refused(
    bot: Bot, exfil: tuple[FakeSlack, str], caplog: pytest.LogCaptureFixture
) -> None:
    exfil[0].reset()
    view = await open_modal(bot)
    caplog.set_level(logging.INFO)
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": "T0001"},
        "user": {"id": "U0AGENT", "team_id": "T0001"},
        "api_app_id": "A0001",
        "view": {
            **view,
            "id": "V0001",
            "state": {"values": {"query": {"text": {"type": "plain_text_input", "value": JANE}}}},
        },
        "response_urls": [{"block_id": "where", "action_id": "channel", "channel_id": "C0SUPPORT"}],
    }
    payload["response_urls"][0]["response_url"] = exfil[1]
    assert_refused(await post_form(bot, {"payload": json.dumps(payload)}), caplog, exfil, bot)


async def test_a_note_modal_carrying_a_foreign_response_url_posts_nothing_there(
    bot: Bot, exfil: tuple[FakeSlack, str], caplog: pytest.LogCaptureFixture
) -> None:
    exfil[0].reset()
    compact = await lookup(bot, JANE)
    _, _ = await bot.action("message_share_note", buttons(compact)["message_share_note"]["value"])
    await bot.slack.wait_for(lambda: bot.slack.by_method("views.open"))
    opened = bot.slack.by_method("views.open")[0]
    modal = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    meta = json.loads(modal["private_metadata"])
    meta["u"] = exfil[1]
    caplog.set_level(logging.INFO)
    payload = {
        "type": "view_submission",
        "team": {"id": "T0001"},
        "user": {"id": "U0AGENT"},
        "api_app_id": "A0001",
        "view": {
            **modal,
            "id": "V0001",
            "private_metadata": json.dumps(meta),
            "state": {"values": {"note": {"text": {"type": "plain_text_input", "value": "a note"}}}},
        },
    }
    response = await post_form(bot, {"payload": json.dumps(payload)})
    assert response.status_code == 200  # the modal closes
    await bot.slack.wait_for(lambda: len(refusals(caplog)) >= 1)
    assert len(refusals(caplog)) == 1 and "response_url" in refusals(caplog)[0].getMessage()
    assert exfil[0].responses == [] and bot.slack.by_method("chat.postMessage") == []


@pytest.mark.parametrize(
    ("url", "default", "overridden"),
    [
        ("https://hooks.slack.com/commands/T1/2/x", True, True),
        ("https://HOOKS.SLACK.COM/actions/T1/2/x", True, True),
        ("https://hooks.slack-gov.com/commands/T1/2/x", True, True),
        ("http://hooks.slack.com/commands/T1/2/x", False, False),
        ("https://hooks.slack.com:8443/commands/x", False, False),
        ("https://hooks.slack.com@evil.example/x", False, False),
        ("https://hooks.slack.com.evil.example/x", False, False),
        ("https://evil.example/hooks.slack.com/x", False, False),
        ("http://127.0.0.1:3498/response/1", False, True),
        ("http://127.0.0.1:3499/exfil", False, False),
        ("https://127.0.0.1:3498/response/1", False, False),
        ("http://localhost:3498/response/1", False, False),
        (" https://hooks.slack.com/x", False, False),
        ("", False, False),
        (None, False, False),
        (["https://hooks.slack.com/x"], False, False),
    ],
)
def test_which_response_urls_are_allowed(url: object, default: bool, overridden: bool) -> None:
    assert response_url_allowed(url, load_settings()) is default
    assert response_url_allowed(url, load_settings(slack_api_url="http://127.0.0.1:3498/api/")) is overridden
