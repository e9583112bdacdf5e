"""Buttons on messages posted by an earlier version of the bot, and URL buttons (ack only).

Summaries are now answered through `message_view:*` and `message_share*` (bot.listeners.message_actions);
`share_summary` and `pick_visitor` only remain on old messages, and get a private word to run /pendo again.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.audit import Outcome
from bot.deps import Deps
from bot.listeners.clicks import Click, Result, on_click
from bot.listeners.replies import deliver
from bot.listeners.routes import Route
from bot.render import buttons as button_kit
from bot.render import messages as message_blocks
from bot.render import notices


async def earlier_version(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, deps: Deps
) -> None:
    """The message the button is on stays as it is; the clicker alone is told what to do instead."""

    async def answer(click: Click) -> Result:
        await deliver(respond, message_blocks.notice_message(notices.EARLIER_VERSION), replace=False)
        return Outcome.STALE, ""

    audited = "share" if action.get("action_id") == button_kit.SHARE_ACTION else "pick"
    await on_click(ack, body, deps, audited, "", answer)


async def open_link(ack: AsyncAck) -> None:
    await ack()  # URL buttons still send an action that must be acknowledged


ROUTES = [
    Route("action", button_kit.PICK_ACTION, earlier_version),
    Route("action", button_kit.SHARE_ACTION, earlier_version),
    Route("action", re.compile(f"^{button_kit.OPEN_ACTION}"), open_link),
]
