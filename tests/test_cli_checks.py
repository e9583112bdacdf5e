"""Issue 27: `lookup --all`, `check` checking everything `serve` needs (Slack too), and the CLI's edges."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
import yaml

from bot.__main__ import main, pendo_failure_kind
from bot.http.errors import AuthError, RateLimited, Unavailable
from bot.render import words
from bot.sample import POWER_USER, SAMPLE_PENDO_KEY, LoopbackServer, build_workspace, create_pendo_app
from bot.sample.data import SLASH_EMAIL, TICKET_JANE
from bot.sample.preview import run_demo
from bot.sample.slack_api import FakeSlack
from bot.settings import load_settings
from bot.slack.check import BOT_SCOPES

ROOT = Path(__file__).resolve().parents[1]


# --- item 3: every event of the window ----------------------------------------------------------------------
def test_lookup_all_prints_every_event_of_the_window(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lookup", POWER_USER]) == 0
    capped = capsys.readouterr().out
    assert re.search(r"… and \d+ more \(--all shows every one\)", capped)
    assert main(["lookup", POWER_USER, "--all"]) == 0
    every = capsys.readouterr().out
    assert "… and" not in every

    def events(out: str) -> int:
        lines = out.split("Activity in the", 1)[1].splitlines()
        return sum(
            int(m.group(1) or 1)
            for m in (re.search(r"^  \d\d-\d\d \d\d:\d\d  .*?(?:×(\d+))?$", ln) for ln in lines)
            if m
        )

    shown = events(capped)
    more = int(re.search(r"… and (\d+) more", capped).group(1))  # type: ignore[union-attr]
    assert events(every) > shown and len(every.split("Activity in the", 1)[1].splitlines()) > 15 + more // 2


# --- item 6: check checks what serve needs --------------------------------------------------------------------
def test_manifest_scopes_are_the_ones_check_asks_slack_for() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES


def test_check_without_a_slack_token_fails_and_no_slack_skips_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL Slack: SLACK_BOT_TOKEN is not set" in out and "--no-slack" in out
    assert "OK   Pendo answered" in out  # the rest is still checked
    assert main(["check", "--no-slack"]) == 0
    assert "Slack" not in capsys.readouterr().out


def test_check_asks_slack_and_names_a_missing_scope(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-check-0123456789")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "check-signing-secret")
    monkeypatch.setenv("SLACK_API_URL", f"{slack_server[1]}/api/")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "OK   Slack accepted SLACK_BOT_TOKEN" in out and f"the {len(BOT_SCOPES)} scopes" in out
    assert fake_slack.by_method("auth.test")
    fake_slack.granted_scopes = [s for s in BOT_SCOPES if s != "users:read"]
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL The bot token lacks users:read" in out
    fake_slack.method_errors["auth.test"] = "invalid_auth"
    assert main(["check"]) == 1
    assert "FAIL Slack refused SLACK_BOT_TOKEN (invalid_auth)" in capsys.readouterr().out


def test_check_tells_cannot_reach_slack(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-check-0123456789")
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{_closed_port()}/api/")
    assert main(["check"]) == 1
    assert "FAIL The bot cannot reach Slack" in capsys.readouterr().out


def test_check_tells_cannot_reach_pendo_from_a_refused_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PENDO_INTEGRATION_KEY", SAMPLE_PENDO_KEY)
    monkeypatch.setenv("PENDO_BASE_URL", f"http://127.0.0.1:{_closed_port()}")
    assert main(["check", "--no-slack"]) == 1
    out = capsys.readouterr().out
    assert "FAIL cannot reach Pendo: The bot cannot reach Pendo" in out and "proxy" in out
    with LoopbackServer(create_pendo_app(build_workspace(1_795_000_000_000), key="another-key")) as pendo:
        monkeypatch.setenv("PENDO_BASE_URL", pendo.base_url)
        assert main(["check", "--no-slack"]) == 1
    out = capsys.readouterr().out
    assert "FAIL Pendo refused the key" in out and "cannot reach" not in out


def test_pendo_failures_are_told_apart() -> None:
    unreachable = Unavailable("Pendo", "connection error (ConnectError)", unreachable=True)
    assert pendo_failure_kind(unreachable) == "cannot reach Pendo"
    assert "cannot reach Pendo" in words.admin_sentence(unreachable)
    assert pendo_failure_kind(AuthError("Pendo", "HTTP 401", status=401)) == "Pendo refused the key"
    assert pendo_failure_kind(RateLimited("Pendo", "HTTP 429")) == "Pendo is busy"
    assert pendo_failure_kind(Unavailable("Pendo", "HTTP 503", status=503)) == "Pendo is busy"
    assert "busy" in words.admin_sentence(RateLimited("Pendo", "HTTP 429"))


# --- item 8: demo and CLI edges ------------------------------------------------------------------------------
def test_demo_on_a_busy_port_says_so_in_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run_demo(load_settings(), host="127.0.0.1", port=port) == 2
    err = capsys.readouterr().err
    assert f"Port {port} is already in use" in err and "--port" in err
    assert "Errno" not in err and len(err.strip().splitlines()) == 1


def test_the_cli_finds_emails_as_the_demo_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lookup", SLASH_EMAIL]) == 0  # its visitor ID is okta/kim.park: found by agent/email
    assert capsys.readouterr().out.startswith("Kim Park\n")


def test_a_subcommands_bad_flag_prints_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["lookup", "--bogus"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "usage: pendo-bot lookup" in err and "unrecognized arguments: --bogus" in err


def test_ticket_says_sample_workspace_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ticket", str(TICKET_JANE)]) == 0
    out, err = capsys.readouterr()
    assert (out + err).lower().count("sample workspace") == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
