"""`entity_details_requested` → `entity.presentDetails`: a ticket's Work Object panel, per user.

Slack sends the event when someone opens a Work Object unfurl (`WORK_OBJECTS=on`). The panel is shown
only to that person, so it may carry the requester's Pendo context, but only when the access lists allow
them and never in a Slack Connect channel (its members may be outside the company); otherwise the panel
says why, with nothing about the customer.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import slack_error
from bot.audit import Outcome
from bot.listeners.access import AccessPolicy
from bot.listeners.channels import ChannelPolicy
from bot.listeners.middleware import deps_of
from bot.listeners.routes import Route
from bot.listeners.settings import agent_choices
from bot.render import words
from bot.render import work_objects as wo
from bot.upstream import UpstreamError

log = logging.getLogger(__name__)
NOT_A_TICKET = "This item is not a Zendesk ticket this bot knows."


async def entity_details_requested(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    deps = deps_of(context)
    if not deps.settings.work_objects or deps.tickets is None:
        return
    user, channel = str(event.get("user") or ""), str(event.get("channel") or "")
    trigger = str(event.get("trigger_id") or "")
    ref = event.get("external_ref") or {}
    raw_id = str(ref.get("id") or "")
    with deps.auditor.audit("work_object", user=user, channel=channel, target=f"ticket:{raw_id}") as entry:

        async def present(**answer: Any) -> bool:
            try:
                await client.entity_presentDetails(trigger_id=trigger, **answer)
            except SlackApiError as exc:
                log.warning("entity.presentDetails refused", extra={"error": slack_error(exc)})
                return False
            return True

        if ref.get("type") != wo.REF_TYPE or not raw_id.isdigit():
            await present(error=wo.refusal(NOT_A_TICKET))
            entry.set(Outcome.INVALID)
            return
        refusal = await AccessPolicy.of(deps).refusal(client, user, channel)
        if refusal:
            await present(error=wo.refusal(refusal))
            entry.set(Outcome.REFUSED, "access")
            return
        if channel and await ChannelPolicy.of(deps).is_external(client, channel):
            await present(error=wo.refusal(words.DETAILS_EXTERNAL))
            entry.set(Outcome.REFUSED, "external")
            return
        try:
            bundle = await deps.tickets.ticket(int(raw_id))
            choices = await agent_choices(deps, client, context.team_id or "", user)  # one reader's panel
            tc = await deps.tickets.requester_context(bundle, choices)
        except UpstreamError as exc:
            await present(error=wo.refusal(exc.user_message))
            entry.set(Outcome.ERROR, type(exc).__name__)
            return
        delivered = await present(metadata=wo.flexpane_entity(tc))
        entry.set(Outcome.FULL if delivered else Outcome.UNDELIVERED)


ROUTES = [Route("event", "entity_details_requested", entity_details_requested)]
