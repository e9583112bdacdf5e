"""`/pendo`: parse, authorise, ack at once, then answer through response_url."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.answers import Answer, email_answer, ticket_answer
from bot.audit import audit
from bot.context.models import InvalidInput
from bot.context.resolver import parse_email
from bot.listeners.access import AccessPolicy
from bot.render import blocks as bk
from bot.services import Services
from bot.zendesk.links import parse_ticket_query

log = logging.getLogger(__name__)
HELP_WORDS = {"", "help", "?", "-h", "--help"}


def new_request_id() -> str:
    return uuid.uuid4().hex[:8]


def register(app: AsyncApp, services: Services, access: AccessPolicy) -> None:
    async def pendo_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: Any
    ) -> None:
        started = time.monotonic()
        text = (command.get("text") or "").strip()
        user, channel = command.get("user_id", ""), command.get("channel_id", "")
        name = command.get("command") or "/pendo"
        if text.lower() in HELP_WORDS:
            await ack(response_type="ephemeral", **bk.help_message(name))
            return
        refusal = await access.refusal(client, user, channel)
        if refusal:
            await ack(response_type="ephemeral", **bk.notice_message(refusal, icon="🔒"))
            audit("lookup", user=user, channel=channel, target=text, outcome="refused", started=started)
            return
        ticket = parse_ticket_query(text, services.settings.zendesk_ticket_hosts)
        if ticket is not None:
            await ack(response_type="ephemeral", **bk.progress_message(f"ticket #{ticket}"))
            answer = await _run(ticket_answer(services.tickets, ticket, new_request_id()))
            await _deliver(respond, answer)
            audit(
                "lookup",
                user=user,
                channel=channel,
                target=f"ticket:{ticket}",
                outcome=answer.outcome,
                started=started,
            )
            return
        try:
            email = parse_email(text)
        except InvalidInput as exc:
            await ack(response_type="ephemeral", **bk.notice_message(bk.esc(str(exc)), icon="🤔"))
            audit("lookup", user=user, channel=channel, target=text, outcome="invalid", started=started)
            return
        await ack(response_type="ephemeral", **bk.progress_message(email))
        answer = await _run(email_answer(services.context, email, new_request_id()))
        answer = await _deliver(respond, answer)
        audit("lookup", user=user, channel=channel, target=email, outcome=answer.outcome, started=started)

    app.command("/pendo")(pendo_command)


async def _deliver(respond: AsyncRespond, answer: Answer) -> Answer:
    """Replace the "Looking up…" note with the answer."""
    try:
        await respond(replace_original=True, response_type="ephemeral", **answer.message)
    except Exception:  # Slack unreachable: nothing more we can tell the agent
        log.exception("could not deliver the answer through response_url")
        return Answer(answer.message, "undelivered")
    return answer


async def _run(work: Any) -> Answer:
    """Await an answer; a bug becomes a polite message instead of a silent failure."""
    try:
        answer: Answer = await work
        return answer
    except Exception:
        request_id = new_request_id()
        log.exception("lookup failed", extra={"request_id": request_id})
        return Answer(
            bk.notice_message(
                f"Something went wrong on my side. Try again; if it persists, tell whoever runs the bot (ref `{request_id}`)."
            ),
            "error:internal",
        )
