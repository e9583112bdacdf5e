"""Logs: secrets redacted everywhere, JSON lines by setting, one audit line per lookup without the email."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.audit import Auditor
from bot.logs import SLACK_CLIENT_LOGGERS, JsonFormatter, RedactingFilter, TextFormatter, setup_logging


def capture(formatter: logging.Formatter, secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter(secrets))
    logger = logging.getLogger(f"test.{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_secrets_are_redacted_in_messages_args_and_extras() -> None:
    logger, stream = capture(TextFormatter("%(message)s"), ["pendo-key-123456", "xoxb-abcdef"])
    logger.info("calling with %s", "pendo-key-123456", extra={"header": "Bearer xoxb-abcdef"})
    line = stream.getvalue()
    assert "pendo-key-123456" not in line and "xoxb-abcdef" not in line
    assert line.count("[redacted]") == 2


def test_json_lines_carry_the_extra_fields() -> None:
    logger, stream = capture(JsonFormatter(), ["s3cr3t-value"])
    logger.info("audit", extra={"outcome": "found", "token": "s3cr3t-value"})
    record = json.loads(stream.getvalue())
    assert record["msg"] == "audit" and record["outcome"] == "found" and record["token"] == "[redacted]"


def test_audit_line_hashes_the_target_with_a_key(caplog: pytest.LogCaptureFixture) -> None:
    auditor = Auditor("audit-key-1")
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        auditor.record(
            "lookup", user="U1", channel="C1", target="Jane@Acme.com", outcome="found", started=0.0
        )
    (record,) = caplog.records
    assert record.target == auditor.target_hash("jane@acme.com")  # type: ignore[attr-defined]
    # keyed: not the plain hash anyone could compute from a list of emails, and another key differs
    assert record.target != hashlib.sha256(b"jane@acme.com").hexdigest()[:16]  # type: ignore[attr-defined]
    assert record.target != Auditor("audit-key-2").target_hash("jane@acme.com")  # type: ignore[attr-defined]
    assert (record.user, record.channel, record.outcome) == ("U1", "C1", "found")  # type: ignore[attr-defined]
    assert isinstance(record.latency_ms, int)  # type: ignore[attr-defined]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    names = ("slack_sdk", "slack_bolt", "uvicorn", "uvicorn.error", "httpx", "httpcore", "uvicorn.access")
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in names})
    for name in names:  # start from the defaults: a server started by an earlier test (the demo's
        logging.getLogger(name).setLevel(logging.NOTSET)  # uvicorn at "warning") may have set them
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_slack_libraries_never_log_request_bodies_even_at_debug(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12 items 2 and 10: Bolt logs a refused request's body at INFO, slack_sdk every body at DEBUG."""
    setup_logging("DEBUG", "json", [])
    body = "command=%2Fpendo&text=jane%40acme.example&response_url=https%3A%2F%2Fhooks.slack.com%2Fx"
    logging.getLogger("pendo-context:AsyncRequestVerification").info(
        f"Invalid request signature detected (signature: v0=abc, timestamp: 1, body: {body})"
    )
    logging.getLogger("slack_sdk.web.async_base_client").debug(
        "Sending a request - url: https://slack.com/api/chat.postMessage, body: {'text': 'jane@acme.example'}"
    )
    logging.getLogger("slack_bolt.AsyncApp").warning(f"Unhandled request ({{'body': '{body}'}})")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["logger"] for line in lines] == [
        "pendo-context:AsyncRequestVerification",
        "slack_bolt.AsyncApp",
    ]
    assert all("acme" not in line["msg"] and "hooks.slack.com" not in line["msg"] for line in lines)
    assert lines[0]["msg"].startswith("Invalid request signature detected")


def test_slack_clients_skip_formatting_bodies_for_debug_lines_that_are_never_written(
    restore_logging: None,
) -> None:
    """slack_sdk formats each request's body into a debug line whenever its logger's own level is
    DEBUG or unset (`logger.level <= DEBUG`), whatever the effective level: the clients' loggers get a
    level of their own."""
    setup_logging("DEBUG", "json", [])
    for name in SLACK_CLIENT_LOGGERS:
        assert logging.getLogger(name).level > logging.DEBUG
    assert logging.getLogger(SLACK_CLIENT_LOGGERS[0]) is logging.getLogger(
        AsyncWebClient(token="xoxb-1")._logger.name
    )
    assert AsyncWebhookClient(url="https://hooks.slack.com/x").logger.name in SLACK_CLIENT_LOGGERS


def test_uvicorn_lines_go_through_the_json_handler(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("uvicorn.error").addHandler(logging.StreamHandler())  # as uvicorn's own config does
    setup_logging("INFO", "json", ["xoxb-secret-value"])
    logging.getLogger("uvicorn.error").info("Started server process [%d] xoxb-secret-value", 42)
    (line,) = capsys.readouterr().err.splitlines()
    assert json.loads(line)["msg"] == "Started server process [42] [redacted]"
