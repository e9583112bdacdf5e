"""`DirectMiddleware`: our middleware functions as Bolt `AsyncMiddleware`, called with only the arguments
they take (Bolt's plain-function wrapper builds every argument it could inject on every request)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.listeners.middleware import DirectMiddleware


def request() -> AsyncBoltRequest:
    req = AsyncBoltRequest(body={"type": "event_callback", "event_id": "Ev1"}, mode="socket_mode")
    req.context["team_id"] = "T1"
    return req


async def test_each_function_gets_the_arguments_it_names_and_its_answer_is_bolts() -> None:
    seen: dict[str, Any] = {}
    called_next = []

    async def next_() -> BoltResponse:
        called_next.append(True)
        return BoltResponse(status=200)

    async def by_body_and_next(body: dict[str, Any], next: Any) -> None:
        seen["body"] = body
        await next()

    async def by_context(context: AsyncBoltContext, next: Any) -> BoltResponse:
        seen["team"] = context.team_id
        return BoltResponse(status=400, body="refused")

    req = request()
    assert (
        await DirectMiddleware(by_body_and_next).async_process(
            req=req, resp=BoltResponse(status=200), next=next_
        )
        is None
    )
    refused = await DirectMiddleware(by_context).async_process(
        req=req, resp=BoltResponse(status=200), next=next_
    )
    assert refused is not None and (refused.status, refused.body) == (400, "refused")
    assert seen == {"body": {"type": "event_callback", "event_id": "Ev1"}, "team": "T1"}
    assert called_next == [True]


def test_a_function_asking_for_another_argument_is_refused_at_registration() -> None:
    async def wants_logger(logger: Any, next: Any) -> None:
        await next()

    with pytest.raises(TypeError, match=r"wants_logger takes \['logger'\]"):
        DirectMiddleware(wants_logger)


def test_the_name_bolt_logs_names_our_function() -> None:
    async def attach(context: AsyncBoltContext, next: Any) -> None:
        await next()

    assert DirectMiddleware(attach).name.endswith(".attach)")


async def test_listeners_are_registered_kind_by_kind_keeping_their_order_within_a_kind(
    sample_deps: Any,
) -> None:
    """Bolt tries listeners in registration order and pays for each miss; events (unfurls) come right
    after the command, and within a kind the declared order (which decides overlaps) is kept."""
    from bot.listeners import KIND_ORDER, all_routes, register_listeners

    registered: list[tuple[str, str]] = []

    class Recorder:
        def middleware(self, each: object) -> None:
            assert isinstance(each, DirectMiddleware)

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
