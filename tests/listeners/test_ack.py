"""Routes on Bolt's default runtime (`add_route`): Bolt answers Slack as soon as a listener acks, while
the listener carries on; an error before the ack is answered 500, one after it is logged; an event is
acked by Bolt before its listener runs; tracked work is drained on shutdown."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.authorization import AuthorizeResult

from bot.inflight import InFlight
from bot.listeners.routes import Route, add_route


async def authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None, team_id="T1", bot_id="B1", bot_user_id="UBOT", bot_token="xoxb-test"
    )


def app_with(*routes: Route, inflight: InFlight | None = None) -> AsyncApp:
    app = AsyncApp(signing_secret="unused", request_verification_enabled=False, authorize=authorize)
    for route in routes:
        add_route(app, route, inflight or InFlight(deadline=5.0, grace=1.0))
    return app


def command(text: str = "") -> AsyncBoltRequest:
    body = {
        "command": "/x",
        "text": text,
        "team_id": "T1",
        "user_id": "U1",
        "channel_id": "C1",
        "response_url": "https://hooks.slack.com/commands/T1/1/2",
    }
    return AsyncBoltRequest(body=body, mode="socket_mode")


def event() -> AsyncBoltRequest:
    body = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": "Ev1",
        "event": {"type": "app_mention", "user": "U1", "channel": "C1", "text": "hi", "ts": "1.2"},
    }
    return AsyncBoltRequest(body=body, mode="socket_mode")


async def test_bolt_answers_at_the_ack_and_the_rest_of_the_listener_runs_on() -> None:
    rest_done = asyncio.Event()
    gate = asyncio.Event()

    async def handler(ack: Any, body: dict[str, Any]) -> None:
        await ack(text="Looking up…")
        await gate.wait()  # the lookup, after the ack
        rest_done.set()

    app = app_with(Route("command", "/x", handler))
    response = await asyncio.wait_for(app.async_dispatch(command()), 2.0)  # although gate is shut
    assert response.status == 200 and "Looking up" in response.body
    assert not rest_done.is_set()
    gate.set()
    await asyncio.wait_for(rest_done.wait(), 1.0)


async def test_an_error_before_the_ack_is_answered_500() -> None:
    async def handler(ack: Any) -> None:
        await asyncio.sleep(0)
        raise ValueError("bad before ack")

    app = app_with(Route("command", "/x", handler))
    response = await asyncio.wait_for(app.async_dispatch(command()), 2.0)
    assert response.status == 500


async def test_an_error_after_the_ack_is_logged_and_the_ack_stands(caplog: pytest.LogCaptureFixture) -> None:
    failed = asyncio.Event()

    async def handler(ack: Any) -> None:
        await ack()
        await asyncio.sleep(0.05)  # past Bolt's first look at the ack
        failed.set()
        raise RuntimeError("bad after ack")

    app = app_with(Route("command", "/x", handler))
    with caplog.at_level(logging.ERROR):
        response = await asyncio.wait_for(app.async_dispatch(command()), 2.0)
        assert response.status == 200
        await asyncio.wait_for(failed.wait(), 1.0)
        for _ in range(10):
            await asyncio.sleep(0)
    failures = [r for r in caplog.records if r.exc_info is not None and "bad after ack" in str(r.exc_info[1])]
    assert len(failures) == 1


async def test_an_event_is_acked_by_bolt_before_its_listener_ends() -> None:
    started = asyncio.Event()
    finish = asyncio.Event()

    async def handler(event: dict[str, Any]) -> None:
        started.set()
        await finish.wait()

    app = app_with(Route("event", "app_mention", handler))
    response = await asyncio.wait_for(app.async_dispatch(event()), 2.0)
    assert response.status == 200
    await asyncio.wait_for(started.wait(), 1.0)
    finish.set()


async def test_tracked_work_after_the_ack_is_drained_on_shutdown() -> None:
    """A tracked route's work after the ack is InFlight's: a shutdown waits for it."""
    inflight = InFlight(deadline=5.0, grace=2.0)
    done = asyncio.Event()

    async def handler(ack: Any, respond: Any) -> None:
        await ack(text="Looking up…")
        await asyncio.sleep(0.1)
        done.set()

    app = app_with(Route("command", "/x", handler, tracked="replace"), inflight=inflight)
    response = await asyncio.wait_for(app.async_dispatch(command()), 2.0)
    assert response.status == 200 and not done.is_set()
    assert await asyncio.wait_for(inflight.drain(), 3.0) == (1, 0)
    assert done.is_set()
