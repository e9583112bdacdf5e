"""Buttons: pick one of several visitors, share a summary in the channel, and URL buttons (ack only)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import deliver, new_request_id, safely, visitor_answer
from bot.audit import AuditEntry, Outcome
from bot.deps import Deps
from bot.listeners.access import AccessPolicy
from bot.listeners.channels import ChannelPolicy
from bot.listeners.middleware import deps_of
from bot.listeners.routes import Route
from bot.render import blocks as block_kit

log = logging.getLogger(__name__)

# Slack errors that mean "the bot may not post here", with what the agent can do about it.
CANNOT_POST = {
    "not_in_channel": "I'm not a member of this channel: invite me with `/invite @pendo`, then share again.",
    "channel_not_found": "I can't see this conversation (a private channel or a DM I'm not in). Invite me first, or share from a channel I'm in.",
    "is_archived": "This channel is archived, so nothing can be posted in it.",
    "restricted_action": "Posting here is restricted by your workspace admins.",
    "restricted_action_read_only_channel": "This channel is read-only for apps.",
    "ekm_access_denied": "Your workspace's key management blocks apps from posting here.",
}


def _ids(body: dict[str, Any]) -> tuple[str, str]:
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
    return user, channel


EXTERNAL = (
    "This conversation is shared with another organisation (Slack Connect), so I don't post customer "
    "data here. Share it in an internal channel instead."
)


async def _note(respond: AsyncRespond, text: str, icon: str = "⚠️") -> None:
    """A private note under the message the button was on (which stays as it is)."""
    await deliver(respond, block_kit.notice_message(text, icon=icon), replace=False)


async def _refused(
    deps: Deps, client: AsyncWebClient, user: str, channel: str, respond: AsyncRespond
) -> bool:
    refusal = await AccessPolicy.of(deps).refusal(client, user, channel)
    if refusal:
        await _note(respond, refusal, icon="🔒")
    return refusal is not None


async def pick_visitor(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    deps = deps_of(context)
    user, channel = _ids(body)
    visitor_id = str(action.get("value") or "")
    with deps.auditor.audit("pick", user=user, channel=channel, target=visitor_id) as entry:
        if await _refused(deps, client, user, channel, respond):
            entry.set(Outcome.REFUSED)
            return
        await deliver(respond, block_kit.progress_message(visitor_id))
        answer = await safely(visitor_answer(deps.context, visitor_id, new_request_id()))
        await deliver(respond, answer.message)
        entry.set(answer.kind, answer.detail)


async def share_summary(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    deps = deps_of(context)
    user, channel = _ids(body)
    with deps.auditor.audit("share", user=user, channel=channel) as entry:
        try:
            value = json.loads(action.get("value") or "{}")
            visitor_id = str(value["v"])
        except (ValueError, KeyError, TypeError):
            await _note(respond, "This button is out of date: run the lookup again.")
            entry.set(Outcome.STALE)
            return
        entry.targets = [visitor_id]
        if await _refused(deps, client, user, channel, respond):
            entry.set(Outcome.REFUSED)
            return
        await _share(deps, client, respond, entry, visitor_id, value)


async def _share(
    deps: Deps,
    client: AsyncWebClient,
    respond: AsyncRespond,
    entry: AuditEntry,
    visitor_id: str,
    value: dict[str, Any],
) -> None:
    """Post the summary visibly where that is allowed and possible; the outcome goes on the entry."""
    if await ChannelPolicy.of(deps).is_external(client, entry.channel):
        await _note(respond, EXTERNAL, icon="🔒")
        entry.set(Outcome.REFUSED, "external")
        return
    answer = await safely(
        visitor_answer(
            deps.context,
            visitor_id,
            new_request_id(),
            anchor_ms=value.get("a"),
            marker=value.get("m"),
            shared_by=entry.user,
        )
    )
    if answer.kind is not Outcome.SHARED:
        await deliver(respond, answer.message, replace=False)
        entry.set(answer.kind, answer.detail)
        return
    try:
        await client.chat_postMessage(
            channel=entry.channel, unfurl_links=False, unfurl_media=False, **answer.message
        )
    except SlackApiError as exc:
        code = str(exc.response.get("error", "")) if exc.response is not None else ""
        reason = CANNOT_POST.get(code, "Slack refused the post. Try again, or share from another channel.")
        log.warning("share refused by Slack", extra={"error": code})
        await _note(respond, f"I couldn't share this here. {reason}")
        entry.set(Outcome.REFUSED, code or "unknown")
        return
    entry.set(Outcome.SHARED)


async def open_link(ack: AsyncAck) -> None:
    await ack()  # URL buttons still send an action that must be acknowledged


ROUTES = [
    Route("action", block_kit.PICK_ACTION, pick_visitor, tracked="replace"),
    Route("action", block_kit.SHARE_ACTION, share_summary, tracked="new"),
    Route("action", re.compile(f"^{block_kit.OPEN_ACTION}"), open_link),
]
