"""Builds the object graph once from the settings: HTTP clients, upstream clients, context services.

With no Pendo key (or no Zendesk account) the clients can talk to the embedded sample workspace
in-process, through the same HTTP client code as in production: the CLI does so and says it; the
Slack bot only with `pendo-bot serve --sandbox`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bot.audit import Auditor
from bot.cache import TTLCache
from bot.context.service import ContextService
from bot.context.tickets import TicketService
from bot.pendo.client import PendoClient
from bot.settings import Settings, SettingsError
from bot.upstream import RetryPolicy, Sleep, http_client
from bot.zendesk.client import ZendeskClient

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    pendo: PendoClient
    context: ContextService
    tickets: TicketService | None  # None: Zendesk is not connected
    cache: TTLCache  # upstream answers
    slack_cache: TTLCache  # Slack-side facts and "already unfurled" marks, kept apart from upstream data
    auditor: Auditor
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def aclose(self) -> None:
        for close in self.closers:
            await close()


def _audit_key(settings: Settings) -> str:
    for secret in (settings.audit_hash_key, settings.slack_signing_secret, settings.slack_bot_token):
        if secret is not None:
            return secret.get_secret_value()
    return "pendo-context-cli"


def build_services(
    settings: Settings,
    *,
    allow_sandbox: bool = True,
    pendo_transport: httpx.AsyncBaseTransport | None = None,
    zendesk_transport: httpx.AsyncBaseTransport | None = None,
    now_ms: Callable[[], int] | None = None,
    sleep: Sleep | None = None,
) -> Services:
    """Everything the listeners and the CLI need. Transports and `now_ms` are for tests.

    Without `allow_sandbox`, a missing Pendo key is an error and a missing Zendesk account turns the
    ticket features off, so a production bot never answers with sample data.
    """
    if settings.pendo_sandbox and pendo_transport is None and not allow_sandbox:
        raise SettingsError(
            "PENDO_INTEGRATION_KEY is not set, so the bot would answer with sample data. Set it, or run "
            "`pendo-bot serve --sandbox` for a demo on the sample workspace."
        )
    clock = now_ms or (lambda: int(time.time() * 1000))
    cache = TTLCache()
    pendo_base = settings.pendo_api_url
    sample_pendo = pendo_transport is None and settings.pendo_sandbox
    sample_zendesk = zendesk_transport is None and settings.zendesk_sandbox and allow_sandbox
    if sample_pendo or sample_zendesk:
        from bot.sandbox import build_workspace, create_pendo_app, create_zendesk_app

        workspace = build_workspace(clock())
        if sample_pendo:
            pendo_transport = httpx.ASGITransport(app=create_pendo_app(workspace))
            pendo_base = "http://pendo.sandbox"
        if sample_zendesk:
            zendesk_transport = httpx.ASGITransport(app=create_zendesk_app(workspace))

    policy = RetryPolicy(deadline=settings.lookup_deadline_seconds)
    pendo = PendoClient(
        http_client(pendo_base, settings.pendo_timeout_seconds, pendo_transport),
        key=settings.pendo_key,
        policy=policy,
        cache=cache,
        catalog_ttl=settings.catalog_ttl_seconds,
        ttl=settings.cache_ttl_seconds,
        sleep=sleep,
    )
    context = ContextService(pendo, settings, clock=clock)
    closers: list[Callable[[], Awaitable[None]]] = [pendo.aclose]
    tickets = None
    if not settings.zendesk_sandbox or zendesk_transport is not None:
        zendesk = ZendeskClient.from_settings(
            settings,
            transport=zendesk_transport,
            cache=cache,
            policy=policy,
            ttl=min(60.0, settings.cache_ttl_seconds),
            sleep=sleep,
        )
        closers.append(zendesk.aclose)
        tickets = TicketService(zendesk, context)
    return Services(
        settings=settings,
        pendo=pendo,
        context=context,
        tickets=tickets,
        cache=cache,
        slack_cache=TTLCache(max_entries=20_000),
        auditor=Auditor(_audit_key(settings)),
        closers=closers,
    )
