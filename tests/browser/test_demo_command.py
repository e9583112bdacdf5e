"""`pendo-bot demo`: loopback by default, a warning elsewhere, and never with real Slack credentials.

No browser needed: uvicorn.run is replaced by a recorder, so nothing is served.
"""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from bot.__main__ import main
from bot.sample.preview import is_loopback


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run(app: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return calls


def test_demo_serves_on_loopback_by_default(served: list[dict[str, Any]], capsys: Any) -> None:
    assert main(["demo"]) == 0
    assert served == [
        {"host": "127.0.0.1", "port": 3000, "log_level": "warning", "timeout_graceful_shutdown": 2}
    ]
    err = capsys.readouterr().err
    assert "http://127.0.0.1:3000/" in err and "WARNING" not in err


def test_demo_elsewhere_warns(served: list[dict[str, Any]], capsys: Any) -> None:
    assert main(["demo", "--host", "0.0.0.0", "--port", "8080"]) == 0
    assert served[0]["host"] == "0.0.0.0" and served[0]["port"] == 8080
    assert "WARNING: serving the demo on 0.0.0.0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLACK_BOT_TOKEN", "xoxb-real-0123456789"),
        ("SLACK_APP_TOKEN", "xapp-real-0123456789"),
        ("SLACK_SIGNING_SECRET", "real-signing-secret-0123"),
    ],
)
def test_demo_refuses_real_slack_credentials(
    served: list[dict[str, Any]], capsys: Any, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert main(["demo"]) == 2
    assert served == []
    err = capsys.readouterr().err
    assert name in err and value not in err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.1.2.3", True),
        ("0.0.0.0", False),
        ("192.168.1.10", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
