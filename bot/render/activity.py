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
from bot.render.times import MINUTE_MS, before_ticket, day_label, local_day, minutes_up, slack_date, span

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


def _tally_text(items: list[tuple[str, int]], shown: int = 3) -> str:
    parts = [esc(truncate(name, 40)) + (f" ×{n}" if n > 1 else "") for name, n in items[:shown]]
    rest = len(items) - shown
    return ", ".join(parts) + (f" and {rest} more" if rest > 0 else "")


def entry_line(e: TimelineEntry, t: Timeline, width: int = 80, fmt: str = "{time}") -> str:
    """ "🖱️ Export CSV ×3 · 2 min before ticket" (ticket windows) or "… · 3:40 PM" in `fmt`."""
    if e.kind == "ticket":
        return f"{KIND_ICON['ticket']} *{esc(e.name)}* · {slack_date(e.ts_ms, '{time}')}"
    name = link(e.url, e.name, width) if e.url else esc(truncate(e.name, width))
    repeat = f" ×{e.count}" if e.count > 1 else ""
    at = before_ticket(e.ts_ms, t.anchor_ms) if t.marker else slack_date(e.ts_ms, fmt)
    return f"{KIND_ICON.get(e.kind, '•')} {name}{repeat} · {at}"


def sparkline_block(daily_events: list[int]) -> Block:
    """The 30-day sparkline with its scale (a visitor's or an account's)."""
    peak = max(daily_events, default=0)
    scale = f"█ = {plural(peak, 'event')} (the busiest day) · ▁ = none" if peak else "no events"
    return section(
        f"*Events per day, last 30 days* (left: 30 days ago, right: today)\n"
        f"`{sparkline(daily_events)}`\n_{scale}_"
    )


def tops_blocks(features: list[TopItem], pages: list[TopItem]) -> list[Block]:
    """Top features and top pages side by side (nothing when both are empty)."""
    tops = [
        f"*{title}*\n" + "\n".join(f"{link(i.url, i.name)} · {number(i.events)}" for i in items)
        for title, items in (("Top features", features), ("Top pages", pages))
        if items
    ]
    return [{"type": "section", "fields": [mrkdwn(t, FIELD_LIMIT) for t in tops]}] if tops else []


def timeline_blocks(t: Timeline, view: ViewRef, now_ms: int) -> list[Block]:
    """The whole window, newest first, with a day line where it crosses midnight, and day navigation."""
    end = f"the ticket ({slack_date(t.anchor_ms)})" if t.marker else slack_date(t.anchor_ms)
    title = f"*Activity in the {t.hours} h before {end}*"
    lines: list[str] = []
    days = [local_day(e.ts_ms, t.zone) for e in t.entries]  # the reader's days (UTC in a channel)
    crosses = len(set(days)) > 1  # a day line only where the day changes
    day: int | None = None
    for e, its_day in zip(t.entries, days, strict=True):
        if crosses and its_day != day:
            day = its_day
            lines.append(f"*{day_label(e.ts_ms, t.zone)}*")
        lines.append(entry_line(e, t))
    notes = []
    if not any(e.kind != "ticket" for e in t.entries):
        lines.append("_No tracked activity in this window._")
    if t.more:
        notes.append(f"and {t.more} more")
    if t.hidden_untagged:
        notes.append(f"{plural(t.hidden_untagged, 'untagged page view')} hidden")
    for kind, count in t.hidden_kinds:
        notes.append(f"{plural(count, words.history_kind(kind))} hidden")
    body = title
    for line in lines:  # keep whole lines within the section limit
        if len(body) + len(line) + 40 > SECTION_LIMIT:
            notes.insert(0, "list shortened")
            break
        body += "\n" + line
    blocks: list[Block] = [{"type": "divider"}, section(body)]
    if notes:
        blocks.append(context_block(" · ".join(notes)))
    nav = day_navigation(t, view, now_ms)
    if nav:
        blocks.append(actions(*nav))
    return blocks


def day_navigation(t: Timeline, view: ViewRef, now_ms: int) -> list[dict[str, Any]]:
    """Earlier / Later by one window, and back to the ticket when the agent moved away from it."""
    length = max(MINUTE_MS, t.anchor_ms - t.start_ms)
    out = [view_button("◀ Earlier", "earlier", view.but(anchor_ms=t.anchor_ms - length, full=True))]
    if t.anchor_ms + MINUTE_MS < now_ms:
        later = t.anchor_ms + length
        out.append(
            view_button("Later ▶", "later", view.but(anchor_ms=None if later >= now_ms else later, full=True))
        )
    if view.ticket_ms is not None and view.anchor_ms != view.ticket_ms:
        out.append(view_button("Back to the ticket", "ticket", view.but(anchor_ms=view.ticket_ms, full=True)))
    return [b for b in out if b is not None]
