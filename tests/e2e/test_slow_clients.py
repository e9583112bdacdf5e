"""Slow and greedy clients against `pendo-bot serve --http` on a real loopback port: a body that never
arrives is answered 408 within BODY_READ_TIMEOUT_SECONDS (on /slack/events and on the Zendesk webhook),
and connections past MAX_CONNECTIONS are answered 503 at once instead of waiting for a socket."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_serve import SECRET, free_port, start, stop, wait_until

__all__ = ["stop"]  # the fixture, imported for the tests below


def stalled(port: int, path: str) -> socket.socket:
    """A request declaring a 100-byte body, of which one byte is sent."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n{".encode()
    )
    return conn


def status_of(conn: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            raise AssertionError(f"closed without an answer: {head!r}")
        head += chunk
    return int(head.split(b" ", 2)[1])


@pytest.fixture
def serving(tmp_path: Path, stop: list[subprocess.Popen[bytes]]) -> int:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-slow-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached: nothing here gets past the gate
        "ZENDESK_WEBHOOK_SECRET": "hook-secret",
        "BODY_READ_TIMEOUT_SECONDS": "1",
        "MAX_CONNECTIONS": "3",
    }
    stop.append(start(["--http", "--port", str(port), "--sample"], env, tmp_path))

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz").text == "ok"
        except httpx.TransportError:
            return False

    wait_until(healthy)
    return port


@pytest.mark.parametrize("path", ["/slack/events", "/zendesk/webhook"])
def test_a_body_that_never_arrives_is_answered_408_within_the_limit(serving: int, path: str) -> None:
    started = time.monotonic()
    with stalled(serving, path) as conn:
        assert status_of(conn) == 408
    assert time.monotonic() - started < 5  # BODY_READ_TIMEOUT_SECONDS=1, not forever


def test_connections_past_max_connections_are_answered_503(serving: int) -> None:
    # uvicorn counts the new connection itself: with MAX_CONNECTIONS=3, two held open leave no room
    held = [stalled(serving, "/slack/events") for _ in range(2)]
    try:
        time.sleep(0.2)  # both read by the server
        assert httpx.get(f"http://127.0.0.1:{serving}/healthz", timeout=5).status_code == 503
        for conn in held:  # each still ends with its own 408
            assert status_of(conn) == 408
    finally:
        for conn in held:
            conn.close()
    assert httpx.get(f"http://127.0.0.1:{serving}/healthz", timeout=5).status_code == 200
