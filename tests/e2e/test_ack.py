"""Through Bolt and the real ASGI app, on Bolt's default runtime (the listener a task, its `ack()` awaited
by Bolt): Slack gets the ack while the lookup is still under way, and a listener that fails before
acking is answered 500."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.sample import JANE

from .conftest import Bot


async def test_through_bolt_the_http_ack_comes_before_the_lookup_ends(bot: Bot) -> None:
    bot.pendo.slow(r"/aggregation$", 1.0)  # the answer needs at least a second
    response, rid = await bot.command(JANE)
    assert response.status_code == 200 and "Looking up" in response.json()["text"]
    assert bot.responses(rid) == []  # acked while the lookup was still under way
    final = await bot.final_response(rid)
    assert final["blocks"][0]["text"]["text"] == "Jane Doe"


async def test_a_listener_that_fails_before_its_ack_gets_a_500(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("parser broke")

    monkeypatch.setattr("bot.listeners.commands.parse_query", broken)  # the /pendo grammar
    with caplog.at_level(logging.ERROR):
        response, _ = await bot.command(JANE)
    assert response.status_code == 500
