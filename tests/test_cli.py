"""The CLI on the sample workspace: what a new user sees first."""

from __future__ import annotations

import json
import re

import pytest

from bot.__main__ import main
from bot.sample import JANE, OPS, TICKET_AFTER_MIDNIGHT, TICKET_JANE
from bot.sample.data import RENEWAL_FIELD
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


SUBSCRIPTION = "5629499534213120"
PLAYER = f"https://app.pendo.io/s/{SUBSCRIPTION}/replay/player/"
COUNTS = r"\d+ (?:rage clicks?|error clicks?|dead clicks?|U-turns?)"


def test_ticket_opens_with_what_stands_out_then_friction_and_replays(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PENDO_SUBSCRIPTION_ID", SUBSCRIPTION)
    monkeypatch.setenv("PENDO_RENEWAL_FIELD", RENEWAL_FIELD)
    assert main(["ticket", str(TICKET_JANE)]) == 0
    out = capsys.readouterr().out.splitlines()
    head = out.index("Jane Doe")
    assert out[head + 1] == "========"  # then the stand-out line, before anything else about her
    assert out[head + 2].startswith("🚩 Detractor (NPS 3) · Friction before filing · Acme Corp renews ")
    friction = [line for line in out if line.startswith("😣 ")]
    assert len(friction) == 1
    assert re.fullmatch(rf"😣 {COUNTS}(?:(?:,| and) {COUNTS})* on .+, \d+ min before filing", friction[0])
    assert sum(line.startswith("30 d: ") for line in out) == 1
    replays = [i for i, line in enumerate(out) if line.startswith("▶ Replay starts ")]
    assert 1 <= len(replays) <= 3
    for i in replays:  # start and length, then the player link on its own line
        assert re.match(r"▶ Replay starts (\d+ h )?\d+ min before filing · \d+ min", out[i])
        assert out[i + 1].strip().startswith(PLAYER) and "startTime=" in out[i + 1]
    entries = out[out.index(next(line for line in out if line.startswith("Activity in the "))) :]
    assert any(re.search(rf"📄 .+ · {COUNTS}(?:, {COUNTS})*$", line) for line in entries)  # its own friction
    # without PENDO_SUBSCRIPTION_ID a sample run uses the sample subscription's id (bot.sample.connect);
    # a real one lists no replay (tests/domain/test_friction_figures.py) and `check` says why


def test_lookup_says_the_friction_of_the_latest_session_and_account_the_30_days(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lookup", JANE]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].startswith("🚩 Detractor (NPS 3)")
    # her latest session (today, on the real clock) may or may not hold friction: said both ways or neither
    friction = [line for line in out if line.startswith("😣 ")]
    assert ("Friction in their latest session" in out[2]) == bool(friction)
    assert all(
        re.match(r"😣 .+, in their latest session, \d{4}-\d\d-\d\d \d\d:\d\d", line) for line in friction
    )
    assert main(["account", "acme"]) == 0
    out = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(out) if line.startswith("Friction (30 d): "))
    tops = [line for line in out[at + 1 : at + 4] if line.startswith("  ")]
    assert 1 <= len(tops) <= 3 and all(re.search(r": .+ · \d+ visitors?$", line) for line in tops)


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
