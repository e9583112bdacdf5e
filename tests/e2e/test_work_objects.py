"""Ticket unfurls as Slack Work Objects (`WORK_OBJECTS=on`), through signed requests to the real app and a
fake Slack that rejects metadata outside Slack's schema (`bot.sample.work_objects`), as Slack does.

The channel's card carries the ticket header only; the per-user panel carries the requester's Pendo
context, only for someone the access lists allow and never in a Slack Connect channel.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sample import JANE, TICKET_JANE
from bot.sample.slack_api import FakeSlack
from bot.sample.work_objects import entity_errors
from tests.e2e.conftest import NOW, Bot, NewBot
from tests.e2e.test_accounts import EVENT_KINDS, local_midnight
from tests.e2e.test_unfurls import posted, url
from tests.support.blockkit import validate_message


def details_requested(ticket: str, *, user: str = "U0AGENT", channel: str = "C0SUPPORT") -> dict[str, Any]:
    return {
        "type": "entity_details_requested",
        "user": user,
        "external_ref": {"id": ticket, "type": "zendesk_ticket"},
        "entity_url": f"https://sample-support.zendesk.com/agent/tickets/{ticket}",
        "link": {"url": url(TICKET_JANE), "domain": "sample-support.zendesk.com"},
        "app_unfurl_url": url(TICKET_JANE),
        "event_ts": "1795000000.000200",
        "trigger_id": "1234567890123.1234567890123.abcdef",
        "user_locale": "en-US",
        "channel": channel,
        "message_ts": "1795000000.000100",
    }


async def presented(bot: Bot, count: int = 1) -> dict[str, Any]:
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("entity.presentDetails")) >= count)
    call = [c for c in bot.slack.calls if c.method == "entity.presentDetails"][count - 1]
    assert call.result == {"ok": True}, call.result  # the fake accepted it as Slack would
    return call.body


async def test_the_unfurl_is_a_work_object_with_the_ticket_header_only(new_bot: NewBot) -> None:
    bot = await new_bot(work_objects="on")
    link = url(TICKET_JANE)
    await bot.event(posted([link]))
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.unfurl"))
    [call] = [c for c in bot.slack.calls if c.method == "chat.unfurl"]
    assert call.result == {"ok": True}, call.result
    [entity] = call.body["metadata"]["entities"]
    assert entity_errors(entity) == []
    assert entity["entity_type"] == "slack#/entities/task" and entity["app_unfurl_url"] == link
    assert entity["external_ref"] == {"id": str(TICKET_JANE), "type": "zendesk_ticket"}
    ticket = bot.ws.tickets[TICKET_JANE]
    assert entity["entity_payload"]["attributes"]["title"]["text"] == f"#{TICKET_JANE} {ticket['subject']}"
    assert "custom_fields" not in entity["entity_payload"]  # no Pendo data for the channel
    fallback = call.body["unfurls"][link]
    validate_message(fallback["blocks"], "unfurl")
    assert "of 30 days" not in json.dumps(fallback) and bot.pendo.requests == []


async def test_the_panel_shows_the_requesters_pendo_context_to_an_allowed_user(new_bot: NewBot) -> None:
    bot = await new_bot(work_objects="on")
    await bot.event(details_requested(str(TICKET_JANE)))
    body = await presented(bot)
    assert body["trigger_id"] == "1234567890123.1234567890123.abcdef" and "error" not in body
    custom = {f["key"]: f for f in body["metadata"]["entity_payload"]["custom_fields"]}
    assert custom["pendo_visitor"]["value"] == "Jane Doe"

    ws, tz = bot.ws, ZoneInfo(bot.ws.timezone)
    start = local_midnight(NOW, ws.timezone, -29)
    events = [e for e in ws.events if e.visitor_id == JANE and start <= e.ts <= NOW and e.kind in EVENT_KINDS]
    days = {datetime.fromtimestamp(e.ts / 1000, tz).date() for e in events}
    assert custom["pendo_events"]["value"].startswith(f"{len(events):,} (")
    assert f"{len(days)} of the last 30 days" in custom["pendo_activity"]["value"]
    last = max(e.ts for e in ws.events if e.visitor_id == JANE)
    assert custom["pendo_last_seen"] == {
        "key": "pendo_last_seen",
        "label": "Last seen",
        "type": "slack#/types/timestamp",
        "value": last // 1000,
    }
    assert custom["pendo_account"]["value"] == "Acme Corp"


async def test_the_panel_is_refused_outside_the_access_lists_and_in_slack_connect(
    new_bot: NewBot, fake_slack: FakeSlack
) -> None:
    bot = await new_bot(work_objects="on", allowed_users="U0AGENT", access_contact="#support-ops")
    await bot.event(details_requested(str(TICKET_JANE), user="U0OUTSIDER"))
    refused = await presented(bot)
    assert refused["error"]["status"] == "custom" and "#support-ops" in refused["error"]["custom_message"]
    assert "metadata" not in refused

    fake_slack.shared_channels.add("C0CONNECT")
    await bot.event(details_requested(str(TICKET_JANE), channel="C0CONNECT"))
    external = await presented(bot, 2)
    assert "metadata" not in external and "Jane" not in json.dumps(external)
    assert bot.pendo.requests == [] and bot.zendesk.requests == []  # nothing fetched for a refusal

    await bot.event(details_requested("not-a-ticket"))
    assert "metadata" not in await presented(bot, 3)


async def test_off_by_default(bot: Bot) -> None:
    link = url(TICKET_JANE)
    await bot.event(posted([link]))
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.unfurl")) >= 2)
    assert all("metadata" not in c for c in bot.slack.by_method("chat.unfurl"))
    await bot.event(details_requested(str(TICKET_JANE)))
    assert bot.slack.by_method("entity.presentDetails") == []


def test_the_fake_rejects_metadata_outside_the_schema() -> None:
    good: dict[str, Any] = {
        "entity_type": "slack#/entities/task",
        "url": "https://x.zendesk.com/agent/tickets/1",
        "external_ref": {"id": "1"},
        "entity_payload": {"attributes": {"title": {"text": "#1"}}, "fields": {"status": {"value": "Open"}}},
    }
    assert entity_errors(good) == []
    bad: list[dict[str, Any]] = [
        {**good, "entity_type": "slack#/entities/ticket"},
        {**good, "external_ref": {"id": 1}},
        {**good, "url": "http://x"},
        {**good, "entity_payload": {"fields": {}}},
        {**good, "entity_payload": {**good["entity_payload"], "fields": {"requester": {"value": "x"}}}},
        {
            **good,
            "entity_payload": {
                **good["entity_payload"],
                "custom_fields": [{"key": "a", "label": "A", "type": "text"}],
            },
        },
        {**good, "entity_payload": {**good["entity_payload"], "display_order": ["nope"]}},
        {**good, "surprise": 1},
    ]
    for entity in bad:
        assert entity_errors(entity), entity


# --- issue 21 item 4: odd ids answer "not a ticket"; no channel or a foreign user fails closed -------------
@pytest.mark.parametrize("ticket", ["99999999999999999999", "١٠٠١", "²", "0", "-1001", " 1001", "1001\n"])
async def test_an_id_that_is_not_a_ticket_number_gets_a_panel_saying_so(new_bot: NewBot, ticket: str) -> None:
    bot = await new_bot(work_objects="on")
    await bot.event(details_requested(ticket))
    body = await presented(bot)
    assert body["error"]["custom_message"] == "This item is not a Zendesk ticket this bot knows."
    assert bot.zendesk.requests == [] and bot.pendo.requests == []


async def test_a_panel_without_a_channel_shows_nothing_of_the_customer(new_bot: NewBot) -> None:
    bot = await new_bot(work_objects="on")
    event = details_requested(str(TICKET_JANE))
    del event["channel"]
    await bot.event(event)
    body = await presented(bot)
    assert "metadata" not in body and "Jane" not in json.dumps(body)
    assert "can't tell which conversation" in body["error"]["custom_message"]
    assert bot.zendesk.requests == [] and bot.pendo.requests == []


async def test_a_panel_for_a_user_of_another_workspace_shows_nothing_of_the_customer(new_bot: NewBot) -> None:
    bot = await new_bot(work_objects="on")
    await bot.event(details_requested(str(TICKET_JANE)) | {"user_team": "T0OTHER"})
    body = await presented(bot)
    assert "metadata" not in body and "Slack Connect" in body["error"]["custom_message"]
    await bot.event(details_requested(str(TICKET_JANE)) | {"user_team": "T0001"})  # this workspace: shown
    assert "metadata" in await presented(bot, 2)


@pytest.mark.parametrize("slack_says", ["another team", "users.info fails"])
async def test_a_panel_whose_user_slack_cannot_place_in_this_workspace_shows_nothing(
    new_bot: NewBot, slack_says: str
) -> None:
    # Slack's documented event names no team: the user's users.info team_id decides, and fails closed.
    bot = await new_bot(work_objects="on")
    if slack_says == "another team":
        bot.slack.user_teams["U0GUEST"] = "T0OTHER"
    else:
        bot.slack.method_errors["users.info"] = "user_not_found"
    event = details_requested(str(TICKET_JANE), user="U0GUEST")
    assert "user_team" not in event and "team" not in event
    await bot.event(event)
    body = await presented(bot)
    assert "metadata" not in body and "Slack Connect" in body["error"]["custom_message"]
    assert bot.zendesk.requests == [] and bot.pendo.requests == []
    assert [c["user"] for c in bot.slack.by_method("users.info")] == ["U0GUEST"]
