"""A real redis-server for the Redis tests, started on a free loopback port.

The server comes from the system (`make system-deps` installs it; Debian's package is redis-server).
Where it is missing the tests skip and say how to install it, except in CI (REQUIRE_SYSTEM_DEPS=1),
where a missing server fails them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.sample.slack_api import FakeSlack
from tests.e2e.conftest import Bot, make_bot

INSTALL_HINT = "redis-server is not installed: run `make system-deps` (or apt-get install redis-server)"


@dataclass
class RedisServer:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis() -> RedisServer:
    """A fresh redis-server (no persistence) on a free port; fails or skips when none is installed."""
    exe = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if exe is None:
        if os.environ.get("REQUIRE_SYSTEM_DEPS") == "1":
            pytest.fail(f"{INSTALL_HINT} (REQUIRE_SYSTEM_DEPS=1: the Redis tests must run here)")
        pytest.skip(INSTALL_HINT)
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="redis-test-")
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _ping(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.02)
    return RedisServer(proc, port)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's server, emptied for each test."""
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=1) as conn:
        conn.sendall(b"FLUSHALL\r\n")
        assert conn.recv(16).startswith(b"+OK")
    return redis_server.url


# --- two bot instances on one Redis ---------------------------------------------------------------------
Pair = tuple[Bot, Bot]


async def pair(fake_slack: FakeSlack, slack_url: str, **overrides: Any) -> AsyncIterator[Pair]:
    first = make_bot(fake_slack, slack_url, **overrides)
    second = make_bot(fake_slack, slack_url, **overrides)
    try:
        yield first, second
    finally:
        for b in (first, second):
            await b.http.aclose()
            await b.deps.aclose()


@pytest.fixture
async def bots(
    clean_env: None, redis_url: str, slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack
) -> AsyncIterator[Pair]:
    """Two instances of the bot (the real app each) sharing the session's Redis and the fake Slack."""
    async for p in pair(fake_slack, slack_server[1], redis_url=redis_url):
        yield p
