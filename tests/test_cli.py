"""The CLI on the sample workspace: what a new user sees first."""

from __future__ import annotations

import json

import pytest

from bot.__main__ import main
from bot.sample import JANE, OPS, TICKET_AFTER_MIDNIGHT
from tests.support.blockkit import validate_message


def test_lookup_prints_a_summary_and_says_it_uses_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lookup", JANE]) == 0
    out, err = capsys.readouterr()
    assert "sample workspace" in err
    assert out.startswith("Jane Doe\n") and "Last 30 days" in out and "Account: Acme Corp (acme)" in out
    assert "Open in Pendo: https://app.pendo.io/visitor/jane.doe%40acme.example" in out


def test_lookup_json_is_a_valid_slack_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lookup", JANE, "--json"]) == 0
    message = json.loads(capsys.readouterr().out)
    validate_message(message["blocks"], message["text"])


def test_ambiguous_and_invalid(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PENDO_EMAIL_FIELD", "agent/email")
    assert main(["lookup", OPS]) == 0
    assert "2 Pendo visitors have ops@initech.example" in capsys.readouterr().out
    assert main(["lookup", "not-an-email"]) == 2
    assert "has no @" in capsys.readouterr().err


def test_ticket_shows_the_header_and_the_activity_before_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ticket", f"#{TICKET_AFTER_MIDNIGHT}"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Zendesk ticket #{TICKET_AFTER_MIDNIGHT}:") and "Ticket submitted" in out
    assert main(["ticket", "https://elsewhere.zendesk.com/agent/tickets/1"]) == 2


def test_check_and_a_wrong_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--no-slack"]) == 0  # without a Slack token: the CLI's own needs
    assert "OK   Pendo answered" in capsys.readouterr().out
    monkeypatch.setenv("PENDO_REGION", "mars")
    monkeypatch.setenv("PENDO_INTEGRATION_KEY", "secret-key-value-123")
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "PENDO_REGION" in err and "secret-key-value-123" not in err


def test_a_bad_at_is_a_sentence_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lookup", JANE, "--at", "yesterday-ish"]) == 2
    err = capsys.readouterr().err
    assert "--at 'yesterday-ish' is not a date and time" in err and "Traceback" not in err
    assert main(["lookup", JANE, "--at", "2026-11-18T09:30+00:00"]) == 0


def test_lookup_and_ticket_share_the_not_found_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lookup", "nobody-here@example.com"]) == 3
    assert main(["ticket", "999999"]) == 3
    assert "was not found in Zendesk" in capsys.readouterr().err


def test_account_by_id_by_name_and_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["account", "acme"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Acme Corp (acme)") and "Active visitors (30 d): " in out
    assert main(["account", "ACME", "corp"]) == 0
    assert "2 Pendo accounts are named ACME corp" in capsys.readouterr().out
    assert main(["account", "no", "such", "account"]) == 3
    assert "No Pendo account has the ID or the name no such account" in capsys.readouterr().out
    assert main(["account", "globex", "--json", "--full"]) == 0
    message = json.loads(capsys.readouterr().out)
    validate_message(message["blocks"], message["text"])
    assert "Events per day, last 30 days" in json.dumps(message)
