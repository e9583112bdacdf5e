"""Issue 27 item 8: after Share, the agent's private copy still says "Added to ticket ✓"."""

from __future__ import annotations

from bot.sample import TICKET_JANE
from tests.e2e.conftest import Bot
from tests.e2e.test_message_actions import buttons, click, lookup, text
from tests.e2e.test_ticket_notes import ADD
from tests.e2e.test_ticket_notes import click as add_click


async def test_share_after_add_to_ticket_keeps_the_tick(bot: Bot) -> None:
    answer = await lookup(bot, f"#{TICKET_JANE}")
    done = await bot.final_response(await add_click(bot, buttons(answer)[ADD]["value"]))
    assert f"Added to ticket #{TICKET_JANE} ✓" in text(done)
    rid = await click(bot, "message_share", buttons(done)["message_share"]["value"])
    mine = await bot.final_response(rid)
    assert "Shared in <#C0SUPPORT> ✓" in text(mine)
    assert f"Added to ticket #{TICKET_JANE} ✓" in text(mine) and ADD not in buttons(mine)
