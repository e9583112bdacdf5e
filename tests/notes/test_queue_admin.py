"""What an operator sees of the notes' queue: `pendo-bot notes` (waiting, given up, retry), what
`pendo-bot check` says of a Redis that could drop it, and the webhook's 503s when nothing can be stored."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot import metrics
from bot.notes.admin import notes_command, redis_warnings
from bot.notes.jobs import Job, SqliteJobs
from bot.sample import TICKET_JANE
from tests.redis.conftest import RedisServer, redis_server, redis_url, start_redis  # noqa: F401 (fixtures)

from .conftest import FakeZendesk, NewDesk


def refused(reason: str) -> float:
    value = metrics.REGISTRY.get_sample_value("pendo_bot_webhook_refused_total", {"reason": reason})
    return value or 0.0


def job(ticket_id: int, at: float) -> Job:
    return Job(f"note:{ticket_id}", "note", ticket_id, at, due=at)


async def test_notes_lists_waiting_and_given_up_and_retries_one(tmp_path: Path) -> None:
    jobs = SqliteJobs(str(tmp_path / "notes.sqlite3"))
    now = time.time()
    for ticket in (101, 102, 103):
        assert await jobs.add(job(ticket, now - 60), limit=10)
    claimed = await jobs.claim("me", now=now, lease=30)
    assert claimed is not None
    await jobs.give_up(claimed, "me", reason="pendo: unavailable", at=now)
    lines: list[str] = []
    assert await notes_command(jobs, retry=None, say=lines.append) == 0
    text = "\n".join(lines)
    assert "Waiting: 2" in text and "Given up: 1" in text
    gone = claimed.ticket_id
    assert f"ticket #{gone}" in text and "pendo: unavailable" in text
    assert "pendo-bot notes --retry" in text  # says how to retry

    lines.clear()
    assert await notes_command(jobs, retry=str(gone), say=lines.append) == 0
    assert (await jobs.given_up()) == [] and len(await jobs.waiting()) == 3
    lines.clear()
    assert await notes_command(jobs, retry="999", say=lines.append) == 1  # nothing given up there
    assert "no given-up note" in lines[0]
    await jobs.aclose()


async def test_notes_retry_all(tmp_path: Path) -> None:
    jobs = SqliteJobs(str(tmp_path / "notes.sqlite3"))
    now = time.time()
    for ticket in (1, 2):
        await jobs.add(job(ticket, now), limit=10)
        claimed = await jobs.claim("me", now=now, lease=30)
        assert claimed is not None
        await jobs.give_up(claimed, "me", reason="x", at=now)
    lines: list[str] = []
    assert await notes_command(jobs, retry="all", say=lines.append) == 0
    assert "Queued 2" in lines[0] and len(await jobs.waiting()) == 2
    await jobs.aclose()


async def test_check_warns_about_a_redis_that_could_drop_the_queue(redis_url: str) -> None:  # noqa: F811
    client = aioredis.Redis.from_url(redis_url)
    try:
        # The test server runs without persistence and with Redis's default policy (noeviction).
        warnings = await redis_warnings(client)
        assert len(warnings) == 1 and "neither AOF nor RDB" in warnings[0]
        await client.config_set("maxmemory-policy", "allkeys-lru")
        warnings = await redis_warnings(client)
        assert any("allkeys-lru" in w and "noeviction" in w for w in warnings)
        await client.config_set("maxmemory-policy", "noeviction")
        await client.config_set("appendonly", "yes")
        assert await redis_warnings(client) == []
    finally:
        await client.config_set("appendonly", "no")
        await client.aclose()


async def test_a_webhook_while_redis_is_down_is_answered_503_and_stores_nothing(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    server: RedisServer = start_redis()
    try:
        desk = await new_desk(redis_url=server.url)
        server.stop()
        before = refused("unavailable")
        answer = await desk.deliver(TICKET_JANE)
        assert answer.status_code == 503
        assert 0 < int(answer.headers["retry-after"]) < 60  # Zendesk sends it again soon
        assert refused("unavailable") == before + 1
    finally:
        server.stop()
    assert fake_zendesk.helpdesk.notes(TICKET_JANE) == []


async def test_a_full_queue_is_answered_503_with_retry_after(new_desk: NewDesk) -> None:
    desk = await new_desk(notes_max_waiting=1)
    desk.pendo.fail(r".", 503)  # the first note keeps waiting
    first = await desk.deliver(TICKET_JANE)
    assert first.status_code == 200 and first.json()["queued"] is True
    second = await desk.deliver(TICKET_JANE + 1)
    assert second.status_code == 503 and second.headers["retry-after"] == "60"
    assert desk.queue.counts["full"] == 1


def test_the_notes_command_on_the_sample_workspace(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    assert main(["notes"]) == 2  # no webhook configured: no queue, and it says why
    assert "ZENDESK_WEBHOOK_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("ZENDESK_WEBHOOK_SECRET", "s" * 32)
    assert main(["notes"]) == 0
    out = capsys.readouterr().out
    assert "Waiting: 0" in out and "Given up: 0" in out
    assert Path("pendo-notes.sqlite3").stat().st_mode & 0o777 == 0o600  # NOTES_DB, created private
