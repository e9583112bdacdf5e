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
from bot.audit import Outcome
from bot.deps import Deps
from bot.listeners.access import AccessPolicy
from bot.listeners.channels import ChannelPolicy
from bot.listeners.message_actions import Click, Result, answer_privately
from bot.listeners.routes import Route
from bot.render import blocks as block_kit
from bot.render import words


async def account_view(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    deps: Deps,
) -> None:
    await ack()
    click = Click.of(body)
    kind = str(action.get("action_id", "")).partition(":")[2] or "open"
    ref = block_kit.AccountRef.decode(action.get("value"))
    target = ref.account_id if ref else ""
    with deps.auditor.audit(
        f"account:{kind}", user=click.user, channel=click.channel, target=target
    ) as entry:
        entry.set(*await _show_account(deps, client, respond, click, ref, kind))


async def _show_account(
    deps: Deps,
    client: AsyncWebClient,
    respond: AsyncRespond,
    click: Click,
    ref: block_kit.AccountRef | None,
    kind: str,
) -> Result:
    if ref is None:
        await answer_privately(
            click, block_kit.notice_message(words.SHARE_STALE), respond, client, replace=False
        )
        return Outcome.STALE, ""
    refusal = await AccessPolicy(deps.settings, deps.memo).refusal(client, click.user, click.channel)
    if refusal:
        await answer_privately(
            click, block_kit.notice_message(refusal, icon="🔒"), respond, client, replace=False
        )
        return Outcome.REFUSED, "access"
    if not click.private and await ChannelPolicy(deps.memo).is_external(client, click.channel):
        await answer_privately(
            click, block_kit.notice_message(words.DETAILS_EXTERNAL, icon="🔒"), respond, client
        )
        return Outcome.REFUSED, "external"
    answer = await safely(account_id_answer(deps.context, ref.account_id, new_request_id(), full=ref.full))
    # Open account on the agent's own summary adds the account below it; the account's own buttons and a
    # pick from a choice replace the message they are on.
    replace = kind in ("more", "less", "pick")
    if await answer_privately(click, answer.message, respond, client, replace=replace):
        return answer.kind, answer.detail
    return Outcome.UNDELIVERED, ""


ROUTES = [
    Route(
        "action", re.compile(f"^{re.escape(block_kit.ACCOUNT_ACTION)}(:|$)"), account_view, tracked="replace"
    ),
]
