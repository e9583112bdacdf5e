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

from bot.audit import Outcome
from bot.deps import Deps
from bot.gates import ChannelKind, Panel, PanelFacts, decide_panel
from bot.http.errors import UpstreamError
from bot.listeners.access import AccessLists
from bot.listeners.channels import ChannelKinds
from bot.listeners.replies import slack_error
from bot.listeners.routes import Route
from bot.listeners.slack_facts import agent_choices, slack_user
from bot.render import notices, words
from bot.render import work_objects as wo
from bot.zendesk.links import ticket_id as ticket_id_of

log = logging.getLogger(__name__)
REFUSALS = {
    Panel.REFUSE_NO_CHANNEL: notices.DETAILS_NO_CHANNEL,
    Panel.REFUSE_EXTERNAL: notices.DETAILS_EXTERNAL,
}


async def _same_team(
    deps: Deps, client: AsyncWebClient, event: dict[str, Any], user: str, ours: str | None
) -> bool:
    """Whether the user is known to belong to the bot's workspace. Slack's documented event names no
    team, so without `user_team`/`team` the user's `users.info` `team_id` decides (cached); when Slack
    cannot say (an error, no team), the user counts as another workspace's: fail closed, as mentions do."""
    named = event.get("user_team") or event.get("team")
    if named or not user or not ours:
        return bool(named) and named == ours

    try:
        team = (await slack_user(deps, client, user)).get("team", "")
    except Exception as exc:  # SlackApiError (user_not_found, missing_scope), Slack unreachable
        error = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("users.info failed: the Work Object panel is refused", extra={"error": error})
        return False
    return bool(team) and team == ours


async def entity_details_requested(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, deps: Deps
) -> None:
    if not deps.settings.work_objects or deps.tickets is None:
        return
    user, channel = str(event.get("user") or ""), str(event.get("channel") or "")
    trigger = str(event.get("trigger_id") or "")
    ref = event.get("external_ref")
    ref = ref if isinstance(ref, dict) else {}
    raw_id = str(ref.get("id") or "")[:40]
    with deps.auditor.audit("work_object", user=user, channel=channel, target=f"ticket:{raw_id}") as entry:

        async def present(**answer: Any) -> bool:
            try:
                await client.entity_presentDetails(trigger_id=trigger, **answer)
            except SlackApiError as exc:
                log.warning("entity.presentDetails refused", extra={"error": slack_error(exc)})
                return False
            return True

        ticket_id = ticket_id_of(raw_id) if ref.get("type") == wo.REF_TYPE else None
        if ticket_id is None:
            await present(error=wo.refusal(notices.NOT_A_TICKET))
            entry.set(Outcome.INVALID)
            return
        refusal = await AccessLists.of(deps).refusal(client, user, channel)
        foreign = refusal is None and not await _same_team(deps, client, event, user, context.team_id)
        kind = ChannelKind.UNKNOWN
        if refusal is None and channel and not foreign:
            external = await ChannelKinds.of(deps).is_external(client, channel)
            kind = ChannelKind.EXTERNAL if external else ChannelKind.INTERNAL
        decision = decide_panel(PanelFacts(channel, kind, refusal, foreign))
        if decision is not Panel.SHOW:
            await present(error=wo.refusal(refusal if refusal is not None else REFUSALS[decision]))
            entry.set(Outcome.REFUSED, decision.name.removeprefix("REFUSE_").lower())
            return
        try:
            bundle = await deps.tickets.ticket(ticket_id)
            choices = await agent_choices(deps, client, context.team_id or "", user)  # one reader's panel
            tc = await deps.tickets.requester_facts(bundle, choices)
        except UpstreamError as exc:
            await present(error=wo.refusal(words.failure_sentence(exc)))
            entry.set(Outcome.ERROR, type(exc).__name__)
            return
        delivered = await present(metadata=wo.flexpane_entity(tc))
        entry.set(Outcome.FULL if delivered else Outcome.UNDELIVERED)


ROUTES = [Route("event", "entity_details_requested", entity_details_requested)]
