"""The aggregation pipelines of `bot.pendo.queries`, evaluated over the sample workspace's raw events.

Supported, and nothing else (anything else raises `PipelineError`, which the fake answers with 400):

- `source`: `events`, `pageEvents`, `featureEvents`, `trackEvents` with params null or
  `{"appId": "expandAppIds(\\"*\\")"}` and `timeSeries {"period": "dayRange", "first": <int ms>,
  "count": 1..60}`; or `visitors` / `accounts` (params null, no timeSeries) giving rows
  `{"visitorId", "metadata"}` / `{"accountId", "metadata"}`; or `pollEvents` (params null, all apps, or
  `{"guideId", "pollId"}`; `count` up to 365 days): the workspace's poll answers, one row each, as Pendo
  returns them (see surveys.py), placed in the window by `browserTime`.
- Days are the subscription's days (`Workspace.timezone`), as in real Pendo: the window runs from the
  local midnight that starts the day containing `first`, for `count` local days, and each row's `day` is
  that row's local midnight in epoch ms (so `day % 86_400_000` gives the subscription's UTC offset).
- `identified` ("visitorId"), `filter` (expression string, see filter_expr), `group`, `reduce` (`sum`,
  `count` = distinct non-null values), `sort` (`-` prefix: descending), `limit`.

Event rows: raw events in the window are bucketed by (local day, visitorId, accountId, kind, object_id);
one row per bucket with `numEvents` = events in it and `numMinutes` = distinct floor(ts / 60000) among
them. `events` covers kinds page, feature and untagged (rows carry `pageId` and `featureId`, both null
for untagged pages); `pageEvents` page (`pageId`); `featureEvents` feature (`featureId`); `trackEvents`
trackType (`trackTypeId`). Guide events appear in no event source.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.sample import filter_expr
from bot.sample.data import MINUTE_MS, RawEvent, Workspace, local_midnight

Row = dict[str, Any]
MAX_DAYS = 60
ALL_APPS = {"appId": 'expandAppIds("*")'}
# source -> (raw kinds, id columns)
EVENT_SOURCES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "events": (frozenset({"page", "feature", "untagged"}), ("pageId", "featureId")),
    "pageEvents": (frozenset({"page"}), ("pageId",)),
    "featureEvents": (frozenset({"feature"}), ("featureId",)),
    "trackEvents": (frozenset({"trackType"}), ("trackTypeId",)),
}
_Bucket = tuple[int, str, str | None, str, str | None, int]  # day, visitor, account, kind, object id, app
POLL_SOURCE = "pollEvents"
MAX_POLL_DAYS = 365  # Pendo's Looker block reads a year of pollEvents in one query (count 365)
POLL_COLUMNS = frozenset(
    {
        "visitorId",
        "accountId",
        "accountIds",
        "appId",
        "guideId",
        "pollId",
        "browserTime",
        "pollResponse",
        "type",
        "country",
        "region",
        "remoteIp",
        "serverName",
        "userAgent",
    }
)
_ID_COLUMN = {"page": "pageId", "feature": "featureId", "trackType": "trackTypeId"}


class PipelineError(ValueError):
    """The pipeline uses something the sample workspace (deliberately) does not implement."""


_SLOT_MS = 15 * MINUTE_MS  # every UTC offset in use is a multiple of 15 minutes


class LocalDays:
    """Local midnight of the day containing an instant, in one time zone, memoised per 15 minutes."""

    def __init__(self, timezone: str) -> None:
        self.timezone = timezone
        self._cache: dict[int, int] = {}

    def start(self, ts_ms: int) -> int:
        slot = ts_ms // _SLOT_MS
        found = self._cache.get(slot)
        if found is None:
            found = self._cache[slot] = local_midnight(slot * _SLOT_MS, self.timezone)
        return found

    def shift(self, ts_ms: int, days: int) -> int:
        """Local midnight `days` local days after the day containing `ts_ms`."""
        return local_midnight(ts_ms, self.timezone, days)


@dataclass
class EventIndex:
    """Raw events by visitor and by account, each list ascending by ts, and the subscription's days."""

    all: list[RawEvent]
    by_visitor: dict[str, list[RawEvent]]
    by_account: dict[str, list[RawEvent]]
    days: LocalDays
    # (source, id of an event list) -> (the list, its rows' days ascending, its rows): every event of the
    # list bucketed once per source, so a query slices rows by day instead of walking raw events.
    _rows: dict[tuple[str, int], tuple[list[RawEvent], list[int], list[Row]]] = field(default_factory=dict)

    def bucket_everything(self) -> None:
        """Bucket every visitor's and account's events for every event source now (the benchmark's
        fakes do this at start-up, so their answers cost slicing, not a walk over raw events)."""
        for source in EVENT_SOURCES:
            for events in (self.all, *self.by_visitor.values(), *self.by_account.values()):
                self.day_rows(source, events, 0, 0)

    def day_rows(self, source: str, events: list[RawEvent], start: int, end: int) -> list[Row]:
        """The rows of `source` over `events` (one per local day, visitor, account, kind, object and
        app) whose day is in [start, end), which are local midnights: exactly the rows of the events
        with start <= ts < end. Copies: the pipeline's stages may change them."""
        key = (source, id(events))
        found = self._rows.get(key)
        if found is None or found[0] is not events:
            rows = _bucket(source, events, self.days)
            found = self._rows[key] = (events, [r["day"] for r in rows], rows)
        _, days, rows = found
        lo, hi = bisect.bisect_left(days, start), bisect.bisect_left(days, end)
        return [dict(r) for r in rows[lo:hi]]

    @classmethod
    def build(cls, events: list[RawEvent], timezone: str = "UTC") -> EventIndex:
        ordered = sorted(events, key=lambda e: e.ts)
        by_visitor: dict[str, list[RawEvent]] = {}
        by_account: dict[str, list[RawEvent]] = {}
        for e in ordered:
            by_visitor.setdefault(e.visitor_id, []).append(e)
            if e.account_id is not None:
                by_account.setdefault(e.account_id, []).append(e)
        return cls(ordered, by_visitor, by_account, LocalDays(timezone))


def bounds(events: list[RawEvent], start: int, end: int) -> tuple[int, int]:
    """Slice indices of the events with start <= ts < end, in a list ascending by ts."""
    return (
        bisect.bisect_left(events, start, key=lambda e: e.ts),
        bisect.bisect_left(events, end, key=lambda e: e.ts),
    )


def window(events: list[RawEvent], start: int, end: int) -> list[RawEvent]:
    lo, hi = bounds(events, start, end)
    return events[lo:hi]


def _fail(message: str) -> PipelineError:
    return PipelineError(message)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _single(stage: Any, what: str) -> tuple[str, Any]:
    if not isinstance(stage, dict) or len(stage) != 1:
        raise _fail(f"{what} must be an object with exactly one key, got {json.dumps(stage)[:100]}")
    return next(iter(stage.items()))


# --- source ---------------------------------------------------------------------------------------------
def _window(spec: dict[str, Any], days: LocalDays, max_days: int) -> tuple[int, int]:
    """[start, end) of a dayRange timeSeries: local midnights, `count` local days from `first`'s day."""
    series = spec.get("timeSeries")
    if not isinstance(series, dict):
        raise _fail("no period specified for time series source")
    if set(series) != {"period", "first", "count"}:
        raise _fail(f"timeSeries must have exactly period, first and count, got {sorted(series)}")
    if series["period"] != "dayRange":
        raise _fail(f"unsupported timeSeries period {series['period']!r}")
    first, count = series["first"], series["count"]
    if not _is_int(first):
        raise _fail("timeSeries.first must be an integer (epoch ms)")
    if not _is_int(count) or not 1 <= count <= max_days:
        raise _fail(f"timeSeries.count must be an integer in 1..{max_days}, got {count!r}")
    return days.start(first), days.shift(first, count)


def _poll_rows(spec: dict[str, Any], ws: Workspace, days: LocalDays) -> list[Row]:
    """pollEvents: one row per answer (not bucketed), within the window by `browserTime`; params null,
    all apps, or Pendo's Looker form `{"guideId", "pollId"}`."""
    params = spec[POLL_SOURCE]
    looker_form = isinstance(params, dict) and set(params) == {"guideId", "pollId"}
    if params is not None and params != ALL_APPS and not looker_form:
        raise _fail(f"unsupported {POLL_SOURCE} parameters {json.dumps(params)}")
    start, end = _window(spec, days, MAX_POLL_DAYS)
    out = []
    for row in ws.poll_events:
        if not start <= row["browserTime"] < end:
            continue
        if looker_form and (row.get("guideId"), row.get("pollId")) != (params["guideId"], params["pollId"]):
            continue
        out.append(dict(row))
    return out


def _event_rows(
    source: str, spec: dict[str, Any], candidates: Iterable[list[RawEvent]], index: EventIndex
) -> list[Row]:
    params = spec[source]
    if params is not None and params != ALL_APPS:
        raise _fail(f"unsupported {source} parameters {json.dumps(params)}")
    start, end = _window(spec, index.days, MAX_DAYS)
    rows = [row for events in candidates for row in index.day_rows(source, events, start, end)]
    id_columns = EVENT_SOURCES[source][1]
    rows.sort(
        key=lambda r: (r["day"], r["visitorId"], r["accountId"] or "", *(r[c] or "" for c in id_columns))
    )
    return rows


def _bucket(source: str, events: list[RawEvent], days: LocalDays) -> list[Row]:
    """`events` bucketed by (local day, visitorId, accountId, kind, object, app), one row per bucket
    with `numEvents` and `numMinutes` (distinct minutes), ascending by day."""
    kinds, id_columns = EVENT_SOURCES[source]
    buckets: dict[_Bucket, set[int]] = {}
    counts: dict[_Bucket, int] = {}
    for e in events:
        if e.kind not in kinds:
            continue
        key: _Bucket = (days.start(e.ts), e.visitor_id, e.account_id, e.kind, e.object_id, e.app_id)
        buckets.setdefault(key, set()).add(e.ts // MINUTE_MS)
        counts[key] = counts.get(key, 0) + 1
    rows = []
    for key, minutes in buckets.items():
        day, visitor, account, kind, object_id, app = key
        row: Row = {"day": day, "visitorId": visitor, "accountId": account, "appId": app}
        for column in id_columns:
            row[column] = object_id if _ID_COLUMN.get(kind) == column else None
        row |= {"numEvents": counts[key], "numMinutes": len(minutes)}
        rows.append(row)
    rows.sort(key=lambda r: r["day"])  # stable: within a day, the order the buckets were met
    return rows


def _source(stage: Any, hint: tuple[str, set[str]] | None, ws: Workspace, index: EventIndex) -> list[Row]:
    name, spec = _single(stage, "the first pipeline stage")
    if name != "source":
        raise _fail(f"a pipeline must start with a source stage, not {name!r}")
    if not isinstance(spec, dict):
        raise _fail("source must be an object")
    sources = [k for k in spec if k != "timeSeries"]
    if len(sources) != 1:
        raise _fail(f"source must name exactly one source, got {sources}")
    source = sources[0]
    if source in EVENT_SOURCES:
        candidates: Iterable[list[RawEvent]] = [index.all]
        if hint is not None and hint[0] in ("visitorId", "accountId"):
            by = index.by_visitor if hint[0] == "visitorId" else index.by_account
            candidates = [by.get(value, []) for value in sorted(hint[1])]
        return _event_rows(source, spec, candidates, index)
    if source == POLL_SOURCE:
        return _poll_rows(spec, ws, index.days)
    if source in ("visitors", "accounts"):
        if spec[source] is not None or "timeSeries" in spec:
            raise _fail(f"the {source} source takes null parameters and no timeSeries")
        if source == "accounts":
            return [{"accountId": aid, "metadata": a.get("metadata", {})} for aid, a in ws.accounts.items()]
        return [{"visitorId": vid, "metadata": v.get("metadata", {})} for vid, v in ws.visitors.items()]
    raise _fail(f"unknown or unsupported source {source!r}")


# --- operators ------------------------------------------------------------------------------------------
def _check_column(column: Any, columns: set[str], where: str) -> str:
    if not isinstance(column, str) or column.split(".", 1)[0] not in columns:
        raise _fail(f"{where}: unknown field {column!r} (available: {', '.join(sorted(columns))})")
    return column


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _aggregators(spec: Any, columns: set[str], where: str) -> list[tuple[str, Callable[[list[Row]], Any]]]:
    items: list[tuple[str, Any]] = []
    if isinstance(spec, list):
        items = [_single(entry, f"{where} field") for entry in spec]
    elif isinstance(spec, dict):
        items = list(spec.items())
    if not items:
        raise _fail(f"{where} needs a non-empty list of {{name: {{sum|count: field}}}} objects")
    out = []
    for name, agg in items:
        fn, column = _single(agg, f"{where} aggregator {name!r}")
        column = _check_column(column, columns, f"{where} {name!r}")
        if fn == "sum":
            out.append((name, _sum(column)))
        elif fn == "count":
            out.append((name, _count(column)))
        else:
            raise _fail(f"{where}: unknown aggregator {fn!r} (supported: sum, count)")
    return out


def _sum(column: str) -> Callable[[list[Row]], Any]:
    def run(rows: list[Row]) -> Any:
        values = [r.get(column) for r in rows if r.get(column) is not None]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            raise _fail(f"sum of non-numeric field {column!r}")
        return sum(values)

    return run


def _count(column: str) -> Callable[[list[Row]], int]:
    def run(rows: list[Row]) -> int:
        return len({_hashable(r.get(column)) for r in rows if r.get(column) is not None})

    return run


def _group(arg: Any, rows: list[Row], columns: set[str]) -> tuple[list[Row], set[str]]:
    if not isinstance(arg, dict) or set(arg) != {"group", "fields"}:
        raise _fail('group must be {"group": [fields], "fields": [...]}')
    keys = arg["group"]
    if not isinstance(keys, list) or not keys:
        raise _fail("group.group must be a non-empty list of fields")
    keys = [_check_column(k, columns, "group") for k in keys]
    aggregators = _aggregators(arg["fields"], columns, "group")
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(_hashable(row.get(k)) for k in keys), []).append(row)
    out = []
    for members in groups.values():
        result = {k: members[0].get(k) for k in keys}
        result |= {name: fn(members) for name, fn in aggregators}
        out.append(result)
    return out, set(keys) | {name for name, _ in aggregators}


def _reduce(arg: Any, rows: list[Row], columns: set[str]) -> tuple[list[Row], set[str]]:
    aggregators = _aggregators(arg, columns, "reduce")
    return [{name: fn(rows) for name, fn in aggregators}], {name for name, _ in aggregators}


def _filter(arg: Any, rows: list[Row], columns: set[str]) -> tuple[list[Row], set[str]]:
    if not isinstance(arg, str):
        raise _fail("filter must be an expression string")
    try:
        node = filter_expr.parse(arg)
    except filter_expr.FilterSyntaxError as exc:
        raise _fail(f"filter: {exc}") from None
    for path in filter_expr.paths(node):
        _check_column(path, columns, "filter")
    return [r for r in rows if filter_expr.evaluate(node, r)], columns


def _identified(arg: Any, rows: list[Row], columns: set[str]) -> tuple[list[Row], set[str]]:
    if arg != "visitorId":
        raise _fail(f'identified supports "visitorId" only, got {arg!r}')
    return [
        r for r in rows if r.get("visitorId") and not str(r["visitorId"]).startswith("_PENDO_T_")
    ], columns


def _sort(arg: Any, rows: list[Row], columns: set[str]) -> tuple[list[Row], set[str]]:
    if not isinstance(arg, list) or not arg:
        raise _fail("sort must be a non-empty list of field names")
    out = list(rows)
    for spec in reversed(arg):
        if not isinstance(spec, str):
            raise _fail("sort entries must be strings")
        descending = spec.startswith("-")
        column = _check_column(spec.removeprefix("-"), columns, "sort")
        try:
            out.sort(key=lambda r: (r.get(column) is not None, r.get(column)), reverse=descending)
        except TypeError:
            raise _fail(f"sort: field {column!r} mixes value types") from None
    return out, columns


def _limit(arg: Any, rows: list[Row], columns: set[str]) -> tuple[list[Row], set[str]]:
    if not _is_int(arg) or arg < 0:
        raise _fail(f"limit must be a non-negative integer, got {arg!r}")
    return rows[:arg], columns


_OPERATORS: dict[str, Callable[[Any, list[Row], set[str]], tuple[list[Row], set[str]]]] = {
    "filter": _filter,
    "identified": _identified,
    "group": _group,
    "reduce": _reduce,
    "sort": _sort,
    "limit": _limit,
}


def run_pipeline(pipeline: Any, ws: Workspace, index: EventIndex) -> list[Row]:
    """Evaluate a pipeline; raises PipelineError for anything outside the supported subset."""
    if not isinstance(pipeline, list) or not pipeline:
        raise _fail("request.pipeline must be a non-empty list of stages")
    hint = None
    if len(pipeline) > 1 and isinstance(pipeline[1], dict) and isinstance(pipeline[1].get("filter"), str):
        try:
            hint = filter_expr.equality_values(filter_expr.parse(pipeline[1]["filter"]))
        except filter_expr.FilterSyntaxError:
            hint = None  # reported properly when the filter stage runs
    rows = _source(pipeline[0], hint, ws, index)
    columns = _source_columns(pipeline[0])
    for stage in pipeline[1:]:
        name, arg = _single(stage, "a pipeline stage")
        operator = _OPERATORS.get(name)
        if operator is None:
            raise _fail(f"unknown or unsupported pipeline operator {name!r}")
        rows, columns = operator(arg, rows, columns)
    return rows


def _source_columns(stage: dict[str, Any]) -> set[str]:
    source = next(k for k in stage["source"] if k != "timeSeries")
    if source == "visitors":
        return {"visitorId", "metadata"}
    if source == "accounts":
        return {"accountId", "metadata"}
    if source == POLL_SOURCE:
        return set(POLL_COLUMNS)
    return {"day", "visitorId", "accountId", "appId", "numEvents", "numMinutes", *EVENT_SOURCES[source][1]}
