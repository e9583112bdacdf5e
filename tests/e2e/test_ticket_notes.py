""" "Add to ticket" through signed requests to the real app: the note on the Zendesk ticket, once, after the
access checks; the agent's summary then says it is there. And the webhook route in HTTP mode."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from bot.sample import JANE, TICKET_JANE
from bot.sample.helpdesk import Helpdesk, iso
from bot.zendesk.webhook import sign
from tests.e2e.conftest import Bot, NewBot
from tests.e2e.test_message_actions import buttons, lookup, text
from tests.support.blockkit import validate_message

ADD = "ticket_note_add"


async def click(bot: Bot, value: str, *, user: str = "U0AGENT", public: bool = False) -> str:
    rid = uuid.uuid4().hex[:10]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": user, "username": "alex.rivera", "name": "alex.rivera", "team_id": "T0001"},
        "api_app_id": "A0001",
        "container": {
            "type": "message_attachment" if public else "message",
            "message_ts": "1.2",
            "channel_id": "C0SUPPORT",
            "is_ephemeral": not public,
        },
        "channel": {"id": "C0SUPPORT"},
        "trigger_id": "1.2.3",
        "response_url": f"{bot.slack_url}/response/{rid}",
        "actions": [{"action_id": ADD, "block_id": "b", "type": "button", "value": value, "action_ts": "1"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"content-type": "application/x-www-form-urlencoded", **bot.sign(body)}
    response = await bot.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200
    return rid


def desk(bot: Bot) -> Helpdesk:
    assert bot.helpdesk is not None
    return bot.helpdesk


async def test_add_to_ticket_writes_the_note_once_and_the_button_turns_into_a_tick(bot: Bot) -> None:
    bot.slack.user_names["U0AGENT"] = "Alex Rivera"  # the profile's name, not the legacy handle
    answer = await lookup(bot, f"#{TICKET_JANE}")
    add = buttons(answer)[ADD]
    assert add["text"]["text"] == "Add to ticket"
    rid = await click(bot, add["value"])
    done = await bot.final_response(rid)
    validate_message(done["blocks"], done["text"])
    assert done["replace_original"] is True
    assert ADD not in buttons(done) and f"Added to ticket #{TICKET_JANE} ✓" in text(done)
    [note] = desk(bot).notes(TICKET_JANE)
    assert "Added from Slack by Alex Rivera" in note["body"] and "Jane Doe" in note["body"]
    assert "alex.rivera" not in note["body"]

    again = await click(bot, add["value"])  # a second click (or a colleague's): nothing written twice
    said = await bot.final_response(again)
    assert f"already on ticket #{TICKET_JANE}" in text(said)
    assert len(desk(bot).notes(TICKET_JANE)) == 1


async def test_a_visitor_summary_without_a_ticket_has_no_add_to_ticket(bot: Bot) -> None:
    assert ADD not in buttons(await lookup(bot, JANE))


async def test_add_to_ticket_can_be_turned_off(new_bot: NewBot) -> None:
    bot = await new_bot(zendesk_add_to_ticket=False)
    assert ADD not in buttons(await lookup(bot, f"#{TICKET_JANE}"))


async def test_someone_outside_the_access_lists_adds_nothing(new_bot: NewBot) -> None:
    bot = await new_bot(allowed_users="U0AGENT")
    value = buttons(await lookup(bot, f"#{TICKET_JANE}"))[ADD]["value"]
    rid = await click(bot, value, user="U0STRANGER")
    refusal = await bot.final_response(rid)
    assert "🔒" in text(refusal)
    assert desk(bot).notes(TICKET_JANE) == []
    assert [r for r in bot.zendesk.requests if r.method == "PUT"] == []


async def test_a_tampered_button_is_refused_as_stale(bot: Bot) -> None:
    rid = await click(bot, '{"v": "x"}')  # no ticket in it
    said = await bot.final_response(rid)
    assert desk(bot).notes(TICKET_JANE) == [] and "⚠️" in text(said)


async def test_the_webhook_is_served_beside_slack_events_in_http_mode(new_bot: NewBot) -> None:
    bot = await new_bot(zendesk_webhook_secret="hook-secret")
    body = json.dumps({"ticket_id": str(TICKET_JANE)}).encode()
    stamp = iso(int(time.time() * 1000))
    headers: dict[str, Any] = {
        "content-type": "application/json",
        "x-zendesk-webhook-signature": sign("hook-secret", stamp, body),
        "x-zendesk-webhook-signature-timestamp": stamp,
    }
    assert (await bot.http.post("/zendesk/webhook", content=body, headers=headers)).status_code == 200
    assert bot.deps.note_queue is not None
    await bot.deps.note_queue.idle()
    assert len(desk(bot).notes(TICKET_JANE)) == 1
    forged = dict(headers, **{"x-zendesk-webhook-signature": sign("guess", stamp, body)})
    assert (await bot.http.post("/zendesk/webhook", content=body, headers=forged)).status_code == 401


async def test_without_the_secret_there_is_no_webhook_route(bot: Bot) -> None:
    response = await bot.http.post("/zendesk/webhook", content=b"{}")
    assert response.status_code == 404


async def test_the_tickets_details_view_offers_add_to_ticket_too(bot: Bot) -> None:
    from tests.e2e.test_message_actions import click as view_click

    compact = await lookup(bot, f"#{TICKET_JANE}")
    rid = await view_click(bot, "message_view:more", buttons(compact)["message_view:more"]["value"])
    full = await bot.final_response(rid)
    assert json.loads(buttons(full)[ADD]["value"])["t"] == TICKET_JANE


async def test_the_note_says_an_agent_when_slack_cannot_name_them(bot: Bot) -> None:
    answer = await lookup(bot, f"#{TICKET_JANE}")
    bot.slack.method_errors["users.info"] = "user_not_found"
    rid = await click(bot, buttons(answer)[ADD]["value"], user="U0OTHER")
    await bot.final_response(rid)
    [note] = desk(bot).notes(TICKET_JANE)
    assert "Added from Slack by an agent" in note["body"] and "alex.rivera" not in note["body"]


async def test_add_to_ticket_after_a_pick_writes_the_picked_visitors_note(new_bot: NewBot) -> None:
    from bot.render.buttons import ViewRef
    from bot.render.note import visitor_mark
    from bot.sample import OPS_VISITOR_IDS, TICKET_OPS

    bot = await new_bot(pendo_email_field="agent/email")
    assert bot.deps.notes is not None
    await bot.deps.notes.write(TICKET_OPS)  # the webhook's note: the candidates, no visitor picked
    created = desk(bot).tickets[TICKET_OPS]["created_at"]
    from bot.sample.helpdesk import _ms

    at = _ms(created)
    value = ViewRef(OPS_VISITOR_IDS[1], anchor_ms=at, ticket_id=TICKET_OPS, ticket_ms=at).encode()
    assert value is not None
    rid = await click(bot, value)
    done = await bot.final_response(rid)
    assert f"Added to ticket #{TICKET_OPS} ✓" in text(done)
    ambiguous, picked = desk(bot).notes(TICKET_OPS)
    assert "Pendo visitors have the requester's email" in ambiguous["body"]
    assert "Activity:" in picked["body"] and visitor_mark(OPS_VISITOR_IDS[1]) in picked["body"]
    said = await bot.final_response(await click(bot, value))  # the same pick again: already there
    assert f"already on ticket #{TICKET_OPS}" in text(said) and len(desk(bot).notes(TICKET_OPS)) == 2
