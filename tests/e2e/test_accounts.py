"""`/pendo account` and the Open account button, through signed requests to the real app and a fake Slack.

The figures on the screen are checked against the raw events of the sample, counted here with `zoneinfo`
and plain loops (the subscription's local days), never with the bot's code.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.sample import ACME, JANE, Workspace
from bot.sample.data import ACME_NAMESAKE, STARK
from tests.e2e.conftest import NOW, Bot, NewBot, workspace
from tests.e2e.test_message_actions import buttons, click, lookup, text
from tests.support.blockkit import validate_message

EVENT_KINDS = ("page", "feature", "untagged")


def local_midnight(ts_ms: int, zone: str, days: int = 0) -> int:
    tz = ZoneInfo(zone)
    day = datetime.fromtimestamp(ts_ms / 1000, tz).date() + timedelta(days=days)
    return int(datetime.combine(day, time(0), tz).timestamp() * 1000)


def period(ws: Workspace, account_id: str, start: int) -> tuple[int, int, int]:
    """(active visitors, days active, events) of the 30 local days from `start`, up to now."""
    end = min(local_midnight(start, ws.timezone, 30), NOW + 1)
    events = [
        e for e in ws.events if e.account_id == account_id and start <= e.ts < end and e.kind in EVENT_KINDS
    ]
    tz = ZoneInfo(ws.timezone)
    days = {datetime.fromtimestamp(e.ts / 1000, tz).date() for e in events}
    return len({e.visitor_id for e in events}), len(days), len(events)


def number(n: int) -> str:
    return f"{n:,}"


async def test_account_by_name_offers_namesakes_then_shows_the_summary_and_its_detail(bot: Bot) -> None:
    choice = await lookup(bot, "account acme corp")
    picks = [
        b for b in choice["blocks"] if (b.get("accessory") or {}).get("action_id") == "account_view:pick"
    ]
    assert sorted(json.loads(p["accessory"]["value"])["k"] for p in picks) == sorted([ACME, ACME_NAMESAKE])
    assert "2 Pendo accounts" in text(choice)

    acme = next(p for p in picks if json.loads(p["accessory"]["value"])["k"] == ACME)
    rid = await click(bot, "account_view:pick", acme["accessory"]["value"])
    compact = await bot.final_response(rid)
    validate_message(compact["blocks"], compact["text"])
    assert compact["replace_original"] is True  # the pick replaces the choice
    ws = bot.ws
    visitors, days, events = period(ws, ACME, local_midnight(NOW, ws.timezone, -29))
    before = period(ws, ACME, local_midnight(NOW, ws.timezone, -59))
    body = text(compact)
    assert compact["blocks"][0]["text"]["text"] == "🏢 Acme Corp"
    assert f"{days} of the last 30 days" in body and f"{visitors} active visitors" in body
    assert f"{number(events)} events in 30 d" in body
    change = round((events - before[2]) * 100 / before[2])
    trend = "no change" if change == 0 else f"{'▲' if change > 0 else '▼'} {abs(change)}% vs previous 30 d"
    assert f"in 30 d ({trend})" in body
    assert "Most active visitors" in body

    rid = await click(bot, "account_view:more", buttons(compact)["account_view:more"]["value"])
    full = await bot.final_response(rid)
    validate_message(full["blocks"], full["text"])
    assert "Events per day, last 30 days" in text(full) and "Top features" in text(full)
    opener = buttons(full)["message_view:pick"]
    rid = await click(bot, "message_view:pick", opener["value"])
    visitor = await bot.final_response(rid)
    validate_message(visitor["blocks"], visitor["text"])
    assert visitor["blocks"][0]["type"] == "header"
    assert json.loads(opener["value"])["v"] in ws.visitors


async def test_account_by_id_and_the_open_account_button_on_a_visitor_summary(bot: Bot) -> None:
    by_id = await lookup(bot, "account acme")
    assert by_id["blocks"][0]["text"]["text"] == "🏢 Acme Corp"

    summary = await lookup(bot, JANE)
    open_account = buttons(summary)["account_view:open"]
    rid = await click(bot, "account_view:open", open_account["value"])
    answer = await bot.final_response(rid)
    validate_message(answer["blocks"], answer["text"])
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["text"]["text"] == "🏢 Acme Corp"


async def test_unknown_opted_out_and_empty_accounts(bot: Bot) -> None:
    missing = await lookup(bot, "account No Such Co")
    assert "No Pendo account has the ID or the name *No Such Co*" in missing["text"]
    opted_out = await lookup(bot, f"account {STARK}")
    assert "opted out of processing" in text(opted_out) and "active visitor" not in text(opted_out)
    response, _ = await bot.command("account")
    assert "Give an account ID or name" in json.dumps(response.json())


async def test_open_account_on_a_public_message_answers_privately_or_is_refused(bot: Bot) -> None:
    value = json.dumps({"k": ACME})
    await click(bot, "account_view:open", value, public=True, user="U0READER")
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postEphemeral"))
    private: dict[str, Any] = bot.slack.by_method("chat.postEphemeral")[0]
    assert private["user"] == "U0READER" and "Acme Corp" in private["text"]
    validate_message(private["blocks"], private["text"])

    bot.slack.shared_channels.add("C0CONNECT")  # a Slack Connect channel: no customer data, even privately
    before = len(bot.pendo.requests)
    await click(bot, "account_view:open", value, public=True, channel="C0CONNECT")
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.postEphemeral")) >= 2)
    refusal = bot.slack.by_method("chat.postEphemeral")[1]
    assert "Acme" not in json.dumps(refusal) and len(bot.pendo.requests) == before


# --- issue 21 item 7: the query shown as typed; a name with a line break is found --------------------------
async def test_a_query_with_markup_characters_is_shown_as_typed(bot: Bot) -> None:
    response, rid = await bot.command("account a*b_c ~d")
    assert "Looking up `account a*b_c ~d` in Pendo" in json.dumps(response.json())
    missing = await bot.final_response(rid)
    assert "No Pendo account has the ID or the name `a*b_c ~d`." in missing["text"]
    assert "*a*b_c" not in json.dumps(missing)
    validate_message(missing["blocks"], missing["text"])


async def test_an_account_whose_name_holds_a_line_break_is_found_by_that_name(new_bot: NewBot) -> None:
    ws = workspace()
    accounts = copy.deepcopy(ws.accounts)
    accounts["initech-labs"]["metadata"]["agent"]["name"] = "Initech\nLabs"
    bot = await new_bot(ws=dataclasses.replace(ws, accounts=accounts))
    found = await lookup(bot, "account Initech\nLabs")  # pasted from Pendo, line break and all
    assert "`initech-labs`" in text(found) and "INITECH" in text(found).upper()
    other = await lookup(bot, "account Initech")  # and the other Initech is still found by its own name
    assert "`initech`" in text(other) and "initech-labs" not in text(other)
