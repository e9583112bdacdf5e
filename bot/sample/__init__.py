"""The embedded sample workspace: a deterministic dataset plus fake Pendo, Zendesk and Slack APIs.

Product modules never import this package. The command line is the one door: when it chooses the
sample (no PENDO_INTEGRATION_KEY, or `serve --sample`), it calls `connect()`, which fills in the
sample's credentials and hands the clients in-process transports to the fake APIs:

    sample = connect(settings)
    deps = build_deps(sample.settings, pendo_transport=sample.pendo, zendesk_transport=sample.zendesk)

Tests and the benchmark use the pieces directly:

    ws = build_workspace(now_ms)
    with LoopbackServer(create_zendesk_app(ws)) as server: ...   # real HTTP on 127.0.0.1
    settings = sample_settings(settings, pendo_base_url=..., zendesk_base_url=server.base_url)
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from bot.sample.controls import FakeControls, RecordedRequest
from bot.sample.credentials import (
    SAMPLE_PENDO_KEY,
    SAMPLE_ZENDESK_EMAIL,
    SAMPLE_ZENDESK_SUBDOMAIN,
    SAMPLE_ZENDESK_TOKEN,
)
from bot.sample.data import (
    ACME,
    APP_ID,
    DORMANT,
    GLOBEX,
    HOOLI,
    INITECH,
    INITECH_LABS,
    JANE,
    MULTI,
    MULTI_ACCOUNTS,
    NOBODY,
    OPS,
    OPS_VISITOR_IDS,
    POWER_USER,
    PRIVATE,
    RENEWAL_FIELD,
    SAM,
    SAM_VISITOR_ID,
    SOLO,
    STARK,
    TICKET_AFTER_MIDNIGHT,
    TICKET_FORBIDDEN,
    TICKET_JANE,
    TICKET_MULTI,
    TICKET_NO_EMAIL,
    TICKET_OPS,
    TICKET_PRIVATE,
    TICKET_SAM,
    TICKET_UNKNOWN_REQUESTER,
    TONY,
    UMBRELLA,
    UMBRELLA_EU,
    RawEvent,
    Workspace,
    build_workspace,
)
from bot.sample.pendo_api import create_pendo_app
from bot.sample.server import LoopbackServer
from bot.sample.zendesk_api import create_zendesk_app
from bot.settings import Settings

__all__ = [
    "ACME",
    "APP_ID",
    "DORMANT",
    "GLOBEX",
    "HOOLI",
    "INITECH",
    "INITECH_LABS",
    "JANE",
    "MULTI",
    "MULTI_ACCOUNTS",
    "NOBODY",
    "OPS",
    "OPS_VISITOR_IDS",
    "POWER_USER",
    "PRIVATE",
    "RENEWAL_FIELD",
    "SAM",
    "SAMPLE_PENDO_KEY",
    "SAMPLE_SUBSCRIPTION_ID",
    "SAMPLE_ZENDESK_EMAIL",
    "SAMPLE_ZENDESK_SUBDOMAIN",
    "SAMPLE_ZENDESK_TOKEN",
    "SAM_VISITOR_ID",
    "SOLO",
    "STARK",
    "TICKET_AFTER_MIDNIGHT",
    "TICKET_FORBIDDEN",
    "TICKET_JANE",
    "TICKET_MULTI",
    "TICKET_NO_EMAIL",
    "TICKET_OPS",
    "TICKET_PRIVATE",
    "TICKET_SAM",
    "TICKET_UNKNOWN_REQUESTER",
    "TONY",
    "UMBRELLA",
    "UMBRELLA_EU",
    "FakeControls",
    "LoopbackServer",
    "RawEvent",
    "RecordedRequest",
    "SampleConnection",
    "Workspace",
    "build_workspace",
    "connect",
    "create_pendo_app",
    "create_zendesk_app",
    "sample_settings",
    "with_sample_extras",
]


SAMPLE_SUBSCRIPTION_ID = "5629499534213120"  # the sample subscription's id, as in Pendo's /s/<id>/ URLs


def with_sample_extras(settings: Settings) -> Settings:
    """What a sample run shows that a real one needs two settings for: replay links (the sample
    subscription's id) and the renewal signal (the sample's CRM field), unless already set."""
    return settings.model_copy(
        update={
            "pendo_subscription_id": settings.pendo_subscription_id or SAMPLE_SUBSCRIPTION_ID,
            "pendo_renewal_field": settings.pendo_renewal_field or RENEWAL_FIELD,
        }
    )


def sample_settings(
    settings: Settings,
    *,
    pendo_base_url: str = "http://pendo.sample",
    zendesk_base_url: str = "http://zendesk.sample",
) -> Settings:
    """`settings` pointed at the sample's fake APIs, with the credentials they accept."""
    return settings.model_copy(
        update={
            "pendo_integration_key": SecretStr(SAMPLE_PENDO_KEY),
            "pendo_base_url": pendo_base_url,
            "zendesk_subdomain": SAMPLE_ZENDESK_SUBDOMAIN,
            "zendesk_base_url": zendesk_base_url,
            "zendesk_email": SAMPLE_ZENDESK_EMAIL,
            "zendesk_api_token": SecretStr(SAMPLE_ZENDESK_TOKEN),
            "zendesk_oauth_token": None,
            "zendesk_hosts": [],
        }
    )


@dataclass(frozen=True)
class SampleConnection:
    settings: Settings
    workspace: Workspace
    pendo: httpx.AsyncBaseTransport
    zendesk: httpx.AsyncBaseTransport


# Where the sample's visitors keep their emails when PENDO_EMAIL_FIELD is not set: the command line, `serve
# --sample` and the demo all look emails up the same way (kim.park@acme.example's visitor ID is not it).
SAMPLE_EMAIL_FIELD = "agent/email"


def sample_email_field(settings: Settings) -> str:
    """The email field a sample lookup uses: PENDO_EMAIL_FIELD when set, else the sample's own."""
    return settings.pendo_email_field or SAMPLE_EMAIL_FIELD


def connect(settings: Settings, now_ms: Callable[[], int] | None = None) -> SampleConnection:
    """Everything the bot needs to answer from the sample workspace, in-process, instead of Pendo/Zendesk."""
    ws = build_workspace(now_ms() if now_ms else int(time.time() * 1000))
    emails = settings.model_copy(update={"pendo_email_field": sample_email_field(settings)})
    return SampleConnection(
        settings=sample_settings(with_sample_extras(emails)),
        workspace=ws,
        pendo=httpx.ASGITransport(app=create_pendo_app(ws)),
        zendesk=httpx.ASGITransport(app=create_zendesk_app(ws)),
    )
