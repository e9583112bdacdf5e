"""Issue 27 item 3, pure parts: a page never loses an entry at its edge, and Details' times carry a date
when the entry is not on the ticket's (the anchor's) day."""

from __future__ import annotations

from bot.domain.models import Timeline, TimelineEntry, TimelinePage
from bot.domain.timeline import page_bounds
from bot.render import activity as activity_blocks
from bot.render.buttons import ViewRef

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
ANCHOR = 1_795_000_000_000 - 1_795_000_000_000 % DAY + 3 * HOUR  # 03:00 UTC: the window reaches back a day


def test_pages_split_ties_without_losing_an_entry() -> None:
    # five entries, two pairs sharing a millisecond, newest first
    times = [ANCHOR - 1, ANCHOR - 5, ANCHOR - 5, ANCHOR - 9, ANCHOR - 9]
    entries = [TimelineEntry(ts, "page", f"P{i}") for i, ts in enumerate(times)]
    seen: list[int] = []
    page = TimelinePage()
    for _ in range(5):
        first, last = page_bounds(entries, page, limit=2)
        seen += range(first, last)
        if last == len(entries):
            break
        page = TimelinePage(before_ms=entries[last - 1].first_ms)
    assert seen == list(range(len(entries)))
    back: list[int] = []
    page = TimelinePage(after_ms=ANCHOR - 10)
    for _ in range(5):
        first, last = page_bounds(entries, page, limit=2)
        back = list(range(first, last)) + back
        if first == 0:
            break
        page = TimelinePage(after_ms=entries[first].ts_ms)
    assert back == list(range(len(entries)))
    assert page_bounds(entries, TimelinePage(every=True), limit=2) == (0, 5)


def test_details_times_carry_a_date_off_the_anchors_day() -> None:
    same_day = TimelineEntry(ANCHOR - HOUR, "page", "Today page")
    day_before = TimelineEntry(ANCHOR - 10 * HOUR, "page", "Yesterday page")
    t = Timeline(start_ms=ANCHOR - 24 * HOUR, anchor_ms=ANCHOR, entries=[same_day, day_before])
    body = activity_blocks.timeline_blocks(t, ViewRef("v", full=True), ANCHOR)[1]["text"]["text"]
    today_line = next(ln for ln in body.splitlines() if "Today page" in ln)
    yesterday_line = next(ln for ln in body.splitlines() if "Yesterday page" in ln)
    assert "^{time}|" in today_line and "{date_short_pretty} at {time}" in yesterday_line
    ticket = Timeline(
        start_ms=ANCHOR - 24 * HOUR,
        anchor_ms=ANCHOR,
        entries=[TimelineEntry(ANCHOR, "ticket", "Ticket submitted"), same_day, day_before],
        marker="Ticket submitted",
    )
    body = activity_blocks.timeline_blocks(ticket, ViewRef("v", full=True), ANCHOR)[1]["text"]["text"]
    assert "Today page" in body and "· 1 h before ticket" in body
    line = next(ln for ln in body.splitlines() if "Yesterday page" in ln)
    assert "10 h before ticket (<!date^" in line
