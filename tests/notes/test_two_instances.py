"""Two instances sharing Redis (and one Zendesk): one queue, the same delivery to both at once writes one
note."""

from __future__ import annotations

import asyncio
import time

from bot.sample import TICKET_JANE
from tests.redis.conftest import redis_server, redis_url  # noqa: F401 (fixtures)

from .conftest import FakeZendesk, NewDesk


async def test_one_delivery_to_two_instances_at_once_writes_one_note(
    new_desk: NewDesk,
    fake_zendesk: FakeZendesk,
    redis_url: str,  # noqa: F811
) -> None:
    one = await new_desk(redis_url=redis_url)
    two = await new_desk(redis_url=redis_url)
    fake_zendesk.controls.latency = 0.05  # both are inside the write at the same time without the lock
    # Two deliveries for one ticket (signed a second apart: not a replay of each other), one to each.
    now = time.time()
    answers = await asyncio.gather(one.deliver(TICKET_JANE, at=now), two.deliver(TICKET_JANE, at=now - 1))
    # One queue in Redis for both: the second delivery finds the first's job waiting (a duplicate).
    assert sorted(a.json()["queued"] for a in answers) == [False, True]
    await asyncio.gather(one.queue.idle(), two.queue.idle())
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1
    # One write, not two writes of which Zendesk's safe update refused one: two updates within one second
    # share a stamp on the real service.
    assert len(fake_zendesk.puts(TICKET_JANE)) == 1
    assert one.queue.counts["written"] + two.queue.counts["written"] == 1


async def test_without_the_shared_lock_the_marker_still_stops_a_second_note_after_the_first(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    one, two = await new_desk(), await new_desk()  # no Redis: each its own memory
    await one.deliver(TICKET_JANE)
    await one.queue.idle()
    await two.deliver(TICKET_JANE)
    await two.queue.idle()
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1


async def test_the_same_signed_request_to_two_instances_is_queued_once(
    new_desk: NewDesk,
    fake_zendesk: FakeZendesk,
    redis_url: str,  # noqa: F811
) -> None:
    one = await new_desk(redis_url=redis_url)
    two = await new_desk(redis_url=redis_url)
    now = time.time()
    first = await one.deliver(TICKET_JANE, at=now)
    replay = await two.deliver(TICKET_JANE, at=now)  # the same bytes and signature, to the other instance
    assert (first.json()["queued"], replay.json()["queued"]) == (True, False)
    await asyncio.gather(one.queue.idle(), two.queue.idle())
    assert len(fake_zendesk.puts(TICKET_JANE)) == 1 and sum(two.queue.counts.values()) == 0
