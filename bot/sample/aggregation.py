"""The aggregation pipelines of `bot.pendo.queries`, evaluated over the sample workspace's raw events.

Supported, and nothing else (anything else raises `PipelineError`, which the fake answers with 400):

- `source`: `events`, `pageEvents`, `featureEvents`, `trackEvents` with params null or
  `{"appId": "expandAppIds(\\"*\\")"}` and `timeSeries {"period": "dayRange", "first": <int ms>,
  "count": 1..60}` or `{"period": "hourRange", "first": <int ms>, "count": 1..168}`; or `visitors` /
  `accounts` (params null, no timeSeries) giving rows `{"visitorId", "metadata"}` /
  `{"accountId", "metadata"}`; or `pollEvents` (params null, all apps, or `{"guideId", "pollId"}`;
  dayRange only, `count` up to 365 days): the workspace's poll answers, one row each, as Pendo returns
  them (see surveys.py), placed in the window by `browserTime`.
- Days are the subscription's days (`Workspace.timezone`), as in real Pendo: the window runs from the
  local midnight that starts the day containing `first`, for `count` local days, and each row's `day` is
  that row's local midnight in epoch ms (so `day % 86_400_000` gives the subscription's UTC offset).
  An hourRange window runs from the start of the (local) hour containing `first` for `count` hours;
  its rows are per hour and carry `hour` (the hour's start, epoch ms) besides `day`. Hour rows are
  bucketed on demand (day rows are bucketed once per visitor/account and sliced).
- `identified` ("visitorId"), `filter` (expression string, see filter_expr), `group`, `reduce` (`sum`,
  `count` = distinct non-null values), `sort` (`-` prefix: descending), `limit`. A `sum` over rows none
  of which carries the field leaves the field out of the output row (absent = not collected, as the
  friction counts below); a `reduce` over no rows at all still sums to 0.

Event rows: raw events in the window are bucketed by (local day or hour, visitorId, accountId, kind,
object_id, appId); one row per bucket with `numEvents` = events in it, `numMinutes` = distinct
floor(ts / 60000) among them, and `firstTime` / `lastTime`, the epoch ms of its first and last event.
`events` covers kinds page, feature and untagged (rows carry `pageId` and `featureId`, both null for
untagged pages); `pageEvents` page (`pageId`); `featureEvents` feature (`featureId`); `trackEvents`
trackType (`trackTypeId`). Guide events appear in no event source.

Frustration signals and replays (shared/reference/friction-replays-alerts.md F2, R2: the field names of
page-event rows a public Pendo API client received; unverified by Pendo's docs), from
`RawEvent.friction` and `RawEvent.recording`:

- `pageEvents` rows carry `rageClickCount`, `deadClickCount`, `errorClickCount` and `uTurnCount` (0 when
  none): the flagged page loads of the bucket plus the flagged clicks on the page's features
  (`data.FEATURE_PAGE_IDS`) in the same local day or hour, by the same visitor, account and app: a rage
  click on a button is a rage click on the page it is on. Decision: a page row exists only where the
  page was loaded in the bucket (Pendo's page rows count page loads), so a click whose bucket has no
  load of its page adds to no page row (its feature row still counts it).
- `featureEvents` rows carry the three click counts, never `uTurnCount` (a U-turn is a page-level
  signal); `events` and `trackEvents` rows carry none.
- When the subscription does not collect them (`friction_fields=False`) no row carries any of the four:
  absent means "not collected", never 0 (F2).
- `pageEvents` rows carry `recordingSessionId` and `recordingId` (`<recordingSessionId>-t1`, one tab)
  when the newest page load of the bucket was recorded (Session Replay, a paid add-on); absent otherwise.

Data lag (shared/reference/pendo-api.md §7: Pendo processes event data by the hour and hourly aggregates
have been observed to lag 4-6 h): with a `cutoff`, every event source leaves out the events at or after
it (`pendo_api` passes the start of the hour `lag_hours` before its clock); `pollEvents` and the
history endpoint are not affected.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.sample import filter_expr
from bot.sample.data import (
    FEATURE_PAGE_IDS,
    HOUR_MS,
    MINUTE_MS,
    RawEvent,
    Workspace,
    local_hour,
    local_midnight,
)

Row = dict[str, Any]
MAX_DAYS = 60
MAX_HOURS = 168
ALL_APPS = {"appId": 'expandAppIds("*")'}
# source -> (raw kinds, id columns)
EVENT_SOURCES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "events": (frozenset({"page", "feature", "untagged"}), ("pageId", "featureId")),
    "pageEvents": (frozenset({"page"}), ("pageId",)),
    "featureEvents": (frozenset({"feature"}), ("featureId",)),
    "trackEvents": (frozenset({"trackType"}), ("trackTypeId",)),
}
_Bucket = tuple[int, str, str | None, str, str | None, int]  # day/hour, visitor, account, kind, object, app
# RawEvent.friction -> the row field counting it
FRICTION_FIELDS = {
    "rage": "rageClickCount",
    "dead": "deadClickCount",
    "error": "errorClickCount",
    "uturn": "uTurnCount",
}
CLICK_FRICTION = ("rageClickCount", "deadClickCount", "errorClickCount")
# source -> the friction counts its rows carry (when the subscription collects them)
SOURCE_FRICTION: dict[str, tuple[str, ...]] = {
    "pageEvents": (*CLICK_FRICTION, "uTurnCount"),
    "featureEvents": CLICK_FRICTION,
}
RECORDING_FIELDS = ("recordingSessionId", "recordingId")
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
        self._hours: dict[int, int] = {}

    def start(self, ts_ms: int) -> int:
        slot = ts_ms // _SLOT_MS
        found = self._cache.get(slot)
        if found is None:
            found = self._cache[slot] = local_midnight(slot * _SLOT_MS, self.timezone)
        return found

    def shift(self, ts_ms: int, days: int) -> int:
        """Local midnight `days` local days after the day containing `ts_ms`."""
        return local_midnight(ts_ms, self.timezone, days)

    def hour(self, ts_ms: int) -> int:
        """Start of the local hour containing an instant (hours start on a 15-minute mark in every zone)."""
        slot = ts_ms // _SLOT_MS
        found = self._hours.get(slot)
        if found is None:
            found = self._hours[slot] = local_hour(slot * _SLOT_MS, self.timezone)
        return found


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
@dataclass(frozen=True)
class Serving:
    """How the subscription serves event sources now: `cutoff` (epoch ms; events at or after it are not
    processed yet, None: no lag) and whether it collects friction counts (`friction_fields`)."""

    cutoff: int | None = None
    friction_fields: bool = True


def _window(
    spec: dict[str, Any], days: LocalDays, max_days: int, hours: bool = False
) -> tuple[int, int, bool]:
    """[start, end) of a timeSeries and whether it is hourly: a dayRange is local midnights, `count` local
    days from `first`'s day; an hourRange (when `hours`) `count` hours from the start of `first`'s hour."""
    series = spec.get("timeSeries")
    if not isinstance(series, dict):
        raise _fail("no period specified for time series source")
    if set(series) != {"period", "first", "count"}:
        raise _fail(f"timeSeries must have exactly period, first and count, got {sorted(series)}")
    hourly = hours and series["period"] == "hourRange"
    if series["period"] != "dayRange" and not hourly:
        raise _fail(f"unsupported timeSeries period {series['period']!r}")
    first, count = series["first"], series["count"]
    if not _is_int(first):
        raise _fail("timeSeries.first must be an integer (epoch ms)")
    limit = MAX_HOURS if hourly else max_days
    if not _is_int(count) or not 1 <= count <= limit:
        raise _fail(f"timeSeries.count must be an integer in 1..{limit}, got {count!r}")
    try:
        if hourly:
            start = days.hour(first)
            return start, start + count * HOUR_MS, True
        return days.start(first), days.shift(first, count), False
    except (OverflowError, OSError, ValueError):
        raise _fail(f"timeSeries.first is out of range: {first}") from None


def _poll_rows(spec: dict[str, Any], ws: Workspace, days: LocalDays) -> list[Row]:
    """pollEvents: one row per answer (not bucketed), within the window by `browserTime`; params null,
    all apps, or Pendo's Looker form `{"guideId", "pollId"}`."""
    params = spec[POLL_SOURCE]
    looker_form = isinstance(params, dict) and set(params) == {"guideId", "pollId"}
    if params is not None and params != ALL_APPS and not looker_form:
        raise _fail(f"unsupported {POLL_SOURCE} parameters {json.dumps(params)}")
    start, end, _ = _window(spec, days, MAX_POLL_DAYS)
    out = []
    for row in ws.poll_events:
        if not start <= row["browserTime"] < end:
            continue
        if looker_form and (row.get("guideId"), row.get("pollId")) != (params["guideId"], params["pollId"]):
            continue
        out.append(dict(row))
    return out


def _event_rows(
    source: str,
    spec: dict[str, Any],
    candidates: Iterable[list[RawEvent]],
    index: EventIndex,
    serving: Serving,
) -> list[Row]:
    params = spec[source]
    if params is not None and params != ALL_APPS:
        raise _fail(f"unsupported {source} parameters {json.dumps(params)}")
    start, end, hourly = _window(spec, index.days, MAX_DAYS, hours=True)
    rows = [
        row
        for events in candidates
        for row in _rows_in(source, events, start, end, hourly, index, serving.cutoff)
    ]
    if not serving.friction_fields:
        for row in rows:
            for name in SOURCE_FRICTION.get(source, ()):
                row.pop(name, None)
    id_columns = EVENT_SOURCES[source][1]
    rows.sort(
        key=lambda r: (
            r["day"],
            r.get("hour", 0),
            r["visitorId"],
            r["accountId"] or "",
            *(r[c] or "" for c in id_columns),
        )
    )
    return rows


def _rows_in(
    source: str,
    events: list[RawEvent],
    start: int,
    end: int,
    hourly: bool,
    index: EventIndex,
    cutoff: int | None,
) -> list[Row]:
    """The rows of `source` over the events with start <= ts < min(end, cutoff): day rows from the index
    (the day holding the cutoff bucketed anew), hour rows bucketed now."""
    if cutoff is not None and cutoff < end:
        if hourly:
            end = max(start, cutoff)
        elif cutoff < start:
            return []
        else:
            cut_day = index.days.start(cutoff)
            rows = index.day_rows(source, events, start, cut_day)
            return rows + _bucket(source, window(events, cut_day, cutoff), index.days)
    if hourly:
        return _bucket(source, window(events, start, end), index.days, hourly=True)
    return index.day_rows(source, events, start, end)


class _Acc:
    """One bucket being filled."""

    __slots__ = ("count", "first", "friction", "last", "minutes", "recording")

    def __init__(self, ts: int) -> None:
        self.count = 0
        self.first = self.last = ts
        self.minutes: set[int] = set()
        self.friction: dict[str, int] = {}
        self.recording: str | None = None


def _bucket(source: str, events: list[RawEvent], days: LocalDays, hourly: bool = False) -> list[Row]:
    """`events` (ascending by ts) bucketed by (local day or hour, visitorId, accountId, kind, object,
    app), one row per bucket with `numEvents`, `numMinutes` (distinct minutes), `firstTime`, `lastTime`,
    the friction counts of the source, and on pageEvents the recording of the bucket's newest event;
    ascending by day (by hour when `hourly`)."""
    kinds, id_columns = EVENT_SOURCES[source]
    counted = SOURCE_FRICTION.get(source, ())
    pages = source == "pageEvents"
    buckets: dict[_Bucket, _Acc] = {}
    clicks: list[tuple[_Bucket, str]] = []  # pageEvents: a flagged click, for its page's row
    for e in events:
        at = days.hour(e.ts) if hourly else days.start(e.ts)
        if e.kind not in kinds:
            if pages and e.kind == "feature" and e.friction and e.object_id in FEATURE_PAGE_IDS:
                page = FEATURE_PAGE_IDS[e.object_id]
                clicks.append(((at, e.visitor_id, e.account_id, "page", page, e.app_id), e.friction))
            continue
        key: _Bucket = (at, e.visitor_id, e.account_id, e.kind, e.object_id, e.app_id)
        acc = buckets.get(key)
        if acc is None:
            acc = buckets[key] = _Acc(e.ts)
        acc.count += 1
        acc.minutes.add(e.ts // MINUTE_MS)
        acc.first, acc.last = min(acc.first, e.ts), max(acc.last, e.ts)
        if e.ts >= acc.last:
            acc.recording = e.recording
        if e.friction:
            name = FRICTION_FIELDS.get(e.friction)
            if name in counted:
                acc.friction[name] = acc.friction.get(name, 0) + 1
    for key, friction in clicks:
        name = FRICTION_FIELDS.get(friction)
        if (acc := buckets.get(key)) is not None and name in counted:  # no page load there: no page row
            acc.friction[name] = acc.friction.get(name, 0) + 1
    rows = []
    for key, acc in buckets.items():
        at, visitor, account, kind, object_id, app = key
        row: Row = {"day": days.start(at), "hour": at} if hourly else {"day": at}
        row |= {"visitorId": visitor, "accountId": account, "appId": app}
        for column in id_columns:
            row[column] = object_id if _ID_COLUMN.get(kind) == column else None
        row |= {
            "numEvents": acc.count,
            "numMinutes": len(acc.minutes),
            "firstTime": acc.first,
            "lastTime": acc.last,
        }
        for name in counted:
            row[name] = acc.friction.get(name, 0)
        if pages and acc.recording:
            row |= {"recordingSessionId": acc.recording, "recordingId": f"{acc.recording}-t1"}
        rows.append(row)
    rows.sort(key=lambda r: r["hour"] if hourly else r["day"])  # stable: within one, the order met
    return rows


def _source(
    stage: Any, hint: tuple[str, set[str]] | None, ws: Workspace, index: EventIndex, serving: Serving
) -> list[Row]:
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
        return _event_rows(source, spec, candidates, index, serving)
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


_ABSENT = object()  # an aggregate to leave out of the output row


def _sum(column: str) -> Callable[[list[Row]], Any]:
    def run(rows: list[Row]) -> Any:
        values = [r.get(column) for r in rows if r.get(column) is not None]
        if rows and not values:  # no row carries the field: not collected, not 0
            return _ABSENT
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
        result |= _aggregate(aggregators, members)
        out.append(result)
    return out, set(keys) | {name for name, _ in aggregators}


def _reduce(arg: Any, rows: list[Row], columns: set[str]) -> tuple[list[Row], set[str]]:
    aggregators = _aggregators(arg, columns, "reduce")
    return [_aggregate(aggregators, rows)], {name for name, _ in aggregators}


def _aggregate(aggregators: list[tuple[str, Callable[[list[Row]], Any]]], rows: list[Row]) -> Row:
    out = {name: fn(rows) for name, fn in aggregators}
    return {name: value for name, value in out.items() if value is not _ABSENT}


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


def run_pipeline(
    pipeline: Any, ws: Workspace, index: EventIndex, serving: Serving | None = None
) -> list[Row]:
    """Evaluate a pipeline; raises PipelineError for anything outside the supported subset."""
    if not isinstance(pipeline, list) or not pipeline:
        raise _fail("request.pipeline must be a non-empty list of stages")
    hint = None
    if len(pipeline) > 1 and isinstance(pipeline[1], dict) and isinstance(pipeline[1].get("filter"), str):
        try:
            hint = filter_expr.equality_values(filter_expr.parse(pipeline[1]["filter"]))
        except filter_expr.FilterSyntaxError:
            hint = None  # reported properly when the filter stage runs
    rows = _source(pipeline[0], hint, ws, index, serving or Serving())
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
    columns = {
        "day",
        "hour",
        "visitorId",
        "accountId",
        "appId",
        "numEvents",
        "numMinutes",
        "firstTime",
        "lastTime",
    }
    columns |= {*EVENT_SOURCES[source][1], *SOURCE_FRICTION.get(source, ())}
    return columns | set(RECORDING_FIELDS) if source == "pageEvents" else columns
