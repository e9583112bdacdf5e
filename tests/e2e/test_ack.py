"""Through Bolt and the real ASGI app: Slack gets the ack while the lookup is still under way
(`bot.listeners.routes.acked_early` with Bolt's process_before_response), and a listener that fails
before acking is answered 500 as Bolt always did."""

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

    monkeypatch.setattr("bot.listeners.commands.parse_ticket_query", broken)
    with caplog.at_level(logging.ERROR):
        response, _ = await bot.command(JANE)
    assert response.status_code == 500
