"""What the visitor did in a window ending at an anchor time: pure assembly from history items."""

from __future__ import annotations

from bot.context.models import Timeline, TimelineEntry
from bot.context.usage import day_start
from bot.pendo.kinds import PendoKind, PendoLinks
from bot.pendo.models import CatalogItem, HistoryItem
from bot.pendo.queries import DAY_MS


def history_days(start_ms: int, anchor_ms: int) -> list[int]:
    """Start of every UTC day the window touches: a window crossing midnight asks for both days."""
    first, last = day_start(start_ms), day_start(anchor_ms)
    return list(range(first, last + DAY_MS, DAY_MS))


def build_timeline(
    items: list[HistoryItem],
    *,
    start_ms: int,
    anchor_ms: int,
    catalogs: dict[str, dict[str, CatalogItem]],
    base_url: str,
    limit: int,
    show_untagged: bool,
    marker: str | None = None,
) -> Timeline:
    """Newest first, names resolved, consecutive repeats collapsed, capped with a count of the rest.

    `marker` adds a synthetic entry at the anchor (e.g. "Ticket submitted").
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
    entries: list[TimelineEntry] = []
    if marker:
        entries.append(TimelineEntry(ts_ms=anchor_ms, kind="ticket", name=marker))
    for item in in_window:
        if item.type == "untagged" and not show_untagged:
            hidden += 1
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
            )
        else:
            entries.append(entry)
    return Timeline(
        start_ms=start_ms,
        anchor_ms=anchor_ms,
        entries=entries[:limit],
        more=max(0, len(entries) - limit),
        hidden_untagged=hidden,
        marker=marker,
    )


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
    return TimelineEntry(ts_ms=item.ts, kind=item.type, name=name, url=url)
