"""The preferences form (pure): within Slack's limits whatever the schema, every value shown, and the
changes it sends read back into preferences."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.listeners.preferences import changed
from bot.pendo.models import FieldSchema
from bot.preferences.model import Choices, PreferenceError, Preferences
from bot.render import preferences as form_blocks
from bot.render.notices import saved_words
from bot.render.times import day_label, local_day
from bot.settings import load_settings
from tests.support.blockkit import validate_message

WORKSPACE = Choices.workspace(load_settings())
SCHEMA = {
    "agent": {"role": FieldSchema.model_validate({"Type": "string", "DisplayName": "Role"})},
    "custom": {f"f{i:03d}": FieldSchema.model_validate({"Type": "string"}) for i in range(130)},
}


def form(**kw: Any) -> form_blocks.PreferencesForm:
    args: dict[str, Any] = dict(
        prefs=Preferences(),
        workspace=WORKSPACE,
        slack_tz="Europe/Paris",
        visitor_schema=SCHEMA,
        account_schema={},
    )
    args.update(kw)
    return form_blocks.PreferencesForm(**args)


def element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    return next(
        e
        for b in blocks
        for e in b.get("elements", [])
        if isinstance(e, dict) and e.get("action_id") == action_id
    )


@pytest.mark.parametrize(
    "prefs",
    [
        Preferences(),
        Preferences(kinds=("untagged",), view="full", unfurl_my_links=False, timezone="Etc/GMT+5"),
        Preferences(visitor_fields=("agent/role", "custom/gone"), account_fields=()),
    ],
)
def test_the_form_fits_a_home_tab_and_a_modal(prefs: Preferences) -> None:
    for notice in (None, "Pick at least one kind of event" * 20):
        blocks = form_blocks.preferences_blocks(form(prefs=prefs, notice=notice, error=True))
        validate_message(blocks, surface="home")
        modal = form_blocks.preferences_modal(form(prefs=prefs))
        validate_message(modal["blocks"], surface="home")
        assert len(json.dumps(modal)) < 250_000


def test_every_zone_is_offered_within_slacks_group_limits() -> None:
    groups = form_blocks.zone_groups()
    assert all(len(zones) <= 100 for _, zones in groups)
    offered = [z for _, zones in groups for z in zones]
    assert "America/Argentina/Buenos_Aires" in offered and "Asia/Kolkata" in offered and "UTC" in offered
    assert len(offered) == len(set(offered))


def test_each_choice_shows_its_value_and_whose_it_is() -> None:
    mine = form(prefs=Preferences(kinds=("page", "guide"), timezone="Asia/Tokyo"))
    text = json.dumps(form_blocks.preferences_blocks(mine), ensure_ascii=False)
    assert "Pages, Guides · _yours_" in text
    assert "Compact first (Show more for everything) · _workspace default_" in text
    assert "Asia/Tokyo · _yours_" in text
    assert "*Zendesk ticket links you post*\\n_default: on (channel rules still apply)_" in text
    off = json.dumps(form_blocks.preferences_blocks(form(prefs=Preferences(unfurl_my_links=False))))
    assert "Don't unfurl links I post \\u00b7 _yours_" in off
    zone = element(form_blocks.preferences_blocks(mine), "prefs:tz")
    assert zone["initial_option"]["value"] == "Asia/Tokyo"
    slack = element(form_blocks.preferences_blocks(form()), "prefs:tz")
    assert slack["initial_option"]["text"]["text"] == "My Slack profile's zone (Europe/Paris)"


def test_a_large_schema_is_cut_to_slacks_limit_and_the_gone_field_is_named() -> None:
    blocks = form_blocks.preferences_blocks(
        form(prefs=Preferences(visitor_fields=("agent/role", "custom/gone")))
    )
    fields = element(blocks, "prefs:visitor_fields")
    assert [len(g["options"]) for g in fields["option_groups"]] == [1, 100]
    assert [o["text"]["text"] for o in fields["initial_options"]] == ["Role"]
    assert "No longer in Pendo, so not shown: `custom/gone`" in json.dumps(blocks)


def test_without_the_schema_the_fields_say_why_and_cannot_be_changed() -> None:
    f = form(visitor_schema=None, account_schema=None, schema_problem="Pendo timed out.")
    text = json.dumps(form_blocks.preferences_blocks(f))
    assert "can't be read right now: Pendo timed out." in text
    with pytest.raises(PreferenceError, match="can't be read right now"):
        changed(Preferences(), "visitor_fields", {"selected_options": [{"value": "agent/role"}]}, f)


def test_changes_read_back_into_preferences() -> None:
    f = form(account_schema={"custom": {"plan": FieldSchema.model_validate({"DisplayName": "Plan"})}})
    assert changed(Preferences(), "tz", {"selected_option": {"value": "slack"}}, f) == Preferences()
    assert (
        changed(Preferences(), "tz", {"selected_option": {"value": "Asia/Tokyo"}}, f).timezone == "Asia/Tokyo"
    )
    assert changed(Preferences(), "unfurl", {"selected_option": {"value": "off"}}, f).unfurl_my_links is False
    picked = changed(Preferences(), "account_fields", {"selected_options": [{"value": "custom/plan"}]}, f)
    assert picked.account_fields == ("custom/plan",)
    assert changed(Preferences(), "account_fields", {"selected_options": []}, f).account_fields == ()
    bad: list[tuple[str, dict[str, Any], str]] = [
        ("tz", {"selected_option": {"value": "Mars/Base"}}, "not a time zone"),
        ("unfurl", {"selected_option": {"value": "maybe"}}, "Choose whether"),
        ("account_fields", {"selected_options": [{"value": "custom/gone"}]}, "no longer has the field"),
        ("kinds", {"selected_options": []}, "at least one kind"),
        ("colour", {}, "older version of this form"),
    ]
    for name, action, words in bad:
        with pytest.raises(PreferenceError, match=words):
            changed(Preferences(), name, action, f)
    assert saved_words(Preferences(view="full"), Preferences()) == "Back to the workspace defaults."


def test_day_lines_are_cut_at_the_zones_midnight_across_a_clock_change() -> None:
    # 2026-03-29: Europe/Paris moves from +01:00 to +02:00 at 01:00 UTC
    before = 1_774_738_800_000  # 2026-03-28 23:00 UTC = 00:00 in Paris on the 29th
    assert local_day(before + 60_000, "Europe/Paris") == before
    after = before + 24 * 3_600_000 - 3_600_000  # the 29th had 23 hours in Paris
    assert local_day(after + 60_000, "Europe/Paris") == after
    assert local_day(before + 60_000, "UTC") == before - 23 * 3_600_000
    label = day_label(before + 60_000, "Europe/Paris")
    assert label == f"<!date^{(before + 11 * 3_600_000) // 1000}^{{date_long_pretty}}|Sun 29 Mar>"
