"""`/pendo`: parse, ack at once, authorise, then answer through response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import account_answer, email_answer, new_request_id, safely, ticket_answer
from bot.audit import Outcome
from bot.deps import Deps
from bot.domain.models import InvalidInput, Target
from bot.domain.targets import ForeignTicket, parse_query
from bot.gates import Surface
from bot.listeners import gates
from bot.listeners.gates import share_allowed
from bot.listeners.middleware import deps_of
from bot.listeners.replies import deliver
from bot.listeners.routes import Route
from bot.listeners.settings import SETTINGS_WORD, agent_choices, settings_command, team_of
from bot.render import blocks as block_kit
from bot.render import messages as message_blocks

HELP_WORDS = {"", "help", "?", "-h", "--help"}


async def pendo_command(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    deps = deps_of(context)
    text = (command.get("text") or "").strip()
    if text.lower() in HELP_WORDS:  # usage, not a lookup: no audit line
        host = deps.settings.zendesk_host if deps.tickets is not None else None
        await ack(
            response_type="ephemeral", **message_blocks.help_message(command.get("command") or "/pendo", host)
        )
        return
    user, channel = command.get("user_id", ""), command.get("channel_id", "")
    hosts = deps.settings.zendesk_ticket_hosts
    # Only local parsing before the ack: Slack wants it within 3 s, whatever the upstreams do.
    parsed: Target | InvalidInput
    try:
        parsed = parse_query(text, hosts, tickets=deps.tickets is not None, command=True)
    except InvalidInput as exc:
        parsed = exc
    if isinstance(parsed, Target) and parsed.kind == "account":
        await account_command(ack, parsed.value, respond, client, deps, user, channel, team_of(command))
        return
    if text.lower() == SETTINGS_WORD:  # the agent's own preferences: not a lookup, no audit line
        await settings_command(ack, command, respond, client, deps)
        return
    with deps.auditor.audit("lookup", user=user, channel=channel, target=text) as entry:
        if isinstance(parsed, Target) and parsed.kind == "ticket" and deps.tickets is None:
            await ack(
                response_type="ephemeral",
                **message_blocks.notice_message(message_blocks.ZENDESK_OFF, icon="🤔"),
            )
            entry.set(Outcome.NOT_CONNECTED)
            return
        if isinstance(parsed, ForeignTicket):
            ours = ", ".join(sorted(hosts))
            note = f"That ticket link is on {block_kit.esc(parsed.host)}, which is not this bot's Zendesk ({block_kit.esc(ours)})."
            message = message_blocks.notice_message(note if ours else message_blocks.ZENDESK_OFF, icon="🤔")
            await ack(response_type="ephemeral", **message)
            entry.set(Outcome.INVALID)
            return
        if isinstance(parsed, InvalidInput):
            await ack(
                response_type="ephemeral",
                **message_blocks.notice_message(block_kit.esc(str(parsed)), icon="🤔"),
            )
            entry.set(Outcome.INVALID)
            return
        ticket = int(parsed.value) if parsed.kind == "ticket" else None
        target = parsed.value if ticket is None else f"ticket #{ticket}"
        entry.targets = [target]
        where = "Pendo" if ticket is None else "Zendesk and Pendo"
        await ack(response_type="ephemeral", **message_blocks.progress_message(target, where))

        refused, facts = await gates.ask(deps, client, Surface.LOOKUP, user=user, channel=channel)
        if refused is not None:
            await deliver(respond, message_blocks.notice_message(facts.access_refusal or "", icon="🔒"))
            entry.set(Outcome.REFUSED)
            return
        shareable = await share_allowed(deps, client, channel)
        choices = await agent_choices(deps, client, team_of(command), user)
        if ticket is not None and deps.tickets is not None:
            answer = await safely(
                ticket_answer(deps.tickets, ticket, new_request_id(), shareable=shareable, choices=choices)
            )
        else:
            answer = await safely(
                email_answer(deps.customers, target, new_request_id(), shareable=shareable, choices=choices)
            )
        entry.set(*answer.result(await deliver(respond, answer.message)))


async def account_command(
    ack: AsyncAck,
    query: str,
    respond: AsyncRespond,
    client: AsyncWebClient,
    deps: Deps,
    user: str,
    channel: str,
    team: str = "",
) -> None:
    """`/pendo account <id or name>`: the account summary, or a choice of namesakes, privately."""
    with deps.auditor.audit("account", user=user, channel=channel, target=query) as entry:
        if not query:
            text = "Give an account ID or name, e.g. `/pendo account Acme Corp`."
            await ack(response_type="ephemeral", **message_blocks.notice_message(text, icon="🤔"))
            entry.set(Outcome.INVALID)
            return
        await ack(response_type="ephemeral", **message_blocks.progress_message(f"account {query}"))
        refused, facts = await gates.ask(deps, client, Surface.LOOKUP, user=user, channel=channel)
        if refused is not None:
            await deliver(respond, message_blocks.notice_message(facts.access_refusal or "", icon="🔒"))
            entry.set(Outcome.REFUSED)
            return
        choices = await agent_choices(deps, client, team, user)
        answer = await safely(account_answer(deps.customers, query, new_request_id(), choices))
        entry.set(*answer.result(await deliver(respond, answer.message)))


ROUTES = [Route("command", "/pendo", pendo_command, tracked="replace")]
