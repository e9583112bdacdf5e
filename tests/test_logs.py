"""Logs: secrets redacted everywhere, JSON lines by setting, one audit line per lookup without the email."""

from __future__ import annotations

import hashlib
import io
import json
import logging

import pytest

from bot.audit import Auditor
from bot.logs import JsonFormatter, RedactingFilter, TextFormatter


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
