"""SIGTERM mid-lookup on a real `pendo-bot serve --http` process (issue 12 item 4).

The process talks real HTTP to fake Pendo and Zendesk APIs on loopback (slowed down per route) and to
the fake Slack Web API. After SIGTERM it must stop taking requests, let work that can finish within
SHUTDOWN_GRACE_SECONDS finish, and tell every other user "cut short by a restart": no command without a
final reply, no unfurl left on "Looking up…".
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.sample import (
    JANE,
    POWER_USER,
    SAMPLE_PENDO_KEY,
    SAMPLE_ZENDESK_EMAIL,
    SAMPLE_ZENDESK_SUBDOMAIN,
    SAMPLE_ZENDESK_TOKEN,
    TICKET_JANE,
    FakeControls,
    LoopbackServer,
    build_workspace,
    create_pendo_app,
    create_zendesk_app,
)
from bot.sample.slack_api import FakeSlack
from tests.e2e.test_serve import free_port, start, wait_until

SECRET = "shutdown-test-signing-secret"
GRACE = 3.0


@pytest.fixture
def upstreams() -> Iterator[tuple[str, FakeControls, str]]:
    ws = build_workspace(int(time.time() * 1000))
    pendo, zendesk = create_pendo_app(ws), create_zendesk_app(ws)
    with LoopbackServer(pendo) as p, LoopbackServer(zendesk) as z:
        yield p.base_url, pendo.state.controls, z.base_url


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body) or "",
    }


def command(base: str, slack_url: str, text: str, rid: str) -> httpx.Response:
    body = urlencode(
        {
            "command": "/pendo",
            "text": text,
            "user_id": "U0AGENT",
            "channel_id": "C0SUPPORT",
            "team_id": "T0001",
            "response_url": f"{slack_url}/response/{rid}",
        }
    )
    headers = {"content-type": "application/x-www-form-urlencoded", **signed(body)}
    return httpx.post(f"{base}/slack/events", content=body, headers=headers)


def link_shared(base: str, url: str) -> tuple[httpx.Response, str]:
    ts = f"1700000000.{uuid.uuid4().int % 10**6:06d}"
    unfurl_id = f"C0SUPPORT.{ts}.{uuid.uuid4().hex}"
    event = {
        "type": "link_shared",
        "channel": "C0SUPPORT",
        "is_bot_user_member": True,
        "user": "U0AGENT",
        "message_ts": ts,
        "unfurl_id": unfurl_id,
        "source": "conversations_history",
        "event_ts": ts,
        "links": [{"domain": "x", "url": url}],
    }
    body = json.dumps(
        {
            "token": "ignored",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:8]}",
            "event_time": 1,
        }
    )
    headers = {"content-type": "application/json", **signed(body)}
    return httpx.post(f"{base}/slack/events", content=body, headers=headers), unfurl_id


def last_unfurl(slack: FakeSlack, unfurl_id: str) -> dict[str, Any] | None:
    calls = [c for c in slack.by_method("chat.unfurl") if c.get("unfurl_id") == unfurl_id]
    return calls[-1] if calls else None


def test_sigterm_finishes_what_it_can_and_says_what_it_cut_short(
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
    upstreams: tuple[str, FakeControls, str],
    tmp_path: Path,
) -> None:
    pendo_url, pendo, zendesk_url = upstreams
    slack_url = slack_server[1]
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-shutdown-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        "PENDO_INTEGRATION_KEY": SAMPLE_PENDO_KEY,
        "PENDO_BASE_URL": pendo_url,
        "ZENDESK_SUBDOMAIN": SAMPLE_ZENDESK_SUBDOMAIN,
        "ZENDESK_BASE_URL": zendesk_url,
        "ZENDESK_EMAIL": SAMPLE_ZENDESK_EMAIL,
        "ZENDESK_API_TOKEN": SAMPLE_ZENDESK_TOKEN,
        "SHUTDOWN_GRACE_SECONDS": str(GRACE),
        "LOOKUP_DEADLINE_SECONDS": "30",
        "PENDO_TIMEOUT_SECONDS": "30",
        "UNFURL_DEDUPE_SECONDS": "0",  # three posts of one link, each its own unfurl
    }
    proc = start(["--http", "--port", str(port)], env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/healthz").text == "ok"
            except httpx.TransportError:
                return False

        wait_until(healthy)
        # Unknown emails answer after 1.5 s (within the grace); real visitors' usage takes 60 s (cut short).
        pendo.slow(r"/visitor/gone", 1.5)
        pendo.slow(r"/aggregation$", 60.0)
        finishing = [f"r-fin-{i}" for i in range(5)]
        cut = [f"r-cut-{i}" for i in range(5)]
        for rid, email in zip(cut, [JANE, POWER_USER, JANE, POWER_USER, JANE], strict=True):
            assert command(base, slack_url, email, rid).status_code == 200
        unfurl_ids = []
        for _ in range(3):
            url = f"https://{SAMPLE_ZENDESK_SUBDOMAIN}.zendesk.com/agent/tickets/{TICKET_JANE}"
            response, unfurl_id = link_shared(base, url)
            assert response.status_code == 200
            unfurl_ids.append(unfurl_id)
        # The unfurls show their header with "Looking up…" while Pendo is slow: now stop the process.
        try:
            wait_until(lambda: all(last_unfurl(fake_slack, u) is not None for u in unfurl_ids), timeout=10)
        except AssertionError:
            print([(c.method, c.body) for c in fake_slack.calls])
            raise
        # These answer 1.5 s after their ack: within the grace period, so they must finish.
        for i, rid in enumerate(finishing):
            assert command(base, slack_url, f"gone{i}@nowhere.example", rid).status_code == 200
        stopped_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=GRACE + 15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
        took = time.monotonic() - stopped_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    finals = {r.method: r.body for r in fake_slack.responses}
    for rid in finishing:
        assert rid in finals, f"{rid} got no final reply"
        assert "cut short" not in finals[rid]["text"] and "Looking up" not in finals[rid]["text"]
    for rid in cut:
        assert rid in finals, f"{rid} got no final reply"
        assert "cut short by a restart" in finals[rid]["text"]
    for unfurl_id in unfurl_ids:
        final = json.dumps(last_unfurl(fake_slack, unfurl_id))
        assert "Looking up" not in final and "cut short by a restart" in final
    log = (tmp_path / "serve.log").read_text()
    assert "finished=5 cut_short=8" in log
    print(f"\nSIGTERM to exit: {took:.1f} s (grace {GRACE:g} s)")


def test_with_json_logs_every_line_of_a_served_process_is_json(
    slack_server: tuple[FakeSlack, str], tmp_path: Path
) -> None:
    """Issue 12 item 10: uvicorn's own lines ("Started server process", access lines) were plain text."""
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-json-log-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{slack_server[1]}/api/",
        "LOG_FORMAT": "json",
    }
    proc = start(["--http", "--port", str(port), "--sample"], env, tmp_path)
    try:
        wait_until(lambda: b"Application startup complete" in (tmp_path / "serve.log").read_bytes())
        assert httpx.post(f"http://127.0.0.1:{port}/slack/events", content=b"x").status_code == 401
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = (tmp_path / "serve.log").read_text().splitlines()
    records = [json.loads(line) for line in lines]  # raises on any line that is not JSON
    loggers = {r["logger"] for r in records}
    assert {"bot.slack.server", "uvicorn.error", "bot.slack.web"} <= loggers
    assert "xoxb-json-log-test" not in "\n".join(lines)
