"""Builds the object graph once from the settings: HTTP clients, upstream clients, context service.

With no Pendo key (or no Zendesk account) the clients talk to the embedded sample workspace in-process,
through the same HTTP client code as in production.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.cache import TTLCache
from bot.context.service import ContextService
from bot.context.tickets import TicketService
from bot.pendo.client import PendoClient
from bot.settings import Settings
from bot.upstream import RetryPolicy, Sleep
from bot.zendesk.client import ZendeskClient

log = logging.getLogger(__name__)

USER_AGENT = "pendo-context-for-slack/0.1"


@dataclass
class Services:
    settings: Settings
    pendo: PendoClient
    context: ContextService
    zendesk: ZendeskClient
    tickets: TicketService
    cache: TTLCache
    closers: list[Callable[[], Any]] = field(default_factory=list)
    workspace: Any = None  # the sample workspace, when one is in use

    async def aclose(self) -> None:
        for close in self.closers:
            await close()


def _http(
    base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        headers={"user-agent": USER_AGENT, "accept": "application/json"},
        transport=transport,
        follow_redirects=False,
    )


def build_services(
    settings: Settings,
    *,
    pendo_transport: httpx.AsyncBaseTransport | None = None,
    zendesk_transport: httpx.AsyncBaseTransport | None = None,
    now_ms: Callable[[], int] | None = None,
    sleep: Sleep | None = None,
) -> Services:
    """Everything the listeners and the CLI need. Transports and `now_ms` are for tests."""
    clock = now_ms or (lambda: int(time.time() * 1000))
    cache = TTLCache()
    workspace = None
    pendo_base = settings.pendo_api_url
    if (pendo_transport is None and settings.pendo_sandbox) or (
        zendesk_transport is None and settings.zendesk_sandbox
    ):
        from bot.sandbox import build_workspace, create_pendo_app, create_zendesk_app

        workspace = build_workspace(clock())
        if pendo_transport is None and settings.pendo_sandbox:
            pendo_transport = httpx.ASGITransport(app=create_pendo_app(workspace))
            pendo_base = "http://pendo.sandbox"
        if zendesk_transport is None and settings.zendesk_sandbox:
            zendesk_transport = httpx.ASGITransport(app=create_zendesk_app(workspace))
    policy = RetryPolicy(deadline=settings.lookup_deadline_seconds)
    pendo_http = _http(pendo_base, settings.pendo_timeout_seconds, pendo_transport)
    pendo = PendoClient(
        pendo_http,
        key=settings.pendo_key,
        policy=policy,
        cache=cache,
        catalog_ttl=settings.catalog_ttl_seconds,
        ttl=settings.cache_ttl_seconds,
        sleep=sleep,
    )
    context = ContextService(pendo, settings, clock=clock)
    zendesk = ZendeskClient.from_settings(
        settings,
        cache=cache,
        policy=RetryPolicy(deadline=settings.lookup_deadline_seconds),
        ttl=min(60.0, settings.cache_ttl_seconds),
        transport=zendesk_transport,
        sleep=sleep,
    )
    return Services(
        settings=settings,
        pendo=pendo,
        context=context,
        zendesk=zendesk,
        tickets=TicketService(zendesk, context),
        cache=cache,
        closers=[pendo.aclose, zendesk.aclose],
        workspace=workspace,
    )
