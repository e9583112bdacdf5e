"""The per-ticket note lock and Redis failures, against a real redis-server.

- The lock belongs to the Zendesk account alone: two deployments that differ only in their Slack app,
  sharing one Redis and one Zendesk, write one note between them.
- With REDIS_URL set and Redis down, the lock is Redis's or nobody's: no note is written under a lock
  only one instance sees (the writer answers BUSY: try again later).
- A command error on one key (WRONGTYPE) is that key's problem: Redis stays in use for the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import redis.asyncio as redis

from bot.deps import Deps, build_deps
from bot.domain.models import VisitorFacts
from bot.notes.writer import NoteStatus
from bot.sample import JANE, TICKET_JANE, create_pendo_app, create_zendesk_app, sample_settings
from bot.settings import load_settings
from tests.redis.conftest import start_redis
from tests.support.factories import no_sleep
from tests.support.fixtures import SAMPLE_NOW, sample_workspace

MakeDeps = Callable[..., Deps]


@pytest.fixture
async def zendesk_app() -> Any:
    app = create_zendesk_app(sample_workspace())
    app.state.helpdesk.clock = lambda: 1_800_000_000.0  # one second for every write: safe updates alike
    return app


@pytest.fixture
async def make_deps(zendesk_app: Any) -> AsyncIterator[MakeDeps]:
    made: list[Deps] = []

    def make(redis_url: str, slack_token: str = "xoxb-first-slack-app-token") -> Deps:
        settings = sample_settings(
            load_settings(redis_url=redis_url, slack_bot_token=slack_token, pendo_email_field="")
        )
        deps = build_deps(
            settings,
            pendo_transport=httpx.ASGITransport(app=create_pendo_app(sample_workspace())),
            zendesk_transport=httpx.ASGITransport(app=zendesk_app),
            now_ms=lambda: SAMPLE_NOW,
            sleep=no_sleep,
        )
        made.append(deps)
        return deps

    yield make
    for deps in made:
        await deps.aclose()


def notes(zendesk_app: Any) -> list[Any]:
    return list(zendesk_app.state.helpdesk.notes(TICKET_JANE))


async def test_two_deployments_differing_only_in_slack_write_one_note_on_one_ticket(
    redis_url: str, make_deps: MakeDeps, zendesk_app: Any
) -> None:
    first = make_deps(redis_url, "xoxb-first-slack-app-token")
    second = make_deps(redis_url, "xoxb-second-slack-app-token")
    assert first.identity is not None and second.identity is not None
    assert first.identity.deployment != second.identity.deployment  # two deployments
    assert first.notes is not None and second.notes is not None
    results = await asyncio.gather(first.notes.write(TICKET_JANE), second.notes.write(TICKET_JANE))
    assert sorted(r.status for r in results) == sorted([NoteStatus.WRITTEN, NoteStatus.BUSY])
    assert len(notes(zendesk_app)) == 1
    again = await second.notes.write(TICKET_JANE)  # the marker, read from the ticket, says it is there
    assert again.status is NoteStatus.ALREADY and len(notes(zendesk_app)) == 1


async def test_with_redis_configured_but_down_no_instance_writes_under_its_own_lock(
    make_deps: MakeDeps, zendesk_app: Any
) -> None:
    server = start_redis()
    try:
        first, second = make_deps(server.url), make_deps(server.url)
    finally:
        server.stop()
    assert first.notes is not None and second.notes is not None
    results = await asyncio.gather(first.notes.write(TICKET_JANE), second.notes.write(TICKET_JANE))
    assert [r.status for r in results] == [NoteStatus.BUSY, NoteStatus.BUSY]  # retried later, by the queue
    assert notes(zendesk_app) == []
    assert [r for r in zendesk_app.state.controls.requests if r.method == "PUT"] == []


async def test_a_wrong_type_under_one_key_leaves_redis_in_use_for_the_rest(
    redis_url: str, make_deps: MakeDeps, caplog: pytest.LogCaptureFixture
) -> None:
    deps = make_deps(redis_url)
    assert deps.deployment is not None
    key = deps.cache._rkey(("pendo-catalog", "page"))  # where the bot keeps Pendo's page catalog
    raw = redis.Redis.from_url(redis_url)
    await raw.hset(key, "not", "an entry")  # a hash where the bot keeps a string
    caplog.set_level(logging.WARNING, logger="bot.http.shared")
    try:
        facts = await deps.customers.lookup(JANE)
        assert isinstance(facts, VisitorFacts) and not facts.gaps
        assert deps.deployment.available  # the breaker stayed closed
        entries = [k async for k in raw.scan_iter(match=f"{deps.cache._rkey('x').rsplit(':', 1)[0]}:*")]
        assert len(entries) > 5  # the lookup's other answers went to Redis
        assert await raw.type(key) == b"string"  # the catalog was loaded and kept there again
    finally:
        await raw.aclose()
    lines = [r for r in caplog.records if r.name == "bot.http.shared"]
    assert [r.getMessage() for r in lines] == [
        "Redis refused an operation on one key: that operation uses this instance's memory; "
        "Redis stays in use for the rest"
    ]
    assert lines[0].__dict__["error"] == "ResponseError" and lines[0].__dict__["key_kind"] == "cache:entry"
    assert key not in str(lines[0].__dict__) and "an entry" not in str(lines[0].__dict__)
