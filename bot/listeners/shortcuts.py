"""Pendo context outside `/pendo`: the "Pendo context" message shortcut, the global lookup shortcut and its
modal, `@Pendo jane@acme.com` mentions, and the "Look up" buttons of the choice they may answer with.

Every answer is private to whoever asked, except a mention in a channel where customer data may be shown
(`bot.gates.decide_mention`), which is answered in the thread.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import Answer, safely, target_answer
from bot.audit import Outcome
from bot.deps import Deps
from bot.domain.models import InvalidInput
from bot.domain.targets import Target, find_targets, parse_query
from bot.gates import ChannelKind, MentionFacts, Refusal, Reply, Surface, UnfurlRules, decide_mention
from bot.listeners import access_facts
from bot.listeners.access import AccessLists
from bot.listeners.channels import ChannelKinds
from bot.listeners.clicks import Click, Result, answer_privately, click_refusal, on_click
from bot.listeners.replies import deliver, post_ephemeral, slack_error
from bot.listeners.routes import Route
from bot.listeners.slack_facts import agent_choices, team_of
from bot.preferences.model import Choices
from bot.render import blocks as block_kit
from bot.render import buttons as button_kit
from bot.render import messages as message_blocks
from bot.render import modals as modal_blocks
from bot.render import notices

log = logging.getLogger(__name__)


async def _answer(deps: Deps, targets: list[Target], choices: Choices | None = None) -> Answer:
    """One target: its answer (shaped by the reader's `choices`; None: the workspace's); several: a
    choice, nothing looked up yet."""
    if len(targets) == 1:
        return await safely(target_answer(deps.customers, deps.tickets, targets[0], choices))
    choice = message_blocks.targets_message(targets)
    return Answer(choice, Outcome.AMBIGUOUS)


def _hosts(deps: Deps) -> frozenset[str]:
    return deps.settings.zendesk_ticket_hosts if deps.tickets is not None else frozenset()


async def _may_see(
    deps: Deps, client: AsyncWebClient, user: str, channel: str, same_team: bool
) -> str | None:
    """None when the user may see customer data privately here, else the sentence saying why not."""
    refusal, facts = await access_facts.ask(
        deps, client, Surface.LOOKUP, user=user, channel=channel, same_team=same_team
    )
    if refusal is None:
        return None
    return (
        facts.access_refusal
        if refusal is Refusal.ACCESS and facts.access_refusal
        else notices.NOT_YOUR_WORKSPACE
    )


def _same_team(user_team: object, context: AsyncBoltContext) -> bool:
    return bool(user_team) and user_team == context.team_id


# --- "Pendo context" on a message ------------------------------------------------------------------------
async def message_shortcut(
    ack: AsyncAck,
    shortcut: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    deps: Deps,
) -> None:
    await ack()
    user = str((shortcut.get("user") or {}).get("id", ""))
    channel = str((shortcut.get("channel") or {}).get("id", ""))
    text = str((shortcut.get("message") or {}).get("text") or "")
    same_team = _same_team((shortcut.get("user") or {}).get("team_id"), context)
    with deps.auditor.audit("shortcut:message", user=user, channel=channel, target="") as entry:
        refusal = await _may_see(deps, client, user, channel, same_team)
        if refusal:
            await deliver(respond, message_blocks.notice_message(refusal, icon="🔒"), replace=False)
            entry.set(Outcome.REFUSED)
            return
        targets = find_targets(text, _hosts(deps))
        if not targets:
            await deliver(respond, message_blocks.nothing_found_message(), replace=False)
            entry.set(Outcome.INVALID)
            return
        entry.targets = [t.label for t in targets]
        choices = await agent_choices(deps, client, team_of(shortcut), user)
        answer = await _answer(deps, targets, choices)
        delivered = await deliver(respond, answer.message, replace=False)
        entry.set(*answer.result(delivered))


async def lookup_target(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    deps: Deps,
) -> None:
    """A "Look up" button of a choice: the answer replaces the choice (or, under a public message, comes
    privately to whoever clicked)."""
    target = Target.decode(action.get("value"))
    label = target.label if target else ""
    await on_click(
        ack, body, deps, "lookup:pick", label, lambda click: _pick(deps, client, respond, click, target)
    )


async def _pick(
    deps: Deps, client: AsyncWebClient, respond: AsyncRespond, click: Click, target: Target | None
) -> Result:
    if refused := await click_refusal(deps, client, respond, click, stale=target is None):
        return refused
    assert target is not None  # a stale button is refused above
    choices = await agent_choices(deps, client, click.team, click.user)
    answer = await safely(target_answer(deps.customers, deps.tickets, target, choices))
    return answer.result(await answer_privately(click, answer.message, respond, client))


# --- the global shortcut and its modal -------------------------------------------------------------------
async def global_shortcut(ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
    await ack()
    trigger = shortcut.get("trigger_id")
    if not trigger:
        return
    try:
        await client.views_open(trigger_id=trigger, view=modal_blocks.lookup_modal())
    except SlackApiError as exc:
        log.warning("views.open refused", extra={"error": slack_error(exc)})


async def lookup_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    deps: Deps,
) -> None:
    values = (view.get("state") or {}).get("values") or {}
    field = (values.get(modal_blocks.LOOKUP_BLOCK) or {}).get(modal_blocks.LOOKUP_INPUT) or {}
    raw = str(field.get("value") or "")
    try:
        target = parse_query(raw, _hosts(deps), tickets=deps.tickets is not None)
    except InvalidInput as exc:
        await ack(response_action="errors", errors={modal_blocks.LOOKUP_BLOCK: str(exc)})
        return
    await ack()  # closes the modal; the answer follows privately in the chosen conversation
    user = str((body.get("user") or {}).get("id", ""))
    urls = body.get("response_urls") or []
    where = urls[0] if urls and isinstance(urls[0], dict) else {}
    channel, url = str(where.get("channel_id") or ""), where.get("response_url")
    same_team = _same_team((body.get("user") or {}).get("team_id"), context)
    with deps.auditor.audit("shortcut:lookup", user=user, channel=channel, target=target.label) as entry:
        if not url:
            log.warning("lookup modal submitted without a response_url")
            entry.set(Outcome.UNDELIVERED)
            return
        respond = AsyncRespond(response_url=url)
        refusal = await _may_see(deps, client, user, channel, same_team)
        if refusal:
            await deliver(respond, message_blocks.notice_message(refusal, icon="🔒"), replace=False)
            entry.set(Outcome.REFUSED)
            return
        choices = await agent_choices(deps, client, team_of(body), user)
        answer = await safely(target_answer(deps.customers, deps.tickets, target, choices))
        delivered = await deliver(respond, answer.message, replace=False)
        entry.set(*answer.result(delivered))


# --- @Pendo jane@acme.com ----------------------------------------------------------------------------------
async def app_mention(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, deps: Deps
) -> None:
    if event.get("bot_id") or not event.get("user"):
        return
    user, channel = str(event["user"]), str(event.get("channel") or "")
    thread = str(event.get("thread_ts") or event.get("ts") or "") or None
    same_team = _same_team(event.get("user_team") or event.get("team"), context)
    with deps.auditor.audit("mention", user=user, channel=channel, target="") as entry:
        refusal = await AccessLists.of(deps).refusal(client, user, channel)
        # the channel matters only to someone the access lists let through
        external = refusal is None and await ChannelKinds.of(deps).is_external(client, channel)
        facts = MentionFacts(
            channel=channel,
            channel_kind=ChannelKind.EXTERNAL if external else ChannelKind.INTERNAL,
            refusal=refusal,
            same_team=same_team,
        )
        reply = decide_mention(facts, UnfurlRules.from_settings(deps.settings))

        async def private(message: block_kit.Message) -> bool:
            return await post_ephemeral(client, channel, user, thread, message)

        if reply is Reply.REFUSE:
            await private(message_blocks.notice_message(refusal or notices.NOT_YOUR_WORKSPACE, icon="🔒"))
            entry.set(Outcome.REFUSED, "access" if refusal else "external")
            return
        targets = find_targets(str(event.get("text") or ""), _hosts(deps))
        if not targets:
            await private(message_blocks.notice_message(notices.MENTION_HELP, icon="👋"))
            entry.set(Outcome.INVALID)
            return
        entry.targets = [t.label for t in targets]
        # privately: the mentioner's choices; in the thread: the workspace's (one message, many readers)
        team = context.team_id or team_of(event)
        choices = await agent_choices(deps, client, team, user) if reply is Reply.PRIVATE else None
        answer = await _answer(deps, targets, choices)
        if reply is Reply.PRIVATE:
            delivered = await private(answer.message)
        else:
            delivered = await _in_thread(client, channel, thread, answer.message)
        entry.set(*answer.result(delivered))


async def _in_thread(
    client: AsyncWebClient, channel: str, thread: str | None, message: block_kit.Message
) -> bool:
    try:
        await client.chat_postMessage(
            channel=channel,
            thread_ts=thread,
            text=message["text"],
            blocks=message["blocks"],
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        log.warning("chat.postMessage refused", extra={"error": slack_error(exc)})
        return False
    return True


ROUTES = [
    Route("shortcut", button_kit.MESSAGE_SHORTCUT, message_shortcut, tracked="new"),
    Route("shortcut", button_kit.LOOKUP_SHORTCUT, global_shortcut),
    Route("view", modal_blocks.LOOKUP_MODAL, lookup_submitted),
    Route("action", button_kit.LOOKUP_ACTION, lookup_target, tracked="replace"),
    Route("event", "app_mention", app_mention),
]
