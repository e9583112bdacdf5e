"""Times that read well and never go stale.

Absolute times use Slack's `<!date^…>`, so every reader sees their own time zone and Slack's "Today" /
"Yesterday" is computed when the message is read, not when it was posted. Relative times are only ever
relative to a fixed moment (the ticket), never to "now": a channel post saying "21 min ago" is wrong a
minute later.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.render.format import when

MINUTE_MS = 60_000
DAY_MS = 86_400_000
DAY_AND_TIME = "{date_short_pretty} at {time}"  # "Today at 3:40 PM", "Mon, Nov 30 at 9:12 AM"


def slack_date(ms: int, fmt: str = DAY_AND_TIME) -> str:
    """A date each reader sees in their own time zone; the fallback (UTC) is for old clients."""
    return f"<!date^{ms // 1000}^{fmt}|{when(ms)}>"


def day_label(ms: int, zone: str = "UTC") -> str:
    """A day separator for the day of `ms` in `zone`: Slack shows "Today", "Yesterday" or "Monday,
    November 30th". The date token is that day's noon, so a reader whose Slack zone is `zone` (or within
    12 hours of it) sees the very day the line was cut at."""
    local = datetime.fromtimestamp(ms / 1000, ZoneInfo(zone))
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    return f"<!date^{int(noon.timestamp())}^{{date_long_pretty}}|{day_words(ms, zone)}>"


def day_words(ms: int, zone: str = "UTC") -> str:
    """The day of `ms` in `zone` as plain text, "Tue 17 Nov": a day line's fallback, and the Zendesk
    note's day line."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(zone)).strftime("%a %d %b")


def local_day(ms: int, zone: str = "UTC") -> int:
    """The start (epoch ms) of the calendar day containing `ms` in `zone`: where a day line is cut."""
    if zone == "UTC":
        return utc_day(ms)
    tz = ZoneInfo(zone)
    local = datetime.fromtimestamp(ms / 1000, tz)
    midnight = datetime(local.year, local.month, local.day, tzinfo=tz)
    return int(midnight.timestamp() * 1000)


def span(ms: int) -> str:
    """A duration in words: "less than a minute", "2 min", "1 h 10 min", "2 d 3 h"."""
    minutes = max(0, ms) // MINUTE_MS
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} d" + (f" {hours} h" if hours else "")


def before_ticket(ts_ms: int, ticket_ms: int) -> str:
    """ "2 min before ticket", "1 h 10 min before ticket"; "at filing" within the same minute."""
    gap = ticket_ms - ts_ms
    if gap < MINUTE_MS:
        return "at filing" if gap >= 0 else f"{span(-gap)} after ticket"
    return f"{span(gap)} before ticket"


def utc_day(ms: int) -> int:
    return ms - ms % DAY_MS


def minutes_up(ms: int) -> int:
    """Whole minutes, rounded up: 90 s of activity is "2 min" of story, never "1 min"."""
    return max(1, -(-max(0, ms) // MINUTE_MS))
