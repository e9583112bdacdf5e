"""A fake Slack Web API and response_url receiver, for end-to-end tests and the benchmark.

Point `SLACK_API_URL` at `{base}/api/` and put `{base}/response/<id>` in slash-command payloads: every
call is recorded as Slack would receive it. Calls and response_url posts share one sequence
(`FakeSlack.since(seq)`), so a reader such as the preview page can follow them in order.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.sample.work_objects import present_details_errors, unfurl_metadata_errors
from bot.slack.check import BOT_SCOPES

BOT_USER_ID = "UBOT0001"
TEAM_ID = "T0001"
TRIGGER_TTL = 3.0  # Slack: a trigger_id "expires in three seconds" (views.open: expired_trigger_id)


@dataclass
class SlackCall:
    method: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    seq: int = 0  # order across calls and responses, from 1
    result: dict[str, Any] | None = None  # what the fake answered (Web API calls)


@dataclass
class FakeSlack:
    """State and knobs of the fake: channels the bot cannot post in, shared channels, user groups."""

    calls: list[SlackCall] = field(default_factory=list)
    responses: list[SlackCall] = field(default_factory=list)  # posts to response_url, method = url id
    not_in_channels: set[str] = field(default_factory=set)
    shared_channels: set[str] = field(default_factory=set)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    method_errors: dict[str, str] = field(default_factory=dict)  # method → Slack error code
    # method → error codes answered once each, in order, before the method answers as usual again
    method_failures: dict[str, list[str]] = field(default_factory=dict)
    retry_after: int = 30  # seconds, in the Retry-After of a `ratelimited` answer (HTTP 429, as Slack does)
    user_zones: dict[str, str] = field(default_factory=dict)  # user → profile time zone (users.info)
    user_teams: dict[str, str] = field(default_factory=dict)  # user → home team (Slack Connect guests)
    user_names: dict[str, str] = field(default_factory=dict)  # user → profile real name (users.info)
    token_bots: dict[str, str] = field(default_factory=dict)  # bot token → another app's bot id (auth.test)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # view id → the view as Slack keeps it
    homes: dict[str, str] = field(default_factory=dict)  # user → the id of their published Home view
    method_delays: dict[str, float] = field(default_factory=dict)  # method → seconds before Slack answers
    # the bot token's scopes, sent as Slack does in each answer's x-oauth-scopes header; None: all of
    # the manifest's (a test drops one to see `pendo-bot check` name it)
    granted_scopes: list[str] | None = None
    trigger_ttl: float = TRIGGER_TTL
    exchanged: set[str] = field(default_factory=set)  # trigger_ids already used to open a view
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, into: list[SlackCall], call: SlackCall) -> SlackCall:
        with self._lock:
            self._seq += 1
            call.seq = self._seq
            into.append(call)
        return call

    @property
    def last_seq(self) -> int:
        return self._seq

    def since(self, seq: int) -> list[dict[str, Any]]:
        """Every call (`kind: "api"`) and response_url post (`kind: "response"`) after `seq`, in order,
        up to the first Web API call still waiting for its answer."""
        with self._lock:
            found = [("api", c) for c in self.calls if c.seq > seq]
            found += [("response", c) for c in self.responses if c.seq > seq]
        found.sort(key=lambda kc: kc[1].seq)
        # a Web API call is recorded when it arrives and answered a moment later: stop before the first
        # one not answered yet, so a reader never sees it without its result (nor skips past it)
        ready = []
        for kind, c in found:
            if kind == "api" and c.result is None:
                break
            ready.append({"seq": c.seq, "kind": kind, "method": c.method, "body": c.body, "result": c.result})
        return ready

    def reset(self) -> None:
        """Forget every call and knob: each field back to its default."""
        fresh = FakeSlack()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def issue_trigger(self) -> str:
        """A trigger_id as Slack puts in an interaction payload; this fake's (and the demo page's) start
        with the epoch milliseconds they were issued at, so views.open can tell when one expired."""
        token = uuid.uuid4().hex
        return f"{int(time.time() * 1000)}.{int(token[:8], 16)}.{token[8:20]}"

    def by_method(self, method: str) -> list[dict[str, Any]]:
        return [c.body for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Post-ack work finishes after the HTTP response: poll until `predicate()` holds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the expected Slack calls")
            await asyncio.sleep(0.01)


DEFAULT_ZONE = "America/Los_Angeles"  # what Slack gives a profile nobody set a zone on


def _user_info(state: FakeSlack, user: str) -> dict[str, Any]:
    """`users.info` as Slack answers it: the profile's `tz` (IANA), its label and its offset now."""
    if not user or user[0] not in "UW":
        return {"ok": False, "error": "user_not_found"}
    zone = state.user_zones.get(user, DEFAULT_ZONE)
    now = datetime.now(ZoneInfo(zone))
    offset = now.utcoffset()
    return {
        "ok": True,
        "user": {
            "id": user,
            "team_id": state.user_teams.get(user, TEAM_ID),  # an external member's own workspace
            "name": user.lower(),  # the legacy handle
            "real_name": state.user_names.get(user, f"Agent {user}"),
            "profile": {
                "display_name": "",  # what Slack has for someone who never set one
                "real_name": state.user_names.get(user, f"Agent {user}"),
            },
            "deleted": False,
            "is_bot": False,
            "tz": zone,
            "tz_label": now.tzname() or zone,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
        },
    }


def _view_call(state: FakeSlack, method: str, body: dict[str, Any]) -> dict[str, Any]:
    """views.open / push / update / publish as Slack keeps views: each has an id and a `hash` that
    changes with every update; an update or publish sent with an old hash fails with `hash_conflict`."""
    view = body.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            view = None
    if not isinstance(view, dict) or not isinstance(view.get("blocks", []), list):
        return {"ok": False, "error": "invalid_arguments"}
    if method in ("views.open", "views.push"):
        refused = _trigger_refused(state, str(body.get("trigger_id") or ""))
        if refused:
            return {"ok": False, "error": refused}
    if method == "views.publish":
        if view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        user = str(body.get("user_id") or "")
        if not user:
            return {"ok": False, "error": "invalid_arguments"}
        view_id = state.homes.setdefault(user, f"VH{len(state.homes) + 1:07d}")
    elif method == "views.update":
        view_id = str(body.get("view_id") or "")
        if view_id not in state.views:
            return {"ok": False, "error": "not_found"}
    else:
        view_id = f"V{state.last_seq:08d}"
    kept = state.views.get(view_id)
    sent_hash = body.get("hash")
    if sent_hash and kept is not None and sent_hash != kept["hash"]:
        return {"ok": False, "error": "hash_conflict"}
    stored = {
        **view,
        "id": view_id,
        "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        "state": {"values": {}},
    }
    state.views[view_id] = stored
    return {"ok": True, "view": stored}


def _trigger_refused(state: FakeSlack, trigger: str) -> str | None:
    """Slack's error for a trigger_id that cannot open a view: none, used already, or older than 3 s.
    A trigger whose issue time this fake cannot read (a test's "1.2.3") is taken as fresh."""
    if not trigger:
        return "invalid_trigger_id"
    issued = trigger.partition(".")[0]
    if not (issued.isdigit() and len(issued) == 13):
        return None
    if trigger in state.exchanged:
        return "exchanged_trigger_id"
    if time.time() - int(issued) / 1000 > state.trigger_ttl:
        return "expired_trigger_id"
    state.exchanged.add(trigger)
    return None


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
        call = state.record(state.calls, SlackCall(method, body))
        if state.method_delays.get(method):
            await asyncio.sleep(state.method_delays[method])
        authorization = request.headers.get("authorization", "")
        failures = state.method_failures.get(method) if authorization else None
        result = {"ok": False, "error": failures.pop(0)} if failures else _answer(method, body, authorization)
        call.result = result
        headers = {}
        if authorization:  # Slack names the token's scopes on every Web API answer to a token
            scopes = BOT_SCOPES if state.granted_scopes is None else state.granted_scopes
            headers = {"x-oauth-scopes": ",".join(scopes), "x-accepted-oauth-scopes": ""}
        if result.get("error") == "ratelimited":  # Slack: HTTP 429 with Retry-After (seconds)
            return JSONResponse(
                result, status_code=429, headers=headers | {"retry-after": str(state.retry_after)}
            )
        return JSONResponse(result, headers=headers)

    def _answer(method: str, body: dict[str, Any], authorization: str) -> dict[str, Any]:
        if authorization == "":
            return {"ok": False, "error": "not_authed"}
        if method in state.method_errors:
            return {"ok": False, "error": state.method_errors[method]}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://sample.slack.com/",
                "team": "Sample",
                "user": "pendo",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": state.token_bots.get(authorization.removeprefix("Bearer ").strip(), "BBOT0001"),
            }
        if method == "chat.unfurl" and unfurl_metadata_errors(body):
            return {"ok": False, "error": "invalid_metadata", "detail": unfurl_metadata_errors(body)}
        if method == "entity.presentDetails" and present_details_errors(body):
            return {"ok": False, "error": "invalid_metadata", "detail": present_details_errors(body)}
        if method == "chat.postMessage":
            channel = str(body.get("channel", ""))
            if channel in state.not_in_channels:
                return {"ok": False, "error": "not_in_channel"}
            return {"ok": True, "channel": channel, "ts": f"{time.time():.6f}"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{time.time():.6f}"}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "conversations.info":
            channel = str(body.get("channel", ""))
            shared = channel in state.shared_channels
            return {
                "ok": True,
                "channel": {
                    "id": channel,
                    "is_ext_shared": shared,
                    "is_shared": shared,
                    "is_pending_ext_shared": False,
                    "is_org_shared": False,
                    # Slack's conversation object: whether the caller (the bot) is in the channel
                    "is_member": channel not in state.not_in_channels,
                },
            }
        if method == "usergroups.users.list":
            return {"ok": True, "users": state.usergroups.get(str(body.get("usergroup")), [])}
        if method == "users.info":
            return _user_info(state, str(body.get("user") or ""))
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            return _view_call(state, method, body)
        return {"ok": True}

    async def response_url(request: Request) -> Response:
        state.record(state.responses, SlackCall(request.path_params["rid"], json.loads(await request.body())))
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/api/{method}", api, methods=["GET", "POST"]),
            Route("/response/{rid}", response_url, methods=["POST"]),
        ]
    )
