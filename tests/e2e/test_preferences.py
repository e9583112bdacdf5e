"""Agent preferences through the real app: the form in App Home and `/pendo settings`, each change kept
at once, and where it applies (the agent's private answers; not what the channel sees)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import TypeAdapter

from bot.pendo.models import MetadataSchema
from bot.preferences.model import Preferences
from bot.render.preferences import offered_paths
from bot.sample import JANE, TICKET_JANE
from bot.sample.slack_api import FakeSlack, SlackCall
from tests.e2e.conftest import NOW, Bot, NewBot, workspace
from tests.e2e.test_unfurls import posted, url
from tests.support.blockkit import validate_message

USER = "U0AGENT"
DAY_HOURS = 24


# --- driving the form as Slack does ------------------------------------------------------------------------
def last_view(slack: FakeSlack, method: str) -> dict[str, Any]:
    """The view as Slack keeps it after the bot's last `method` call (with its id and hash)."""
    calls = [c for c in slack.calls if c.method == method and c.result and c.result.get("ok")]
    assert calls, f"the bot made no successful {method} call"
    view: dict[str, Any] = calls[-1].result["view"]  # type: ignore[index]
    return view


def answered(slack: FakeSlack, method: str) -> int:
    """How many `method` calls the fake Slack has answered (a call is recorded before it is answered)."""
    return sum(1 for c in slack.calls if c.method == method and c.result is not None)


async def open_home(bot: Bot, user: str = USER) -> dict[str, Any]:
    before = answered(bot.slack, "views.publish")
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1.0"}
    assert (await bot.event(event)).status_code == 200
    await bot.slack.wait_for(lambda: answered(bot.slack, "views.publish") > before)
    return last_view(bot.slack, "views.publish")


def element(view: dict[str, Any], action_id: str) -> tuple[str, dict[str, Any]]:
    for block in view["blocks"]:
        for el in block.get("elements", []):
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return str(block["block_id"]), el
    raise AssertionError(f"no {action_id} in the view")


def options(el: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = list(el.get("options") or [])
    for group in el.get("option_groups") or []:
        found += group["options"]
    return found


async def change(
    bot: Bot, view: dict[str, Any], action_id: str, values: list[str] | str | None, user: str = USER
) -> dict[str, Any]:
    """Pick `values` in the element as an agent would; the view the bot drew next."""
    method = "views.update" if view["type"] == "modal" else "views.publish"
    before = answered(bot.slack, method)
    await click(bot, view, action_id, values, user)
    await bot.slack.wait_for(lambda: answered(bot.slack, method) > before)
    return last_view(bot.slack, method)


async def click(
    bot: Bot, view: dict[str, Any], action_id: str, values: list[str] | str | None, user: str = USER
) -> None:
    """Send Slack's `block_actions` for picking `values` in the element of `view` (as the agent saw it)."""
    block_id, el = element(view, action_id)
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": el["type"],
        "action_ts": "1",
    }
    if el["type"] == "button":
        action["value"] = el.get("value")
    elif isinstance(values, list):
        action["selected_options"] = [o for o in options(el) if o["value"] in values]
    else:
        action["selected_option"] = next(o for o in options(el) if o["value"] == values)
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001", "domain": "sample"},
        "user": {"id": user, "team_id": "T0001"},
        "api_app_id": "A0001",
        "trigger_id": "1.2.3",
        "container": {"type": "view", "view_id": view["id"]},
        "view": view,
        "actions": [action],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"content-type": "application/x-www-form-urlencoded", **bot.sign(body)}
    response = await bot.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200


def text_of(view_or_message: dict[str, Any]) -> str:
    return json.dumps(view_or_message["blocks"], ensure_ascii=False)


def button_ids(message: dict[str, Any]) -> list[str]:
    return [
        e.get("action_id", "") for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


def events_of(visitor: str, kind: str, hours: int = DAY_HOURS) -> int:
    """From the sample's raw events, not from the bot: how many `kind` events in the last `hours`."""
    return sum(
        1
        for e in workspace().events
        if e.visitor_id == visitor and e.kind == kind and NOW - hours * 3_600_000 <= e.ts <= NOW
    )


async def lookup(bot: Bot, text: str, user: str = USER) -> dict[str, Any]:
    _, rid = await bot.command(text, user=user)
    return await bot.final_response(rid)


# --- the form ------------------------------------------------------------------------------------------------
async def test_app_home_shows_the_form_with_every_current_value(bot: Bot) -> None:
    view = await open_home(bot)
    validate_message(view["blocks"], surface="home")
    text = text_of(view)
    assert "Your preferences" in text and "Reset to the workspace defaults" in text
    _, kinds = element(view, "prefs:kinds")
    assert {o["value"] for o in kinds["initial_options"]} == {"page", "feature", "track", "guide"}
    _, first = element(view, "prefs:view")
    assert first["initial_option"]["value"] == "compact"
    _, zone = element(view, "prefs:tz")
    assert zone["initial_option"]["value"] == "slack"
    assert "America/Los_Angeles" in zone["initial_option"]["text"]["text"]  # users.info said so
    _, fields = element(view, "prefs:visitor_fields")
    labels = {o["value"]: o["text"]["text"] for o in options(fields)}
    schema = workspace().visitor_schema  # the sample's raw schema: the display names offered
    parsed = TypeAdapter(MetadataSchema).validate_python(schema)
    offered = set(offered_paths(parsed))  # Pendo's internal fields and those every answer shows: hidden
    assert set(labels) == offered
    for group, names in schema.items():
        for name, descriptor in names.items():
            if f"{group}/{name}" in offered:
                assert labels[f"{group}/{name}"] == descriptor.get("DisplayName", f"{group}/{name}")
    assert "workspace default" in text
    assert [c["user"] for c in bot.slack.by_method("users.info")] == [USER]


async def test_pendo_settings_opens_the_same_form_in_a_modal_and_changes_update_it(bot: Bot) -> None:
    response, rid = await bot.command("settings")
    assert response.status_code == 200 and response.text == ""  # nothing posted in the channel
    await bot.slack.wait_for(lambda: answered(bot.slack, "views.update") > 0)
    modal = last_view(bot.slack, "views.update")  # drawn over the "Loading…" modal views.open showed
    assert modal["id"] == last_view(bot.slack, "views.open")["id"]
    assert modal["type"] == "modal" and modal["callback_id"] == "prefs_modal"
    validate_message(modal["blocks"], surface="home")
    updated = await change(bot, modal, "prefs:view", "full")
    assert updated["id"] == modal["id"]
    assert "✅ Saved" in text_of(updated)
    assert "Everything first · _yours_" in text_of(updated)
    assert await bot.deps.preferences.load("T0001", USER) == Preferences(view="full")
    assert bot.responses(rid) == []


async def test_settings_opens_a_loading_modal_at_once_when_the_form_is_slower_than_the_trigger(
    bot: Bot,
) -> None:
    """Slack's trigger_id lasts 3 s; the form waits for users.info (slow here), the store and the schemas."""
    bot.slack.trigger_ttl = 0.8
    bot.slack.method_delays["users.info"] = 1.2
    await bot.command("settings")
    await bot.slack.wait_for(lambda: answered(bot.slack, "views.update") > 0)
    opened = last_view(bot.slack, "views.open")
    assert "Loading your preferences" in text_of(opened)
    form = last_view(bot.slack, "views.update")
    assert form["id"] == opened["id"] and "Your preferences" in text_of(form)
    validate_message(form["blocks"], surface="home")
    update = bot.slack.by_method("views.update")[-1]
    assert update["hash"] == opened["hash"]  # drawn over the loading modal, not over a newer view


async def test_two_quick_clicks_on_different_controls_both_stay_and_the_form_shows_both(bot: Bot) -> None:
    view = await open_home(bot)
    bot.slack.method_delays["views.publish"] = 0.2  # the first redraw is still on its way
    await asyncio.gather(
        click(bot, view, "prefs:view", "full"),
        click(bot, view, "prefs:unfurl", "off"),  # clicked on the same drawing, before any redraw
    )
    both = Preferences(view="full", unfurl_my_links=False)

    def publishes() -> list[SlackCall]:  # answered ones: opening the Home tab, two redraws, one retry
        return [c for c in bot.slack.calls if c.method == "views.publish" and c.result is not None]

    await bot.slack.wait_for(lambda: len(publishes()) >= 4)
    assert await bot.deps.preferences.load("T0001", USER) == both
    redraws = publishes()[1:]
    assert [c.body.get("hash") for c in redraws] == [view["hash"], view["hash"], None]
    assert [(c.result or {}).get("error") for c in redraws] == [None, "hash_conflict", None]
    final = text_of(last_view(bot.slack, "views.publish"))  # drawn again from the store: both choices
    assert "Everything first · _yours_" in final and "Don't unfurl links I post · _yours_" in final


async def test_no_track_events_and_full_first_show_in_the_next_lookup_and_reset_undoes_it(bot: Bot) -> None:
    view = await open_home(bot)
    view = await change(bot, view, "prefs:kinds", ["page", "feature", "guide"])
    view = await change(bot, view, "prefs:view", "full")
    assert "Pages, Features, Guides · _yours_" in text_of(view)

    answer = await lookup(bot, JANE)
    validate_message(answer["blocks"], answer["text"])
    assert "message_view:less" in button_ids(answer)  # everything first
    hidden = events_of(JANE, "trackType")
    assert hidden >= 1
    assert f"{hidden} track event{'s' if hidden != 1 else ''} hidden" in text_of(answer)
    assert "📍" not in text_of(answer)

    await change(bot, view, "prefs:reset", None)
    assert await bot.deps.preferences.load("T0001", USER) == Preferences()
    answer = await lookup(bot, JANE)
    assert "message_view:more" in button_ids(answer)  # compact again
    assert "track event" not in text_of(answer)


async def test_a_choice_is_seen_by_another_instance_and_after_a_restart(new_bot: NewBot) -> None:
    first = await new_bot()  # both use PREFERENCES_DB's default file in the working directory
    second = await new_bot()
    await change(first, await open_home(first), "prefs:view", "full")
    assert "message_view:less" in button_ids(await lookup(second, JANE))
    await second.deps.aclose()
    restarted = await new_bot()
    assert "message_view:less" in button_ids(await lookup(restarted, JANE))
    assert "message_view:more" in button_ids(await lookup(restarted, JANE, user="U0OTHER"))


async def test_an_empty_selection_is_refused_in_words_and_changes_nothing(bot: Bot) -> None:
    view = await open_home(bot)
    after = await change(bot, view, "prefs:kinds", [])
    assert "⚠️ Pick at least one kind of event" in text_of(after)
    assert await bot.deps.preferences.load("T0001", USER) == Preferences()
    _, kinds = element(after, "prefs:kinds")
    assert len(kinds["initial_options"]) == 4  # the kept kinds are drawn again
    assert (
        element(after, "prefs:kinds")[0] != element(view, "prefs:kinds")[0]
    )  # a new block id: Slack redraws


async def test_a_field_pendo_no_longer_has_is_named_in_the_form_and_shows_nothing(bot: Bot) -> None:
    await bot.deps.preferences.save(
        "T0001", USER, Preferences(visitor_fields=("agent/role", "custom/retiredfield"))
    )
    view = await open_home(bot)
    assert "No longer in Pendo, so not shown: `custom/retiredfield`" in text_of(view)
    _, fields = element(view, "prefs:visitor_fields")
    assert [o["value"] for o in fields["initial_options"]] == ["agent/role"]
    answer = await lookup(bot, JANE)
    assert "retiredfield" not in text_of(answer)


async def test_a_garbled_row_gives_the_defaults_and_the_answer_still_comes(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.deps.preferences.save("T0001", USER, Preferences(view="full"))
    with sqlite3.connect(bot.deps.settings.preferences_db) as conn:
        conn.execute("UPDATE preferences SET row = ?", ('{"v": 1, "view": 7, "kinds": "all"',))
    with caplog.at_level(logging.WARNING, logger="bot.preferences"):
        answer = await lookup(bot, JANE)
    assert "message_view:more" in button_ids(answer)
    assert len([r for r in caplog.records if r.name.startswith("bot.preferences")]) == 1


async def test_when_slack_does_not_say_the_zone_day_lines_stay_at_utc_and_answers_come(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.slack.method_errors["users.info"] = "missing_scope"
    with caplog.at_level(logging.WARNING):
        answer = await lookup(bot, JANE)
        await lookup(bot, JANE)
    validate_message(answer["blocks"], answer["text"])
    assert len(bot.slack.by_method("users.info")) == 1  # not asked again for a while
    assert [r.getMessage() for r in caplog.records if "users.info" in r.getMessage()] == [
        "users.info failed: day lines at UTC midnight for now"
    ]


# --- where preferences do not apply ---------------------------------------------------------------------------
async def test_a_poster_who_turned_unfurls_off_gets_none_and_a_colleague_still_does(bot: Bot) -> None:
    await bot.deps.preferences.save("T0001", USER, Preferences(unfurl_my_links=False))
    mine = posted([url(TICKET_JANE)]) | {"user": USER}
    await bot.event(mine)
    theirs = posted([url(TICKET_JANE)]) | {"user": "U0COLLEAGUE"}
    await bot.event(theirs)
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.unfurl")) >= 2)
    targets = {c.get("unfurl_id") for c in bot.slack.by_method("chat.unfurl")}
    assert targets == {theirs["unfurl_id"]}  # the same ticket, a minute later, by someone else


@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_when_the_store_is_down_a_posters_link_unfurls_the_header_only(
    new_bot: NewBot, tmp_path: Path, store: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The poster may have turned unfurls of their links off; nobody can tell while the store is down, so
    the channel gets the ticket header and no Pendo data (the defaults would have shown everything)."""
    if store == "sqlite":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        bot = await new_bot(preferences_db=str(blocker / "prefs.sqlite3"))
    else:
        bot = await new_bot(redis_url="redis://127.0.0.1:1/0")
    link = url(TICKET_JANE)
    with caplog.at_level(logging.INFO):
        await bot.event(posted([link]) | {"user": USER})
        await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.unfurl")) >= 1)
        await bot.deps.inflight.drain()
    (call,) = bot.slack.by_method("chat.unfurl")
    shown = json.dumps(call["unfurls"][link]["blocks"], ensure_ascii=False)
    assert "Jane Doe" in shown and f"#{TICKET_JANE}" in shown  # the header
    assert "Pendo" not in shown and "min before filing" not in shown
    assert bot.pendo.requests == []
    lines = [r for r in caplog.records if "unfurl preference could not be read" in r.getMessage()]
    assert len(lines) == 1


async def test_unfurls_and_shared_summaries_use_the_workspace_choices(bot: Bot) -> None:
    await bot.deps.preferences.save("T0001", USER, Preferences(kinds=("page",), view="full"))
    event = posted([url(TICKET_JANE)]) | {"user": USER}
    await bot.event(event)
    await bot.slack.wait_for(lambda: len(bot.slack.by_method("chat.unfurl")) >= 2)
    final = bot.slack.by_method("chat.unfurl")[-1]
    assert "🖱️" in json.dumps(final["unfurls"], ensure_ascii=False)  # features still shown to the channel

    private = await lookup(bot, JANE)
    share = next(
        e
        for b in private["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "message_share"
    )
    _, rid = await bot.action("message_share", share["value"])
    await bot.slack.wait_for(lambda: bool(bot.slack.by_method("chat.postMessage")))
    public = bot.slack.by_method("chat.postMessage")[-1]
    # The workspace's kinds: Jane's last session names her features (the first screen names each event
    # once: in the "Last session" line, without the 🖱️ list line under it).
    assert "Save report" in json.dumps(public["blocks"], ensure_ascii=False)
    mine = await bot.final_response(rid)
    assert "Save report" not in text_of(mine) and "Shared in" in text_of(mine)  # the agent's: pages only


async def test_day_lines_follow_the_agents_slack_zone(bot: Bot) -> None:
    power = "power.user@acme.example"
    bot.slack.user_zones[USER] = "Asia/Tokyo"
    await bot.deps.preferences.save("T0001", USER, Preferences(view="full"))
    tokyo = await lookup(bot, power)
    await bot.deps.preferences.save("T0001", USER, Preferences(view="full", timezone="UTC"))
    utc = await lookup(bot, power)
    assert day_lines(tokyo) == expected_days(tokyo, "Asia/Tokyo")
    assert day_lines(utc) == expected_days(utc, "UTC")
    assert day_lines(utc) != day_lines(tokyo)  # this visitor's last 24 h cross one midnight, not the other


def day_lines(message: dict[str, Any]) -> list[str]:
    """The fallback dates of the day lines in a full view's timeline, in order."""
    import re

    return re.findall(r"\*<!date\^\d+\^\{date_long_pretty\}\|([^>]+)>\*", text_of(message))


def expected_days(message: dict[str, Any], zone: str) -> list[str]:
    """The days the timeline's entries fall on in `zone`, in order (newest first), when there are two or
    more; computed from the entries' own times."""
    import re
    from datetime import datetime
    from zoneinfo import ZoneInfo

    # each entry's time: `{time}`, or with its day when off the anchor's day (`{date_short_pretty} at {time}`)
    stamps = [
        int(s) for s in re.findall(r"<!date\^(\d+)\^\{(?:date_short_pretty\} at \{)?time\}", text_of(message))
    ]
    days = list(dict.fromkeys(datetime.fromtimestamp(s, ZoneInfo(zone)).strftime("%a %d %b") for s in stamps))
    return days if len(days) > 1 else []
