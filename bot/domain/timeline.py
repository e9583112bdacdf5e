"""What the visitor did in a window ending at an anchor time: pure assembly from history items."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from bot.domain.friction import Spot
from bot.domain.models import HISTORY_RETENTION_DAYS as HISTORY_RETENTION_DAYS  # Pendo's, said in words
from bot.domain.models import Timeline, TimelineEntry, TimelinePage
from bot.domain.usage import HOUR_MS, today_start
from bot.pendo.kinds import PendoKind, PendoLinks
from bot.pendo.models import CatalogItem, HistoryItem
from bot.pendo.queries import DAY_MS
from bot.preferences.model import HISTORY_TYPES

CHOOSABLE = frozenset(HISTORY_TYPES.values())  # the history types a reader can leave out


HISTORY_QUANTUM_MS = 15 * 60_000


def history_starts(start_ms: int, anchor_ms: int, offset_ms: int | None) -> list[int]:
    """The `starttime`s that cover [start, anchor] whichever day one history call returns.

    Sources disagree: the subscription's calendar day containing `starttime`, or the 24 h from it. Asking
    at the window's start, every 24 h after it and at the anchor covers the window under both readings
    (each call's calendar day contains its instant; consecutive instants are at most 24 h apart). A local
    day in between that none of them sits well inside (a 23-hour day at a daylight-saving change) gets a
    call at its noon.
    """
    # Each instant is moved back to a quarter hour, so a repeat within the cache TTL asks the same
    # `starttime`s (and is answered from the cache). Local midnights fall on quarter hours in every
    # time zone, so the move never crosses into another day; and each call still begins at or before
    # the part of the window it must cover.
    starts = [s - s % HISTORY_QUANTUM_MS for s in (*range(start_ms, anchor_ms, DAY_MS), anchor_ms)]
    day = today_start(start_ms, offset_ms) + DAY_MS
    last = today_start(anchor_ms, offset_ms)
    while day < last:
        if not any(day + HOUR_MS <= s < day + DAY_MS - HOUR_MS for s in starts):
            starts.append(day + DAY_MS // 2)
        day += DAY_MS
    return sorted(set(starts))


def build_timeline(
    items: list[HistoryItem],
    *,
    start_ms: int,
    anchor_ms: int,
    catalogs: dict[str, dict[str, CatalogItem]],
    base_url: str,
    limit: int,
    kinds: Collection[str],
    marker: str | None = None,
    zone: str = "UTC",
    page: TimelinePage | None = None,
) -> Timeline:
    """Newest first, names resolved, consecutive repeats collapsed, capped with a count of the rest.

    `kinds`: the history types shown (`page`, `feature`, `trackType`, `guide`, `untagged`); the others
    are counted, not shown. `marker` adds a synthetic entry at the anchor (e.g. "Ticket submitted");
    `zone` is the reader's, for the day lines. `page`: which `limit` entries of the window (default: the
    newest); the others are counted in `more` (older) and `newer`.
    """
    seen: set[tuple[str, int, str | None]] = set()
    in_window: list[HistoryItem] = []
    for item in items:
        key = (item.type, item.ts, item.object_id or item.untagged_url)
        if start_ms <= item.ts <= anchor_ms and key not in seen:
            seen.add(key)
            in_window.append(item)
    in_window.sort(key=lambda i: i.ts, reverse=True)

    hidden = 0
    hidden_kinds: dict[str, int] = {}
    entries: list[TimelineEntry] = []
    if marker:
        entries.append(TimelineEntry(ts_ms=anchor_ms, kind="ticket", name=marker))
    for item in in_window:
        if item.type in CHOOSABLE and item.type not in kinds:  # a type Pendo adds later is shown
            if item.type == "untagged":
                hidden += 1
            else:
                hidden_kinds[item.type] = hidden_kinds.get(item.type, 0) + 1
            continue
        entry = _entry(item, catalogs, base_url)
        previous = entries[-1] if entries else None
        if (
            previous
            and previous.kind == entry.kind
            and previous.name == entry.name
            and previous.url == entry.url
        ):
            entries[-1] = TimelineEntry(
                ts_ms=previous.ts_ms,
                kind=previous.kind,
                name=previous.name,
                count=previous.count + 1,
                url=previous.url,
                oldest_ms=entry.ts_ms,
                object_id=previous.object_id,
            )
        else:
            entries.append(entry)
    first, last = page_bounds(entries, page or TimelinePage(), limit)
    return Timeline(
        start_ms=start_ms,
        anchor_ms=anchor_ms,
        entries=entries[first:last],
        more=len(entries) - last,
        newer=first,
        hidden_untagged=hidden,
        marker=marker,
        hidden_kinds=tuple(sorted(hidden_kinds.items())),
        zone=zone,
    )


def page_bounds(entries: list[TimelineEntry], page: TimelinePage, limit: int) -> tuple[int, int]:
    """[first, last) of the entries (newest first, collapsed over the whole window) that `page` shows.

    The cursors are times, so a page holds wherever new history lands: ◀ Earlier carries the first
    occurrence of the oldest entry shown (`before_ms`), Later ▶ the newest entry shown (`after_ms`). Every
    entry is on some page: a page never ends between two entries that share the boundary's millisecond
    (it takes the second one too), so "strictly before" / "strictly after" the cursor skips none.
    """
    if page.every:
        return 0, len(entries)
    if page.after_ms is not None:
        last = sum(1 for e in entries if e.first_ms > page.after_ms)  # a prefix: entries never overlap
        first = max(0, last - limit)
        while first > 0 and entries[first - 1].first_ms == entries[first].ts_ms:
            first -= 1
        return first, last
    first = 0
    if page.before_ms is not None:
        first = sum(1 for e in entries if e.ts_ms >= page.before_ms)
    last = min(len(entries), first + limit)
    while last < len(entries) and entries[last].ts_ms == entries[last - 1].first_ms:
        last += 1
    return first, last


def _entry(item: HistoryItem, catalogs: dict[str, dict[str, CatalogItem]], base_url: str) -> TimelineEntry:
    if item.type == "untagged":
        return TimelineEntry(
            ts_ms=item.ts, kind="untagged", name=item.untagged_url or item.uri or "untagged page"
        )
    object_id = item.object_id
    kind = PendoKind.parse(item.type)
    label = kind.label if kind else item.type
    catalog = catalogs.get(kind, {}) if kind else {}
    found = catalog.get(object_id) if object_id else None
    name = found.name if found and found.name else f"Unrecognized {label}"
    url = PendoLinks(base_url).item(kind, object_id) if kind and object_id else None
    return TimelineEntry(ts_ms=item.ts, kind=item.type, name=name, url=url, object_id=object_id)


def with_friction(timeline: Timeline, spots: list[Spot]) -> Timeline:
    """Each page × hour's friction on the newest entry of that page within that hour (said once, however
    many visits of the hour the entries show); entries of other kinds carry none (page rows only)."""
    entries = list(timeline.entries)
    for spot in spots:
        if spot.hour_ms is None:
            continue
        for i, e in enumerate(entries):
            hour_end = spot.hour_ms + HOUR_MS
            if (
                e.kind == "page"
                and e.object_id == spot.object_id
                and e.first_ms < hour_end
                and e.ts_ms >= spot.hour_ms
            ):
                counts = spot.counts if e.friction is None else e.friction + spot.counts
                entries[i] = replace(e, friction=counts)
                break
    return replace(timeline, entries=entries)
