"""A signed button whose ticket id is not a Zendesk ticket id (0, negative, past int64) is an out-of-date
button: the click is answered with the stale-button notice, never an exception after its ack."""

from __future__ import annotations

import json

import pytest

from bot.domain.models import Target
from bot.render.buttons import ViewRef
from bot.render.notices import SHARE_STALE
from bot.sample import JANE
from tests.e2e import test_message_actions as actions
from tests.e2e import test_ticket_notes as notes
from tests.e2e.conftest import Bot

BAD_IDS = [0, -1, 2**63, 10**30]


def value(ticket_id: int) -> str:
    return json.dumps({"v": JANE, "t": ticket_id, "a": 1, "c": 1})


@pytest.mark.parametrize("ticket_id", BAD_IDS)
def test_view_ref_refuses_a_ticket_id_outside_1_to_int64(ticket_id: int) -> None:
    assert ViewRef.decode(value(ticket_id)) is None
    assert Target.decode(json.dumps({"k": "ticket", "v": str(ticket_id)})) is None


def test_view_ref_keeps_the_ticket_ids_zendesk_can_have() -> None:
    for ticket_id in (1, 2**63 - 1):
        ref = ViewRef.decode(value(ticket_id))
        assert ref is not None and ref.ticket_id == ticket_id
        assert Target.decode(json.dumps({"k": "ticket", "v": str(ticket_id)})) == Target(
            "ticket", str(ticket_id)
        )


@pytest.mark.parametrize("ticket_id", BAD_IDS)
async def test_add_to_ticket_with_a_bad_ticket_id_says_out_of_date(bot: Bot, ticket_id: int) -> None:
    rid = await notes.click(bot, value(ticket_id))
    said = await bot.final_response(rid)
    assert SHARE_STALE in actions.text(said)
    assert [r for r in bot.zendesk.requests if r.method == "PUT"] == []


@pytest.mark.parametrize("ticket_id", BAD_IDS)
@pytest.mark.parametrize("action", ["message_view:more", "message_view:earlier", "message_share"])
async def test_a_view_button_with_a_bad_ticket_id_says_out_of_date(
    bot: Bot, action: str, ticket_id: int
) -> None:
    said = await bot.final_response(await actions.click(bot, action, value(ticket_id)))
    assert "out of date" in said["text"]
    assert bot.slack.by_method("chat.postMessage") == []


@pytest.mark.parametrize("field", ["a", "c"])
@pytest.mark.parametrize("ms", [-1, 10**30])
def test_view_ref_refuses_a_time_no_datetime_can_hold(field: str, ms: int) -> None:
    assert ViewRef.decode(json.dumps({"v": JANE, "t": 5, field: ms})) is None
