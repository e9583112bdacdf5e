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
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.audit import audit
from bot.context.tickets import TicketContext
from bot.render import tickets as tk
from bot.services import Services
from bot.upstream import UpstreamError
from bot.zendesk.links import TicketRef, find_ticket_refs

log = logging.getLogger(__name__)
CHANNEL_TTL = 3600.0
TARGET_TTL = 900.0


def register(app: AsyncApp, services: Services) -> None:
    settings, cache = services.settings, services.cache

    async def skip_event_retries(req: AsyncBoltRequest, next: Any) -> BoltResponse | None:
        """Slack re-sends an event it thinks was lost; the first delivery is already being handled."""
        if req.headers.get("x-slack-retry-num") and (req.body or {}).get("type") == "event_callback":
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def is_external(client: Any, channel: str) -> bool:
        """Slack Connect or unknown: treat as external, since an unfurl is seen by everyone there."""

        async def load() -> bool:
            try:
                info = (await client.conversations_info(channel=channel)).get("channel") or {}
            except Exception as exc:  # no access (private channel the bot is not in) → not provably internal
                log.warning("conversations.info failed", extra={"channel": channel, "error": str(exc)})
                return True
            shared = info.get("is_shared") and not info.get("is_org_shared")
            return bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared") or shared)

        external: bool = await cache.get_or_load(("external", channel), CHANNEL_TTL, load)
        return external

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
        if not cache.add_if_absent(target_key, TARGET_TTL):
            return  # the same message again (a duplicate delivery): it already has its unfurl
        if source != "composer":
            refs = [
                r
                for r in refs
                if cache.add_if_absent(("unfurled", channel, r.ticket_id), settings.unfurl_dedupe_seconds)
            ]
            if not refs:
                return
        note = f"{dropped} more ticket link{'s' if dropped != 1 else ''} not previewed" if dropped else None

        async def unfurl(unfurls: dict[str, Any]) -> None:
            if note:
                last = list(unfurls)[-1]
                unfurls[last] = tk.with_note(unfurls[last], note)
            await client.chat_unfurl(unfurls=unfurls, **target)

        outcome = await _unfurl(
            services, client, refs, unfurl, source=source, channel=channel, is_external=is_external
        )
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


async def _unfurl(
    services: Services,
    client: Any,
    refs: list[TicketRef],
    unfurl: Any,
    *,
    source: str,
    channel: str,
    is_external: Any,
) -> str:
    settings = services.settings
    if source == "composer":
        await unfurl(
            {
                r.url: tk.ticket_number_unfurl(r.ticket_id, "Details appear when the message is posted.")
                for r in refs
            }
        )
        return "number_only"
    if await is_external(client, channel):
        if settings.unfurl_shared_channels == "none":
            return "skipped_external"
        await unfurl(
            {
                r.url: tk.ticket_number_unfurl(
                    r.ticket_id, "Shared channel: ticket details are not shown here."
                )
                for r in refs
            }
        )
        return "number_only"

    now = services.context.now_ms()
    try:
        bundles = await services.tickets.tickets([r.ticket_id for r in refs])
    except UpstreamError as exc:
        log.warning("zendesk failed for an unfurl", extra={"error": str(exc)})
        await unfurl({r.url: tk.ticket_error_unfurl(r.ticket_id, exc.user_message) for r in refs})
        return f"error:{type(exc).__name__}"
    missing = [r for r in refs if r.ticket_id not in bundles]
    errors = {r.url: tk.ticket_error_unfurl(r.ticket_id, _missing_reason(r)) for r in missing}
    found = [(r, bundles[r.ticket_id]) for r in refs if r.ticket_id in bundles]
    with_pendo = not settings.unfurl_channels or channel in settings.unfurl_channels
    if not with_pendo or not found:
        await unfurl({**{r.url: tk.ticket_unfurl(b, now) for r, b in found}, **errors})
        return "header_only" if found else "not_found"

    # Progressive: the header as soon as Zendesk answered, then the Pendo part on the same target.
    await unfurl({**{r.url: tk.ticket_unfurl(b, now, pending=True) for r, b in found}, **errors})
    contexts: list[TicketContext] = await asyncio.gather(
        *(services.tickets.requester_context(b) for _, b in found)
    )
    await unfurl(
        {
            **{r.url: tk.ticket_unfurl(b, now, tc) for (r, b), tc in zip(found, contexts, strict=True)},
            **errors,
        }
    )
    return "full"


def _missing_reason(ref: TicketRef) -> str:
    return f"Ticket #{ref.ticket_id} was not found in Zendesk, or the bot's Zendesk user cannot see it."
