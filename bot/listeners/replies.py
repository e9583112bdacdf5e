"""Replies through Slack: the one place the listeners post a finished answer and read Slack's refusals.

`deliver` posts through a response_url (replacing the "Looking up…" note by default), `post_ephemeral`
sends a private message in a channel or thread, `slack_error` reads Slack's error code from a refused
Web API call for the log. Each returns False rather than raising when Slack does not take the message,
so the audit line can say `undelivered`. Layer: listeners (Slack I/O); `bot.answers` builds the messages.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.render import blocks as block_kit

log = logging.getLogger(__name__)


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code for a refused Web API call ("" when there is no JSON answer to read, e.g. a
    proxy's HTML error page)."""
    data = getattr(exc.response, "data", None)
    return str(data.get("error", ""))[:100] if isinstance(data, dict) else ""


async def post_ephemeral(
    client: Any, channel: str, user: str, thread_ts: str | None, message: block_kit.Message
) -> bool:
    """A private message to `user` in `channel` (in the thread, if any); False if Slack refused it."""
    try:
        await client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_ts, text=message["text"], blocks=message["blocks"]
        )
    except SlackApiError as exc:
        log.warning("chat.postEphemeral refused", extra={"error": slack_error(exc)})
        return False
    return True


async def deliver(respond: Any, message: block_kit.Message, *, replace: bool = True) -> bool:
    """Post through response_url (replacing the "Looking up…" note by default); False if Slack failed."""
    try:
        response = await respond(replace_original=replace, response_type="ephemeral", **message)
    except Exception:  # Slack unreachable: nothing more we can tell the agent
        log.exception("could not deliver the answer through response_url")
        return False
    status = getattr(response, "status_code", 200)
    if not isinstance(status, int) or status >= 300:  # e.g. a 500, or 404 for an expired response_url
        log.warning("response_url refused the answer", extra={"status": status})
        return False
    return True
