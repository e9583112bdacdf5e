"""`NpsAlerts`: the "nps" jobs of the notes' queue (stored by `bot.alerts.nps`), posted to an alert channel.

A score's job ("score" phase) runs 60 s after the score came (at once when its comment came with it or
before it; the comment's job posts it as soon as the comment comes), so a comment sent as a second
webhook is in the one message:

1. dropped when older than ALERT_MAX_DELAY_MINUTES (from Pendo's `timestamp`, else its arrival): never
   posted late;
2. paced: at most `PER_MINUTE` NPS alerts a minute for the whole deployment (slots claimed in the queue's
   store, so across instances); over it, the job waits for a later minute (and is dropped once stale).
   Why 10: each alert costs a cold Pendo lookup (about 9 Pendo calls), one Zendesk search and two Slack
   calls; 10 a minute is 90 Pendo calls (Pendo's budget here: 25 a second), 10 Zendesk calls (5% of the
   smallest plan's 200 a minute, shared with the notes and the lookups), and a pace a channel's readers
   can follow, whatever a survey campaign sends at once;
3. who answered (`CustomerLookup.for_visitor_id`): not in Pendo or opted out, no alert;
4. the channel: `Rules.channel_for` with the rule "detractor" for a score of 0-6 (ALERT_ROUTES), else
   ALERTS_CHANNEL; checked (`AlertPoster.check`: not Slack Connect, within UNFURL_CHANNELS), then claimed
   once (`AlertPoster.claim`, a day: one alert per visitor and survey across instances and retries);
5. the comment read from the store after the claim (see below), the requester's open tickets (one Zendesk
   search by email; a failure is said in the message, not retried), posted (`bot.render.nps_alert`); a
   Slack error releases the claim and the job is tried again. The post is recorded (`nps-posted:<key>`:
   channel, ts, score, whether it had the comment).

A comment's job ("comment" phase) runs at once: when the score's alert went out without the comment, it
updates the message (`chat.update`, claimed once); when the score's post is under way (claimed, not yet
recorded), it waits and looks again; when the score is waiting (its copy in the store), it posts the
alert now, as the score's job would (the same claim: one post; the score's job then finds it taken);
otherwise the score's job will read the comment itself (it reads it after its claim, and the comment is
stored before its job). Comments are kept an hour, then dropped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.alerts.post import AlertPoster, Posted
from bot.alerts.rules import KEY_ACCOUNT, Rules
from bot.alerts.tickets import LASTING_SLACK_ERRORS, retry_after
from bot.domain.customers import MAX_ACCOUNTS, CustomerLookup
from bot.domain.models import NotFoundInPendo, NpsAnswer, VisitorFacts
from bot.http.errors import UpstreamError
from bot.metrics import NPS_ALERTS
from bot.notes.jobs import Job, QueueUnavailable
from bot.notes.writer import NoteResult, NoteStatus
from bot.render.blocks import Message
from bot.render.nps_alert import TICKETS_SHOWN, nps_alert_message
from bot.settings import Settings
from bot.zendesk.client import ZendeskClient
from bot.zendesk.models import OpenTickets

log = logging.getLogger(__name__)
PER_MINUTE = 10  # NPS alerts a minute, the whole deployment (see the module's docstring)
CLAIM_HOLD = 24 * 3600.0  # one alert per visitor and survey for this long
POSTED_KEEP = 24 * 3600.0  # a later comment finds the message this long
BUSY_WAIT = 5.0  # a comment whose score is being posted looks again after this (at least)
DETRACTOR_MAX = 6


def _slack_code(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    return str(data.get("error", ""))[:100] if isinstance(data, dict) else ""


def _slack_failed(method: str, exc: SlackApiError) -> NoteResult:
    """Tried again (after Slack's Retry-After), or given up when trying again cannot help (the bot is
    not in the channel, the channel is gone: listed by `pendo-bot notes`)."""
    NPS_ALERTS.labels("slack_error").inc()
    code = _slack_code(exc)
    if code in LASTING_SLACK_ERRORS:
        return NoteResult(NoteStatus.FAILED, f"{method}: {code}")
    return NoteResult(NoteStatus.RETRY, f"{method}: {code}", retry_after(exc))


def _not_sent(reason: str, status: NoteStatus = NoteStatus.SKIPPED) -> NoteResult:
    NPS_ALERTS.labels(reason).inc()
    return NoteResult(status, reason)


class NpsAlerts:
    """The queue's handler for "nps" jobs: `NoteQueue(handlers={NPS_KIND: alerts.handle})`. `zendesk`
    None: no ticket line."""

    def __init__(
        self,
        customers: CustomerLookup,
        zendesk: ZendeskClient | None,
        poster: AlertPoster,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        per_minute: int = PER_MINUTE,
    ) -> None:
        self.customers, self.zendesk, self.poster, self.jobs = customers, zendesk, poster, poster.jobs
        self.rules = Rules.from_settings(settings)
        self.max_delay = settings.alert_max_delay_minutes * 60
        self.per_minute = per_minute
        self._clock = clock

    async def handle(self, job: Job) -> NoteResult:
        """Never gives an answer up for a passing failure: the store, Slack or Zendesk not answering is
        tried again (a given-up job keeps no payload), until ALERT_MAX_DELAY_MINUTES drops it as stale."""
        p = job.payload
        if not {"key", "visitor", "score"} <= p.keys():  # a given-up job revived: its answer was not kept
            return NoteResult(NoteStatus.SKIPPED, "the answer is no longer stored")
        try:
            if p.get("phase") == "comment":
                return await self._comment(p)
            return await self._score(p, job.first_seen)
        except QueueUnavailable:
            return NoteResult(NoteStatus.RETRY, "the queue's store is unavailable")
        except Exception as exc:  # Slack or Zendesk not reached (a timeout, a connection), or a bug: logged
            log.warning("nps alert failed, trying again", extra={"error": type(exc).__name__})
            return NoteResult(NoteStatus.RETRY, f"error: {type(exc).__name__}")

    # --- a score: the alert ------------------------------------------------------------------------------
    async def _score(self, p: dict[str, Any], first_seen: float) -> NoteResult:
        now, key = self._clock(), str(p["key"])
        if await self._claimed(key, now):  # posted, or being posted, by the comment's job: nothing spent
            return _not_sent("duplicate", NoteStatus.ALREADY)
        if now - float(p.get("at") or first_seen) > self.max_delay:
            log.info("nps alert dropped: later than ALERT_MAX_DELAY_MINUTES")
            return _not_sent("stale")
        if not await self._slot(now):
            NPS_ALERTS.labels("paced").inc()
            return NoteResult(NoteStatus.RETRY, "paced", retry_after=60.0 - now % 60)
        found = await self._facts(p)
        if isinstance(found, NoteResult):
            return found
        facts, accounts = found
        score = int(p["score"])
        fired = ["detractor"] if score <= DETRACTOR_MAX else []
        if self.rules.key_account(accounts) is not None:  # a key account's answer takes its route too
            fired.append(KEY_ACCOUNT)
        channel = self.rules.channel_for(fired, accounts)
        if channel is None:
            return _not_sent("no_channel")
        try:
            refused = await self.poster.check(channel)
        except SlackApiError as exc:
            return NoteResult(NoteStatus.RETRY, f"conversations.info: {_slack_code(exc)}")
        if refused is not None:
            log.warning("nps alert not sent: channel refused", extra={"reason": refused})
            return _not_sent("channel_refused")
        if not await self.poster.claim(f"nps:{key}", CLAIM_HOLD):
            return _not_sent("duplicate", NoteStatus.ALREADY)
        try:  # until the post is out, a failure or a stop hands the claim back: the job runs again
            comment = p.get("comment") or await self.jobs.marked(f"nps-comment:{key}", now=now)
            message = await self._message(p, facts, comment)
            posted = await self.poster.post(channel, message)
        except SlackApiError as exc:
            await self.poster.release(f"nps:{key}")
            return _slack_failed("chat.postMessage", exc)
        except BaseException:
            with contextlib.suppress(Exception):
                await self.poster.release(f"nps:{key}")
            raise
        record = {"channel": posted.channel, "ts": posted.ts, "comment": bool(comment)}
        record |= {k: p.get(k) for k in ("score", "guide_name", "at", "account")}
        await self.jobs.mark(f"nps-posted:{key}", now=now, until=now + POSTED_KEEP, value=json.dumps(record))
        if comment:
            await self.jobs.unmark(f"nps-comment:{key}")
        NPS_ALERTS.labels("sent").inc()
        return NoteResult(NoteStatus.WRITTEN, "sent")

    async def _claimed(self, key: str, now: float) -> bool:
        """Whether the alert for `key` is claimed (`AlertPoster.claim`'s mark): posted or being posted."""
        return await self.jobs.marked(f"alert-claim:nps:{key}", now=now) is not None

    async def _slot(self, now: float) -> bool:
        """One of this minute's `per_minute` slots, shared by every instance (marks in the store)."""
        minute = int(now // 60)
        for slot in range(self.per_minute):
            if await self.jobs.mark(f"nps-rate:{minute}:{slot}", now=now, until=(minute + 2) * 60.0):
                return True
        return False

    async def _facts(self, p: dict[str, Any]) -> tuple[VisitorFacts, dict[str, Any]] | NoteResult:
        """The visitor's facts and their accounts' metadata (for the routes' field matches), or why not."""
        try:
            facts = await self.customers.for_visitor_id(str(p["visitor"]))
        except UpstreamError as exc:
            retry_after = getattr(exc, "retry_after", None)
            return NoteResult(NoteStatus.RETRY, f"pendo: {type(exc).__name__}", retry_after, exc)
        if isinstance(facts, NotFoundInPendo):
            return _not_sent("not_found")
        if facts.profile.opted_out or (facts.accounts and all(a.opted_out for a in facts.accounts)):
            return _not_sent("opted_out")
        try:
            records = await self.customers.pendo.accounts(facts.profile.account_ids[:MAX_ACCOUNTS])
        except UpstreamError:  # a route by account field cannot match: the rule's route or the default
            records = {}
        accounts = {a.id: a.metadata for a in records.values() if not a.do_not_process}
        return facts, accounts

    async def _message(self, p: dict[str, Any], facts: VisitorFacts, comment: str | None) -> Message:
        p_ = facts.profile
        answer = NpsAnswer(
            visitor_id=p_.id,
            account_id=p.get("account"),
            score=int(p["score"]),
            ts_ms=int(float(p.get("at") or self._clock()) * 1000),
            comment=comment,
            survey=p.get("guide_name"),
            who=p_.name or p_.email,
        )
        zendesk = self.zendesk
        tickets: OpenTickets | None = None
        if zendesk is not None and p_.email:
            try:
                tickets = await zendesk.open_tickets(p_.email, TICKETS_SHOWN)
            except UpstreamError as exc:
                log.warning("nps alert: open tickets not read", extra={"error": type(exc).__name__})
        elif zendesk is not None:
            tickets = OpenTickets([], 0)  # no email: nothing to search by
        return nps_alert_message(answer, facts, tickets, zendesk=zendesk is not None)

    # --- a comment: into the alert already posted ---------------------------------------------------------
    async def _comment(self, p: dict[str, Any]) -> NoteResult:
        now, key = self._clock(), str(p["key"])
        raw = await self.jobs.marked(f"nps-posted:{key}", now=now)
        if raw is None:
            if await self._claimed(key, now):
                return NoteResult(NoteStatus.BUSY, "the score's alert is being posted", BUSY_WAIT)
            waiting = await self.jobs.marked(f"nps-score:{key}", now=now)
            if waiting is None:  # the score comes later (its job reads the comment), or never
                return NoteResult(NoteStatus.SKIPPED, "kept for the score")
            score = _stored_object(waiting)  # the score waits for this comment: post now, not at its due time
            if score is None:
                return NoteResult(NoteStatus.SKIPPED, "the waiting score is not readable")
            return await self._score(score, float(score.get("first_seen") or now))
        record = _stored_object(raw)
        if record is None or not {"channel", "ts"} <= record.keys():
            return NoteResult(NoteStatus.SKIPPED, "the posted alert's record is not readable")
        if record.get("comment"):
            return NoteResult(NoteStatus.ALREADY, "the alert has a comment")
        comment = await self.jobs.marked(f"nps-comment:{key}", now=now)
        if comment is None or not await self.jobs.mark(
            f"nps-updated:{key}", now=now, until=now + POSTED_KEEP
        ):
            return NoteResult(NoteStatus.ALREADY, "updated already")
        score_job = p | {k: record.get(k) for k in ("score", "guide_name", "at", "account")}
        try:
            found = await self._facts(score_job)
            if isinstance(found, NoteResult):
                await self.jobs.unmark(f"nps-updated:{key}")
                return found
            # the channel checked again: it may have become shared since the score was posted
            if (refused := await self.poster.check(str(record["channel"]))) is not None:
                log.warning("nps alert not updated: channel refused", extra={"reason": refused})
                return _not_sent("channel_refused")
            message = await self._message(score_job, found[0], comment)
            await self.poster.update(Posted(record["channel"], record["ts"]), message)
        except SlackApiError as exc:
            await self.jobs.unmark(f"nps-updated:{key}")
            return _slack_failed("chat.update", exc)
        except BaseException:
            with contextlib.suppress(Exception):
                await self.jobs.unmark(f"nps-updated:{key}")
            raise
        await self.jobs.unmark(f"nps-comment:{key}")
        NPS_ALERTS.labels("updated").inc()
        return NoteResult(NoteStatus.WRITTEN, "updated")


def _stored_object(raw: str | None) -> dict[str, Any] | None:
    """A JSON object read back from the store (Redis or the NOTES_DB file), or None when it is not one:
    a value from another version, or a key some other writer reused, is never trusted as it stands."""
    try:
        value = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
