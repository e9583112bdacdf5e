"""The buttons on a summary, through signed requests to the real app and a fake Slack on loopback.

Show more / less and the day buttons replace the agent's private message in place; a button on a public
message (an unfurl, a shared summary) answers the clicker privately with chat.postEphemeral, after the
same access check as /pendo. Share posts once, says where, and never twice.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.sample import DORMANT, JANE, OPS_VISITOR_IDS, PRIVATE, TICKET_JANE, TICKET_OPS
from bot.sample.slack_api import FakeSlack
from tests.e2e.conftest import NOW, Bot, make_bot
from tests.render.visible import visible_text
from tests.support.blockkit import validate_message

HOUR = 3_600_000
HOST = "sample-support.zendesk.com"


async def click(
    bot: Bot,
    action_id: str,
    value: str,
    *,
    public: bool = False,
    user: str = "U0AGENT",
    channel: str = "C0SUPPORT",
    message_ts: str = "1.2",
) -> str:
    """A signed block_actions request; `public` is a button on a channel message (an unfurl, a share)."""
    rid = uuid.uuid4().hex[:10]
    container = (
        {"type": "message_attachment", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False}
        if public
        else {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": True}
    )
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "api_app_id": "A0001",
        "container": container,
        "channel": {"id": channel},
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "response_url": f"{bot.slack_url}/response/{rid}",
        "actions": [
            {"action_id": action_id, "block_id": "b", "type": "button", "value": value, "action_ts": "1"}
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"content-type": "application/x-www-form-urlencoded", **bot.sign(body)}
    response = await bot.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200
    return rid


async def submit_note(bot: Bot, view: dict[str, Any], note: str, *, user: str = "U0AGENT") -> None:
    payload = {
        "type": "view_submission",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "api_app_id": "A0001",
        "trigger_id": "1.2.3",
        "view": {
            **view,
            "id": "V0001",
            "state": {"values": {"note": {"text": {"type": "plain_text_input", "value": note}}}},
        },
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"content-type": "application/x-www-form-urlencoded", **bot.sign(body)}
    response = await bot.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200 and response.text == ""  # the modal closes


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in message["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                found.setdefault(element["action_id"], element)
    return found


def text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


async def lookup(bot: Bot, query: str, channel: str = "C0SUPPORT") -> dict[str, Any]:
    _, rid = await bot.command(query, channel=channel)
    message = await bot.final_response(rid)
    validate_message(message["blocks"], message["text"])
    return message


@pytest.fixture
async def ops_bot(
    clean_env: None, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> AsyncIterator[Bot]:
    b = make_bot(fake_slack, slack_server[1], pendo_email_field="agent/email")
    yield b
    await b.http.aclose()
    await b.deps.aclose()


# --- Show more, in place -----------------------------------------------------------------------------------
async def test_show_more_replaces_the_private_message_in_place_and_show_less_goes_back(bot: Bot) -> None:
    compact = await lookup(bot, JANE)
    assert len(compact["blocks"]) <= 8
    rid = await click(bot, "message_view:more", buttons(compact)["message_view:more"]["value"])
    full = await bot.final_response(rid)
    assert full["replace_original"] is True and full["response_type"] == "ephemeral"
    validate_message(full["blocks"], full["text"])
    assert "Events per day, last 30 days" in text(full) and "Top features" in text(full)
    assert len(visible_text(full["blocks"])) > len(visible_text(compact["blocks"]))
    assert bot.slack.by_method("chat.postEphemeral") == []  # in place, not a new message
    rid2 = await click(bot, "message_view:less", buttons(full)["message_view:less"]["value"])
    again = await bot.final_response(rid2)
    assert again["blocks"] == compact["blocks"]


async def test_earlier_and_later_move_the_window_by_a_day(bot: Bot) -> None:
    compact = await lookup(bot, JANE)
    full = await bot.final_response(
        await click(bot, "message_view:more", buttons(compact)["message_view:more"]["value"])
    )
    assert "message_view:later" not in buttons(full)  # the window already ends now
    earlier, title = full, None
    for _ in range(30):  # ◀ Earlier pages through the window first (tests/e2e/test_message_actions_paging.py)
        earlier = await bot.final_response(
            await click(bot, "message_view:earlier", buttons(earlier)["message_view:earlier"]["value"])
        )
        validate_message(earlier["blocks"], earlier["text"])
        title = re.search(r"Activity in the 24 h before <!date\^(\d+)\^", text(earlier))
        assert title is not None
        if int(title.group(1)) != NOW // 1000:
            break
    assert title is not None and int(title.group(1)) == (NOW - 24 * HOUR) // 1000
    later = earlier
    while "message_view:later" in buttons(later):  # Later ▶ walks back up to now
        later = await bot.final_response(
            await click(bot, "message_view:later", buttons(later)["message_view:later"]["value"])
        )
    newest = re.search(r"Activity in the 24 h before <!date\^(\d+)\^", text(later))
    assert newest is not None and int(newest.group(1)) == NOW // 1000


async def test_a_quiet_window_offers_the_last_active_day_in_one_click(bot: Bot) -> None:
    compact = await lookup(bot, DORMANT)
    # when they were last active is said once, as "Last seen" (issue 27: nothing said twice on one screen)
    assert "No activity in the 24 h before" in text(compact) and "Last seen <!date^" in text(compact)
    assert "Last active" not in text(compact)
    offer = buttons(compact)["message_view:day"]
    shown = await bot.final_response(await click(bot, "message_view:day", offer["value"]))
    validate_message(shown["blocks"], shown["text"])
    assert "No activity in the 24 h" not in text(shown) and "Last session" in text(shown)


# --- choices anchored to the ticket ------------------------------------------------------------------------
async def test_ticket_answer_offers_picks_anchored_at_the_ticket_time(ops_bot: Bot) -> None:
    answer = await lookup(ops_bot, str(TICKET_OPS))
    picks = [
        b["accessory"]
        for b in answer["blocks"]
        if b.get("accessory", {}).get("action_id") == "message_view:pick"
    ]
    assert sorted(json.loads(p["value"])["v"] for p in picks) == sorted(OPS_VISITOR_IDS)
    ticket = await ops_bot.deps.tickets.ticket(TICKET_OPS)  # type: ignore[union-attr]
    assert {json.loads(p["value"])["a"] for p in picks} == {ticket.ticket.created_ms}
    shown = await ops_bot.final_response(await click(ops_bot, "message_view:pick", picks[0]["value"]))
    validate_message(shown["blocks"], shown["text"])
    assert shown["replace_original"] is True
    assert f"#{TICKET_OPS}" in text(shown) and json.loads(picks[0]["value"])["v"] in text(shown)


# --- public messages answer privately ------------------------------------------------------------------------
async def _unfurl(bot: Bot, ticket: int) -> dict[str, Any]:
    link = f"https://{HOST}/agent/tickets/{ticket}"
    ts = f"1700000000.{uuid.uuid4().int % 10**6:06d}"
    event = {
        "type": "link_shared",
        "channel": "C0SUPPORT",
        "user": "U0AGENT",
        "message_ts": ts,
        "unfurl_id": f"C0SUPPORT.{ts}",
        "source": "conversations_history",
        "links": [{"domain": HOST, "url": link}],
    }
    await bot.event(event)
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.unfurl")) >= 2)
    return dict(bot.slack.by_method("chat.unfurl")[-1]["unfurls"][link])


async def test_unfurl_details_open_privately_for_whoever_clicks(bot: Bot) -> None:
    unfurl = await _unfurl(bot, TICKET_JANE)
    assert len(unfurl["blocks"]) <= 8
    detail = buttons(unfurl)["message_view:detail"]
    await click(bot, "message_view:detail", detail["value"], public=True, user="U0READER")
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postEphemeral"))
    private = bot.slack.by_method("chat.postEphemeral")[0]
    assert private["user"] == "U0READER" and private["channel"] == "C0SUPPORT"
    validate_message(private["blocks"], private["text"])
    body = json.dumps(private["blocks"], ensure_ascii=False)
    assert f"#{TICKET_JANE}" in body and "Events per day" in body and "2 min before ticket" in body
    assert bot.slack.responses == []  # the public message itself is never replaced


async def test_unfurl_details_follow_the_same_access_rules_as_the_command(
    clean_env: None, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> None:
    bot = make_bot(fake_slack, slack_server[1], allowed_users="U0AGENT", access_contact="#support-ops")
    try:
        unfurl = await _unfurl(bot, TICKET_JANE)
        before = len(bot.pendo.requests)
        await click(
            bot,
            "message_view:detail",
            buttons(unfurl)["message_view:detail"]["value"],
            public=True,
            user="U0OUTSIDER",
        )
        await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postEphemeral"))
        refusal = bot.slack.by_method("chat.postEphemeral")[0]
        assert refusal["user"] == "U0OUTSIDER" and "#support-ops" in refusal["text"]
        assert len(bot.pendo.requests) == before  # nothing looked up for someone without access
    finally:
        await bot.http.aclose()
        await bot.deps.aclose()


async def test_details_are_refused_in_a_channel_that_became_slack_connect(bot: Bot) -> None:
    unfurl = await _unfurl(bot, TICKET_JANE)
    bot.slack.shared_channels.add("C0SUPPORT")
    bot.deps.memo.clear()  # forget that the channel was internal (remembered for 5 minutes)
    before = len(bot.pendo.requests)
    await click(bot, "message_view:detail", buttons(unfurl)["message_view:detail"]["value"], public=True)
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postEphemeral"))
    refusal = bot.slack.by_method("chat.postEphemeral")[0]
    assert "Slack Connect" in refusal["text"] and len(bot.pendo.requests) == before


# --- Share ---------------------------------------------------------------------------------------------------
async def test_share_posts_once_then_says_where_and_a_second_click_never_reposts(bot: Bot) -> None:
    compact = await lookup(bot, JANE)
    value = buttons(compact)["message_share"]["value"]
    rid = await click(bot, "message_share", value, user="U0SHARER")
    after = await bot.final_response(rid)
    assert after["replace_original"] is True
    assert "Shared in <#C0SUPPORT> ✓" in text(after) and "message_share" not in text(after)
    assert len(bot.slack.by_method("chat.postMessage")) == 1
    posted = bot.slack.by_method("chat.postMessage")[0]
    validate_message(posted["blocks"], posted["text"])
    assert "Shared by <@U0SHARER>" in text(posted) and "message_share" not in text(posted)
    assert not re.search(r"\d+ (min|h|d) ago", text(posted))  # nothing in the channel goes stale
    rid2 = await click(bot, "message_share", value, user="U0SHARER")  # clicked again before the swap
    second = await bot.final_response(rid2)
    assert "Already shared in <#C0SUPPORT> ✓" in second["text"] and second["replace_original"] is False
    await asyncio.sleep(0.1)
    assert len(bot.slack.by_method("chat.postMessage")) == 1


async def test_double_click_at_the_same_moment_posts_once(bot: Bot) -> None:
    value = buttons(await lookup(bot, JANE))["message_share"]["value"]
    await asyncio.gather(*(click(bot, "message_share", value) for _ in range(3)))
    await bot.slack.wait_for(lambda: len(bot.slack.responses) >= 3)
    await asyncio.sleep(0.1)
    assert len(bot.slack.by_method("chat.postMessage")) == 1


async def test_a_shared_ticket_summary_carries_the_ticket_number_and_link(bot: Bot) -> None:
    answer = await lookup(bot, f"#{TICKET_JANE}")
    await click(bot, "message_share", buttons(answer)["message_share"]["value"], user="U0SHARER")
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postMessage"))
    posted = text(bot.slack.by_method("chat.postMessage")[0])
    link = f"<https://{HOST}/agent/tickets/{TICKET_JANE}|Zendesk ticket #{TICKET_JANE}>"
    assert f"Shared by <@U0SHARER> · about {link}" in posted and "min before filing" in posted


async def test_share_with_a_note_opens_a_modal_and_posts_the_note(bot: Bot) -> None:
    compact = await lookup(bot, JANE)
    rid = await click(bot, "message_share_note", buttons(compact)["message_share_note"]["value"])
    await bot.slack.wait_for(lambda: bot.slack.by_method("views.open"))
    opened = bot.slack.by_method("views.open")[0]
    modal = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert modal["callback_id"] == "message_share_note_modal" and rid in modal["private_metadata"]
    validate_message(modal["blocks"], surface="home")
    await submit_note(bot, modal, "Customer from the <!channel> escalation & co")
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postMessage"))
    posted = text(bot.slack.by_method("chat.postMessage")[0])
    assert "💬 Customer from the &lt;!channel&gt; escalation &amp; co" in posted
    after = await bot.final_response(rid)  # the agent's private copy, through the original response_url
    assert "Shared in <#C0SUPPORT> ✓" in text(after)


@pytest.mark.parametrize("case", ["opted_out", "outside_unfurl_channels"])
async def test_no_share_button_where_sharing_would_be_refused(
    clean_env: None, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack, case: str
) -> None:
    overrides: dict[str, Any] = {"unfurl_channels": "C0OTHER"} if case == "outside_unfurl_channels" else {}
    bot = make_bot(fake_slack, slack_server[1], **overrides)
    try:
        message = await lookup(bot, PRIVATE if case == "opted_out" else JANE)
        assert "message_share" not in buttons(message) and "message_share_note" not in buttons(message)
        allowed = await lookup(bot, JANE, channel="C0OTHER")
        assert "message_share" in buttons(allowed)  # Jane, in a channel where sharing is allowed
    finally:
        await bot.http.aclose()
        await bot.deps.aclose()


async def test_a_share_clicked_outside_unfurl_channels_is_refused_politely(
    clean_env: None, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> None:
    bot = make_bot(fake_slack, slack_server[1], unfurl_channels="C0SUPPORT")
    try:
        value = buttons(await lookup(bot, JANE))["message_share"]["value"]
        refusal = await bot.final_response(await click(bot, "message_share", value, channel="C0RANDOM"))
        assert "isn't shared in this channel" in refusal["text"] and refusal["replace_original"] is False
        assert bot.slack.by_method("chat.postMessage") == []
        # refused, not posted: sharing where it is allowed still works
        await click(bot, "message_share", value)
        await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postMessage"))
    finally:
        await bot.http.aclose()
        await bot.deps.aclose()


async def test_an_out_of_date_button_says_so(bot: Bot) -> None:
    for action in ("message_view:more", "message_share"):
        note = await bot.final_response(await click(bot, action, "jane.doe@acme.example"))
        assert "out of date" in note["text"]
    assert bot.pendo.requests == [] and bot.slack.by_method("chat.postMessage") == []
