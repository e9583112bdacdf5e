"""The account buttons: **Open account** on a visitor summary, a picked account, Show more / less.

Each answers privately to whoever clicked, after the same checks as a visitor's detail: the access lists,
and never in a channel shared with another organisation (not even privately).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import account_id_answer, new_request_id, safely
from bot.deps import Deps
from bot.listeners.clicks import Click, Result, answer_privately, click_refusal, on_click
from bot.listeners.routes import Route
from bot.listeners.slack_facts import agent_choices
from bot.render import buttons as button_kit


async def account_view(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    deps: Deps,
) -> None:
    kind = str(action.get("action_id", "")).partition(":")[2] or "open"
    ref = button_kit.AccountRef.decode(action.get("value"))
    target = ref.account_id if ref else ""
    await on_click(
        ack,
        body,
        deps,
        f"account:{kind}",
        target,
        lambda click: _show_account(deps, client, respond, click, ref, kind),
    )


async def _show_account(
    deps: Deps,
    client: AsyncWebClient,
    respond: AsyncRespond,
    click: Click,
    ref: button_kit.AccountRef | None,
    kind: str,
) -> Result:
    if refused := await click_refusal(deps, client, respond, click, stale=ref is None):
        return refused
    assert ref is not None  # a stale button is refused above
    choices = await agent_choices(deps, client, click.team, click.user)
    # A first screen (Open account, a pick) follows the agent's compact-or-full choice; Show more / less
    # say which they want.
    full = ref.full or (kind in ("open", "pick") and choices.full_first)
    answer = await safely(
        account_id_answer(deps.customers, ref.account_id, new_request_id(), full=full, choices=choices)
    )
    # Open account on the agent's own summary adds the account below it; the account's own buttons and a
    # pick from a choice replace the message they are on.
    replace = kind in ("more", "less", "pick")
    return answer.result(await answer_privately(click, answer.message, respond, client, replace=replace))


ROUTES = [
    Route(
        "action", re.compile(f"^{re.escape(button_kit.ACCOUNT_ACTION)}(:|$)"), account_view, tracked="replace"
    ),
]
