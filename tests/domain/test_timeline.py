import pytest

from bot.domain.models import Timeline
from bot.domain.timeline import build_timeline, history_starts
from bot.pendo.models import CatalogItem, HistoryItem

DAY = 86_400_000
HOUR = 3_600_000
MIDNIGHT = 20_000 * DAY  # a UTC midnight
DEFAULT_TYPES = frozenset({"page", "feature", "trackType", "guide"})
CATALOGS = {
    "page": {
        "p1": CatalogItem(id="p1", name="Billing settings"),
        "p2": CatalogItem(id="p2", name="Dashboard"),
    },
    "feature": {"f1": CatalogItem(id="f1", name="Export CSV")},
    "trackType": {"t1": CatalogItem(id="t1", name="Report exported")},
    "guide": {},
}


def item(kind: str, ts: int, oid: str | None = None, **extra: object) -> HistoryItem:
    key = {"page": "pageId", "feature": "featureId", "trackType": "trackTypeId", "guide": "guideId"}.get(kind)
    data: dict[str, object] = {"type": kind, "ts": ts, **extra}
    if key and oid:
        data[key] = oid
    return HistoryItem.model_validate(data)


def build(items: list[HistoryItem], **kw: object) -> Timeline:
    args: dict[str, object] = dict(
        start_ms=MIDNIGHT - 3 * HOUR,
        anchor_ms=MIDNIGHT + 2 * HOUR,
        catalogs=CATALOGS,
        base_url="https://app.pendo.io",
        limit=10,
        kinds=DEFAULT_TYPES,
    )
    args.update(kw)
    return build_timeline(items, **args)  # type: ignore[arg-type]


def _covered(starts: list[int], start: int, anchor: int, offset: int, reading: str) -> bool:
    """Whether the calls at `starts` cover every ms of [start, anchor] under one reading of a history day
    (fixed-offset local days; computed here with plain arithmetic over every minute of the window)."""
    spans = []
    for s in starts:
        if reading == "24h":
            spans.append((s, s + DAY))
        else:
            day = s - (s - offset) % DAY
            spans.append((day, day + DAY))
    return all(any(lo <= t < hi for lo, hi in spans) for t in range(start, anchor + 1, 60_000))


QUARTER = 15 * 60_000


# UTC, UTC+6 (or -18), UTC-6, UTC+9, and the quarter- and half-hour zones (Nepal +5:45, India +5:30)
@pytest.mark.parametrize("offset_minutes", [0, 360, 1080, 540, 345, 330])
@pytest.mark.parametrize("anchor_hour", [0, 1, 5, 11, 23])
@pytest.mark.parametrize("hours", [24, 72])
def test_history_starts_cover_the_window_under_both_readings(
    offset_minutes: int, anchor_hour: int, hours: int
) -> None:
    offset = offset_minutes * 60_000
    anchor = MIDNIGHT + offset + anchor_hour * HOUR + 7 * 60_000
    start = anchor - hours * HOUR
    starts = history_starts(start, anchor, offset)
    # each instant moved back to its quarter hour, so that a repeat asks the same `starttime`s
    assert starts[0] == start - start % QUARTER and starts[-1] == anchor - anchor % QUARTER
    if hours == 24:
        assert len(starts) == 2  # the default window: two calls, whatever the zone and the hour
    else:  # one per 24 h, plus a noon call for an inner day the steps only touch near its edges
        assert hours // 24 + 1 <= len(starts) <= 2 * (hours // 24)
    for reading in ("calendar", "24h"):
        assert _covered(starts, start, anchor, offset, reading), reading
    if hours == 24:  # without a known offset (first lookup) the same two instants are asked
        assert history_starts(start, anchor, None) == starts


def test_a_repeat_within_a_quarter_hour_asks_the_same_starttimes() -> None:
    anchor = MIDNIGHT + 10 * HOUR + 2 * 60_000
    first = history_starts(anchor - 24 * HOUR, anchor, 0)
    later = anchor + 11 * 60_000  # still the same quarter hour: the cached days answer
    assert history_starts(later - 24 * HOUR, later, 0) == first
    assert history_starts(anchor + QUARTER - 24 * HOUR, anchor + QUARTER, 0) != first


def test_a_short_local_day_in_between_gets_its_own_call() -> None:
    """A window whose inner day none of the 24 h steps sits well inside gets a call at that day's noon."""
    start = MIDNIGHT + 23 * HOUR + 30 * 60_000
    anchor = start + 25 * HOUR  # the instants are 23:30 day 0, 23:30 day 1 and 00:30 day 2
    starts = history_starts(start, anchor, 0)
    assert MIDNIGHT + DAY + 12 * HOUR in starts
    assert history_starts(MIDNIGHT + HOUR, MIDNIGHT + 2 * HOUR, 0) == [MIDNIGHT + HOUR, MIDNIGHT + 2 * HOUR]


def test_newest_first_names_resolved_and_both_days_included() -> None:
    t = build([item("page", MIDNIGHT - HOUR, "p1"), item("feature", MIDNIGHT + HOUR, "f1")])
    assert [(e.name, e.kind) for e in t.entries] == [("Export CSV", "feature"), ("Billing settings", "page")]
    assert t.entries[0].url == "https://app.pendo.io/features/f1"


def test_items_outside_the_window_are_dropped_and_duplicates_merged() -> None:
    t = build(
        [
            item("page", MIDNIGHT - 4 * HOUR, "p1"),  # before the window
            item("page", MIDNIGHT + 3 * HOUR, "p1"),  # after the anchor (the ticket)
            item("page", MIDNIGHT, "p2"),
            item("page", MIDNIGHT, "p2"),  # the same item from two overlapping day queries
        ]
    )
    assert [(e.name, e.count) for e in t.entries] == [("Dashboard", 1)]


def test_consecutive_repeats_collapse_with_a_count() -> None:
    t = build(
        [item("page", MIDNIGHT + i * 60_000, "p1") for i in range(4)] + [item("page", MIDNIGHT - HOUR, "p2")]
    )
    assert [(e.name, e.count) for e in t.entries] == [("Billing settings", 4), ("Dashboard", 1)]
    assert t.entries[0].ts_ms == MIDNIGHT + 3 * 60_000  # the newest occurrence


def test_cap_reports_how_many_more() -> None:
    items = [item("page", MIDNIGHT + i * 60_000, "p1" if i % 2 else "p2") for i in range(12)]
    t = build(items, limit=5)
    assert len(t.entries) == 5 and t.more == 7


def test_untagged_hidden_by_default_and_counted() -> None:
    items = [item("untagged", MIDNIGHT, untaggedUrl="https://app/x"), item("page", MIDNIGHT + 1, "p1")]
    hidden = build(items)
    assert [e.kind for e in hidden.entries] == ["page"] and hidden.hidden_untagged == 1
    shown = build(items, kinds=DEFAULT_TYPES | {"untagged"})
    assert [e.kind for e in shown.entries] == ["page", "untagged"] and shown.entries[
        1
    ].name == "https://app/x"


def test_unknown_ids_and_marker() -> None:
    t = build(
        [item("guide", MIDNIGHT, "g9"), item("trackType", MIDNIGHT - 1, "t1")], marker="Ticket submitted"
    )
    assert [(e.kind, e.name) for e in t.entries] == [
        ("ticket", "Ticket submitted"),
        ("guide", "Unrecognized guide"),
        ("trackType", "Report exported"),
    ]
    assert t.entries[0].ts_ms == MIDNIGHT + 2 * HOUR


def test_kinds_left_out_are_counted_by_kind_and_a_new_pendo_type_still_shows() -> None:
    items = [
        item("trackType", MIDNIGHT + 1, "t1"),
        item("trackType", MIDNIGHT + 2, "t1"),
        item("guide", MIDNIGHT + 3, "g1"),
        item("page", MIDNIGHT + 4, "p1"),
        item("untagged", MIDNIGHT + 5, untaggedUrl="https://app/x"),
        item("poll", MIDNIGHT + 6),  # a type Pendo may add: not a kind anyone can choose, so shown
    ]
    t = build(items, kinds=frozenset({"page"}), zone="Asia/Tokyo")
    assert [e.kind for e in t.entries] == ["poll", "page"]
    assert t.hidden_kinds == (("guide", 1), ("trackType", 2)) and t.hidden_untagged == 1
    assert t.zone == "Asia/Tokyo"
