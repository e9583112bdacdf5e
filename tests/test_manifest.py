"""manifest.yml is valid for Slack (checked with Slack's own JSON schema) and asks for what the bot uses."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# Vendored from slackapi/manifest-schema (schemas/manifest.schema.1.0.0.json, tag v0.5.0) so the test needs
# nothing outside the repository; /work/shared/reference/slack-manifest.schema.json is the same file.
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "slack-manifest.schema.json"
SHARED_SCHEMA_PATH = ROOT.parent / "shared" / "reference" / "slack-manifest.schema.json"

EXPECTED_BOT_SCOPES = {
    "commands",
    "chat:write",
    "links:read",
    "links:write",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
    "usergroups:read",
    "app_mentions:read",
    "users:read",
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    return data


def errors(schema: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]


def test_schema_is_a_valid_draft7_schema(schema: dict[str, Any]) -> None:
    jsonschema.Draft7Validator.check_schema(schema)


def test_vendored_schema_matches_shared_reference() -> None:
    if not SHARED_SCHEMA_PATH.exists():
        pytest.skip(
            f"optional cross-check: it compares tests/data/slack-manifest.schema.json (the copy of Slack's "
            f"manifest schema these tests use) with a reference copy expected at {SHARED_SCHEMA_PATH}, which "
            "this machine does not have. Nothing is wrong; the manifest itself is still validated above."
        )
    assert json.loads(SHARED_SCHEMA_PATH.read_text(encoding="utf-8")) == json.loads(
        SCHEMA_PATH.read_text(encoding="utf-8")
    )


def test_manifest_is_valid(schema: dict[str, Any], manifest: dict[str, Any]) -> None:
    assert errors(schema, manifest) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("features", "unfurl_domains"), [f"d{i}.example.com" for i in range(6)]),  # more than 5
        (("features", "unfurl_domains"), ["https://acme.zendesk.com"]),  # scheme
        (("features", "unfurl_domains"), ["*.zendesk.com"]),  # wildcard
        (("features", "unfurl_domains"), ["Acme.Zendesk.com"]),  # uppercase
        (("display_information", "long_description"), "too short"),
        (("display_information", "name"), "x" * 36),
        (("features", "slash_commands", 0, "command"), "pendo"),  # no leading slash
        (("oauth_config", "token_rotation_enabled"), False),  # belongs under settings
        (("settings", "event_subscriptions", "bot_events"), ["link_shared", "link_shared"]),
    ],
)
def test_schema_rejects_broken_manifests(
    schema: dict[str, Any], manifest: dict[str, Any], path: tuple[str | int, ...], value: Any
) -> None:
    broken = copy.deepcopy(manifest)
    target: Any = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert errors(schema, broken), path


def test_display_information(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert info["name"] == "Pendo context"
    assert info["description"]
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])
    assert len(info["long_description"]) >= 175


def test_scopes_are_exactly_what_the_bot_uses(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes["bot"]) == EXPECTED_BOT_SCOPES
    assert len(scopes["bot"]) == len(set(scopes["bot"]))
    assert "user" not in scopes  # no user token


def test_events_and_settings(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "link_shared",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    # Socket Mode: no request URLs (they are shown commented out for HTTP mode)
    assert "request_url" not in settings["event_subscriptions"]
    assert "request_url" not in settings["interactivity"]


def test_http_mode_urls_are_documented_in_comments() -> None:
    text = (ROOT / "manifest.yml").read_text(encoding="utf-8")
    assert "# url: https://YOUR-HOST/slack/events" in text
    assert text.count("# request_url: https://YOUR-HOST/slack/events") == 2


def test_features(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is False
    assert features["bot_user"] == {"display_name": "pendo", "always_online": True}
    (command,) = features["slash_commands"]
    assert command["command"] == "/pendo"
    assert command["description"]
    assert (
        command["usage_hint"]
        == "jane@acme.com | 12345 | <ticket link> | account <name or ID> | settings | help"
    )
    assert command["should_escape"] is False
    assert "url" not in command
    assert features["unfurl_domains"] == ["your-subdomain.zendesk.com"]
    shortcuts = {s["callback_id"]: s["type"] for s in features["shortcuts"]}
    assert shortcuts == {"pendo_message": "message", "pendo_lookup": "global"}


def test_every_shortcut_and_event_in_the_manifest_has_a_listener(manifest: dict[str, Any]) -> None:
    from bot.listeners import all_routes

    keys = {(r.kind, r.key) for r in all_routes() if isinstance(r.key, str)}
    for shortcut in manifest["features"]["shortcuts"]:
        assert ("shortcut", shortcut["callback_id"]) in keys
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert ("event", event) in keys


def procfile() -> dict[str, str]:
    processes: dict[str, str] = {}
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, command = line.partition(":")
        assert sep and re.fullmatch(r"[a-z][a-z0-9_-]*", name), f"bad Procfile line: {line!r}"
        assert name not in processes, f"duplicate process type {name}"
        processes[name] = command.strip()
    return processes


def test_procfile_process_types() -> None:
    processes = procfile()
    assert processes == {
        "web": "pendo-bot serve --http --port $PORT",
        "worker": "pendo-bot serve --socket",
    }


def test_procfile_entry_point_is_the_installed_script() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^pendo-bot = "bot\.__main__:main"$', pyproject, re.MULTILINE)
    assert all(cmd.split()[0] == "pendo-bot" for cmd in procfile().values())
