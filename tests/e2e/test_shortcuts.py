"""The "Pendo context" message shortcut, the global lookup shortcut and its modal, and `@pendo` mentions,
through signed requests to the real app and a fake Slack on loopback."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from bot.sample import JANE, SAM, TICKET_JANE
from bot.sample.slack_api import FakeSlack
from tests.e2e.conftest import Bot, NewBot
from tests.e2e.test_message_actions import buttons, click, text
from tests.support.blockkit import validate_message

HOST = "sample-support.zendesk.com"
TICKET_LINK = f"https://{HOST}/agent/tickets/{TICKET_JANE}"


async def post_payload(bot: Bot, payload: dict[str, Any]) -> str:
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"content-type": "application/x-www-form-urlencoded", **bot.sign(body)}
    response = await bot.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.text


async def message_shortcut(
    bot: Bot, message_text: str, *, user: str = "U0AGENT", channel: str = "C0SUPPORT", team: str = "T0001"
) -> str:
    rid = uuid.uuid4().hex[:10]
    await post_payload(
        bot,
        {
            "type": "message_action",
            "callback_id": "pendo_message",
            "trigger_id": "1.2.3",
            "response_url": f"{bot.slack_url}/response/{rid}",
            "team": {"id": "T0001", "domain": "sample"},
            "user": {"id": user, "team_id": team},
            "channel": {"id": channel, "name": "support"},
            "message": {"type": "message", "text": message_text, "ts": "1.2", "user": "U0CUSTOMER"},
            "message_ts": "1.2",
            "api_app_id": "A0001",
        },
    )
    return rid


async def test_message_shortcut_with_one_email_answers_privately_with_the_summary(bot: Bot) -> None:
    rid = await message_shortcut(bot, f"Hi, this is <mailto:{JANE}|{JANE}>, the export is broken")
    answer = await bot.final_response(rid)
    validate_message(answer["blocks"], answer["text"])
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert answer["blocks"][0]["text"]["text"] == "Jane Doe"
    assert bot.slack.by_method("chat.postMessage") == []  # nothing in the channel


async def test_message_shortcut_with_several_targets_offers_a_choice_then_looks_one_up(bot: Bot) -> None:
    rid = await message_shortcut(bot, f"<{TICKET_LINK}> from {JANE}, cc <mailto:{SAM}|{SAM}>")
    choice = await bot.final_response(rid)
    validate_message(choice["blocks"], choice["text"])
    values = [json.loads(b["accessory"]["value"]) for b in choice["blocks"] if b.get("accessory")]
    assert values == [
        {"k": "ticket", "v": str(TICKET_JANE)},
        {"k": "email", "v": JANE},
        {"k": "email", "v": SAM},
    ]
    before = len(bot.pendo.requests)
    assert before == 0  # a choice looks nothing up
    rid = await click(bot, "lookup_target", json.dumps(values[0]))
    ticket = await bot.final_response(rid)
    validate_message(ticket["blocks"], ticket["text"])
    assert ticket["replace_original"] is True and f"#{TICKET_JANE}" in text(ticket)
    assert "Jane Doe" in text(ticket)


async def test_message_shortcut_without_targets_and_without_access(new_bot: NewBot) -> None:
    bot = await new_bot(allowed_users="U0AGENT", access_contact="#support-ops")
    rid = await message_shortcut(bot, "no email here <@U0123>")
    assert "found no email address" in (await bot.final_response(rid))["text"]
    rid = await message_shortcut(bot, JANE, user="U0OUTSIDER")
    refusal = await bot.final_response(rid)
    assert "#support-ops" in refusal["text"] and "Jane" not in json.dumps(refusal)
    assert bot.pendo.requests == []


async def test_message_shortcut_in_slack_connect_answers_only_members_of_this_workspace(bot: Bot) -> None:
    bot.slack.shared_channels.add("C0CONNECT")
    rid = await message_shortcut(bot, JANE, channel="C0CONNECT", team="T0OTHER")
    refusal = await bot.final_response(rid)
    assert "shared with another organisation" in refusal["text"] and bot.pendo.requests == []
    rid = await message_shortcut(bot, JANE, channel="C0CONNECT")
    assert (await bot.final_response(rid))["blocks"][0]["text"]["text"] == "Jane Doe"


# --- the global shortcut -------------------------------------------------------------------------------
async def open_modal(bot: Bot) -> dict[str, Any]:
    await post_payload(
        bot,
        {
            "type": "shortcut",
            "callback_id": "pendo_lookup",
            "trigger_id": "1.2.3",
            "team": {"id": "T0001"},
            "user": {"id": "U0AGENT", "team_id": "T0001"},
            "api_app_id": "A0001",
        },
    )
    await bot.slack.wait_for(lambda: bot.slack.by_method("views.open"))
    view: dict[str, Any] = bot.slack.by_method("views.open")[-1]["view"]
    return view


async def submit(bot: Bot, view: dict[str, Any], query: str, rid: str) -> str:
    return await post_payload(
        bot,
        {
            "type": "view_submission",
            "team": {"id": "T0001"},
            "user": {"id": "U0AGENT", "team_id": "T0001"},
            "api_app_id": "A0001",
            "trigger_id": "1.2.3",
            "view": {
                **view,
                "id": "V0001",
                "state": {
                    "values": {
                        "query": {"text": {"type": "plain_text_input", "value": query}},
                        "where": {
                            "channel": {"type": "conversations_select", "selected_conversation": "C0SUPPORT"}
                        },
                    }
                },
            },
            "response_urls": [
                {
                    "block_id": "where",
                    "action_id": "channel",
                    "channel_id": "C0SUPPORT",
                    "response_url": f"{bot.slack_url}/response/{rid}",
                }
            ],
        },
    )


async def test_global_shortcut_modal_answers_privately_for_an_email_a_ticket_and_an_account(bot: Bot) -> None:
    view = await open_modal(bot)
    assert view["callback_id"] == "pendo_lookup_modal"
    element = view["blocks"][1]["element"]
    assert element["type"] == "conversations_select" and element["response_url_enabled"] is True
    answers = []
    for query in (JANE, f"#{TICKET_JANE}", "account Acme Corp"):
        rid = uuid.uuid4().hex[:10]
        assert await submit(bot, view, query, rid) == ""  # the modal closes
        answer = await bot.final_response(rid)
        validate_message(answer["blocks"], answer["text"])
        assert answer["response_type"] == "ephemeral"
        answers.append(answer)
    assert answers[0]["blocks"][0]["text"]["text"] == "Jane Doe"
    assert f"#{TICKET_JANE}" in text(answers[1]) and "Jane Doe" in text(answers[1])
    assert "2 Pendo accounts" in text(answers[2])  # Acme Corp and its namesake


async def test_global_shortcut_modal_rejects_an_empty_query(bot: Bot) -> None:
    view = await open_modal(bot)
    answer = json.loads(await submit(bot, view, "   ", "unused"))
    assert answer["response_action"] == "errors" and "query" in answer["errors"]


# --- @pendo jane@acme.com --------------------------------------------------------------------------------
def mention(
    text_: str, *, channel: str = "C0SUPPORT", user: str = "U0AGENT", team: str = "T0001"
) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": user,
        "user_team": team,
        "text": f"<@UBOT0001> {text_}",
        "ts": "1795000000.000100",
        "channel": channel,
        "event_ts": "1795000000.000100",
    }


async def test_a_mention_is_answered_in_the_thread(bot: Bot) -> None:
    await bot.event(mention(f"who is <mailto:{JANE}|{JANE}>?"))
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postMessage"))
    [posted] = bot.slack.by_method("chat.postMessage")
    validate_message(posted["blocks"], posted["text"])
    assert posted["thread_ts"] == "1795000000.000100" and posted["channel"] == "C0SUPPORT"
    assert posted["blocks"][0]["text"]["text"] == "Jane Doe"
    assert "message_share" not in buttons(posted)  # no Share buttons on a channel message
    assert bot.slack.by_method("chat.postEphemeral") == []


async def test_a_mention_outside_unfurl_channels_or_in_slack_connect_is_answered_privately(
    new_bot: NewBot, fake_slack: FakeSlack
) -> None:
    bot = await new_bot(unfurl_channels="C0OTHER")
    await bot.event(mention(JANE))
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postEphemeral"))
    private = bot.slack.by_method("chat.postEphemeral")[0]
    assert private["user"] == "U0AGENT" and private["thread_ts"] == "1795000000.000100"
    assert "Jane Doe" in private["text"] or "Jane Doe" in json.dumps(private["blocks"])
    assert bot.slack.by_method("chat.postMessage") == []

    fake_slack.shared_channels.add("C0CONNECT")
    await bot.event(mention(JANE, channel="C0CONNECT", user="U0GUEST", team="T0OTHER"))
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.postEphemeral")) >= 2)
    refusal = bot.slack.by_method("chat.postEphemeral")[1]
    assert refusal["user"] == "U0GUEST" and "Jane" not in json.dumps(refusal)
    assert bot.slack.by_method("chat.postMessage") == []

    await bot.event(mention(JANE, channel="C0CONNECT"))  # a member of this workspace: privately
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.postEphemeral")) >= 3)
    private = bot.slack.by_method("chat.postEphemeral")[2]
    assert private["user"] == "U0AGENT" and "Jane Doe" in json.dumps(private["blocks"])
    assert bot.slack.by_method("chat.postMessage") == []


async def test_a_mention_in_a_channel_outside_allowed_channels_is_refused_privately(new_bot: NewBot) -> None:
    bot = await new_bot(allowed_channels="C0OTHER", access_contact="#support-ops")
    await bot.event(mention(JANE))
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postEphemeral"))
    refusal = bot.slack.by_method("chat.postEphemeral")[0]
    assert "#support-ops" in refusal["text"] and "Jane" not in json.dumps(refusal)
    assert bot.pendo.requests == [] and bot.slack.by_method("chat.postMessage") == []


async def test_a_mention_without_an_email_gets_help_privately(bot: Bot) -> None:
    await bot.event(mention("hello"))
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postEphemeral"))
    assert "Mention me with" in bot.slack.by_method("chat.postEphemeral")[0]["text"]
    assert bot.pendo.requests == []
