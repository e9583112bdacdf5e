"""`link_shared` → `chat.unfurl` for Zendesk ticket links: the header first, the Pendo part second.

The listener gathers facts (which links, which message, where, who posted, is the channel shared with
another organisation, does the poster pass the access lists) and posts what `bot.gates.decide_unfurl`
allows; the rules themselves live there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import Outcome
from bot.deps import Deps
from bot.domain.tickets import TicketFacts, TicketLookup
from bot.gates import ChannelKind, Decision, Preview, Reason, Source, UnfurlFacts, UnfurlRules, decide_unfurl
from bot.http.errors import UpstreamError
from bot.inflight import InFlight
from bot.listeners.access import AccessLists
from bot.listeners.channels import ChannelKinds
from bot.listeners.replies import slack_error
from bot.listeners.routes import Route
from bot.listeners.slack_facts import unfurls_my_links
from bot.render import notices
from bot.render import tickets as ticket_blocks
from bot.render import work_objects as wo
from bot.zendesk.links import TicketRef, find_ticket_refs
from bot.zendesk.models import TicketBundle

log = logging.getLogger(__name__)
TARGET_TTL = 900.0
NUMBER_NOTES = {
    # The channel is unknown until the message is posted, and the preview would travel with it.
    Reason.COMPOSER: notices.UNFURL_COMPOSER,
    Reason.EXTERNAL: notices.UNFURL_EXTERNAL,
}
Unfurl = Callable[..., Awaitable[None]]  # (unfurls, metadata=None)


@dataclass(frozen=True)
class LinkPost:
    """Where the links were shared, and the `chat.unfurl` target that answers them."""

    source: Source
    channel: str
    target: dict[str, Any]  # unfurl_id + source, or channel + ts

    @classmethod
    def of(cls, event: dict[str, Any]) -> LinkPost:
        source = str(event.get("source") or "conversations_history")
        channel = str(event.get("channel", ""))
        target: dict[str, Any] = (
            {"unfurl_id": event["unfurl_id"], "source": source}
            if event.get("unfurl_id")
            else {"channel": channel, "ts": event.get("message_ts")}
        )
        return cls(Source.COMPOSER if source == "composer" else Source.MESSAGE, channel, target)

    @property
    def key(self) -> tuple[str, str]:
        return (
            "unfurl-target",
            str(self.target.get("unfurl_id") or f"{self.channel}:{self.target.get('ts')}"),
        )


async def link_shared(
    event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, deps: Deps
) -> None:
    if deps.tickets is None:
        return  # Zendesk is not connected: ticket links are left to Slack
    post = LinkPost.of(event)
    user = str(event.get("user", ""))
    # A poster who turned unfurls of their links off leaves no "already unfurled" mark behind, so a
    # colleague posting the same ticket a minute later still gets its preview; nor does a poster whose
    # choice could not be read (their preview stops at the header).
    poster_unfurls = await unfurls_my_links(deps, context.team_id or str(body.get("team_id") or ""), user)
    refs, dropped = await _new_refs(deps, event, post, mark=poster_unfurls is True)
    if not refs:
        return
    with deps.auditor.audit("unfurl", user=user, channel=post.channel) as entry:
        entry.targets = [f"ticket:{r.ticket_id}" for r in refs]
        facts = await _facts(
            deps, client, post, user, bool(body.get("is_ext_shared_channel")), poster_unfurls
        )
        decision = decide_unfurl(facts, UnfurlRules.from_settings(deps.settings))
        if decision.reason is Reason.POSTER_UNKNOWN:
            log.warning(
                "the poster's unfurl preference could not be read: ticket header only, no Pendo data",
                extra={"store": deps.preferences.where},
            )
        note = notices.links_not_previewed(dropped) if dropped else None
        unfurl = _unfurler(client, post, note)
        work_objects = deps.settings.work_objects
        entry.set(*await _preview(decision, deps.tickets, refs, unfurl, deps.inflight, work_objects))


async def _new_refs(
    deps: Deps, event: dict[str, Any], post: LinkPost, *, mark: bool = True
) -> tuple[list[TicketRef], int]:
    """The ticket links this delivery should preview (and how many were left over the cap): none for a
    message already answered, nor for a ticket just previewed in the same channel. Without `mark`, the
    links are not marked as previewed in the channel (nothing will be)."""
    settings, seen = deps.settings, deps.memo
    links = event.get("links")
    # A `links` that is not a list, or entries that are not {"url": "…"}, are skipped, never raised on.
    urls = (
        [link["url"] for link in links if isinstance(link, dict) and isinstance(link.get("url"), str)]
        if isinstance(links, list)
        else []
    )
    refs, dropped = find_ticket_refs(urls, settings.zendesk_ticket_hosts, settings.unfurl_max_links)
    if not refs or not await seen.claim(post.key, TARGET_TTL):
        return [], 0  # no ticket links, or the same message again (a duplicate delivery)
    if post.source is Source.MESSAGE and mark:
        window = settings.unfurl_dedupe_seconds
        refs = [r for r in refs if await seen.claim(("unfurled", post.channel, r.ticket_id), window)]
    return refs, dropped


async def _preview(
    decision: Decision,
    tickets: TicketLookup,
    refs: list[TicketRef],
    unfurl: Unfurl,
    inflight: InFlight,
    work_objects: bool = False,
) -> tuple[Outcome, str]:
    """Post what the decision allows; the outcome for the audit line."""
    if decision.preview is Preview.NOTHING:
        if decision.reason is Reason.EXTERNAL:
            return Outcome.SKIPPED_EXTERNAL, ""
        return Outcome.REFUSED, decision.reason.name.lower()
    if decision.preview is Preview.NUMBER_ONLY:
        text = NUMBER_NOTES.get(decision.reason, notices.UNFURL_NUMBER_ONLY)
        await unfurl({r.url: ticket_blocks.ticket_number_unfurl(r.ticket_id, text) for r in refs})
        return Outcome.NUMBER_ONLY, ""

    async def cut_short() -> None:  # a restart never leaves "Looking up…" behind
        await unfurl({r.url: ticket_blocks.ticket_error_unfurl(r.ticket_id, notices.CUT_SHORT) for r in refs})

    try:
        if work_objects:  # the channel gets the ticket card; Pendo context only in each user's panel
            work = _unfurl_work_objects(tickets, refs, unfurl)
        else:
            work = _unfurl_tickets(tickets, refs, unfurl, with_pendo=decision.preview is Preview.FULL)
        return await inflight.run(work, cut_short=cut_short) or (Outcome.ERROR, "cut_short")
    except Exception:  # a bug must not leave a "Looking up…" preview forever: say so once
        log.exception("unfurl failed")
        await unfurl(
            {r.url: ticket_blocks.ticket_error_unfurl(r.ticket_id, notices.UNFURL_FAILED) for r in refs}
        )
        return Outcome.ERROR, "internal"


async def _facts(
    deps: Deps,
    client: AsyncWebClient,
    post: LinkPost,
    user: str,
    ext_hint: bool,
    poster_unfurls: bool | None,
) -> UnfurlFacts:
    """What the gates need to know; Slack is asked only about a posted message's channel."""
    if poster_unfurls is False:  # nothing else matters
        return UnfurlFacts(post.source, post.channel, ChannelKind.UNKNOWN, True, poster_unfurls=False)
    kind = ChannelKind.UNKNOWN
    if post.source is Source.MESSAGE:
        external = await ChannelKinds.of(deps).is_external(client, post.channel, hint=ext_hint)
        kind = ChannelKind.EXTERNAL if external else ChannelKind.INTERNAL
    allowed = await AccessLists.of(deps).poster_allowed(client, user)
    return UnfurlFacts(post.source, post.channel, kind, poster_allowed=allowed, poster_unfurls=poster_unfurls)


def _unfurler(client: AsyncWebClient, post: LinkPost, note: str | None) -> Unfurl:
    async def unfurl(unfurls: dict[str, Any], metadata: dict[str, Any] | None = None) -> None:
        if note:
            last = list(unfurls)[-1]
            unfurls[last] = ticket_blocks.with_note(unfurls[last], note)
        try:
            await client.chat_unfurl(unfurls=unfurls, metadata=metadata, **post.target)
        except SlackApiError as exc:  # e.g. cannot_unfurl_url: the message was deleted meanwhile
            log.warning("chat.unfurl refused", extra={"error": slack_error(exc)})

    return unfurl


async def _unfurl_tickets(
    tickets: TicketLookup, refs: list[TicketRef], unfurl: Unfurl, *, with_pendo: bool
) -> tuple[Outcome, str]:
    """The header as soon as Zendesk answered, then (where allowed) the Pendo part on the same target."""
    now = tickets.now_ms()
    fetched = await _fetch(tickets, refs, unfurl)
    if not isinstance(fetched, _Fetched):
        return fetched  # Zendesk failed: every link already has its error preview
    found, errors = fetched.found, fetched.errors
    if not with_pendo or not found:
        await unfurl({**{r.url: ticket_blocks.ticket_unfurl(b, now) for r, b in found}, **errors})
        return (Outcome.HEADER_ONLY if found else Outcome.NOT_FOUND), ""
    await unfurl({**{r.url: ticket_blocks.ticket_unfurl(b, now, pending=True) for r, b in found}, **errors})
    contexts: list[TicketFacts] = await asyncio.gather(*(tickets.requester_facts(b) for _, b in found))
    await unfurl(
        {
            **{
                r.url: ticket_blocks.ticket_unfurl(b, now, tc)
                for (r, b), tc in zip(found, contexts, strict=True)
            },
            **errors,
        }
    )
    return Outcome.FULL, ""


async def _unfurl_work_objects(
    tickets: TicketLookup, refs: list[TicketRef], unfurl: Unfurl
) -> tuple[Outcome, str]:
    """One `chat.unfurl`: a Work Object per ticket found (`metadata.entities`), the Block Kit header as the
    fallback for clients without Work Objects; nothing about the requester's Pendo activity."""
    now = tickets.now_ms()
    fetched = await _fetch(tickets, refs, unfurl)
    if not isinstance(fetched, _Fetched):
        return fetched  # Zendesk failed: every link already has its error preview
    found, errors = fetched.found, fetched.errors
    unfurls = {**{r.url: ticket_blocks.ticket_unfurl(b, now) for r, b in found}, **errors}
    entities = [wo.ticket_entity(b, app_unfurl_url=r.url) for r, b in found]
    await unfurl(unfurls, {"entities": entities} if entities else None)
    return (Outcome.HEADER_ONLY, "work_object") if found else (Outcome.NOT_FOUND, "")


@dataclass(frozen=True)
class _Fetched:
    found: list[tuple[TicketRef, TicketBundle]]
    errors: dict[str, Any]  # url → the error preview of a ticket Zendesk did not return


async def _fetch(
    tickets: TicketLookup, refs: list[TicketRef], unfurl: Unfurl
) -> _Fetched | tuple[Outcome, str]:
    """The tickets found (with their refs) and an error preview for each one that was not; when Zendesk
    failed altogether, every link gets the error preview and the audit outcome is returned instead."""
    try:
        bundles = await tickets.tickets([r.ticket_id for r in refs])
    except UpstreamError as exc:
        log.warning("zendesk failed for an unfurl", extra={"error": str(exc)})
        await unfurl({r.url: ticket_blocks.ticket_failure_unfurl(r.ticket_id, exc) for r in refs})
        return Outcome.ERROR, type(exc).__name__
    found = [(r, bundles[r.ticket_id]) for r in refs if r.ticket_id in bundles]
    errors = {
        r.url: ticket_blocks.ticket_failure_unfurl(r.ticket_id, None)
        for r in refs
        if r.ticket_id not in bundles
    }
    return _Fetched(found, errors)


ROUTES = [Route("event", "link_shared", link_shared)]
