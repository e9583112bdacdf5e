"""bot.domain.friction from hand-made rows: counts optional per row, the strongest spot, sessions, replays,
how far Pendo's figures go, the 30-day trend and an account's pages."""

from __future__ import annotations

from bot.domain import friction as f
from bot.domain.friction import HOUR_MS, Counts, Spot

T0 = 1_800_000_000_000 - 1_800_000_000_000 % HOUR_MS  # an hour's start
NAMES = {"p1": ("Billing", "https://x/p1"), "p2": ("Reports", None)}


def row(page: str, hour: int, **extra: object) -> dict[str, object]:
    return {"pageId": page, "hour": T0 + hour * HOUR_MS, "numEvents": 3, **extra}


def test_an_absent_count_is_not_collected_never_zero() -> None:
    c = Counts.of_row({"rageClickCount": 2, "uTurnCount": 0})
    assert (c.rage, c.error, c.dead, c.uturn) == (2, None, None, 0)
    assert c.collected and c.total == 2
    assert not Counts.of_row({"numEvents": 4}).collected
    assert Counts.of_row({"rageClickCount": "3", "deadClickCount": True, "errorClickCount": -1}) == Counts()
    assert (Counts(rage=1) + Counts(dead=2)) == Counts(rage=1, dead=2)
    assert f.collected([]) is None
    assert f.collected([{"numEvents": 1}]) is False
    assert f.collected([{"numEvents": 1}, {"deadClickCount": 0}]) is True


def test_the_strongest_spot_is_the_most_friction_and_on_a_tie_the_later_hour() -> None:
    end = T0 + 5 * HOUR_MS
    rows = [
        row("p1", 1, rageClickCount=3, errorClickCount=1, lastTime=T0 + HOUR_MS + 600_000),
        row("p2", 3, deadClickCount=4, lastTime=T0 + 3 * HOUR_MS + 60_000),
        row("p2", 3, accountId="other", uTurnCount=1),  # the same page and hour in another account: added up
        row("p1", 4, rageClickCount=0),  # no friction: no spot
        row("p1", 9, rageClickCount=9),  # after the window
    ]
    spots = f.hour_spots(rows, NAMES, T0, end)
    assert [(s.object_id, s.hour_ms, s.counts.total) for s in spots] == [
        ("p2", T0 + 3 * HOUR_MS, 5),
        ("p1", T0 + HOUR_MS, 4),
    ]
    best = f.strongest(spots)
    assert best is not None and best.object_id == "p2" and best.last_ms == T0 + 3 * HOUR_MS + 60_000
    tie = [
        Spot("page", "a", "A", None, Counts(rage=2), hour_ms=T0),
        Spot("page", "b", "B", None, Counts(dead=2), hour_ms=T0 + HOUR_MS),
    ]
    assert f.strongest(tie) == tie[1]
    assert f.strongest([]) is None


def test_a_last_event_after_the_anchor_is_not_used_for_minutes_before_filing() -> None:
    anchor = T0 + 30 * 60_000
    spots = f.hour_spots(
        [row("p1", 0, rageClickCount=2, lastTime=anchor + 60_000)], NAMES, anchor - 24 * HOUR_MS, anchor
    )
    assert spots[0].last_ms is None  # "in the hour before filing", never a wrong minute count


def test_the_latest_session_is_the_last_run_of_consecutive_active_hours() -> None:
    rows = [
        row("p1", 0),
        row("p1", 1),
        row("p2", 4),
        row("p1", 5),
        row("p2", 5),
        {"pageId": "p1", "hour": T0 + 6 * HOUR_MS, "numEvents": 0},
    ]
    assert f.session_window(rows) == (T0 + 4 * HOUR_MS, T0 + 6 * HOUR_MS)
    assert f.session_window([]) is None


def test_replays_take_their_times_from_first_and_last_events_nearest_to_the_anchor_first() -> None:
    anchor = T0 + 10 * HOUR_MS
    rows = [
        row(
            "p1",
            2,
            recordingSessionId="old",
            firstTime=T0 + 2 * HOUR_MS,
            lastTime=T0 + 2 * HOUR_MS + 300_000,
            appId=-3,
        ),
        row(
            "p1",
            9,
            recordingSessionId="near",
            firstTime=T0 + 9 * HOUR_MS + 60_000,
            lastTime=T0 + 9 * HOUR_MS + 120_000,
            appId=-3,
            accountId="acme",
            rageClickCount=2,
        ),
        row(
            "p2",
            9,
            recordingSessionId="near",
            firstTime=T0 + 9 * HOUR_MS + 30_000,
            lastTime=T0 + 9 * HOUR_MS + 600_000,
            appId=-3,
            uTurnCount=1,
        ),
        row("p2", 8, firstTime=T0, lastTime=T0 + 1),  # not recorded
    ]
    found = f.replays(rows, anchor, lambda s, a, b, v, app, acc: f"{s}:{a}:{b}:{v}:{app}:{acc}", "jane")
    assert [r.session_id for r in found] == ["near", "old"]
    near = found[0]
    assert (near.start_ms, near.end_ms) == (T0 + 9 * HOUR_MS + 30_000, T0 + 9 * HOUR_MS + 600_000)
    assert near.counts == Counts(rage=2, uturn=1) and near.minutes == 10
    assert near.url == f"near:{near.start_ms}:{near.end_ms}:jane:-3:acme"


def test_the_player_url_is_pendos_form_with_every_value_encoded() -> None:
    url = f.player_url("https://app.eu.pendo.io/", "5629", "rec/1", 10, 20, "a b@x.example", -323232, None)
    assert url == (
        "https://app.eu.pendo.io/s/5629/replay/player/rec%2F1?startTime=10&endTime=20"
        "&visitorId=a+b%40x.example&appId=-323232"
    )


def test_data_until_is_the_hour_of_the_first_page_view_pendos_rows_do_not_cover() -> None:
    rows = [row("p1", 0), row("p1", 2)]
    views = [T0 + 5 * 60_000, T0 + 2 * HOUR_MS + 1, T0 + 4 * HOUR_MS + 7 * 60_000, T0 + 5 * HOUR_MS]
    assert f.data_until(rows, views, T0 + 6 * HOUR_MS) == T0 + 4 * HOUR_MS
    assert f.data_until(rows, views[:2], T0 + 6 * HOUR_MS) is None  # every view covered
    assert f.data_until([], [T0 + 90 * 60_000], T0 + 6 * HOUR_MS) == T0 + HOUR_MS  # no rows at all yet


def test_the_trend_adds_page_rows_per_period_and_names_the_page_or_feature_with_most() -> None:
    day = 86_400_000
    today = T0 - T0 % day
    pages = [
        {"pageId": "p1", "day": today, "rageClickCount": 3, "uTurnCount": 1},
        {"pageId": "p2", "day": today - 29 * day, "rageClickCount": 1, "uTurnCount": 0},
        {"pageId": "p1", "day": today - 30 * day, "rageClickCount": 1, "uTurnCount": 2},
        {"pageId": "p1", "day": today - 60 * day, "rageClickCount": 50},  # outside both periods
    ]
    features = [{"featureId": "f1", "day": today, "rageClickCount": 3}]
    t = f.trend(pages, features, NAMES, {"f1": ("Export CSV", None)}, today)
    assert t is not None
    assert t.current == Counts(rage=4, uturn=1) and t.previous == Counts(rage=1, uturn=2)
    assert t.top is not None and t.top.name == "Billing" and t.top.counts.total == 4
    assert f.trend([{"pageId": "p1", "day": today, "numEvents": 2}], features, NAMES, {}, today) is None


def test_an_accounts_pages_by_friction_with_their_visitors() -> None:
    rows = [
        {"pageId": "p1", "rageClickCount": 5, "uTurnCount": 1, "visitors": 3},
        {"pageId": "p2", "deadClickCount": 7, "visitors": 1},
        {"pageId": "p3", "rageClickCount": 0},
    ]
    a = f.account_friction(rows, NAMES)
    assert a.counts == Counts(rage=5, dead=7, uturn=1)
    assert [(s.name, s.counts.total, s.visitors) for s in a.top] == [("Reports", 7, 1), ("Billing", 6, 3)]
