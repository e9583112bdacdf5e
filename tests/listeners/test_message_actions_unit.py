"""The message-action handlers called directly (the starter template's way), with fakes for Slack."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.http.cache import TTLCache
from bot.listeners import access_facts
from bot.listeners import clicks as ma
from bot.render import blocks as block_kit
from bot.settings import load_settings

MESSAGE: block_kit.Message = {"text": "hello", "blocks": [block_kit.section("hello")]}


def _body(ephemeral: bool, thread_ts: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"message_ts": "9.9", "channel_id": "C1", "is_ephemeral": ephemeral}
    if thread_ts:
        container["thread_ts"] = thread_ts
    return {"user": {"id": "U1"}, "channel": {"id": "C1"}, "container": container}


async def test_a_private_message_is_answered_in_place() -> None:
    respond, client = AsyncMock(), AsyncMock()
    respond.return_value.status_code = 200  # what Slack's response_url answers
    assert await ma.answer_privately(ma.Click.of(_body(True)), MESSAGE, respond, client)
    respond.assert_awaited_once_with(replace_original=True, response_type="ephemeral", **MESSAGE)
    client.chat_postEphemeral.assert_not_awaited()


async def test_a_public_message_is_answered_with_a_private_one_to_the_clicker() -> None:
    respond, client = AsyncMock(), AsyncMock()
    assert await ma.answer_privately(ma.Click.of(_body(False, thread_ts="5.5")), MESSAGE, respond, client)
    respond.assert_not_awaited()
    client.chat_postEphemeral.assert_awaited_once_with(
        channel="C1", user="U1", thread_ts="5.5", text="hello", blocks=MESSAGE["blocks"]
    )


async def test_a_refused_private_answer_is_reported_not_raised() -> None:
    client = AsyncMock()
    response = AsyncSlackResponse(
        client=client,
        http_verb="POST",
        api_url="x",
        req_args={},
        data={"ok": False, "error": "channel_not_found"},
        headers={},
        status_code=200,
    )
    client.chat_postEphemeral.side_effect = SlackApiError("refused", response)  # type: ignore[no-untyped-call]
    assert not await ma.answer_privately(ma.Click.of(_body(False)), MESSAGE, AsyncMock(), client)


@pytest.mark.parametrize(
    ("unfurl_channels", "external", "allowed"),
    [([], False, True), ([], True, False), (["C1"], False, True), (["C2"], False, False)],
)
async def test_share_allowed(
    clean_env: None, unfurl_channels: list[str], external: bool, allowed: bool
) -> None:
    class Deps:
        settings = load_settings(unfurl_channels=",".join(unfurl_channels), pendo_integration_key="k")
        memo = TTLCache()

    client = AsyncMock()
    client.conversations_info.return_value = {
        "channel": {"id": "C1", "is_ext_shared": external, "is_shared": external}
    }
    assert await access_facts.share_allowed(Deps(), client, "C1") is allowed  # type: ignore[arg-type]
