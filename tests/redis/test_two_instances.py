"""Two bot instances on one Redis, through the real app: what one did, the other knows."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.sample import JANE, SOLO, TICKET_SAM, TONY
from bot.sample.slack_api import FakeSlack
from tests.e2e.test_unfurls import posted, url
from tests.redis.conftest import Pair, pair


def unfurls_for(slack: FakeSlack, unfurl_id: str) -> list[dict[str, Any]]:
    return [c for c in slack.by_method("chat.unfurl") if c.get("unfurl_id") == unfurl_id]


async def test_a_duplicate_event_on_the_second_instance_is_dropped(bots: Pair) -> None:
    first, second = bots
    event = posted([url(TICKET_SAM)])
    await first.event(event, event_id="EvDup1")
    await first.slack.wait_for(lambda: len(unfurls_for(first.slack, event["unfurl_id"])) >= 2)
    assert (await second.event(event, event_id="EvDup1")).status_code == 200  # redelivered elsewhere
    await second.event(posted([url(TICKET_SAM)]))  # the same link again in the same channel
    await asyncio.sleep(0.4)  # let any (wrong) post-ack work run
    assert len(unfurls_for(first.slack, event["unfurl_id"])) == 2
    assert len(first.slack.by_method("chat.unfurl")) == 2
    assert second.zendesk.requests == [] and second.pendo.requests == []


async def test_a_lookup_on_the_second_instance_is_answered_from_the_firsts_cache(bots: Pair) -> None:
    first, second = bots
    _, rid = await first.command(JANE)
    answer = await first.final_response(rid)
    assert first.pendo.requests, "the first instance asked Pendo"
    _, rid2 = await second.command(JANE)
    again = await second.final_response(rid2)
    assert second.pendo.requests == []
    assert json.dumps(again["blocks"]) == json.dumps(answer["blocks"])
    assert "Jane" in json.dumps(again["blocks"])


async def test_the_rate_budget_is_shared_by_both_instances(
    clean_env: None, redis_url: str, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> None:
    burst = 12
    async for first, second in pair(
        fake_slack,
        slack_server[1],
        redis_url=redis_url,
        pendo_rate_per_second=0.1,  # no refill to speak of during the test
        pendo_rate_burst=burst,
        lookup_deadline_seconds=1,  # a request may not wait 10 s for the next slot: refused at once
    ):
        _, rid = await first.command(JANE)
        await first.final_response(rid)
        _, rid2 = await second.command(SOLO)
        refused = await second.final_response(rid2)
        _, rid3 = await first.command(TONY)
        await first.final_response(rid3)
        sent = len(first.pendo.requests) + len(second.pendo.requests)
        assert sent <= burst + 1  # +1: what 0.1/s may refill while the test runs
        assert "pacing its requests to Pendo" in json.dumps(refused)


async def test_when_pendo_fails_a_recent_answer_is_shown_with_its_age(
    clean_env: None, redis_url: str, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> None:
    async for first, second in pair(fake_slack, slack_server[1], redis_url=redis_url, cache_ttl_seconds=1):
        _, rid = await first.command(JANE)
        fresh = json.dumps(await first.final_response(rid))
        await asyncio.sleep(1.2)  # past the cache TTL: only a stale copy is left
        second.pendo.fail(r"^/api/v1/", 503)
        _, rid2 = await second.command(JANE)
        stale = json.dumps(await second.final_response(rid2))
        assert "did not answer just now" not in fresh
        assert "Pendo did not answer just now, so this shows what the bot saw less than a minute ago" in stale
        assert "Jane Doe" in stale
        assert second.pendo.requests, "the second instance did ask Pendo first"
