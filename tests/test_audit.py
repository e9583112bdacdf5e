"""`Auditor.audit`: one line per target on every exit, with the outcome the action set."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.audit import Auditor, Outcome


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    return [
        (str(getattr(r, "action", "")), str(getattr(r, "target", "")), str(getattr(r, "outcome", "")))
        for r in caplog.records
        if r.name == "bot.audit"
    ]


def test_the_outcome_and_detail_set_inside_are_written_once(caplog: pytest.LogCaptureFixture) -> None:
    auditor = Auditor("k")
    with (
        caplog.at_level(logging.INFO, logger="bot.audit"),
        auditor.audit("lookup", user="U1", channel="C1", target="jane@acme.com") as entry,
    ):
        entry.set(Outcome.ERROR, "AuthError")
    assert lines(caplog) == [("lookup", auditor.target_hash("jane@acme.com"), "error:AuthError")]


def test_an_exception_still_writes_the_line_and_propagates(caplog: pytest.LogCaptureFixture) -> None:
    auditor = Auditor("k")
    with (
        caplog.at_level(logging.INFO, logger="bot.audit"),
        pytest.raises(RuntimeError),
        auditor.audit("share", user="U1", channel="C1"),
    ):
        raise RuntimeError("bug")
    assert lines(caplog) == [("share", "", "error:internal")]


async def test_a_cancelled_action_still_writes_the_line(caplog: pytest.LogCaptureFixture) -> None:
    auditor = Auditor("k")
    started = asyncio.Event()

    async def slow() -> None:
        with auditor.audit("lookup", user="U1", channel="C1", target="x") as entry:
            started.set()
            await asyncio.sleep(10)
            entry.set(Outcome.FOUND)

    with caplog.at_level(logging.INFO, logger="bot.audit"):
        task = asyncio.create_task(slow())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [outcome for _, _, outcome in lines(caplog)] == ["error:cancelled"]


def test_one_line_per_target_and_unknown_when_nothing_was_set(caplog: pytest.LogCaptureFixture) -> None:
    auditor = Auditor("k")
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        with auditor.audit("unfurl", user="U1", channel="C1") as entry:
            entry.targets = ["ticket:1", "ticket:2"]
            entry.set(Outcome.FULL)
        with auditor.audit("unfurl", user="U1", channel="C1"):
            pass
    assert [(t != "", o) for _, t, o in lines(caplog)] == [(True, "full"), (True, "full"), (False, "unknown")]
