"""Workspace defaults (settings), one agent's choices over them, and the stored row's format."""

from __future__ import annotations

import pytest

from bot.preferences.model import (
    Choices,
    PreferenceError,
    Preferences,
    from_row,
    parse_fields,
    parse_kinds,
    parse_timezone,
)
from bot.settings import SettingsError, load_settings


# --- workspace defaults --------------------------------------------------------------------------------
def test_the_workspace_defaults_are_todays_behaviour() -> None:
    settings = load_settings()
    assert settings.default_timeline_kinds == {"page", "feature", "track", "guide"}
    assert settings.default_view == "compact"
    workspace = Choices.workspace(settings)
    assert workspace.history_types == {"page", "feature", "trackType", "guide"}
    assert not workspace.full_first and workspace.timezone == "UTC" and workspace.unfurl_my_links


def test_timeline_kinds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMELINE_KINDS", " Page, track ,page")
    monkeypatch.setenv("DEFAULT_VIEW", "full")
    settings = load_settings()
    assert settings.timeline_kinds == ["page", "track"]
    assert Choices.workspace(settings).full_first


def test_show_untagged_pages_still_adds_untagged() -> None:
    assert "untagged" in load_settings(show_untagged_pages=True).default_timeline_kinds


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("page,clicks", "TIMELINE_KINDS: unknown kind 'clicks'; choose from page, feature"),
        (" , ", "name at least one"),
    ],
)
def test_bad_timeline_kinds_name_the_variable_and_the_choices(
    monkeypatch: pytest.MonkeyPatch, value: str, words: str
) -> None:
    monkeypatch.setenv("TIMELINE_KINDS", value)
    with pytest.raises(SettingsError, match=words):
        load_settings()


def test_bad_default_view_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_VIEW", "expanded")
    with pytest.raises(SettingsError, match="DEFAULT_VIEW"):
        load_settings()


# --- an agent's choices ----------------------------------------------------------------------------------
def test_an_agents_choices_win_over_the_workspace_and_the_rest_follow_it() -> None:
    settings = load_settings(timeline_kinds="page,feature", pendo_visitor_fields="agent/role")
    mine = Choices.of(
        Preferences(kinds=("track",), view="full"), Choices.workspace(settings), slack_tz="Europe/Paris"
    )
    assert mine.kinds == {"track"} and mine.full_first
    assert mine.visitor_fields == ("agent/role",)  # not chosen: the workspace's
    assert mine.timezone == "Europe/Paris"  # from Slack, as nothing was chosen
    chosen_zone = Choices.of(
        Preferences(timezone="Asia/Tokyo"), Choices.workspace(settings), slack_tz="Europe/Paris"
    )
    assert chosen_zone.timezone == "Asia/Tokyo"
    assert (
        Choices.of(Preferences(), Choices.workspace(settings)).timezone == "UTC"
    )  # Slack did not say either
    assert (
        Choices.of(Preferences(visitor_fields=()), Choices.workspace(settings)).visitor_fields == ()
    )  # "none" is a choice


def test_kinds_are_checked_and_kept_in_one_order() -> None:
    assert parse_kinds(["guide", "Page", "guide"]) == ("page", "guide")
    with pytest.raises(PreferenceError, match="Pick at least one kind"):
        parse_kinds([])
    with pytest.raises(PreferenceError, match="“clicks” is not a kind"):
        parse_kinds(["page", "clicks"])


def test_fields_and_zones_are_checked() -> None:
    assert parse_fields(["agent/role", "custom/plan"], known=["agent/role", "custom/plan", "x/y"]) == (
        "agent/role",
        "custom/plan",
    )
    with pytest.raises(PreferenceError, match="no longer has the field custom/gone"):
        parse_fields(["custom/gone"], known=["agent/role"])
    with pytest.raises(PreferenceError, match="group/field"):
        parse_fields(["role"])
    with pytest.raises(PreferenceError, match="at most 10"):
        parse_fields([f"custom/f{i}" for i in range(11)])
    assert parse_timezone("America/Chicago") == "America/Chicago"
    with pytest.raises(PreferenceError, match="not a time zone"):
        parse_timezone("Mars/Olympus")


def test_a_row_round_trips_with_only_what_was_chosen() -> None:
    prefs = Preferences(kinds=("page",), unfurl_my_links=False, account_fields=())
    row = prefs.to_row()
    assert row == '{"v":1,"kinds":["page"],"unfurl":false,"account_fields":[]}'
    assert from_row(row).preferences == prefs and from_row(row).problems == []
    assert from_row(Preferences().to_row()).preferences.is_default
