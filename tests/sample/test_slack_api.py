"""The fake Slack's views behave as Slack's do: a trigger_id opens one view within 3 s, and a view's
`hash` protects it from a stale update."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.sample.slack_api import TRIGGER_TTL, FakeSlack, create_slack_app

MODAL: dict[str, Any] = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
HOME: dict[str, Any] = {"type": "home", "blocks": []}


@pytest.fixture
async def slack() -> AsyncIterator[tuple[FakeSlack, httpx.AsyncClient]]:
    state = FakeSlack()
    transport = httpx.ASGITransport(app=create_slack_app(state))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://slack.test", headers={"authorization": "Bearer xoxb-t"}
    ) as http:
        yield state, http


async def call(http: httpx.AsyncClient, method: str, **body: object) -> dict[str, Any]:
    answer: dict[str, Any] = (await http.post(f"/api/{method}", json=body)).json()
    return answer


async def test_a_trigger_opens_one_view_and_expires_after_three_seconds(
    slack: tuple[FakeSlack, httpx.AsyncClient],
) -> None:
    state, http = slack
    assert TRIGGER_TTL == 3.0
    fresh = state.issue_trigger()
    assert (await call(http, "views.open", trigger_id=fresh, view=MODAL))["ok"] is True
    assert (await call(http, "views.open", trigger_id=fresh, view=MODAL))["error"] == "exchanged_trigger_id"
    old = f"{int((time.time() - TRIGGER_TTL - 0.5) * 1000)}.123.abcdef"  # issued 3.5 s ago
    assert (await call(http, "views.open", trigger_id=old, view=MODAL))["error"] == "expired_trigger_id"
    assert (await call(http, "views.open", view=MODAL))["error"] == "invalid_trigger_id"


@pytest.mark.parametrize("method", ["views.update", "views.publish"])
async def test_an_update_with_a_stale_hash_is_refused_and_a_current_one_kept(
    slack: tuple[FakeSlack, httpx.AsyncClient], method: str
) -> None:
    state, http = slack
    if method == "views.update":
        first = (await call(http, "views.open", trigger_id=state.issue_trigger(), view=MODAL))["view"]
        target: dict[str, Any] = {"view_id": first["id"]}
        view = MODAL
    else:
        first = (await call(http, "views.publish", user_id="U1", view=HOME))["view"]
        target, view = {"user_id": "U1"}, HOME
    stale = first["hash"]
    second = await call(http, method, hash=stale, view=view, **target)
    assert second["ok"] is True
    assert second["view"]["hash"] != stale  # every update makes a new hash
    assert (await call(http, method, hash=stale, view=view, **target))["error"] == "hash_conflict"
    assert (await call(http, method, view=view, **target))["ok"] is True  # no hash: no check
