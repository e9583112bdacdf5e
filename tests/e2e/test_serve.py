"""`pendo-bot serve` as a real process: HTTP mode on a real port, and Socket Mode reaching Slack."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from slack_sdk.signature import SignatureVerifier

from bot.deps import Deps, build_deps
from bot.sample import sample_settings
from bot.sample.slack_api import FakeSlack
from bot.settings import load_settings
from bot.slack import server

SECRET = "serve-test-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.Popen[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PENDO_", "SLACK_", "ZENDESK_"))}
    log = (tmp_path / "serve.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", *args],
        env={**clean, **env},
        cwd=tmp_path,
        stdout=log,
        stderr=log,
    )


@pytest.fixture
def stop() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def wait_until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_http_mode_serves_signed_commands_on_a_real_port(
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
    tmp_path: Path,
    stop: list[subprocess.Popen[bytes]],
) -> None:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{slack_server[1]}/api/",
    }
    stop.append(start(["--http", "--port", str(port), "--sample"], env, tmp_path))
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/healthz").text == "ok"
        except httpx.TransportError:
            return False

    wait_until(healthy)
    # signed in to Slack at start-up, before Slack sent anything
    assert [c.method for c in fake_slack.calls] == ["auth.test"]
    assert httpx.get(f"{base}/readyz").json() == {"settings": "ok", "pendo": "ok"}
    body = urlencode(
        {
            "command": "/pendo",
            "text": "jane.doe@acme.example",
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": "T0001",
            "response_url": f"{slack_server[1]}/response/serve1",
        }
    )
    ts = str(int(time.time()))
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body) or "",
    }
    ack = httpx.post(f"{base}/slack/events", content=body, headers=headers)
    assert ack.status_code == 200 and "Looking up" in ack.json()["text"]
    wait_until(lambda: any(r.method == "serve1" for r in fake_slack.responses))
    final = next(r.body for r in fake_slack.responses if r.method == "serve1")
    assert len(fake_slack.by_method("auth.test")) == 1  # the first request did not sign in again
    assert final["blocks"][0]["text"]["text"] == "Jane Doe"
    log = (tmp_path / "serve.log").read_text()
    assert f"HTTP mode on port {port}" in log and "answering from the embedded sample workspace" in log
    assert "xoxb-serve-test" not in log and SECRET not in log


def test_socket_mode_connects_through_slack_api_url(
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
    tmp_path: Path,
    stop: list[subprocess.Popen[bytes]],
) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_APP_TOKEN": "xapp-1-serve-test",
        "SLACK_API_URL": f"{slack_server[1]}/api/",
    }
    stop.append(start(["--sample"], env, tmp_path))
    wait_until(lambda: fake_slack.by_method("apps.connections.open"))
    assert [c.method for c in fake_slack.calls][:2] == ["auth.test", "apps.connections.open"]
    log = (tmp_path / "serve.log").read_text()
    assert "Socket Mode: answering from the embedded sample workspace" in log
    assert "xapp-1-serve-test" not in log


def test_serve_refuses_to_start_without_what_the_mode_needs(tmp_path: Path) -> None:
    proc = start(["--http"], {"SLACK_BOT_TOKEN": "xoxb-x"}, tmp_path)
    assert proc.wait(timeout=20) == 2
    assert "HTTP mode needs SLACK_SIGNING_SECRET" in (tmp_path / "serve.log").read_text()


def test_serve_never_answers_with_sample_data_unless_asked(tmp_path: Path) -> None:
    proc = start(["--http"], {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": SECRET}, tmp_path)
    assert proc.wait(timeout=20) == 2
    log = (tmp_path / "serve.log").read_text()
    assert "PENDO_INTEGRATION_KEY is not set" in log and "--sample" in log


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_serve_freezes_the_start_up_objects_before_serving(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The collector's state at the moment serving starts (uvicorn.run, or the Socket Mode loop).
    seen: list[int] = []

    def record(*_args: Any, **_kwargs: Any) -> None:
        seen.append(gc.get_freeze_count())

    def run_socket(coro: Coroutine[Any, Any, None]) -> None:
        coro.close()
        record()

    if mode == "http":
        monkeypatch.setattr(uvicorn, "run", record)
    else:
        monkeypatch.setattr(asyncio, "run", run_socket)
    tokens = {"slack_bot_token": "xoxb-gc", "slack_signing_secret": SECRET, "slack_app_token": "xapp-1-gc"}
    settings = sample_settings(load_settings(**tokens))
    opened: list[Deps] = []

    def open_deps() -> Deps:
        opened.append(build_deps(settings))
        return opened[-1]

    assert gc.get_freeze_count() == 0
    try:
        assert server.serve(settings, open_deps, socket=mode == "socket", http=mode == "http") == 0
    finally:
        gc.unfreeze()
        monkeypatch.undo()
        for deps in opened:
            asyncio.run(deps.aclose())
    assert len(seen) == 1
    assert seen[0] > 10_000  # the imported modules and the deps, at least
