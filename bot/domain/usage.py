"""Pure computations from Pendo rows to usage figures: no I/O here, so each is tested directly."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.domain.models import (
    AccountFigures,
    AccountUsage,
    AccountVisitor,
    Depth,
    FieldKind,
    MetadataField,
    TopItem,
    Trend,
    VisitorUsage,
)
from bot.pendo.kinds import PendoKind, PendoLinks
from bot.pendo.models import CatalogItem, MetadataSchema, Visitor
from bot.pendo.queries import DAY_MS

WINDOW_DAYS = 30
HOUR_MS = 3_600_000


def today_start(now_ms: int, offset_ms: int | None) -> int:
    """Start (epoch ms) of the subscription's current local day, given its UTC offset (`day % DAY_MS`
    of any Pendo row); UTC when the offset is not known yet."""
    offset = offset_ms or 0
    return now_ms - (now_ms - offset) % DAY_MS


def day_offset(rows: list[dict[str, Any]]) -> int | None:
    """The subscription's offset, read from the newest `day` value (a local midnight), if any row has one."""
    days = [day for r in rows if (day := _num(r, "day"))]
    return max(days) % DAY_MS if days else None


def windows(now_ms: int, offset_ms: int | None) -> tuple[int, int]:
    """Instants inside the first day of the current 30-day window (today included) and of the 60 days
    covering both periods; Pendo rounds them down to the subscription's midnight.

    The instant is `now` floored to the quarter hour (stable, so repeated lookups share cached answers),
    moved back 29 (59) days. Within an hour of a local midnight a daylight-saving change in between could
    move it into the neighbouring day, so there, when the offset is known, local noon is used instead.
    """
    return window_start(now_ms, offset_ms, WINDOW_DAYS), window_start(now_ms, offset_ms, 2 * WINDOW_DAYS)


def window_start(now_ms: int, offset_ms: int | None, days: int) -> int:
    """An instant inside the first day of the `days` local days ending today (see `windows`)."""
    ref = now_ms - now_ms % (15 * 60_000)
    if offset_ms is not None:
        into_day = ref - today_start(ref, offset_ms)
        if into_day < HOUR_MS or into_day >= DAY_MS - HOUR_MS:
            ref = today_start(ref, offset_ms) + 12 * HOUR_MS
    return ref - (days - 1) * DAY_MS


_NUMBER = (int, float)


def _num(row: dict[str, Any], key: str) -> int:
    """The row's number at `key` as an int; 0 when missing or not a number. Called for every field of
    every row (hundreds per lookup), so a plain int, the usual case, returns first."""
    value = row.get(key)
    if type(value) is int:
        return value
    return int(value) if isinstance(value, _NUMBER) and not isinstance(value, bool) else 0


def split_periods(
    rows: list[dict[str, Any]], today_ms: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the current 30 local days (today included) and of the 30 before, placed by `day`.

    A row is `ago` local days before today (0 = today), rounded: local days are 23 or 25 hours long
    across a daylight-saving change. The same sum is written out in each loop below rather than called:
    these loops run for every row of a lookup."""
    current, previous = [], []
    for row in rows:
        ago = round((today_ms - _num(row, "day")) / DAY_MS)
        if 0 <= ago < WINDOW_DAYS:
            current.append(row)
        elif WINDOW_DAYS <= ago < 2 * WINDOW_DAYS:
            previous.append(row)
    return current, previous


def daily_series(rows: list[dict[str, Any]], today_ms: int) -> list[int]:
    """Events per local day for the 30 days ending today, zero-filled, oldest first, today last."""
    series = [0] * WINDOW_DAYS
    for row in rows:
        ago = round((today_ms - _num(row, "day")) / DAY_MS)  # as in split_periods
        if 0 <= ago < WINDOW_DAYS:
            series[WINDOW_DAYS - 1 - ago] += _num(row, "numEvents")
    return series


def _totals(rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Days with events, events and minutes of per-day rows, in one pass."""
    active_days: set[int] = set()
    events = minutes = 0
    for row in rows:
        n = _num(row, "numEvents")
        if n > 0:
            active_days.add(_num(row, "day"))
        events += n
        minutes += _num(row, "numMinutes")
    return len(active_days), events, minutes


def top_items(
    rows: list[dict[str, Any]], catalog: dict[str, CatalogItem], links: PendoLinks, kind: PendoKind
) -> list[TopItem]:
    items = []
    for row in rows:
        object_id = row.get(kind.id_field)
        if not object_id:
            continue
        entry = catalog.get(str(object_id))
        items.append(
            TopItem(
                id=str(object_id),
                name=(entry.name if entry and entry.name else f"Unrecognized {kind.label}"),
                events=_num(row, "numEvents"),
                minutes=_num(row, "numMinutes"),
                url=links.item(kind, str(object_id)),
            )
        )
    return items


def depth(used_ids: set[str], catalog: dict[str, CatalogItem], previous_ids: set[str] | None = None) -> Depth:
    """Distinct features used, out of the catalog's; with a catalog, only features it lists are counted
    (a deleted feature is not a tagged feature any more), so the share never passes 100%."""
    if catalog:
        used_ids = {i for i in used_ids if i in catalog}
        previous_ids = None if previous_ids is None else {i for i in previous_ids if i in catalog}
    return Depth(
        used=len(used_ids),
        catalog=len(catalog) or None,
        previous=None if previous_ids is None else len(previous_ids),
    )


def feature_days(
    rows: list[dict[str, Any]], today_ms: int, catalog: dict[str, CatalogItem], limit: int
) -> tuple[list[dict[str, Any]], Depth]:
    """From feature rows per local day over both periods: the current period's most used features (rows
    summed per feature, events desc then id) and the depth of use against the previous period (distinct
    features with events in each)."""
    top, used, used_before = period_totals(rows, today_ms, "featureId", limit)
    return top, depth(used, catalog, used_before)


def period_totals(
    rows: list[dict[str, Any]], today_ms: int, id_field: str, limit: int
) -> tuple[list[dict[str, Any]], set[str], set[str]]:
    """From rows per object (`id_field`: pageId, featureId) and local day over both periods, in one pass:
    the current period's most used (rows summed per object, events desc then id; several rows of one day,
    for several accounts or apps, add up) and the objects with events in each period."""
    totals: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    used_before: set[str] = set()
    for row in rows:
        obj = row.get(id_field)
        if not obj:
            continue
        ago = round((today_ms - _num(row, "day")) / DAY_MS)  # as in split_periods
        events = _num(row, "numEvents")
        if 0 <= ago < WINDOW_DAYS:
            key = str(obj)
            total = totals.get(key)
            if total is None:
                total = totals[key] = {id_field: key, "numEvents": 0, "numMinutes": 0}
            total["numEvents"] += events
            total["numMinutes"] += _num(row, "numMinutes")
            if events > 0:
                used.add(key)
        elif WINDOW_DAYS <= ago < 2 * WINDOW_DAYS and events > 0:
            used_before.add(str(obj))
    top = sorted(totals.values(), key=lambda r: (-r["numEvents"], r[id_field]))[:limit]
    return top, used, used_before


def visitor_usage(
    rows: list[dict[str, Any]],
    today_ms: int,
    top_features: list[TopItem],
    top_pages: list[TopItem],
    depth: Depth | None = None,
) -> VisitorUsage:
    """Figures of the current 30 local days against the 30 before, from one query's per-day rows."""
    current, previous = split_periods(rows, today_ms)
    days, events, minutes = _totals(current)
    prev_days, prev_events, prev_minutes = _totals(previous)
    return VisitorUsage(
        days_active=days,
        events=events,
        minutes=minutes,
        events_trend=Trend(events, prev_events),
        minutes_trend=Trend(minutes, prev_minutes),
        days_trend=Trend(days, prev_days),
        daily_events=daily_series(current, today_ms),
        top_features=top_features,
        top_pages=top_pages,
        depth=depth,
    )


def accounts_usage(rows: list[dict[str, Any]], account_ids: list[str]) -> dict[str, AccountUsage]:
    """Each account's figures from rows grouped by `accountId`; an account without a row had no activity."""
    by_id = {str(r.get("accountId")): r for r in rows}
    return {a: account_usage([by_id[a]] if a in by_id else []) for a in account_ids}


def account_usage(rows: list[dict[str, Any]]) -> AccountUsage:
    row = rows[0] if rows else {}
    return AccountUsage(
        unique_visitors=_num(row, "uniqueVisitors"),
        days_active=_num(row, "daysActive"),
        events=_num(row, "numEvents"),
        minutes=_num(row, "numMinutes"),
    )


def date_ms(value: Any) -> int | None:
    """A date metadata value as epoch ms: Pendo keeps dates as epoch ms; an ISO date (2027-01-21, or
    with a time) is read too. None when unset or not a date."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if 0 < value < 10**14 else None
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp() * 1000)
    return None


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


LOCALE_FIELDS = ("language", "locale")  # field names whose values are locale codes ("en_US", "pt-BR")
_LOCALE = re.compile(r"[a-z]{2,3}(?:[_-](?:[A-Za-z]{2}|\d{3}))?")


def typed_value(value: Any, kind: str, name: str) -> tuple[FieldKind, int | bool | str | None]:
    """What a set metadata value is, for the renderers to word: a formattable time (epoch ms), a
    boolean, a locale code in a language/locale field; anything else is text."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "time" and number and format_value(value, kind) != str(value):  # 1e300 is no date
        return FieldKind.DATE, int(value)
    if isinstance(value, bool):
        return FieldKind.BOOLEAN, value
    folded = name.lower()
    if isinstance(value, str) and folded.endswith(LOCALE_FIELDS) and _LOCALE.fullmatch(value.strip()):
        return FieldKind.LOCALE, value.strip()
    return FieldKind.TEXT, None


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
            kind, raw = typed_value(value, descriptor.type if descriptor else "", name)
            out.append(MetadataField(label=label, value=text, kind=kind, raw=raw))
    return out


def account_visitors(
    rows: list[dict[str, Any]], records: dict[str, Visitor], email_field: tuple[str, str] | None
) -> list[AccountVisitor]:
    """The account's most active visitors (rows grouped by `visitorId`), named from their records."""
    out = []
    for row in rows:
        visitor_id = str(row.get("visitorId") or "")
        if not visitor_id:
            continue
        record = records.get(visitor_id)
        opted_out = record is not None and record.do_not_process
        email = None
        if record is not None and not opted_out:
            email = record.meta(*email_field) if email_field else None
            email = email or (visitor_id if "@" in visitor_id else None)
        out.append(
            AccountVisitor(
                id=visitor_id,
                name=record.name if record is not None and not opted_out else None,
                email=str(email) if email else None,
                last_visit_ms=record.meta_int("auto", "lastvisit") if record and not opted_out else None,
                events=_num(row, "numEvents"),
                minutes=_num(row, "numMinutes"),
                days_active=_num(row, "daysActive"),
                opted_out=opted_out,
            )
        )
    return out


def account_figures(
    daily: list[dict[str, Any]],
    today_ms: int,
    current: list[dict[str, Any]],
    previous: list[dict[str, Any]],
    top_visitors: list[AccountVisitor],
    top_features: list[TopItem],
    top_pages: list[TopItem],
    depth: Depth | None = None,
    feature_visitors: list[dict[str, Any]] | None = None,
) -> AccountFigures:
    """One account's figures: the current period's totals (one `reduce` row) against the previous one's,
    and the per-day events of the current period for the sparkline."""
    now, before = account_usage(current), account_usage(previous)
    return AccountFigures(
        active_visitors=Trend(now.unique_visitors, before.unique_visitors),
        days_active=Trend(now.days_active, before.days_active),
        events=Trend(now.events, before.events),
        minutes=Trend(now.minutes, before.minutes),
        daily_events=daily_series(daily, today_ms),
        top_visitors=top_visitors,
        top_features=top_features,
        top_pages=top_pages,
        depth=depth,
        feature_visitors=None
        if feature_visitors is None
        else _num((feature_visitors or [{}])[0], "visitors"),
    )
