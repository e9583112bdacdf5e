"""Builds the object graph once from the settings: HTTP clients, upstream clients, the lookups.

It knows nothing of the sample workspace: the command line, when it chooses the sample, passes sample
settings and transports in (see `bot.sample.connect`). Without a Pendo key it refuses; without a
Zendesk account the ticket features are off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.nps import NPS_KIND
from bot.alerts.nps_alerts import NpsAlerts
from bot.alerts.post import AlertPoster
from bot.alerts.tickets import ALERT_KIND, TicketAlerts
from bot.audit import Auditor
from bot.domain.customers import CustomerLookup
from bot.domain.tickets import TicketLookup
from bot.http.cache import TTLCache
from bot.http.ratelimit import Budget
from bot.http.shared import Identity, RedisLink
from bot.http.upstream import RetryPolicy, Sleep, http_client
from bot.inflight import InFlight
from bot.notes.queue import Handler, NoteQueue, note_jobs, retry_steps
from bot.notes.writer import TicketNotes
from bot.pendo.client import PendoClient
from bot.preferences.store import PreferenceStore, preference_store
from bot.settings import Settings, SettingsError
from bot.zendesk.client import ZendeskClient

log = logging.getLogger(__name__)


@dataclass
class Deps:
    settings: Settings
    pendo: PendoClient
    customers: CustomerLookup
    tickets: TicketLookup | None  # None: Zendesk is not connected
    cache: TTLCache  # upstream answers
    memo: TTLCache  # Slack-side facts and "already unfurled" marks, kept apart from upstream data
    auditor: Auditor
    inflight: InFlight  # work started after an ack: one deadline each, drained on shutdown
    preferences: PreferenceStore  # each agent's choices: Redis with REDIS_URL, else PREFERENCES_DB
    sample: bool = False  # answers come from the embedded sample workspace (a demo), not a customer's Pendo
    notes: TicketNotes | None = None  # Pendo notes on Zendesk tickets (None: Zendesk is not connected)
    note_queue: NoteQueue | None = (
        None  # what the Zendesk webhook asks for (None: ZENDESK_WEBHOOK_SECRET unset)
    )
    alerts: TicketAlerts | None = None  # ticket alerts (None: ALERTS_CHANNEL unset, or no Slack client given)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    identity: Identity | None = None  # the deployment's identity (shared keys), Slack install once known
    deployment: RedisLink | None = None  # Redis under this deployment's identity: the memo and preferences

    def slack_installed(self, team_id: str | None, bot_id: str | None) -> None:
        """Slack named the install (auth.test): Slack-side keys follow the team and the app's bot from now
        on, not the token, so a rotated token finds every agent's preferences and share claims."""
        if not team_id or not bot_id or self.identity is None or self.deployment is None:
            return
        identity = self.identity.installed(team_id, bot_id)
        if identity != self.identity:
            self.identity = identity
            self.deployment.rescope(identity.deployment)

    def start(self) -> None:
        """At start-up, in the running loop: the note workers (jobs a stopped process left are written)."""
        if self.note_queue is not None:
            self.note_queue.start()

    async def drain(self) -> None:
        """On SIGTERM: the answers under way and the notes being written get the grace period together;
        the notes not started stay queued for the next start."""
        grace = self.inflight.grace
        notes = self.note_queue.stop(grace) if self.note_queue is not None else asyncio.sleep(0)
        await asyncio.gather(self.inflight.drain(), notes)

    async def aclose(self) -> None:
        for close in self.closers:
            await close()


def _audit_key(settings: Settings) -> str:
    for secret in (settings.audit_hash_key, settings.slack_signing_secret, settings.slack_bot_token):
        if secret is not None:
            return secret.get_secret_value()
    return "pendo-context-cli"


def build_deps(
    settings: Settings,
    *,
    pendo_transport: httpx.AsyncBaseTransport | None = None,
    zendesk_transport: httpx.AsyncBaseTransport | None = None,
    now_ms: Callable[[], int] | None = None,
    sleep: Sleep | None = None,
    sample: bool = False,
    slack: AsyncWebClient | None = None,
) -> Deps:
    """Everything the listeners and the CLI need. Transports stand in for the network (sample, tests).

    `slack`: the bot's Web API client (`bot.slack.app.slack_client`, passed in by the entry layer, which
    owns Slack's wiring), for the ticket alerts (ALERTS_CHANNEL): without it, as in the command line's
    other commands, no alert is posted."""
    if not settings.pendo_configured:
        raise SettingsError(
            "PENDO_INTEGRATION_KEY is not set. Set it, or run `pendo-bot serve --sample` for a demo on the "
            "sample workspace."
        )
    clock = now_ms or (lambda: int(time.time() * 1000))
    redis = RedisLink(settings.redis_url.get_secret_value() if settings.redis_url else None)
    identity = Identity.of(settings)  # every shared key carries it: deployments may share one Redis
    deployment = redis.scoped(identity.deployment)
    cache = TTLCache(shared=redis.scoped(identity.upstreams), stale_seconds=settings.stale_answer_seconds)
    policy = RetryPolicy(deadline=settings.lookup_deadline_seconds)
    pendo_budget = Budget(
        "Pendo",
        rate=settings.pendo_rate_per_second,
        burst=settings.pendo_rate_burst,
        max_in_flight=settings.pendo_max_in_flight,
        shared=redis.scoped(f"p={identity.pendo}"),  # one budget per Pendo subscription
    )
    zendesk_budget = Budget(
        "Zendesk",
        rate=settings.zendesk_rate_per_second,
        burst=settings.zendesk_rate_burst,
        max_in_flight=settings.zendesk_max_in_flight,
        shared=redis.scoped(f"z={identity.zendesk}"),  # one budget per Zendesk account
    )
    burst = max(1, settings.zendesk_updates_per_minute // 30)
    update_budget = Budget(
        "Zendesk updates",
        # at most burst + (n - 2 x burst) in any minute: under Zendesk's own count, with a margin
        rate=max(1, settings.zendesk_updates_per_minute - 2 * burst) / 60.0,
        burst=burst,
        max_in_flight=0,
        shared=redis.scoped(f"z={identity.zendesk}"),
    )
    pendo = PendoClient(
        http_client(
            settings.pendo_api_url, settings.pendo_timeout_seconds, pendo_budget.wrap(pendo_transport)
        ),
        key=settings.pendo_key,
        policy=policy,
        cache=cache,
        catalog_ttl=settings.catalog_ttl_seconds,
        ttl=settings.cache_ttl_seconds,
        sleep=sleep,
    )
    customers = CustomerLookup(pendo, settings, clock=clock)
    preferences = preference_store(deployment, settings.preferences_db)
    closers: list[Callable[[], Awaitable[None]]] = [pendo.aclose, preferences.aclose, redis.aclose]
    tickets = None
    if settings.zendesk_configured:
        zendesk = ZendeskClient.from_settings(
            settings,
            transport=zendesk_budget.wrap(zendesk_transport),
            cache=cache,
            policy=policy,
            ttl=min(60.0, settings.cache_ttl_seconds),
            sleep=sleep,
        )
        if settings.zendesk_updates_per_minute > 0:
            zendesk.updates = update_budget
        closers.append(zendesk.aclose)
        tickets = TicketLookup(zendesk, customers)
    memo = TTLCache(max_entries=20_000, shared=deployment, namespace="slack")
    auditor = Auditor(_audit_key(settings))
    # The per-ticket note lock belongs to the Zendesk account alone: deployments that share one Redis and
    # one Zendesk (another Slack, another Pendo key) see one lock, so one note.
    locks = TTLCache(max_entries=2_000, shared=redis.scoped(f"z={identity.zendesk}"), namespace="notes")
    notes = (
        TicketNotes(tickets, tickets.zendesk, memo, settings, locks=locks) if tickets is not None else None
    )
    queue, alerts = None, None
    if notes is not None and (settings.zendesk_webhook_secret is not None or settings.pendo_webhook_token):
        jobs = note_jobs(redis, settings.notes_db, notes.host)
        poster = AlertPoster(slack, jobs, settings) if slack is not None else None  # one pace per channel
        handlers: dict[str, Handler] = {}
        if settings.alerts_channel is not None and poster is not None and settings.zendesk_webhook_secret:
            alerts = TicketAlerts(notes.tickets, poster, settings)
            handlers[ALERT_KIND] = alerts
        if settings.pendo_webhook_token is not None and poster is not None:
            handlers[NPS_KIND] = NpsAlerts(customers, notes.tickets.zendesk, poster, settings).handle
        queue = NoteQueue(
            notes,
            jobs,
            handlers=handlers or None,
            auditor=auditor,
            window=settings.notes_retry_hours * 3600,
            backoff=retry_steps(settings.notes_retry_first_seconds),
            lease=settings.notes_lease_seconds,
            limit=settings.notes_max_waiting,
        )
        closers.insert(0, queue.aclose)  # the workers stop before the clients they use close
    return Deps(
        settings=settings,
        pendo=pendo,
        customers=customers,
        tickets=tickets,
        cache=cache,
        memo=memo,
        auditor=auditor,
        inflight=InFlight(deadline=settings.lookup_deadline_seconds, grace=settings.shutdown_grace_seconds),
        preferences=preferences,
        sample=sample,
        notes=notes,
        note_queue=queue,
        alerts=alerts,
        closers=closers,
        identity=identity,
        deployment=deployment,
    )
