"""Pure computations from Pendo rows to usage figures: no I/O here, so each is tested directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bot.context.models import AccountUsage, MetadataField, TopItem, Trend, VisitorUsage
from bot.pendo.models import CatalogItem, MetadataSchema
from bot.pendo.queries import DAY_MS

WINDOW_DAYS = 30


def day_start(ms: int) -> int:
    return ms - ms % DAY_MS


def windows(now_ms: int) -> tuple[int, int]:
    """First day (ms) of the current 30-day window (today included) and of the previous one."""
    current = day_start(now_ms) - (WINDOW_DAYS - 1) * DAY_MS
    return current, current - WINDOW_DAYS * DAY_MS


def _num(row: dict[str, Any], key: str) -> int:
    value = row.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def daily_series(rows: list[dict[str, Any]], first_ms: int) -> list[int]:
    """Events per day for the 30 days from `first_ms`, zero-filled, oldest first."""
    series = [0] * WINDOW_DAYS
    for row in rows:
        # Pendo cuts days in the subscription time zone: round, so a day starting a few hours off UTC
        # midnight still lands in its bucket.
        index = round((_num(row, "day") - first_ms) / DAY_MS)
        if 0 <= index < WINDOW_DAYS:
            series[index] += _num(row, "numEvents")
    return series


def _totals(rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    active_days = {_num(r, "day") for r in rows if _num(r, "numEvents") > 0}
    return len(active_days), sum(_num(r, "numEvents") for r in rows), sum(_num(r, "numMinutes") for r in rows)


def top_items(
    rows: list[dict[str, Any]], id_field: str, catalog: dict[str, CatalogItem], base_url: str, kind: str
) -> list[TopItem]:
    items = []
    for row in rows:
        object_id = row.get(id_field)
        if not object_id:
            continue
        entry = catalog.get(str(object_id))
        items.append(
            TopItem(
                id=str(object_id),
                name=(entry.name if entry and entry.name else f"Unrecognized {kind}"),
                events=_num(row, "numEvents"),
                minutes=_num(row, "numMinutes"),
                url=f"{base_url}/{kind}s/{quote(str(object_id), safe='')}",
            )
        )
    return items


def visitor_usage(
    current: list[dict[str, Any]],
    previous: list[dict[str, Any]],
    current_first_ms: int,
    top_features: list[TopItem],
    top_pages: list[TopItem],
) -> VisitorUsage:
    days, events, minutes = _totals(current)
    prev_days, prev_events, prev_minutes = _totals(previous)
    return VisitorUsage(
        days_active=days,
        events=events,
        minutes=minutes,
        events_trend=Trend(events, prev_events),
        minutes_trend=Trend(minutes, prev_minutes),
        days_trend=Trend(days, prev_days),
        daily_events=daily_series(current, current_first_ms),
        top_features=top_features,
        top_pages=top_pages,
    )


def account_usage(rows: list[dict[str, Any]]) -> AccountUsage:
    row = rows[0] if rows else {}
    return AccountUsage(
        unique_visitors=_num(row, "uniqueVisitors"),
        days_active=_num(row, "daysActive"),
        events=_num(row, "numEvents"),
        minutes=_num(row, "numMinutes"),
    )


def format_value(value: Any, kind: str) -> str:
    """A metadata value as Pendo shows it: times as dates, booleans as yes/no, lists joined."""
    if value is None or value == "":
        return ""
    if kind == "time" and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%d")
        except (OverflowError, ValueError, OSError):  # 1e300: no calendar date; show the raw value
            return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def metadata_fields(
    metadata: dict[str, dict[str, Any]], wanted: list[str], schema: MetadataSchema
) -> list[MetadataField]:
    """The configured `group/field` values that are set, labelled with Pendo's display names."""
    out = []
    for path in wanted:
        group, name = path.split("/", 1)
        value = (metadata.get(group) or {}).get(name)
        descriptor = (schema.get(group) or {}).get(name)
        text = format_value(value, descriptor.type if descriptor else "")
        if text:
            label = descriptor.display_name if descriptor and descriptor.display_name else name
            out.append(MetadataField(label=label, value=text))
    return out
