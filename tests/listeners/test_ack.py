"""`acked_early`: Bolt answers Slack the moment a listener acks (process_before_response=True), while the
listener carries on; an error before the ack is Bolt's to answer, one after it is logged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.inflight import PendingAcks
from bot.listeners.routes import acked_early


class FakeAck:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


async def test_the_listener_returns_at_its_ack_and_the_rest_runs_on() -> None:
    rest_done = asyncio.Event()
    gate = asyncio.Event()

    async def handler(ack: Any, body: dict[str, Any]) -> None:
        await ack(text="Looking up…")
        await gate.wait()  # the lookup, after the ack
        rest_done.set()

    ack = FakeAck()
    await asyncio.wait_for(acked_early(handler)(ack=ack, body={}), 1.0)  # returns although gate is shut
    assert ack.calls == [{"text": "Looking up…"}] and not rest_done.is_set()
    gate.set()
    await asyncio.wait_for(rest_done.wait(), 1.0)


async def test_an_error_before_the_ack_is_raised_for_bolt() -> None:
    async def handler(ack: Any) -> None:
        raise ValueError("bad before ack")

    with pytest.raises(ValueError, match="bad before ack"):
        await acked_early(handler)(ack=FakeAck())


async def test_an_error_after_the_ack_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(ack: Any) -> None:
        await ack()
        await asyncio.sleep(0)
        raise RuntimeError("bad after ack")

    await acked_early(handler)(ack=FakeAck())
    for _ in range(5):
        await asyncio.sleep(0)
    failures = [r for r in caplog.records if r.getMessage() == "listener failed after its ack"]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert "bad after ack" in str(failures[0].exc_info[1])


async def test_a_listener_without_ack_returns_at_once() -> None:
    started = asyncio.Event()

    async def handler(event: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(10)

    await asyncio.wait_for(acked_early(handler)(event={}), 1.0)
    await asyncio.wait_for(started.wait(), 1.0)


# --- acks first: work after an ack waits for the other pending acks (bot.inflight.PendingAcks) ---------
async def test_work_after_an_ack_waits_until_no_other_ack_is_pending() -> None:
    acks = PendingAcks(patience=5.0)
    acks.arrived()  # another request, let in by the gate and not answered yet
    after: list[str] = []

    async def command(ack: Any) -> None:
        await ack()
        after.append("command")

    async def event(event: dict[str, Any]) -> None:
        after.append("event")

    await asyncio.wait_for(acked_early(command, acks)(ack=FakeAck()), 1.0)
    await asyncio.wait_for(acked_early(event, acks)(event={}), 1.0)
    for _ in range(10):
        await asyncio.sleep(0)
    assert after == []  # both acked; their work waits for the other request's ack
    acks.answered()
    for _ in range(10):
        await asyncio.sleep(0)
    assert sorted(after) == ["command", "event"]


async def test_work_after_an_ack_lets_requests_still_arriving_in_a_burst_go_first() -> None:
    """A burst over new connections reaches the gate a few loop turns apart: each request is let in
    and answered before the next one is even read, so the count alone is 0 between them. The work
    after an ack waits until a turn lets nobody in."""
    acks = PendingAcks(patience=5.0)
    log: list[object] = []

    async def burst() -> None:
        for i in range(5):
            acks.arrived()  # read and let in by the gate...
            log.append(i)
            acks.answered()  # ...and acked in the same turn
            await asyncio.sleep(0)  # the next one arrives a turn later

    arriving = asyncio.ensure_future(burst())
    await asyncio.sleep(0)
    await acks.wait()
    log.append("work")
    await arriving
    assert log == [0, 1, 2, 3, 4, "work"]


async def test_a_steady_stream_of_acks_holds_work_back_no_longer_than_the_patience() -> None:
    acks = PendingAcks(patience=0.05)
    acks.arrived()  # never answered
    done = asyncio.Event()

    async def command(ack: Any) -> None:
        await ack()
        done.set()

    started = asyncio.get_running_loop().time()
    await acked_early(command, acks)(ack=FakeAck())
    await asyncio.wait_for(done.wait(), 1.0)
    assert 0.04 <= asyncio.get_running_loop().time() - started < 0.5


def test_the_count_never_goes_below_zero() -> None:
    acks = PendingAcks()
    acks.answered()
    acks.arrived()
    assert acks.count == 1
    acks.answered()
    assert acks.count == 0
