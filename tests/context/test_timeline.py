from bot.context.models import Timeline
from bot.context.timeline import build_timeline, history_days
from bot.pendo.models import CatalogItem, HistoryItem

DAY = 86_400_000
HOUR = 3_600_000
MIDNIGHT = 20_000 * DAY  # a UTC midnight
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
        show_untagged=False,
    )
    args.update(kw)
    return build_timeline(items, **args)  # type: ignore[arg-type]


def test_window_across_midnight_asks_for_both_days() -> None:
    assert history_days(MIDNIGHT - HOUR, MIDNIGHT + HOUR) == [MIDNIGHT - DAY, MIDNIGHT]
    assert history_days(MIDNIGHT + HOUR, MIDNIGHT + 2 * HOUR) == [MIDNIGHT]


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
    shown = build(items, show_untagged=True)
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
