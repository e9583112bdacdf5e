"""`/pendo`: the text parsed once into what it asks for, then the handler for that kind, from a table.

`Slash.of` reads the command once: who asks, where, in which team, and `parse` turns the text into a
`Query` whose `kind` is one of `Kind` (help, preferences, an account, a ticket, an email, a ticket on
another Zendesk, or something that cannot be looked up). `HANDLERS` maps each kind to its handler, so a
new kind is one function and one line there. Only local parsing happens before the ack (Slack wants it
within 3 s, whatever the upstreams do); the lookups answer through response_url after it.

Help and preferences write no audit line; an account writes an `account` line; everything else a
`lookup` line, its outcome whatever the handler ended with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import Answer, account_answer, email_answer, new_request_id, safely, ticket_answer
from bot.audit import AuditEntry, Outcome
from bot.deps import Deps
from bot.domain.models import InvalidInput, Target
from bot.domain.targets import ForeignTicket, parse_query
from bot.gates import Surface
from bot.listeners import access_facts
from bot.listeners.access_facts import share_allowed
from bot.listeners.preferences import SETTINGS_WORD, preferences_command
from bot.listeners.replies import deliver
from bot.listeners.routes import Route
from bot.listeners.slack_facts import agent_choices, team_of
from bot.preferences.model import Choices
from bot.render import blocks as block_kit
from bot.render import messages as message_blocks
from bot.render import notices

HELP_WORDS = {"", "help", "?", "-h", "--help"}
Kind = Literal["help", "preferences", "account", "ticket", "email", "foreign", "invalid"]


@dataclass(frozen=True)
class Query:
    """What `/pendo <text>` asks for. `target`: the account, ticket or email to look up (an email as
    `parse_email` left it); `problem`: for `foreign`, the other Zendesk's host, for `invalid`, why not."""

    kind: Kind
    target: Target | None = None
    problem: str = ""


def parse(text: str, hosts: frozenset[str], *, tickets: bool) -> Query:
    """The one parse of the command's text (`parse_query`'s grammar, plus help and `settings`)."""
    if text.lower() in HELP_WORDS:  # usage, not a lookup
        return Query("help")
    if text.lower() == SETTINGS_WORD:  # the agent's own preferences, not a lookup
        return Query("preferences")
    try:
        target = parse_query(text, hosts, tickets=tickets, command=True)
    except ForeignTicket as exc:
        return Query("foreign", problem=exc.host)
    except InvalidInput as exc:
        return Query("invalid", problem=str(exc))
    return Query(target.kind, target)


@dataclass(frozen=True)
class Slash:
    """One `/pendo`, read once: what it asks for, who asks where, and how to answer."""

    query: Query
    text: str  # as typed, trimmed
    command: dict[str, Any]
    user: str
    channel: str
    team: str
    ack: AsyncAck
    respond: AsyncRespond
    client: AsyncWebClient
    deps: Deps

    @classmethod
    def of(
        cls, command: dict[str, Any], ack: AsyncAck, respond: AsyncRespond, client: AsyncWebClient, deps: Deps
    ) -> Slash:
        text = (command.get("text") or "").strip()
        query = parse(text, deps.settings.zendesk_ticket_hosts, tickets=deps.tickets is not None)
        user, channel = str(command.get("user_id", "")), str(command.get("channel_id", ""))
        return cls(query, text, command, user, channel, team_of(command), ack, respond, client, deps)

    @property
    def target(self) -> Target:
        assert self.query.target is not None, f"a {self.query.kind} query has no target"
        return self.query.target

    def audit(self, action: str, target: str) -> AbstractContextManager[AuditEntry]:
        return self.deps.auditor.audit(action, user=self.user, channel=self.channel, target=target)

    async def notice(self, text: str, icon: str = "🤔") -> None:
        """Answer in the ack: a private sentence, nothing looked up."""
        await self.ack(response_type="ephemeral", **message_blocks.notice_message(text, icon=icon))

    async def refused(self, entry: AuditEntry) -> bool:
        """After the ack: may this agent look customers up here? If not, they are told why."""
        refusal, facts = await access_facts.ask(
            self.deps, self.client, Surface.LOOKUP, user=self.user, channel=self.channel
        )
        if refusal is None:
            return False
        await deliver(self.respond, message_blocks.notice_message(facts.access_refusal or "", icon="🔒"))
        entry.set(Outcome.REFUSED)
        return True

    async def answer(self, entry: AuditEntry, work: Awaitable[Answer]) -> None:
        answer = await safely(work)
        entry.set(*answer.result(await deliver(self.respond, answer.message)))


async def pendo_command(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, deps: Deps
) -> None:
    slash = Slash.of(command, ack, respond, client, deps)
    await HANDLERS[slash.query.kind](slash)


# --- one handler per kind --------------------------------------------------------------------------------
async def help_reply(slash: Slash) -> None:
    host = slash.deps.settings.zendesk_host if slash.deps.tickets is not None else None
    name = slash.command.get("command") or "/pendo"
    await slash.ack(response_type="ephemeral", **message_blocks.help_message(name, host))


async def preferences_reply(slash: Slash) -> None:
    await preferences_command(slash.ack, slash.command, slash.respond, slash.client, slash.deps)


async def account_lookup(slash: Slash) -> None:
    """`/pendo account <id or name>`: the account summary, or a choice of namesakes, privately."""
    query = slash.target.value
    with slash.audit("account", query) as entry:
        if not query:
            await slash.notice(notices.ACCOUNT_MISSING)
            entry.set(Outcome.INVALID)
            return
        await slash.ack(response_type="ephemeral", **message_blocks.progress_message(f"account {query}"))
        if await slash.refused(entry):
            return
        choices = await agent_choices(slash.deps, slash.client, slash.team, slash.user)
        await slash.answer(entry, account_answer(slash.deps.customers, query, new_request_id(), choices))


Lookup = Callable[[bool, Choices], Awaitable[Answer]]  # (shareable, the agent's choices) -> the answer


async def _look_up(slash: Slash, entry: AuditEntry, target: str, where: str, lookup: Lookup) -> None:
    """An email or a ticket: say it is on its way, check access, then answer through response_url."""
    entry.targets = [target]
    await slash.ack(response_type="ephemeral", **message_blocks.progress_message(target, where))
    if await slash.refused(entry):
        return
    shareable = await share_allowed(slash.deps, slash.client, slash.channel)
    choices = await agent_choices(slash.deps, slash.client, slash.team, slash.user)
    await slash.answer(entry, lookup(shareable, choices))


async def ticket_lookup(slash: Slash) -> None:
    with slash.audit("lookup", slash.text) as entry:
        tickets = slash.deps.tickets
        if tickets is None:
            await slash.notice(message_blocks.ZENDESK_OFF)
            entry.set(Outcome.NOT_CONNECTED)
            return
        ticket = int(slash.target.value)

        def lookup(shareable: bool, choices: Choices) -> Awaitable[Answer]:
            return ticket_answer(tickets, ticket, new_request_id(), shareable=shareable, choices=choices)

        await _look_up(slash, entry, f"ticket #{ticket}", "Zendesk and Pendo", lookup)


async def email_lookup(slash: Slash) -> None:
    with slash.audit("lookup", slash.text) as entry:
        email, customers = slash.target.email, slash.deps.customers

        def lookup(shareable: bool, choices: Choices) -> Awaitable[Answer]:
            return email_answer(customers, email, new_request_id(), shareable=shareable, choices=choices)

        await _look_up(slash, entry, email, "Pendo", lookup)


async def foreign_ticket(slash: Slash) -> None:
    with slash.audit("lookup", slash.text) as entry:
        ours = ", ".join(sorted(slash.deps.settings.zendesk_ticket_hosts))
        note = notices.foreign_ticket(block_kit.esc(slash.query.problem), block_kit.esc(ours))
        await slash.notice(note if ours else message_blocks.ZENDESK_OFF)
        entry.set(Outcome.INVALID)


async def invalid_input(slash: Slash) -> None:
    with slash.audit("lookup", slash.text) as entry:
        await slash.notice(block_kit.esc(slash.query.problem))
        entry.set(Outcome.INVALID)


HANDLERS: dict[Kind, Callable[[Slash], Awaitable[None]]] = {
    "help": help_reply,
    "preferences": preferences_reply,
    "account": account_lookup,
    "ticket": ticket_lookup,
    "email": email_lookup,
    "foreign": foreign_ticket,
    "invalid": invalid_input,
}

ROUTES = [Route("command", "/pendo", pendo_command, tracked="replace")]
