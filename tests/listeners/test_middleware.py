"""The app-wide middleware as plain functions under Bolt (`app.middleware(func)`, Bolt's documented way):
the deps reach every listener (in the context, and as an argument Bolt injects by name), a second
delivery of an event is acked and dropped, and a foreign `response_url` is refused before any listener
runs."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.authorization import AuthorizeResult

from bot.deps import Deps
from bot.listeners.middleware import deps_of, middleware


async def authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None, team_id="T1", bot_id="B1", bot_user_id="UBOT", bot_token="xoxb-t"
    )


def app_for(deps: Deps, seen: list[dict[str, Any]]) -> AsyncApp:
    app = AsyncApp(signing_secret="unused", request_verification_enabled=False, authorize=authorize)
    for each in middleware(deps):
        app.middleware(each)

    @app.event("app_mention")
    async def mention(event: dict[str, Any], context: AsyncBoltContext, deps: Deps) -> None:
        seen.append({"event": event["text"], "context_deps": deps_of(context), "deps": deps})

    @app.command("/x")
    async def command(ack: Any, deps: Deps) -> None:
        await ack()
        seen.append({"command": True, "deps": deps})

    return app


def event(event_id: str, text: str = "hi") -> AsyncBoltRequest:
    body = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": event_id,
        "event": {"type": "app_mention", "user": "U1", "channel": "C1", "text": text, "ts": "1.2"},
    }
    return AsyncBoltRequest(body=json.dumps(body), headers={"content-type": ["application/json"]})


def command(response_url: str) -> AsyncBoltRequest:
    body = {"command": "/x", "text": "", "team_id": "T1", "user_id": "U1", "channel_id": "C1"}
    return AsyncBoltRequest(body={**body, "response_url": response_url}, mode="socket_mode")


async def settle(seen: list[dict[str, Any]], count: int) -> None:
    for _ in range(100):
        if len(seen) >= count:
            return
        await asyncio.sleep(0.01)


async def test_every_listener_finds_the_deps_in_its_context_and_as_an_argument(sample_deps: Any) -> None:
    deps = sample_deps().deps
    seen: list[dict[str, Any]] = []
    response = await app_for(deps, seen).async_dispatch(event("Ev1"))
    assert response.status == 200
    await settle(seen, 1)
    assert seen == [{"event": "hi", "context_deps": deps, "deps": deps}]


async def test_a_second_delivery_of_an_event_is_acked_and_dropped(sample_deps: Any) -> None:
    deps = sample_deps().deps
    seen: list[dict[str, Any]] = []
    app = app_for(deps, seen)
    first = await app.async_dispatch(event("EvSame", "first"))
    again = await app.async_dispatch(event("EvSame", "again"))
    other = await app.async_dispatch(event("EvOther", "other"))
    assert [r.status for r in (first, again, other)] == [200, 200, 200]
    assert again.body == ""
    await settle(seen, 2)
    await asyncio.sleep(0.05)
    assert sorted(s["event"] for s in seen) == ["first", "other"]


async def test_a_foreign_response_url_is_refused_before_any_listener_runs(sample_deps: Any) -> None:
    deps = sample_deps().deps
    seen: list[dict[str, Any]] = []
    app = app_for(deps, seen)
    refused = await app.async_dispatch(command("https://attacker.example/hook"))
    assert (refused.status, refused.body) == (400, "response_url not allowed")
    accepted = await app.async_dispatch(command("https://hooks.slack.com/commands/T1/1/2"))
    assert accepted.status == 200
    await settle(seen, 1)
    assert seen == [{"command": True, "deps": deps}]


def test_the_middleware_are_plain_functions_in_their_order(sample_deps: Any) -> None:
    names = [m.__name__ for m in middleware(sample_deps().deps)]
    assert names == ["attach_deps", "skip_duplicate_events", "refuse_foreign_response_urls"]


async def test_listeners_are_registered_kind_by_kind_keeping_their_order_within_a_kind(
    sample_deps: Any,
) -> None:
    """Bolt tries listeners in registration order and pays for each miss; events (unfurls) come right
    after the command, and within a kind the declared order (which decides overlaps) is kept."""
    from bot.listeners import KIND_ORDER, all_routes, register_listeners

    registered: list[tuple[str, str]] = []

    class Recorder:
        def middleware(self, each: object) -> None:
            assert inspect.iscoroutinefunction(each)  # a plain function: Bolt's documented middleware

        def __getattr__(self, kind: str) -> Any:
            def registrar(key: object) -> Any:
                registered.append((kind, str(key)))
                return lambda handler: handler

            return registrar

    register_listeners(Recorder(), sample_deps().deps)  # type: ignore[arg-type]
    declared = [(r.kind, str(r.key)) for r in all_routes()]
    assert sorted(registered) == sorted(declared)
    assert [k for k, _ in registered] == sorted((k for k, _ in declared), key=KIND_ORDER.__getitem__)
    for kind in KIND_ORDER:
        assert [key for k, key in registered if k == kind] == [key for k, key in declared if k == kind]
    assert registered[1] == ("event", "app_mention") and registered[0] == ("command", "/pendo")
