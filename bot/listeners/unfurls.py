"""`link_shared` → `chat.unfurl` for Zendesk ticket links: the header first, the Pendo part second.

Where customer data may go:
- never into a Slack Connect (externally shared) channel: there, nothing or only the ticket number;
- composer previews (the channel is not known yet) carry only the ticket number;
- with UNFURL_CHANNELS set, Pendo data only in those channels, the ticket header elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from bot.context.tickets import TicketContext, TicketService
from bot.listeners.channels import ChannelPolicy
from bot.render import tickets as tk
from bot.services import Services
from bot.upstream import UpstreamError
from bot.zendesk.links import TicketRef, find_ticket_refs

log = logging.getLogger(__name__)
TARGET_TTL = 900.0
UNFURL_FAILED = "The preview could not be completed. Open the ticket, or try /pendo with its number."


def register(app: AsyncApp, services: Services, tickets: TicketService, channels: ChannelPolicy) -> None:
    settings, seen, audit = services.settings, services.slack_cache, services.auditor.record

    async def skip_event_retries(req: AsyncBoltRequest, next: Any) -> BoltResponse | None:
        """Slack re-sends an event it thinks was lost; the first delivery is already being handled."""
        if req.headers.get("x-slack-retry-num") and (req.body or {}).get("type") == "event_callback":
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def link_shared(event: dict[str, Any], client: Any, body: dict[str, Any]) -> None:
        started = time.monotonic()
        urls = [str(link.get("url", "")) for link in event.get("links") or []]
        refs, dropped = find_ticket_refs(urls, settings.zendesk_ticket_hosts, settings.unfurl_max_links)
        if not refs:
            return
        source = str(event.get("source") or "conversations_history")
        channel = str(event.get("channel", ""))
        target: dict[str, Any] = (
            {"unfurl_id": event["unfurl_id"], "source": source}
            if event.get("unfurl_id")
            else {"channel": channel, "ts": event.get("message_ts")}
        )
        target_key = ("unfurl-target", target.get("unfurl_id") or f"{channel}:{target.get('ts')}")
        if not await seen.claim(target_key, TARGET_TTL):
            return  # the same message again (a duplicate delivery): it already has its unfurl
        if source != "composer":
            window = settings.unfurl_dedupe_seconds
            refs = [r for r in refs if await seen.claim(("unfurled", channel, r.ticket_id), window)]
            if not refs:
                return
        note = f"{dropped} more ticket link{'s' if dropped != 1 else ''} not previewed" if dropped else None

        async def unfurl(unfurls: dict[str, Any]) -> None:
            if note:
                last = list(unfurls)[-1]
                unfurls[last] = tk.with_note(unfurls[last], note)
            try:
                await client.chat_unfurl(unfurls=unfurls, **target)
            except SlackApiError as exc:  # e.g. cannot_unfurl_url: the message was deleted meanwhile
                log.warning("chat.unfurl refused", extra={"error": str(exc.response.get("error", ""))})

        if source == "composer":
            # The channel is unknown until the message is posted, and the preview would travel with it.
            note_text = "Details appear when the message is posted."
            await unfurl({r.url: tk.ticket_number_unfurl(r.ticket_id, note_text) for r in refs})
            outcome = "number_only"
        elif await channels.is_external(client, channel, hint=bool(body.get("is_ext_shared_channel"))):
            outcome = "skipped_external"
            if settings.unfurl_shared_channels == "ticket_number":
                note_text = "Shared channel: ticket details are not shown here."
                await unfurl({r.url: tk.ticket_number_unfurl(r.ticket_id, note_text) for r in refs})
                outcome = "number_only"
        else:
            with_pendo = not settings.unfurl_channels or channel in settings.unfurl_channels
            try:
                outcome = await _unfurl_tickets(tickets, refs, unfurl, with_pendo=with_pendo)
            except Exception:  # a bug must not leave a "Looking up…" preview forever: say so once
                log.exception("unfurl failed")
                await unfurl({r.url: tk.ticket_error_unfurl(r.ticket_id, UNFURL_FAILED) for r in refs})
                outcome = "error:internal"
        user = str(event.get("user", ""))
        for ref in refs:
            audit(
                "unfurl",
                user=user,
                channel=channel,
                target=f"ticket:{ref.ticket_id}",
                outcome=outcome,
                started=started,
            )

    app.middleware(skip_event_retries)
    app.event("link_shared")(link_shared)


async def _unfurl_tickets(
    tickets: TicketService,
    refs: list[TicketRef],
    unfurl: Callable[[dict[str, Any]], Awaitable[None]],
    *,
    with_pendo: bool,
) -> str:
    """The header as soon as Zendesk answered, then (where allowed) the Pendo part on the same target."""
    now = tickets.now_ms()
    try:
        bundles = await tickets.tickets([r.ticket_id for r in refs])
    except UpstreamError as exc:
        log.warning("zendesk failed for an unfurl", extra={"error": str(exc)})
        await unfurl({r.url: tk.ticket_error_unfurl(r.ticket_id, exc.user_message) for r in refs})
        return f"error:{type(exc).__name__}"
    errors = {
        r.url: tk.ticket_error_unfurl(r.ticket_id, _missing_reason(r))
        for r in refs
        if r.ticket_id not in bundles
    }
    found = [(r, bundles[r.ticket_id]) for r in refs if r.ticket_id in bundles]
    if not with_pendo or not found:
        await unfurl({**{r.url: tk.ticket_unfurl(b, now) for r, b in found}, **errors})
        return "header_only" if found else "not_found"
    await unfurl({**{r.url: tk.ticket_unfurl(b, now, pending=True) for r, b in found}, **errors})
    contexts: list[TicketContext] = await asyncio.gather(*(tickets.requester_context(b) for _, b in found))
    await unfurl(
        {
            **{r.url: tk.ticket_unfurl(b, now, tc) for (r, b), tc in zip(found, contexts, strict=True)},
            **errors,
        }
    )
    return "full"


def _missing_reason(ref: TicketRef) -> str:
    return f"Ticket #{ref.ticket_id} was not found in Zendesk, or the bot's Zendesk user cannot see it."
