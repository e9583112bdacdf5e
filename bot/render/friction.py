"""Friction, replays and what stands out, in words: pure helpers for every surface (Slack's first screen
and Details, the unfurl, the Zendesk note, the CLI, the account view).

Each helper takes `at`, the surface's way of writing an absolute time (Slack's date token, or a time in
the note's or the terminal's zone), and `name`, its way of writing a page's name (escaped and linked in
Slack, plain elsewhere), so every surface says the same words. Times are relative to the ticket where
there is one ("6 min before filing"), never to "now".
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.friction import HOUR_MS, Counts, FrictionFacts, Replay, Spot, Trend
from bot.domain.signals import Signal, SignalKind
from bot.render.format import number
from bot.render.nps import head
from bot.render.times import MINUTE_MS, span

At = Callable[[int], str]  # an absolute time as the surface writes it
Name = Callable[[Spot], str]  # a page's or feature's name as the surface writes it
ICON = "😣"
STAND_OUT_ICON = "🚩"
REPLAY_ICON = "▶"
DAY_MS = 86_400_000

_NOUNS = {
    "rage": ("rage click", "rage clicks"),
    "error": ("error click", "error clicks"),
    "dead": ("dead click", "dead clicks"),
    "uturn": ("U-turn", "U-turns"),
}


def _count(n: int, kind: str) -> str:
    one, many = _NOUNS[kind]
    return f"{number(n)} {one if n == 1 else many}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def counts_words(c: Counts) -> str:
    """ "4 rage clicks and 2 error clicks"; "no friction" when every collected count is 0."""
    parts = [_count(n, kind) for kind, n in c.items().items() if n]
    return _and(parts) if parts else "no friction"


def short_counts(c: Counts) -> str:
    """ "4 rage clicks, 2 error clicks": for a timeline entry or a replay, where "and" reads long."""
    return ", ".join(_count(n, kind) for kind, n in c.items().items() if n)


def before(ms: int, anchor_ms: int) -> str:
    """ "6 min before filing" ("at filing" within the minute)."""
    gap = anchor_ms - ms
    return "at filing" if gap < MINUTE_MS else f"{span(gap)} before filing"


def spot_when(f: FrictionFacts, spot: Spot, at: At) -> str:
    """When it happened: minutes before filing only from the row's last event; else its hour."""
    if f.scope == "ticket":
        if spot.last_ms is not None:
            return before(spot.last_ms, f.end_ms)
        if spot.hour_ms is not None and f.end_ms - spot.hour_ms <= HOUR_MS:
            return "in the hour before filing"
        return f"in the hour from {at(spot.hour_ms or f.start_ms)}"
    return f"in their latest session, {at(spot.last_ms or spot.hour_ms or f.end_ms)}"


def freshness(f: FrictionFacts, at: At) -> str | None:
    """ "Pendo has data until 14:00": said whenever Pendo's figures end before the ticket."""
    return f"Pendo has data until {at(f.data_until_ms)}" if f.data_until_ms is not None else None


def strongest_line(f: FrictionFacts, name: Name, at: At, *, label: bool = True) -> str | None:
    """ "😣 4 rage clicks and 2 error clicks on Export CSV, 6 min before filing" (+ freshness); when there
    was none, a line only if Pendo's figures end before filing (never implying "no friction"). Without
    `label` (the stand-out line already names friction), the same without the icon."""
    s = f.strongest
    fresh = freshness(f, at)
    if s is None:
        if fresh is None:
            return None
        return f"No friction in Pendo's figures so far: the last hours before filing are not in Pendo yet ({fresh})."
    text = f"{counts_words(s.counts)} on {name(s)}, {spot_when(f, s, at)}"
    if fresh:
        text += f" ({fresh})"
    return f"{ICON} {text}" if label else text


def none_line(f: FrictionFacts, at: At) -> str:
    """Details and the note, when the window had no friction: said, with how far Pendo's figures go."""
    fresh = freshness(f, at)
    window = "in the 24 h before filing" if f.scope == "ticket" else "in their latest session"
    if fresh:
        return (
            f"No friction {window} in Pendo's figures so far: the last hours are not in Pendo yet ({fresh})."
        )
    return f"No friction {window}."


def trend_line(t: Trend, name: Name) -> str:
    """ "30 d: 12 rage clicks (▲ 5), 3 error clicks (no change) · most on Billing settings (9)"."""
    parts = []
    for kind, n in t.current.items(every=True).items():
        if n is None:
            continue
        was = t.previous.items(every=True)[kind]
        if not n and not was:
            continue
        change = "" if was is None else _change(n - was)
        parts.append(f"{_count(n, kind)}{change}")
    text = "30 d: " + (", ".join(parts) if parts else "no friction")
    if t.top is not None:
        text += f" · most on {name(t.top)} ({number(t.top.counts.total)})"
    return text


def _change(delta: int) -> str:
    if delta == 0:
        return " (no change)"
    return f" ({'▲' if delta > 0 else '▼'} {abs(delta)} vs previous 30 d)"


def replay_words(f: FrictionFacts, r: Replay, at: At) -> str:
    """ "starts 9 min before filing · 7 min · 4 rage clicks"; in a session answer, its start time."""
    if f.scope == "ticket":
        start = (
            f"starts {before(r.start_ms, f.end_ms)}"
            if r.start_ms <= f.end_ms
            else f"starts {span(r.start_ms - f.end_ms)} after filing"
        )
    else:
        start = f"starts {at(r.start_ms)}"
    parts = [start, f"{r.minutes} min"]
    if r.counts.total:
        parts.append(short_counts(r.counts))
    return " · ".join(parts)


def account_line(spot: Spot, name: Name) -> str:
    """ "Billing settings: 9 rage clicks and 2 U-turns · 3 visitors"."""
    who = f" · {number(spot.visitors)} visitor{'s' if spot.visitors != 1 else ''}" if spot.visitors else ""
    return f"{name(spot)}: {counts_words(spot.counts)}{who}"


# --- what stands out ---------------------------------------------------------------------------------
def _days_words(ms: int) -> str:
    days = ms // DAY_MS
    if days >= 14:
        weeks = round(days / 7)
        return f"{weeks} weeks"
    return "1 day" if days == 1 else f"{days} days"


def signal_words(s: Signal, at_day: At, *, ticket: bool, text: Callable[[str], str] = str) -> str:
    """A signal in a few words: "Detractor (NPS 3)", "Friction before filing", "Usage down by half or more (30 d)",
    "Acme renews in 3 weeks", "New user (first visit Dec 1)"."""
    if s.kind is SignalKind.DETRACTOR and s.nps is not None:
        return f"Detractor ({head(s.nps).removesuffix(' (detractor)')})"
    if s.kind is SignalKind.FRICTION:
        return "Friction before filing" if ticket else "Friction in their latest session"
    if s.kind is SignalKind.USAGE_DROP:  # by how much: the activity line's trend says it, once
        return "Usage down by half or more (30 d)"
    if s.kind is SignalKind.RENEWAL and s.at_ms is not None:
        gap = s.at_ms - s.anchor_ms
        if gap < DAY_MS:
            when = "the day of the ticket" if ticket else "today"
        else:
            when = f"{_days_words(gap)} after the ticket" if ticket else f"in {_days_words(gap)}"
        return f"{text(s.account or '')} renews {when} ({at_day(s.at_ms)})"
    if s.kind is SignalKind.NEW_USER and s.at_ms is not None:
        return f"New user (first visit {at_day(s.at_ms)})"
    return s.kind.value


def stand_out_line(
    signals: list[Signal], at_day: At, *, ticket: bool, text: Callable[[str], str] = str
) -> str | None:
    """ "🚩 Detractor (NPS 3) · Friction before filing · Acme renews in 3 weeks (Dec 27)"; `text` escapes
    what comes from Pendo (an account's name) for the surface."""
    if not signals:
        return None
    return f"{STAND_OUT_ICON} " + " · ".join(
        signal_words(s, at_day, ticket=ticket, text=text) for s in signals
    )
