"""A fake Slack Web API and response_url receiver, for end-to-end tests and the benchmark.

Point `SLACK_API_URL` at `{base}/api/` and put `{base}/response/<id>` in slash-command payloads: every
call is recorded as Slack would receive it.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

BOT_USER_ID = "UBOT0001"
TEAM_ID = "T0001"


@dataclass
class SlackCall:
    method: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeSlack:
    """State and knobs of the fake: channels the bot cannot post in, shared channels, user groups."""

    calls: list[SlackCall] = field(default_factory=list)
    responses: list[SlackCall] = field(default_factory=list)  # posts to response_url, method = url id
    not_in_channels: set[str] = field(default_factory=set)
    shared_channels: set[str] = field(default_factory=set)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    method_errors: dict[str, str] = field(default_factory=dict)  # method → Slack error code

    def reset(self) -> None:
        """Forget every call and knob: each field back to its default."""
        fresh = FakeSlack()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def by_method(self, method: str) -> list[dict[str, Any]]:
        return [c.body for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Post-ack work finishes after the HTTP response: poll until `predicate()` holds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the expected Slack calls")
            await asyncio.sleep(0.01)


async def _body(request: Request) -> dict[str, Any]:
    data: dict[str, Any] = dict(request.query_params)
    raw = await request.body()
    if not raw:
        return data
    if request.headers.get("content-type", "").startswith("application/json"):
        data.update(json.loads(raw))
    else:
        form = await request.form()
        for key, value in form.items():
            text = str(value)
            try:
                data[key] = json.loads(text) if key in ("blocks", "unfurls", "view", "attachments") else text
            except ValueError:
                data[key] = text
    return data


def create_slack_app(state: FakeSlack) -> Starlette:
    async def api(request: Request) -> Response:
        method = request.path_params["method"]
        body = await _body(request)
        state.calls.append(SlackCall(method, body))
        if request.headers.get("authorization", "") == "":
            return JSONResponse({"ok": False, "error": "not_authed"})
        if method in state.method_errors:
            return JSONResponse({"ok": False, "error": state.method_errors[method]})
        if method == "auth.test":
            return JSONResponse(
                {
                    "ok": True,
                    "url": "https://sample.slack.com/",
                    "team": "Sample",
                    "user": "pendo",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": "BBOT0001",
                }
            )
        if method == "chat.postMessage":
            channel = str(body.get("channel", ""))
            if channel in state.not_in_channels:
                return JSONResponse({"ok": False, "error": "not_in_channel"})
            return JSONResponse({"ok": True, "channel": channel, "ts": f"{time.time():.6f}"})
        if method == "conversations.info":
            channel = str(body.get("channel", ""))
            shared = channel in state.shared_channels
            return JSONResponse(
                {
                    "ok": True,
                    "channel": {
                        "id": channel,
                        "is_ext_shared": shared,
                        "is_shared": shared,
                        "is_pending_ext_shared": False,
                        "is_org_shared": False,
                    },
                }
            )
        if method == "usergroups.users.list":
            return JSONResponse({"ok": True, "users": state.usergroups.get(str(body.get("usergroup")), [])})
        return JSONResponse({"ok": True})

    async def response_url(request: Request) -> Response:
        state.responses.append(SlackCall(request.path_params["rid"], json.loads(await request.body())))
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/api/{method}", api, methods=["GET", "POST"]),
            Route("/response/{rid}", response_url, methods=["POST"]),
        ]
    )
