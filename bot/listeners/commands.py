"""`/pendo`: parse, ack at once, authorise, then answer through response_url."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.answers import deliver, email_answer, new_request_id, safely, ticket_answer
from bot.context.models import InvalidInput
from bot.context.resolver import parse_email
from bot.listeners.access import AccessPolicy
from bot.render import blocks as bk
from bot.services import Services
from bot.zendesk.links import foreign_ticket_host, parse_ticket_query

HELP_WORDS = {"", "help", "?", "-h", "--help"}


def register(app: AsyncApp, services: Services, access: AccessPolicy) -> None:
    audit = services.auditor.record

    async def pendo_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: Any
    ) -> None:
        started = time.monotonic()
        text = (command.get("text") or "").strip()
        user, channel = command.get("user_id", ""), command.get("channel_id", "")
        if text.lower() in HELP_WORDS:
            await ack(response_type="ephemeral", **bk.help_message(command.get("command") or "/pendo"))
            return

        # Only local parsing before the ack: Slack wants it within 3 s, whatever the upstreams do.
        ticket = parse_ticket_query(text, services.settings.zendesk_ticket_hosts)
        if ticket is not None and services.tickets is None:
            await ack(response_type="ephemeral", **bk.notice_message(bk.ZENDESK_OFF, icon="🤔"))
            return
        foreign = foreign_ticket_host(text, services.settings.zendesk_ticket_hosts)
        if ticket is None and foreign:
            ours = ", ".join(sorted(services.settings.zendesk_ticket_hosts))
            note = (
                f"That ticket link is on {bk.esc(foreign)}, which is not this bot's Zendesk ({bk.esc(ours)})."
            )
            message = bk.notice_message(note if ours else bk.ZENDESK_OFF, icon="🤔")
            await ack(response_type="ephemeral", **message)
            audit("lookup", user=user, channel=channel, target=text, outcome="invalid", started=started)
            return
        if ticket is None:
            try:
                target = parse_email(text)
            except InvalidInput as exc:
                await ack(response_type="ephemeral", **bk.notice_message(bk.esc(str(exc)), icon="🤔"))
                audit("lookup", user=user, channel=channel, target=text, outcome="invalid", started=started)
                return
        else:
            target = f"ticket #{ticket}"
        where = "Pendo" if ticket is None else "Zendesk and Pendo"
        await ack(response_type="ephemeral", **bk.progress_message(target, where))

        refusal = await access.refusal(client, user, channel)
        if refusal:
            await deliver(respond, bk.notice_message(refusal, icon="🔒"))
            audit("lookup", user=user, channel=channel, target=target, outcome="refused", started=started)
            return
        if ticket is not None and services.tickets is not None:
            answer = await safely(ticket_answer(services.tickets, ticket, new_request_id()))
        else:
            answer = await safely(email_answer(services.context, target, new_request_id()))
        delivered = await deliver(respond, answer.message)
        outcome = answer.outcome if delivered else "undelivered"
        audit("lookup", user=user, channel=channel, target=target, outcome=outcome, started=started)

    app.command("/pendo")(services.inflight.responding(pendo_command, replace=True))
