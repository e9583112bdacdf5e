"""The one capped body reader both endpoints use (Slack's and the Zendesk webhook's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bot.http.bodies import length_problem, read_capped


def receiver(*messages: Mapping[str, Any]) -> Any:
    queue = list(messages)
    reads: list[int] = []

    async def receive() -> Mapping[str, Any]:
        reads.append(1)
        return queue.pop(0)

    receive.reads = reads  # type: ignore[attr-defined]
    return receive


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (None, None),
        ("10", None),
        ("11", (413, "body too large or bad length")),
        ("1e3", (400, "body too large or bad length")),
        ("-1", (400, "body too large or bad length")),
    ],
)
def test_the_declared_length_refuses_before_reading(declared: str | None, expected: object) -> None:
    assert length_problem(declared, 10) == expected


async def test_the_body_is_joined_and_refused_as_soon_as_it_passes_the_cap() -> None:
    chunks: list[Mapping[str, Any]] = [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.request", "body": b"de"},
    ]
    assert await read_capped(receiver(*chunks), 5) == b"abcde"
    over = receiver(*[{"type": "http.request", "body": b"xxxx", "more_body": True}] * 10)
    assert await read_capped(over, 5) is None
    assert len(over.reads) == 2  # the rest is never read
    gone = receiver({"type": "http.request", "body": b"a", "more_body": True}, {"type": "http.disconnect"})
    assert await read_capped(gone, 5) is None


async def test_a_body_that_stops_arriving_times_out() -> None:
    import asyncio
    import time

    from bot.http.bodies import BodyTimeout

    async def stalled() -> Mapping[str, Any]:
        if not stalled.sent:  # type: ignore[attr-defined]
            stalled.sent = True  # type: ignore[attr-defined]
            return {"type": "http.request", "body": b"a", "more_body": True}
        await asyncio.Event().wait()  # the rest never comes
        raise AssertionError

    stalled.sent = False  # type: ignore[attr-defined]
    started = time.monotonic()
    with pytest.raises(BodyTimeout):
        await read_capped(stalled, 100, timeout=0.2)
    assert time.monotonic() - started < 2
