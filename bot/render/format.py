"""Small pure formatting helpers shared by the Block Kit and terminal renderers."""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo

SPARK = "▁▂▃▄▅▆▇█"
KIND_ICON = {
    "page": "📄",
    "feature": "🖱️",
    "trackType": "📍",
    "guide": "🧭",
    "untagged": "❔",
    "ticket": "🎫",
}


def esc(text: object) -> str:
    """Escape user data for mrkdwn: &, < and > (Slack's control characters)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sparkline(values: list[int]) -> str:
    """One character per value, scaled to the largest; zero stays at the floor."""
    top = max(values, default=0)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[0] if v <= 0 else SPARK[max(1, round(v * (len(SPARK) - 1) / top))] for v in values)


def number(value: int) -> str:
    return f"{value:,}"


def plural(count: int, noun: str) -> str:
    """ "1 day", "3 days", "1,204 events"."""
    return f"{number(count)} {noun}{'' if count == 1 else 's'}"


def ago(ms: int, now_ms: int) -> str:
    """ "3 h ago", "just now", "in the future" for clock skew; "at an unknown time" for a non-number."""
    if not _finite(ms):
        return "at an unknown time"
    seconds = int(now_ms - ms) // 1000
    if seconds < -60:
        return "in the future"
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def when(ms: int, tz: tzinfo = UTC, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """An epoch-ms instant as text; one outside what a calendar can show (1e20, -1e18) says so instead
    of failing the whole answer."""
    try:
        return datetime.fromtimestamp(ms / 1000, tz).strftime(fmt)
    except (OverflowError, ValueError, OSError, TypeError):
        return "unknown date"


def _finite(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def middle(text: str, limit: int) -> str:
    """`text` cut in the middle to `limit` characters ("Acme Corp…Division 2"), so names that differ only
    at the end ("… EMEA 1", "… EMEA 2") stay apart when cut."""
    if len(text) <= limit:
        return text
    if limit < 3:
        return truncate(text, limit)
    head = limit // 2
    tail = limit - 1 - head
    return f"{text[:head].rstrip()}…{text[len(text) - tail :].lstrip()}" if tail else text[:head] + "…"
