"""Metadata fields in a chat answer: each value worded like the rest of the answer (a date as Slack's
date token, like every other date; a boolean as Yes/No; a locale by name). The Zendesk note prints the
same words in plain text (`field_words`); the terminal prints the field's raw `value`."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.models import FieldKind, MetadataField
from bot.render import words
from bot.render.format import esc, truncate

DATE_FORMAT = "{date_short}"  # "Jan 21, 2027", as the answers' other dates


def field_date(ms: int) -> str:
    """A date field: Slack's date token; its fallback (old clients) the UTC day, "Jan 21, 2027"."""
    day = datetime.fromtimestamp(ms / 1000, UTC)
    return f"<!date^{ms // 1000}^{DATE_FORMAT}|{day:%b} {day.day}, {day.year}>"


def field_words(f: MetadataField, limit: int = 300) -> str:
    """The value as a reader sees it, unescaped: "Jan 21, 2027", "Yes", "English (US)"."""
    if f.kind is FieldKind.DATE and isinstance(f.raw, int) and not isinstance(f.raw, bool):
        try:
            day = datetime.fromtimestamp(f.raw / 1000, UTC)
            return f"{day:%b} {day.day}, {day.year}"
        except (OverflowError, ValueError, OSError):
            pass
    if f.kind is FieldKind.BOOLEAN and isinstance(f.raw, bool):
        return words.yes_no(f.raw)
    if f.kind is FieldKind.LOCALE and isinstance(f.raw, str):
        return truncate(words.locale_name(f.raw), limit)
    return truncate(f.value, limit)


def field_value(f: MetadataField, limit: int = 300) -> str:
    """mrkdwn: the value as the answers word it; text escaped and cut to `limit`."""
    if f.kind is FieldKind.DATE and isinstance(f.raw, int) and not isinstance(f.raw, bool):
        try:
            return field_date(f.raw)
        except (OverflowError, ValueError, OSError):
            pass
    if f.kind is FieldKind.BOOLEAN and isinstance(f.raw, bool):
        return words.yes_no(f.raw)
    if f.kind is FieldKind.LOCALE and isinstance(f.raw, str):
        return esc(truncate(words.locale_name(f.raw), limit))
    return esc(truncate(f.value, limit))


def field_text(f: MetadataField, label: int = 60, value: int = 300) -> str:
    """ "Plan Level: Enterprise", "Renewal Date: <!date^…>"."""
    return f"{esc(truncate(f.label, label))}: {field_value(f, value)}"
