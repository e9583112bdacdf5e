"""Two deployments on one Redis (a sample bot and a production bot, staging and production, two Pendo
regions) never read each other's entries; and whatever sits in Redis under the bot's keys, however
wrong its shape, never turns an answer into an error. Against a real redis-server, through the real app.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis

from bot.http.cache import ENTRY_VERSION
from bot.http.shared import Identity, encode
from bot.preferences.model import Preferences
from bot.sample import JANE, SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN, TICKET_JANE, TONY
from bot.sample.data import Workspace
from bot.sample.slack_api import TEAM_ID, FakeSlack
from bot.settings import load_settings
from tests.e2e.conftest import Bot, make_bot, workspace
from tests.e2e.test_unfurls import posted

PROD_KEY = "0b7c1f2e-prod-4a5b-9c8d-000000000001"
PROD_SUBDOMAIN = "acme-prod"
PROD_NAME = "Janet Production"
PROD_SUBJECT = "Production: invoice totals look wrong"


def raw_redis(url: str) -> Any:
    """A plain client on the test's Redis (keys and values as bytes)."""
    return redis.Redis.from_url(url)


def production_workspace() -> Workspace:
    """The sample workspace with the same ids but other names: what another customer's Pendo and Zendesk
    would answer for the same email and the same ticket number."""
    ws = workspace()
    visitors = copy.deepcopy(ws.visitors)
    visitors[JANE]["displayName"] = PROD_NAME
    visitors[JANE]["metadata"]["agent"]["name"] = PROD_NAME
    tickets = copy.deepcopy(ws.tickets)
    tickets[TICKET_JANE]["subject"] = tickets[TICKET_JANE]["raw_subject"] = PROD_SUBJECT
    return dataclasses.replace(ws, visitors=visitors, tickets=tickets)


PROD_TOKEN = "xoxb-production-bot-token-0123456789"


def production(fake_slack: FakeSlack, slack_url: str, redis_url: str) -> Bot:
    """Another deployment: its own Pendo key and host, its own Zendesk account, its own Slack app."""
    fake_slack.token_bots[PROD_TOKEN] = "BPROD0001"  # another app's bot in the same workspace
    return make_bot(
        fake_slack,
        slack_url,
        ws=production_workspace(),
        redis_url=redis_url,
        pendo_integration_key=PROD_KEY,
        pendo_app_key=PROD_KEY,
        pendo_base_url="https://pendo-proxy.prod.example",
        zendesk_subdomain=PROD_SUBDOMAIN,
        zendesk_email=SAMPLE_ZENDESK_EMAIL,
        zendesk_api_token=SAMPLE_ZENDESK_TOKEN,
        slack_bot_token=PROD_TOKEN,
    )


@pytest.fixture
async def sample_and_production(
    clean_env: None, redis_url: str, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> AsyncIterator[tuple[Bot, Bot]]:
    sample = make_bot(fake_slack, slack_server[1], redis_url=redis_url)
    prod = production(fake_slack, slack_server[1], redis_url)
    async with sample.running(), prod.running():
        yield sample, prod


async def answer(bot: Bot, text: str) -> str:
    _, rid = await bot.command(text)
    return json.dumps(await bot.final_response(rid))


async def test_two_deployments_on_one_redis_each_answer_from_their_own_upstreams(
    sample_and_production: tuple[Bot, Bot],
) -> None:
    sample, prod = sample_and_production
    sample_visitor = await answer(sample, JANE)
    sample_ticket = await answer(sample, str(TICKET_JANE))
    assert "Jane Doe" in sample_visitor and "Can't update our credit card" in sample_ticket

    prod_visitor = await answer(prod, JANE)
    prod_ticket = await answer(prod, str(TICKET_JANE))
    assert PROD_NAME in prod_visitor and "Jane Doe" not in prod_visitor
    assert PROD_SUBJECT in prod_ticket and "credit card" not in prod_ticket
    assert prod.pendo.requests and prod.zendesk.requests, "production asked its own Pendo and Zendesk"

    sample.pendo.requests.clear()
    assert await answer(sample, JANE) == sample_visitor  # and the sample still sees only its own
    assert sample.pendo.requests == []  # from its own cache entries


async def test_each_deployment_unfurls_a_link_the_other_also_unfurled(
    sample_and_production: tuple[Bot, Bot],
) -> None:
    # Two Slack apps in one channel: each one's "already unfurled here" mark is its own.
    sample, prod = sample_and_production
    sample_event = posted([f"https://sample-support.zendesk.com/agent/tickets/{TICKET_JANE}"])
    prod_event = posted([f"https://{PROD_SUBDOMAIN}.zendesk.com/agent/tickets/{TICKET_JANE}"])
    prod_event["links"][0]["domain"] = f"{PROD_SUBDOMAIN}.zendesk.com"
    await sample.event(sample_event, event_id="EvSame1")
    await prod.event(prod_event, event_id="EvSame1")

    def unfurled(event: dict[str, Any]) -> list[str]:
        calls = sample.slack.by_method("chat.unfurl")
        return [json.dumps(c) for c in calls if c.get("unfurl_id") == event["unfurl_id"]]

    await sample.slack.wait_for(lambda: len(unfurled(sample_event)) >= 2 and len(unfurled(prod_event)) >= 2)
    assert any("credit card" in c for c in unfurled(sample_event))
    assert any(PROD_SUBJECT in c for c in unfurled(prod_event))
    assert not any("credit card" in c for c in unfurled(prod_event))


async def test_every_key_carries_the_deployment_and_no_secret(
    sample_and_production: tuple[Bot, Bot], redis_url: str
) -> None:
    sample, prod = sample_and_production
    await answer(sample, JANE)
    await answer(prod, JANE)
    client = raw_redis(redis_url)
    try:
        keys = [k.decode() for k in await client.keys("*")]
    finally:
        await client.aclose()
    assert keys
    for key in keys:
        assert key.startswith("pendo-bot:"), key
        assert "pendo.sample/" in key or "pendo-proxy.prod.example/" in key, key  # the Pendo it came from
        assert PROD_KEY not in key and PROD_KEY.split("-")[0] not in key, key
        assert JANE not in key
    prod_keys = [k for k in keys if "pendo-proxy.prod.example/" in k and ":cache:" in k]
    assert prod_keys and all(f"{PROD_SUBDOMAIN}.zendesk.com" in k for k in prod_keys)


def test_the_identity_tells_regions_keys_and_accounts_apart_without_holding_a_secret() -> None:
    base = {"pendo_integration_key": PROD_KEY, "slack_bot_token": "xoxb-a"}
    us = Identity.of(load_settings(**base))
    eu = Identity.of(load_settings(**base, pendo_region="eu"))
    other_key = Identity.of(load_settings(**(base | {"pendo_integration_key": PROD_KEY + "x"})))
    zendesk = Identity.of(
        load_settings(
            **base, zendesk_subdomain="acme", zendesk_oauth_token="t", zendesk_base_url="http://proxy:8"
        )
    )
    other_app = Identity.of(load_settings(**(base | {"slack_bot_token": "xoxb-b"})))
    assert us.pendo.startswith("app.pendo.io/") and eu.pendo.startswith("app.eu.pendo.io/")
    assert len({us.pendo, eu.pendo, other_key.pendo}) == 3
    assert us.zendesk == "-" and zendesk.zendesk == "proxy:8/acme.zendesk.com"
    assert us.upstreams == other_app.upstreams and us.deployment != other_app.deployment
    # Once Slack names the install, the token no longer matters: a rotated token is the same deployment.
    assert us.installed("T1", "B1") == other_app.installed("T1", "B1")
    assert us.installed("T1", "B1").deployment != us.installed("T2", "B1").deployment
    assert us.installed("T1", "B1").deployment != us.installed("T1", "B2").deployment
    for identity in (us, eu, other_key, zendesk, other_app):
        assert PROD_KEY not in identity.deployment and "xoxb" not in identity.deployment
        assert "0b7c1f2e" not in identity.deployment


# --- wrong shapes under the bot's own keys ------------------------------------------------------------------
DEEP = b"[" * 900 + b"]" * 900
BAD_ENTRIES = [b"[1e99,0,42]", b'[1e99,0,"x"]', b"[1e99,0,[]]", DEEP, b"not json"]


@pytest.mark.parametrize("bad", BAD_ENTRIES, ids=["number", "string", "list", "deep", "text"])
async def test_an_entry_of_the_wrong_shape_is_ignored_and_logged_once(
    bad: bytes,
    clean_env: None,
    redis_url: str,
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = make_bot(fake_slack, slack_server[1], redis_url=redis_url)
    async with first.running():
        good_visitor, good_ticket = await answer(first, JANE), await answer(first, str(TICKET_JANE))
    client = raw_redis(redis_url)
    try:
        entries = [k for k in await client.keys("*cache:*") if not k.endswith(b":lock")]
        assert len(entries) > 5
        for key in entries:
            await client.set(key, bad, px=60_000)
    finally:
        await client.aclose()
    caplog.set_level(logging.WARNING, logger="bot.http.cache")
    second = make_bot(fake_slack, slack_server[1], redis_url=redis_url)  # fresh memory: reads Redis
    async with second.running():
        visitor, ticket = await answer(second, JANE), await answer(second, str(TICKET_JANE))
        assert second.pendo.requests, "the bad entries were loaded again"
        assert await answer(second, JANE) == visitor
    assert "Something went wrong" not in visitor + ticket
    assert visitor == good_visitor and ticket == good_ticket
    ignored = [r for r in caplog.records if "unreadable shared cache entry ignored" in r.getMessage()]
    assert 1 <= len(ignored) <= len(entries)  # once per entry at most, however often it was polled
    assert JANE not in caplog.text


async def test_a_value_moved_to_another_key_is_not_shown_as_another_visitor(
    clean_env: None, redis_url: str, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> None:
    first = make_bot(fake_slack, slack_server[1], redis_url=redis_url)
    async with first.running():
        await answer(first, JANE)
        before = {k: v for k, v in await _entries(redis_url)}
        tony = await answer(first, TONY)
        jane_keys = set(before)
        tony_keys = [k for k, _ in await _entries(redis_url) if k not in jane_keys]
    assert tony_keys
    client = raw_redis(redis_url)
    try:  # every entry Tony's lookup wrote now holds one of Jane's values
        jane_values = list(before.values())
        for i, key in enumerate(tony_keys):
            await client.set(key, jane_values[i % len(jane_values)], px=60_000)
    finally:
        await client.aclose()
    second = make_bot(fake_slack, slack_server[1], redis_url=redis_url)
    async with second.running():
        again = await answer(second, TONY)
    assert "Jane" not in again
    assert again == tony


async def _entries(redis_url: str) -> list[tuple[bytes, bytes]]:
    client = raw_redis(redis_url)
    try:
        keys = [k for k in await client.keys("*cache:*") if not k.endswith(b":lock")]
        values = [await client.get(k) for k in keys]
    finally:
        await client.aclose()
    return [(k, v) for k, v in zip(keys, values, strict=True) if v is not None]


async def test_slack_side_entries_of_another_type_are_ignored_and_loaded_again(
    clean_env: None,
    redis_url: str,
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The memo's entries (users.info's zone, the readiness answer) are checked like the upstream caches:
    # a well-formed entry for the right key whose value is not the expected type is ignored.
    first = make_bot(fake_slack, slack_server[1], redis_url=redis_url)
    async with first.running():
        good = await answer(first, JANE)
        assert (await first.http.get("/readyz")).json() == {"settings": "ok", "pendo": "ok"}
    client = raw_redis(redis_url)
    try:
        keys = [k for k in await client.keys(f"*:slack:{ENTRY_VERSION}:*") if not k.endswith(b":lock")]
        assert len(keys) >= 2, "users.info's zone and the readiness answer are shared"
        for key in keys:
            await client.set(key, encode((key.decode(), 1e12, 0.0, [42])), px=60_000)
    finally:
        await client.aclose()
    caplog.set_level(logging.WARNING, logger="bot.http.cache")
    second = make_bot(fake_slack, slack_server[1], redis_url=redis_url)  # fresh memory: reads Redis
    async with second.running():
        assert await answer(second, JANE) == good
        ready = await second.http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"settings": "ok", "pendo": "ok"}
    ignored = [r for r in caplog.records if "unreadable shared cache entry ignored" in r.getMessage()]
    assert 2 <= len(ignored) <= len(keys)  # the zone and the readiness answer at least


async def test_a_rotated_bot_token_keeps_preferences_and_claims_and_another_app_sees_neither(
    clean_env: None, redis_url: str, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> None:
    chosen = Preferences(timezone="Europe/Paris", unfurl_my_links=False)
    before = make_bot(fake_slack, slack_server[1], redis_url=redis_url)
    async with before.running():
        await before.deps.preferences.save(TEAM_ID, "U0AGENT", chosen)
        assert await before.deps.memo.claim(("share", "C1", "1.2"), 60)
    rotated = make_bot(fake_slack, slack_server[1], redis_url=redis_url, slack_bot_token="xoxb-rotated-0123")
    fake_slack.token_bots["xoxb-other-app-0123"] = "BOTHER001"
    other_app = make_bot(
        fake_slack, slack_server[1], redis_url=redis_url, slack_bot_token="xoxb-other-app-0123"
    )
    async with rotated.running(), other_app.running():
        assert await rotated.deps.preferences.load(TEAM_ID, "U0AGENT") == chosen
        assert not await rotated.deps.memo.claim(("share", "C1", "1.2"), 60)  # the claim is still held
        assert await other_app.deps.preferences.load(TEAM_ID, "U0AGENT") == Preferences()
        assert await other_app.deps.memo.claim(("share", "C1", "1.2"), 60)  # its own claims
        # the same event delivered to both apps: each handles it once
        event = {"type": "app_home_opened", "user": "U0AGENT", "tab": "home", "event_ts": "1.0"}
        await rotated.event(event, event_id="EvBoth1")
        await other_app.event(event, event_id="EvBoth1")
        await rotated.event(event, event_id="EvBoth1")
        await fake_slack.wait_for(lambda: len(fake_slack.by_method("views.publish")) >= 2)
    assert len(fake_slack.by_method("views.publish")) == 2
