"""What `pendo-bot serve --http` hands uvicorn: whom it trusts to name the client (FORWARDED_ALLOW_IPS,
loopback unless set) and how many connections it holds at once (MAX_CONNECTIONS)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn

from bot.deps import Deps, build_deps
from bot.sample import sample_settings
from bot.settings import SettingsError, load_settings
from bot.slack import server

SECRET = "serve-options-signing-secret"


def served_with(monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def record(*_args: Any, **kwargs: Any) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(uvicorn, "run", record)
    monkeypatch.setattr(server, "settle_gc", lambda: None)
    settings = sample_settings(
        load_settings(slack_bot_token="xoxb-o", slack_signing_secret=SECRET, **overrides)
    )
    opened: list[Deps] = []

    def open_deps() -> Deps:
        opened.append(build_deps(settings))
        return opened[-1]

    try:
        assert server.serve(settings, open_deps, http=True) == 0
    finally:
        for deps in opened:
            asyncio.run(deps.aclose())
    return seen


def test_by_default_only_loopback_may_set_the_client_address(monkeypatch: pytest.MonkeyPatch) -> None:
    options = served_with(monkeypatch)
    assert options["forwarded_allow_ips"] == "127.0.0.1"
    assert options["limit_concurrency"] == 200


def test_forwarded_allow_ips_and_max_connections_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", " 10.0.0.5, 10.0.1.0/24 ")
    monkeypatch.setenv("MAX_CONNECTIONS", "50")
    options = served_with(monkeypatch)
    assert options["forwarded_allow_ips"] == "10.0.0.5,10.0.1.0/24"
    assert options["limit_concurrency"] == 50


@pytest.mark.parametrize(
    ("name", "value"),
    [("FORWARDED_ALLOW_IPS", " , "), ("MAX_CONNECTIONS", "0"), ("BODY_READ_TIMEOUT_SECONDS", "0")],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()
