"""Request log, latency and fault injection shared by the fake Pendo and Zendesk APIs.

Each fake wraps its routes in `ControlsMiddleware` and exposes the `FakeControls` as
`app.state.controls`:

    controls.fail(r"/aggregation$", 429, times=1, retry_after=2)   # next aggregation: 429 + Retry-After: 2
    controls.fail(r"^/api/v1/visitor/", 503, delay=0.5)            # every visitor call: slow, then 503
    controls.fail(r"/aggregation$", 500, body_regex=r'"accounts"')  # only aggregations whose body matches
    controls.slow(r"/history$", 3.0)                               # history answers normally after 3 s
    controls.latency = 0.05                                        # every request: +50 ms round trip
    controls.requests[-1].path, controls.clear()

Rules match the decoded request path with `re.search`, first registered rule first. Every request is
recorded, including those answered by a rule or refused for bad credentials.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.slack.web import replaying


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # decoded, no query string
    query: str  # raw query string
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Rule:
    pattern: re.Pattern[str]
    status: int | None  # None: answer normally after the delay
    times: int | None
    retry_after: float | None
    delay: float
    body: str | None
    body_pattern: re.Pattern[bytes] | None = None  # only requests whose body matches


class FakeControls:
    """Thread-safe: tests may change rules while a loopback server thread serves requests."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.latency = 0.0
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()

    def fail(
        self,
        path_regex: str,
        status: int,
        *,
        times: int | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        body: str | None = None,
        body_regex: str | None = None,
    ) -> None:
        """Answer matching requests with `status` (after `delay` s), `times` times or until `clear()`.

        `body_regex` narrows the rule to requests whose body matches (e.g. one kind of aggregation)."""
        pattern = re.compile(body_regex.encode()) if body_regex is not None else None
        self._add(_Rule(re.compile(path_regex), status, times, retry_after, delay, body, pattern))

    def slow(self, path_regex: str, delay: float, *, times: int | None = None) -> None:
        """Answer matching requests normally, but only after `delay` seconds."""
        self._add(_Rule(re.compile(path_regex), None, times, None, delay, None))

    def clear(self) -> None:
        """Forget every rule and every recorded request; latency back to 0."""
        with self._lock:
            self._rules.clear()
            self.requests.clear()
            self.latency = 0.0

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def _add(self, rule: _Rule) -> None:
        if rule.times is not None and rule.times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            self._rules.append(rule)

    def _take(self, path: str, body: bytes = b"") -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.pattern.search(path) and (
                    rule.body_pattern is None or rule.body_pattern.search(body)
                ):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times == 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _fault_response(rule: _Rule) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status = rule.status or 500
    body = rule.body if rule.body is not None else json.dumps({"error": "injected failure", "status": status})
    try:
        json.loads(body)
        content_type = b"application/json"
    except ValueError:
        content_type = b"text/plain; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body.encode())).encode())]
    if rule.retry_after is not None:
        value = f"{rule.retry_after:g}" if rule.retry_after % 1 else str(int(rule.retry_after))
        headers.append((b"retry-after", value.encode()))
    return status, headers, body.encode()


async def read_body(receive: Receive) -> bytes:
    """The whole request body (the fakes' requests are small; the bot's own gate caps what it reads)."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class ControlsMiddleware:
    """Pure ASGI middleware: records the request, applies latency, then a matching rule or the app."""

    def __init__(self, app: ASGIApp, controls: FakeControls) -> None:
        self.app = app
        self.controls = controls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        replay = replaying(body, receive)

        path = scope["path"]
        self.controls._record(
            RecordedRequest(
                method=scope["method"],
                path=path,
                query=scope.get("query_string", b"").decode("latin-1"),
                body=body,
                headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            )
        )
        if self.controls.latency > 0:
            await asyncio.sleep(self.controls.latency)
        rule = self.controls._take(path, body)
        if rule is not None and rule.delay > 0:
            await asyncio.sleep(rule.delay)
        if rule is None or rule.status is None:
            await self.app(scope, replay, send)
            return
        status, headers, content = _fault_response(rule)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
