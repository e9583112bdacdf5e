"""What someone did, in blocks: the story line, timeline entries and the whole window with its day
navigation, the 30-day sparkline and the top features and pages (a visitor's or an account's).
Pure; imports the render primitives, the button values and the domain's types.
"""

from __future__ import annotations

from typing import Any

from bot.domain.models import Timeline, TimelineEntry, TopItem
from bot.render import words
from bot.render.blocks import FIELD_LIMIT, SECTION_LIMIT, Block, actions, context_block, link, mrkdwn, section
from bot.render.buttons import ViewRef, view_button
from bot.render.format import KIND_ICON, esc, number, plural, sparkline, truncate
from bot.render.friction import short_counts
from bot.render.times import (
    DAY_AND_TIME,
    MINUTE_MS,
    before_ticket,
    day_label,
    local_day,
    minutes_up,
    slack_date,
    span,
)

STORY_MS = 30 * MINUTE_MS  # "what they did just before": the last half hour of activity


def story(t: Timeline) -> str | None:
    """One line of what they did in the last minutes: before the ticket, or in their last session."""
    events = [e for e in t.entries if e.kind != "ticket"]
    if not events:
        return None
    if t.marker:
        cluster = [e for e in events if t.anchor_ms - e.ts_ms <= STORY_MS]
        if not cluster:
            quiet = span(t.anchor_ms - events[0].ts_ms)
            return f"*Nothing in the 30 min before filing;* last activity {quiet} before."
        lead = f"{minutes_up(t.anchor_ms - cluster[-1].ts_ms)} min before filing"
    else:
        newest = events[0].ts_ms
        cluster = [e for e in events if newest - e.ts_ms <= STORY_MS]
        lead = f"Last session ({minutes_up(newest - cluster[-1].ts_ms)} min)"
    return f"*{lead}:* {_tally_text(tally(cluster))}"


def tally(entries: list[TimelineEntry]) -> list[tuple[str, int]]:
    """(name, times) for each thing done, most done first; ties keep the most recent first."""
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.name] = counts.get(e.name, 0) + e.count
    return sorted(counts.items(), key=lambda kv: -kv[1])


def story_names(t: Timeline) -> set[str]:
    """The names the story line gives (what was done in its last half hour, the three most done), as
    `story` picks them: the first screen's events below it leave these out."""
    events = [e for e in t.entries if e.kind != "ticket"]
    if not events:
        return set()
    end = t.anchor_ms if t.marker else events[0].ts_ms
    cluster = [e for e in events if end - e.ts_ms <= STORY_MS]
    return {name for name, _ in tally(cluster)[:3]}


def _tally_text(items: list[tuple[str, int]], shown: int = 3) -> str:
    parts = [esc(truncate(name, 40)) + (f" ×{n}" if n > 1 else "") for name, n in items[:shown]]
    rest = len(items) - shown
    return ", ".join(parts) + (f" and {rest} more" if rest > 0 else "")


def entry_line(
    e: TimelineEntry,
    t: Timeline,
    width: int = 80,
    fmt: str = "{time}",
    *,
    dated: bool = False,
    friction: bool = True,
) -> str:
    """ "🖱️ Export CSV ×3 · 2 min before ticket" (ticket windows) or "… · 3:40 PM" in `fmt`.

    `dated`: the entry is not on the anchor's day, so its time says which day ("Yesterday at 3:40 PM";
    "20 h before ticket (Yesterday at 4:12 PM)"). `friction`: the entry's own friction in its hour, when
    it had any ("📄 Billing settings ×3 · 4 rage clicks · 11 min before ticket"); the first screen leaves
    it to its friction line.
    """
    if e.kind == "ticket":
        return f"{KIND_ICON['ticket']} *{esc(e.name)}* · {slack_date(e.ts_ms, '{time}')}"
    name = link(e.url, e.name, width) if e.url else esc(truncate(e.name, width))
    repeat = f" ×{e.count}" if e.count > 1 else ""
    if friction and e.friction is not None and e.friction.total > 0:
        repeat += f" · {short_counts(e.friction)}"
    if t.marker:
        at = before_ticket(e.ts_ms, t.anchor_ms)
        at += f" ({slack_date(e.ts_ms, DAY_AND_TIME)})" if dated else ""
    else:
        at = slack_date(e.ts_ms, DAY_AND_TIME if dated and fmt == "{time}" else fmt)
    return f"{KIND_ICON.get(e.kind, '•')} {name}{repeat} · {at}"


def sparkline_block(daily_events: list[int]) -> Block:
    """The 30-day sparkline with its scale (a visitor's or an account's)."""
    return section(
        f"*{SPARKLINE_TITLE}* {SPARKLINE_ENDS}\n`{sparkline(daily_events)}`\n_{sparkline_scale(daily_events)}_"
    )


SPARKLINE_TITLE = "Events per day, last 30 days"
SPARKLINE_ENDS = "(left: 30 days ago, right: today)"


def sparkline_scale(daily_events: list[int]) -> str:
    """What the sparkline's bars mean: "█ = 31 events (the busiest day) · ▁ = none"."""
    peak = max(daily_events, default=0)
    return f"█ = {plural(peak, 'event')} (the busiest day) · ▁ = none" if peak else "no events"


def tops_blocks(features: list[TopItem], pages: list[TopItem]) -> list[Block]:
    """Top features and top pages side by side (nothing when both are empty)."""
    tops = [
        f"*{title}*\n" + "\n".join(f"{link(i.url, i.name)} · {number(i.events)}" for i in items)
        for title, items in (("Top features", features), ("Top pages", pages))
        if items
    ]
    return [{"type": "section", "fields": [mrkdwn(t, FIELD_LIMIT) for t in tops]}] if tops else []


def timeline_blocks(t: Timeline, view: ViewRef, now_ms: int) -> list[Block]:
    """The window's page, newest first, with a day line where it crosses midnight, and the navigation.

    A window holding more than one page is walked page by page: ◀ Earlier continues from the oldest
    entry shown until the window's start, then the window before; Later ▶ walks back the same way.
    """
    end = f"the ticket ({slack_date(t.anchor_ms)})" if t.marker else slack_date(t.anchor_ms)
    title = f"*Activity in the {t.hours} h before {end}*"
    lines: list[tuple[str, int]] = []  # (line, how many entries it shows: 1 or 0)
    days = [local_day(e.ts_ms, t.zone) for e in t.entries]  # the reader's days (UTC in a channel)
    crosses = len(set(days)) > 1  # a day line only where the day changes
    anchor_day = local_day(t.anchor_ms, t.zone)
    day: int | None = None
    for e, its_day in zip(t.entries, days, strict=True):
        if crosses and its_day != day:
            day = its_day
            lines.append((f"*{day_label(e.ts_ms, t.zone)}*", 0))
        lines.append((entry_line(e, t, dated=its_day != anchor_day), 1))
    notes = []
    if t.newer:
        notes.append(
            f"{number(t.newer)} newer {'entry' if t.newer == 1 else 'entries'} in this window: Later ▶"
        )
    if not any(e.kind != "ticket" for e in t.entries) and not t.newer:
        lines.append(("_No tracked activity in this window._", 0))
    if t.more:
        notes.append(f"and {t.more} more")
    if t.hidden_untagged:
        notes.append(f"{plural(t.hidden_untagged, 'untagged page view')} hidden")
    for kind, count in t.hidden_kinds:
        notes.append(f"{plural(count, words.history_kind(kind))} hidden")
    body = title
    shown = 0  # entries the message holds
    for line, entries in lines:  # keep whole lines within the section limit
        if len(body) + len(line) + 40 > SECTION_LIMIT:
            notes.insert(0, "list shortened")
            break
        body += "\n" + line
        shown += entries
    if shown < len(t.entries) or t.more:
        notes.append("◀ Earlier shows the rest")
    blocks: list[Block] = [{"type": "divider"}, section(body)]
    if notes:
        blocks.append(context_block(" · ".join(notes)))
    nav = day_navigation(t, view, now_ms, shown=shown)
    if nav:
        blocks.append(actions(*nav))
    return blocks


def day_navigation(
    t: Timeline, view: ViewRef, now_ms: int, *, shown: int | None = None
) -> list[dict[str, Any]]:
    """◀ Earlier / Later ▶: the rest of the window page by page, then the window before or after it; and
    back to the ticket when the agent moved away from it. `shown`: how many of the page's entries the
    message holds (fewer when the list was shortened to fit)."""
    length = max(MINUTE_MS, t.anchor_ms - t.start_ms)
    shown = len(t.entries) if shown is None else shown
    here = view.but(anchor_ms=t.anchor_ms, full=True, before_ms=None, after_ms=None)
    if shown and (shown < len(t.entries) or t.more):  # older entries of this window: the next page
        out = [view_button("◀ Earlier", "earlier", here.but(before_ms=_cursor(t.entries, shown)))]
    else:
        out = [view_button("◀ Earlier", "earlier", here.but(anchor_ms=t.anchor_ms - length))]
    if t.newer:  # newer entries of this window: the page above (the newest, past the last entry)
        above = here.but(after_ms=t.entries[0].ts_ms) if t.entries else here
        out.append(view_button("Later ▶", "later", above))
    elif t.anchor_ms + MINUTE_MS < now_ms:  # the next window, from its oldest entries (its start)
        later = t.anchor_ms + length
        nxt = here.but(anchor_ms=None if later >= now_ms else later, after_ms=t.anchor_ms - 1)
        out.append(view_button("Later ▶", "later", nxt))
    paged = view.before_ms is not None or view.after_ms is not None
    if view.ticket_ms is not None and (view.anchor_ms != view.ticket_ms or paged):
        back = view.but(anchor_ms=view.ticket_ms, full=True, before_ms=None, after_ms=None)
        out.append(view_button("Back to the ticket", "ticket", back))
    return [b for b in out if b is not None]


def _cursor(entries: list[TimelineEntry], shown: int) -> int:
    """Where ◀ Earlier continues: before the first occurrence of the oldest entry shown; one millisecond
    later when the next entry shares that millisecond (it is shown again rather than skipped)."""
    cursor = entries[shown - 1].first_ms
    return cursor + 1 if shown < len(entries) and entries[shown].ts_ms >= cursor else cursor
