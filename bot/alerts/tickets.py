"""The "alert" job: a new ticket whose requester matches a rule is told to its channel, once, on time.

The Zendesk webhook (`bot.notes.endpoint`) stores an "alert" job beside the "note" job when ALERTS_CHANNEL
is set, with the same payload (the signed body's fields). `TicketAlerts` is its handler in the notes'
queue (`NoteQueue(handlers={"alert": …})`), so an alert is as durable as a note: stored before the 200,
taken over after a crash, retried with the queue's waits. In order:

1. Too late? An alert more than ALERT_MAX_DELAY_MINUTES after the ticket's creation (the body's
   `created_at`) is dropped (metric reason `stale`): never posted late. Checked again right before
   the post.
2. The requester, looked up exactly as the note does (`TicketLookup.requester_facts` on the ticket built
   from the body, `bot.notes.writer._bundle_of`): the note job makes the same lookup, so Pendo's answers
   come from the shared cache (concurrent identical lookups share their requests). Pendo down: RETRY.
   Not alerted: an opted-out visitor, or one whose accounts all opted out (`opted_out`), an email two
   visitors share (`ambiguous`), no visitor (`not_in_pendo`), no rule (`no_rule`).
3. The rules (`bot.alerts.rules`): the stand-out signals (`bot.domain.signals.every_signal`; a part
   that failed gives no signal, so a rule whose data is missing never fires) and key accounts, whose
   metadata comes from the lookup's cached account records (opted-out accounts left out).
4. The channel (ALERT_ROUTES, else ALERTS_CHANNEL), checked again (`AlertPoster.check`: refused →
   `channel_refused`, FAILED: listed by `pendo-bot notes`); the claim (`AlertPoster.claim`, one per
   ticket across instances and webhook retries: taken → `duplicate`); only then the ticket is read (one
   Zendesk request) for the header, the alert rendered (`bot.render.alerts`) and posted. A Slack error
   releases the claim and the job is retried (a 429 after its Retry-After), or given up when retrying
   cannot help (the bot is not in the channel, the channel is gone).

A body without the ticket's creation time (a trigger sending the id alone, or a given-up alert retried:
its payload is not kept) reads the ticket first, once, and uses it for the header too. A full body with
an empty email (a requester without one) is `not_in_pendo` at once.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.alerts.post import AlertPoster
from bot.alerts.rules import Rules
from bot.domain import signals
from bot.domain.models import Ambiguous, Gap, NotFoundInPendo, VisitorFacts
from bot.domain.tickets import TicketLookup
from bot.http.errors import AuthError, NotFound, RateLimited, UpstreamError
from bot.notes.jobs import Job, QueueUnavailable
from bot.notes.writer import NoteResult, NoteStatus, _bundle_of
from bot.render.alerts import alert_message
from bot.settings import Settings
from bot.zendesk.models import TicketBundle
from bot.zendesk.webhook import WebhookBody

log = logging.getLogger(__name__)
ALERT_KIND = "alert"  # the jobs' kind in the notes' queue
CLAIM_MARGIN = 3600.0  # s: a claim outlives the alert's window by this much (clocks of instances differ)
# Slack errors that trying again within minutes cannot fix: given up (listed by `pendo-bot notes`)
LASTING_SLACK_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
    }
)


def _not_sent(reason: str, status: NoteStatus = NoteStatus.SKIPPED) -> NoteResult:
    metrics.alert_not_sent(reason)
    return NoteResult(status, reason)


def retry_after(exc: SlackApiError) -> float | None:
    """Slack's Retry-After (seconds) on a rate-limited call; None when it sent none."""
    headers: Mapping[str, Any] = getattr(exc.response, "headers", None) or {}
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                seconds = float(raw)
            except (TypeError, ValueError):
                return None
            return seconds if math.isfinite(seconds) and seconds >= 0 else None
    return None


class TicketAlerts:
    """The "alert" jobs' handler (`NoteQueue(handlers={ALERT_KIND: alerts})`)."""

    def __init__(
        self,
        tickets: TicketLookup,
        poster: AlertPoster,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tickets = tickets
        self.poster = poster
        self.rules = Rules.from_settings(settings)
        self.max_delay = settings.alert_max_delay_minutes * 60
        self.host = tickets.zendesk.host
        self.clock = clock

    async def __call__(self, job: Job) -> NoteResult:
        hint = WebhookBody.from_payload(job.ticket_id, job.payload)
        ticket: TicketBundle | None = None  # the ticket as Zendesk has it: read at most once
        if hint.created_at is not None:
            if hint.requester_email is None:  # the full body, an empty email: a requester without one
                return _not_sent("stale" if self._late(hint.created_at.at.timestamp()) else "not_in_pendo")
            # the note's own lookup: same email, same anchor (the body's updated_at plays no part in it)
            lookup = _bundle_of(replace(hint, updated_at=hint.updated_at or hint.created_at), self.host)
        else:
            try:
                ticket = lookup = await self.tickets.ticket(job.ticket_id)
            except UpstreamError as exc:
                return self._zendesk_failed(job, exc)
        created = lookup.ticket.created_at.timestamp()
        if self._late(created):
            return _not_sent("stale")
        tc = await self.tickets.requester_facts(lookup)
        if isinstance(tc.reason, Gap):  # Pendo failed for now: the queue tries again (within the window)
            return NoteResult(NoteStatus.RETRY, "pendo: unavailable")
        facts = tc.pendo
        if isinstance(facts, Ambiguous):
            return _not_sent("ambiguous")
        if facts is None or isinstance(facts, NotFoundInPendo):
            return _not_sent("not_in_pendo")
        if facts.profile.opted_out or (facts.accounts and all(a.opted_out for a in facts.accounts)):
            return _not_sent("opted_out")
        accounts = await self._accounts(facts)
        key_account = self.rules.key_account(accounts)
        found = signals.every_signal(facts)
        matched = self.rules.matched(found, key_account)
        if not matched:
            return _not_sent("no_rule")
        channel = self.rules.channel_for(matched, accounts)
        if channel is None:  # routes without ALERTS_CHANNEL: refused at start-up, so only a bad build
            return _not_sent("no_rule", NoteStatus.FAILED)
        key_name = next((a.name for a in facts.accounts if a.id == key_account), key_account)
        return await self._post(job, channel, created, ticket, facts, matched, found, key_name)

    async def _post(
        self,
        job: Job,
        channel: str,
        created: float,
        ticket: TicketBundle | None,
        facts: VisitorFacts,
        matched: list[str],
        found: list[signals.Signal],
        key_name: str | None,
    ) -> NoteResult:
        """Check the channel, claim the ticket, read it, post; the claim released unless posted."""
        try:
            refused = await self.poster.check(channel)
        except SlackApiError as exc:
            return self._slack_failed(job, channel, exc)
        except Exception as exc:  # Slack not reached (connection, timeout): try again
            return self._unreached(job, exc)
        if refused is not None:
            log.warning(
                "ticket alert not sent: the channel may not receive customer data",
                extra={"ticket": job.ticket_id, "channel": channel, "reason": refused},
            )
            return _not_sent("channel_refused", NoteStatus.FAILED)
        if self._late(created):
            return _not_sent("stale")
        claim = f"{self.host}:{job.ticket_id}"
        hold = max(0.0, created + self.max_delay - self.clock()) + CLAIM_MARGIN
        try:
            if not await self.poster.claim(claim, hold):
                return _not_sent("duplicate")
        except QueueUnavailable:
            return NoteResult(NoteStatus.RETRY, "claim: the queue's store is unavailable")
        try:
            result = await self._read_and_post(job, channel, created, ticket, facts, matched, found, key_name)
        except BaseException:  # cancelled (SIGTERM) or a bug: the job runs again, so must its claim
            with contextlib.suppress(Exception):
                await self.poster.release(claim)
            raise
        if result.status is not NoteStatus.WRITTEN and result.reason != "stale":
            try:
                await self.poster.release(claim)
            except QueueUnavailable:
                log.warning("ticket alert: its claim could not be released", extra={"ticket": job.ticket_id})
        return result

    async def _read_and_post(
        self,
        job: Job,
        channel: str,
        created: float,
        ticket: TicketBundle | None,
        facts: VisitorFacts,
        matched: list[str],
        found: list[signals.Signal],
        key_name: str | None,
    ) -> NoteResult:
        if ticket is None:
            try:
                ticket = await self.tickets.ticket(job.ticket_id)  # the one Zendesk request, only now
            except UpstreamError as exc:
                return self._zendesk_failed(job, exc)
        message = alert_message(ticket, facts, matched, found, key_name)
        if self._late(created):  # the read took long: still never late
            return _not_sent("stale")
        try:
            await self.poster.post(channel, message)
        except SlackApiError as exc:
            return self._slack_failed(job, channel, exc)
        except Exception as exc:
            return self._unreached(job, exc)
        metrics.alert_sent(matched[0])
        log.info(
            "ticket alert sent",
            extra={"ticket": job.ticket_id, "channel": channel, "rules": ",".join(matched)},
        )
        return NoteResult(NoteStatus.WRITTEN, matched[0])

    async def _accounts(self, facts: VisitorFacts) -> dict[str, Mapping[str, Any]]:
        """The visitor's accounts (opted-out ones left out) with their metadata when a field match needs
        it: the lookup's own `accounts` read (same ids, same order), so from the cache."""
        kept = [a.id for a in facts.accounts if not a.opted_out]
        if not kept or not self.rules.reads_accounts:
            return {a: {} for a in kept}
        try:
            records = await self.tickets.customers.pendo.accounts([a.id for a in facts.accounts])
        except UpstreamError as exc:  # key accounts by id still match; field matches cannot
            log.warning("ticket alert: account metadata unavailable", extra={"error": type(exc).__name__})
            records = {}
        return {
            a: records[a].metadata if a in records and not records[a].do_not_process else {} for a in kept
        }

    def _late(self, created: float) -> bool:
        return self.clock() - created > self.max_delay

    def _slack_failed(self, job: Job, channel: str, exc: SlackApiError) -> NoteResult:
        code = str(exc.response.get("error") or "unknown") if exc.response is not None else "unknown"
        metrics.alert_not_sent("slack_error")
        lasting = code in LASTING_SLACK_ERRORS
        log.warning(
            "ticket alert not sent: Slack refused it"
            + (" (invite the bot to the channel: /invite @Pendo)" if code == "not_in_channel" else ""),
            extra={"ticket": job.ticket_id, "channel": channel, "error": code},
        )
        if lasting:
            return NoteResult(NoteStatus.FAILED, f"slack: {code}")
        wait = retry_after(exc) if code == "ratelimited" else None
        return NoteResult(NoteStatus.RETRY, f"slack: {code}", wait)

    def _unreached(self, job: Job, exc: Exception) -> NoteResult:
        metrics.alert_not_sent("slack_error")
        log.warning(
            "ticket alert not sent: Slack did not answer",
            extra={"ticket": job.ticket_id, "error": type(exc).__name__},
        )
        return NoteResult(NoteStatus.RETRY, f"slack: {type(exc).__name__}")

    def _zendesk_failed(self, job: Job, exc: UpstreamError) -> NoteResult:
        metrics.alert_not_sent("zendesk_error")
        log.warning(
            "ticket alert: the ticket could not be read",
            extra={"ticket": job.ticket_id, "error": type(exc).__name__},
        )
        if isinstance(exc, NotFound | AuthError):
            return NoteResult(NoteStatus.FAILED, f"read: {type(exc).__name__}", error=exc)
        wait = exc.retry_after if isinstance(exc, RateLimited) else None
        return NoteResult(NoteStatus.RETRY, f"read: {type(exc).__name__}", wait, exc)
