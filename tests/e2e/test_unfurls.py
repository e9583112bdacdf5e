"""Zendesk ticket links → chat.unfurl through the real app: sequence, targets, privacy, retries, errors."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from bot.sample import (
    TICKET_AFTER_MIDNIGHT,
    TICKET_FORBIDDEN,
    TICKET_JANE,
    TICKET_MULTI,
    TICKET_NO_EMAIL,
    TICKET_OPS,
    TICKET_SAM,
)
from tests.e2e.conftest import Bot, NewBot
from tests.support.blockkit import validate_message

HOST = "sample-support.zendesk.com"


def url(ticket: int, form: str = "https://{host}/agent/tickets/{id}") -> str:
    return form.format(host=HOST, id=ticket)


def posted(urls: list[str], channel: str = "C0SUPPORT", ts: str | None = None) -> dict[str, Any]:
    ts = ts or f"1700000000.{uuid.uuid4().int % 10**6:06d}"
    return {
        "type": "link_shared",
        "channel": channel,
        "is_bot_user_member": True,
        "user": "U0AGENT",
        "message_ts": ts,
        "unfurl_id": f"{channel}.{ts}.{uuid.uuid4().hex}",
        "source": "conversations_history",
        "event_ts": ts,
        "links": [{"domain": HOST, "url": u} for u in urls],
    }


def composer(urls: list[str]) -> dict[str, Any]:
    uid = f"U0AGENT-{uuid.uuid4()}"
    return {
        "type": "link_shared",
        "channel": "COMPOSER",
        "is_bot_user_member": True,
        "user": "U0AGENT",
        "message_ts": uid,
        "unfurl_id": uid,
        "source": "composer",
        "links": [{"domain": HOST, "url": u} for u in urls],
    }


def unfurl_calls(bot: Bot) -> list[dict[str, Any]]:
    return bot.slack.by_method("chat.unfurl")


async def settle(bot: Bot, calls: int) -> list[dict[str, Any]]:
    await bot.slack.wait_for(lambda: len(unfurl_calls(bot)) >= calls)
    return unfurl_calls(bot)


def blocks_text(unfurl: dict[str, Any]) -> str:
    return json.dumps(unfurl["blocks"], ensure_ascii=False)


async def test_header_first_then_pendo_context_on_the_same_target(bot: Bot) -> None:
    link = url(TICKET_JANE)
    event = posted([link])
    assert (await bot.event(event)).status_code == 200
    first, second = await settle(bot, 2)
    for call in (first, second):
        assert call["unfurl_id"] == event["unfurl_id"] and call["source"] == "conversations_history"
        assert list(call["unfurls"]) == [link]
        validate_message(call["unfurls"][link]["blocks"], surface="unfurl")
    header = blocks_text(first["unfurls"][link])
    assert (
        f"#{TICKET_JANE}" in header and "Jane Doe" in header and "Looking up the requester in Pendo" in header
    )
    full = blocks_text(second["unfurls"][link])
    assert "min before filing" in full and "Open in Pendo" in full and " of the last 30 days" in full
    assert "Looking up" not in full
    assert second["unfurls"][link]["blocks"][:1] == first["unfurls"][link]["blocks"][:1]  # same header
    # one Zendesk request for the ticket, with its sideloads
    tickets = [r for r in bot.zendesk.requests if "/tickets/" in r.path]
    assert len(tickets) == 1 and "include=users" in tickets[0].query


async def test_retries_and_duplicate_deliveries_never_unfurl_twice(bot: Bot) -> None:
    event = posted([url(TICKET_SAM)])
    await bot.event(event, event_id="Ev1")
    await settle(bot, 2)
    assert (await bot.event(event, retry=1, event_id="Ev1")).status_code == 200
    await bot.event(event, event_id="Ev1")  # redelivered without the retry header
    await bot.event(posted([url(TICKET_SAM)]))  # the same link posted again in the same channel
    await asyncio.sleep(0.3)  # let any (wrong) post-ack work run
    assert len(unfurl_calls(bot)) == 2


async def test_composer_preview_shows_the_ticket_number_only(bot: Bot) -> None:
    link = url(TICKET_JANE, "https://{host}/hc/en-us/requests/{id}")
    event = composer([link])
    await bot.event(event)
    (call,) = await settle(bot, 1)
    assert call["source"] == "composer" and call["unfurl_id"] == event["unfurl_id"]
    assert f"Zendesk ticket #{TICKET_JANE}" in blocks_text(call["unfurls"][link])
    assert "Jane" not in blocks_text(call["unfurls"][link])
    assert bot.zendesk.requests == [] and bot.pendo.requests == []


async def test_nothing_in_slack_connect_channels(bot: Bot) -> None:
    bot.slack.shared_channels.add("C0SHARED")
    await bot.event(posted([url(TICKET_JANE)], channel="C0SHARED"))
    await bot.slack.wait_for(lambda: bot.slack.by_method("conversations.info"))
    await asyncio.sleep(0.3)
    assert unfurl_calls(bot) == [] and bot.zendesk.requests == [] and bot.pendo.requests == []


async def test_slack_connect_ticket_number_only_by_setting(new_bot: NewBot) -> None:
    bot = await new_bot(unfurl_shared_channels="ticket_number")
    bot.slack.shared_channels.add("C0SHARED")
    link = url(TICKET_JANE)
    await bot.event(posted([link], channel="C0SHARED"))
    (call,) = await settle(bot, 1)
    assert "Jane" not in blocks_text(call["unfurls"][link]) and bot.zendesk.requests == []


async def test_pendo_data_only_in_allowed_channels(new_bot: NewBot) -> None:
    bot = await new_bot(unfurl_channels="C0ALLOWED")
    link = url(TICKET_JANE)
    await bot.event(posted([link], channel="C0OTHER"))
    (call,) = await settle(bot, 1)
    assert "Jane Doe" in blocks_text(call["unfurls"][link]) and "Pendo" not in blocks_text(
        call["unfurls"][link]
    )
    assert bot.pendo.requests == []
    await bot.event(posted([link], channel="C0ALLOWED"))
    calls = await settle(bot, 3)
    assert "min before filing" in blocks_text(calls[2]["unfurls"][link])


async def test_several_links_are_deduped_capped_and_fetched_in_one_request(bot: Bot) -> None:
    ids = [TICKET_JANE, TICKET_NO_EMAIL, TICKET_OPS, TICKET_SAM, TICKET_AFTER_MIDNIGHT, TICKET_MULTI, 1010]
    links = [url(i) for i in ids] + [
        url(TICKET_JANE, "https://{host}/agent/#/tickets/{id}"),
        "https://other.zendesk.com/agent/tickets/5",
    ]
    await bot.event(posted(links))
    _first, second = await settle(bot, 2)
    assert list(second["unfurls"]) == links[:5]
    assert "2 more ticket links not previewed" in blocks_text(second["unfurls"][links[4]])
    many = [r for r in bot.zendesk.requests if "show_many" in r.path]
    assert len(many) == 1 and len(bot.zendesk.requests) == 1
    assert "no email address" in blocks_text(second["unfurls"][links[1]])
    for unfurl in second["unfurls"].values():
        validate_message(unfurl["blocks"], surface="unfurl")


async def test_other_tenants_and_non_ticket_links_are_ignored(bot: Bot) -> None:
    await bot.event(
        posted(["https://evil.zendesk.com/agent/tickets/1001", f"https://{HOST}/hc/en-us/requests/new"])
    )
    await asyncio.sleep(0.3)
    assert unfurl_calls(bot) == [] and bot.zendesk.requests == []


async def test_ticket_errors_each_give_a_clear_unfurl(bot: Bot) -> None:
    cases = [
        (TICKET_FORBIDDEN, None, "cannot see ticket"),
        (424242, None, "was not found in Zendesk"),
    ]
    for ticket, _, expected in cases:
        link = url(ticket)
        before = len(unfurl_calls(bot))
        await bot.event(posted([link]))
        calls = await settle(bot, before + 1)
        assert expected in blocks_text(calls[-1]["unfurls"][link])
        validate_message(calls[-1]["unfurls"][link]["blocks"], surface="unfurl")


async def test_zendesk_auth_and_outage(bot: Bot) -> None:
    bot.zendesk.fail(r"/api/v2/", 401, times=1)
    link = url(TICKET_JANE)
    await bot.event(posted([link], channel="C0A"))
    calls = await settle(bot, 1)
    # words for agents: the setting names go to the log and `pendo-bot check`, not into the channel
    text = blocks_text(calls[-1]["unfurls"][link])
    assert "rejected the bot's credentials" in text and "ZENDESK_" not in text
    bot.zendesk.fail(r"/api/v2/", 503)
    await bot.event(posted([link], channel="C0B"))
    calls = await settle(bot, 2)
    assert "Zendesk is unavailable right now" in blocks_text(calls[-1]["unfurls"][link])


async def test_pendo_outage_keeps_the_header_with_a_reason(bot: Bot) -> None:
    bot.pendo.fail(r"/api/v1/", 503)
    link = url(TICKET_JANE)
    await bot.event(posted([link]))
    _first, second = await settle(bot, 2)
    text = blocks_text(second["unfurls"][link])
    assert (
        "Jane Doe" in text and "Pendo data unavailable" in text and "Pendo is unavailable right now" in text
    )


async def test_an_internal_failure_replaces_the_pending_preview(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(bundle: object) -> object:
        raise RuntimeError("bug")

    assert bot.deps.tickets is not None
    monkeypatch.setattr(bot.deps.tickets, "requester_facts", broken)
    link = url(TICKET_JANE)
    await bot.event(posted([link]))
    _first, second = await settle(bot, 2)
    text = blocks_text(second["unfurls"][link])
    assert "could not be completed" in text and "Looking up" not in text


async def test_a_retry_whose_first_delivery_never_arrived_still_unfurls(bot: Bot) -> None:
    # The first delivery was lost (a restart, a deploy): Slack's retry is the first one the bot sees.
    link = url(TICKET_JANE)
    assert (await bot.event(posted([link]), retry=1, event_id="EvLOST1")).status_code == 200
    _first, second = await settle(bot, 2)
    assert list(second["unfurls"]) == [link] and "before filing" in blocks_text(second["unfurls"][link])
    # ...and a second retry of that same event is acked and dropped
    assert (await bot.event(posted([link]), retry=2, event_id="EvLOST1")).status_code == 200
    await asyncio.sleep(0.3)
    assert len(unfurl_calls(bot)) == 2


async def test_a_redelivered_event_runs_once_whatever_its_headers(bot: Bot) -> None:
    home = {"type": "app_home_opened", "user": "U0AGENT", "channel": "D1", "tab": "home", "event_ts": "1"}
    await bot.event(home, event_id="EvHOME1")
    await bot.event(home, event_id="EvHOME1")  # Slack resent it without a retry header
    await bot.event(home, retry=1, event_id="EvHOME1")
    await bot.event(home, event_id="EvHOME2")  # a new event: runs
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("views.publish")) >= 2)
    await asyncio.sleep(0.3)
    assert len(bot.slack.by_method("views.publish")) == 2


async def test_access_lists_cover_unfurls_the_poster_and_the_channel(new_bot: NewBot) -> None:
    bot = await new_bot(allowed_usergroups="S0SUPPORT", allowed_channels="C0SUPPORT,C0OTHER")
    bot.slack.usergroups["S0SUPPORT"] = ["U0MEMBER"]
    outsider = posted([url(TICKET_JANE)]) | {"user": "U0OUTSIDER"}
    wrong_channel = posted([url(TICKET_SAM)], channel="C0RANDOM") | {"user": "U0MEMBER"}
    for event in (outsider, wrong_channel):
        assert (await bot.event(event)).status_code == 200
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("usergroups.users.list")) >= 1)
    await asyncio.sleep(0.3)
    assert unfurl_calls(bot) == [] and bot.zendesk.requests == [] and bot.pendo.requests == []
    # the same link, posted by a member in an allowed channel, unfurls in full
    link = url(TICKET_JANE)
    await bot.event(posted([link], channel="C0OTHER") | {"user": "U0MEMBER"})
    _first, second = await settle(bot, 2)
    assert "before filing" in blocks_text(second["unfurls"][link])


async def test_access_lists_and_unfurl_channels_combine(new_bot: NewBot) -> None:
    # ALLOWED_CHANNELS: where links unfurl at all; UNFURL_CHANNELS: where Pendo data shows among those.
    bot = await new_bot(allowed_channels="C0SUPPORT,C0OPS", unfurl_channels="C0SUPPORT")
    link = url(TICKET_JANE)
    await bot.event(posted([link], channel="C0OPS"))
    (header,) = await settle(bot, 1)
    assert "Jane Doe" in blocks_text(header["unfurls"][link]) and bot.pendo.requests == []
    await bot.event(posted([link], channel="C0ELSEWHERE"))
    await asyncio.sleep(0.3)
    assert len(unfurl_calls(bot)) == 1
