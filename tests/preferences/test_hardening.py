"""What the preference store refuses: zones the form never offers, rows without a team or a user; and
the SQLite file is the agents' only (0600), an existing wider one tightened when the bot starts."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from bot.preferences.model import PreferenceError, Preferences, from_row, offered_zones, parse_timezone
from bot.preferences.store import SQLitePreferences
from bot.render.preferences import zone_groups
from tests.preferences.conftest import Backend

NEVER_OFFERED = ["right/America/Chicago", "posix/Europe/Paris", "localtime", "Factory", "Etc/GMT+5", "EST"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("zone", NEVER_OFFERED)
def test_a_zone_the_form_never_offers_is_refused(zone: str) -> None:
    with pytest.raises(PreferenceError, match="not a time zone the bot knows"):
        parse_timezone(zone)
    loaded = from_row(json.dumps({"v": 1, "tz": zone, "view": "full"}))
    assert loaded.preferences == Preferences(view="full") and loaded.problems == [
        "timezone could not be read"
    ]


def test_every_zone_the_form_offers_is_accepted() -> None:
    offered = {z for _, zones in zone_groups() for z in zones}
    assert offered == offered_zones()
    assert all(parse_timezone(z) == z for z in ("UTC", "America/Chicago", "Asia/Kolkata"))


@pytest.mark.parametrize(("team", "user"), [("", "U1"), ("T1", ""), ("", "")])
async def test_a_row_without_a_team_or_a_user_is_never_kept(
    backend: Backend, team: str, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = backend.open()
    mine = Preferences(view="full")
    for attempt in (
        lambda: store.save(team, user, mine),
        lambda: store.update(team, user, lambda _: mine),
        lambda: store.reset(team, user),
    ):
        with pytest.raises(PreferenceError, match="Slack did not say which"):
            await attempt()
    with caplog.at_level(logging.WARNING):
        assert await store.load(team, user) == Preferences()
    assert any("no team or user" in r.getMessage() for r in caplog.records)
    assert await store.load("T1", "U1") == Preferences()  # nothing stored under the real ids either


async def test_the_sqlite_file_is_created_for_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "prefs.sqlite3"
    old = os.umask(0o022)
    try:
        store = SQLitePreferences(str(path))
        await store.save("T1", "U1", Preferences(view="full"))
        await store.load("T1", "U1")
        await store.aclose()
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        assert not side.exists() or mode(side) == 0o600


async def test_an_existing_wider_file_is_tightened_at_start(tmp_path: Path) -> None:
    path = tmp_path / "prefs.sqlite3"
    first = SQLitePreferences(str(path))
    await first.save("T1", "U1", Preferences(view="full"))
    await first.aclose()
    path.chmod(0o644)
    SQLitePreferences(str(path))  # building the store (start-up) is enough
    assert mode(path) == 0o600
    store = SQLitePreferences(str(path))
    assert await store.load("T1", "U1") == Preferences(view="full")
    await store.aclose()
