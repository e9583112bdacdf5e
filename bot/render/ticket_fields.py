"""Pendo facts as Zendesk ticket tags and custom field values (the notes' optional extras: ZENDESK_TICKET_TAGS,
ZENDESK_TAG_FIELDS, ZENDESK_FIELD_MAP), each value in the form its field's type wants. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from bot.pendo.models import Account, Visitor
from bot.zendesk.models import TicketField

TAG_PREFIX = "pendo_"
TAG_MAX = 80  # Zendesk's longest tag
TAG_VALUE_MAX = 40  # a longer value is free text, not a category
TAGS_MAX = 10  # the bot's own tags on one ticket, at most


def tag(*parts: str) -> str | None:
    """A Zendesk tag from words: lower case, runs of anything but letters and digits (of any script:
    Zendesk allows Unicode letters) become one `_`."""
    raw = "_".join(parts).lower()
    slug = re.sub(r"[\W_]+", "_", raw).strip("_")
    return (TAG_PREFIX + slug)[:TAG_MAX].rstrip("_") if slug else None


_NUMBER = re.compile(r"[-+]?[\d\s.,]*\d[\d\s.,]*%?")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(\b|T).*|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def tag_word(value: object) -> str | None:
    """A metadata value as a tag's last word, or None when it is not a category: numbers (and number-like
    text), dates, anything with an `@` (an email), text over TAG_VALUE_MAX characters, lists, nothing."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return None  # numbers (a date in Pendo is a number too), lists, objects, None
    text = value.strip()
    if not text or len(text) > TAG_VALUE_MAX or "@" in text:
        return None
    if _NUMBER.fullmatch(text) or _DATE.fullmatch(text):
        return None
    return text


def ticket_tags(
    frequency: str | None,
    tag_fields: Sequence[str],
    visitor: Visitor | None,
    account: Account | None,
) -> list[str]:
    """`pendo_<frequency>` (how active), then `pendo_<field>_<value>` for each ZENDESK_TAG_FIELDS entry
    whose value (the visitor's, else the first account's) is a category (`tag_word`); TAGS_MAX at most."""
    out = [tag(frequency) if frequency else None]
    for path in tag_fields:
        group, _, name = path.partition("/")
        word = tag_word(_value(group, name, visitor, account))
        out.append(tag(name, word) if word is not None else None)
    return list(dict.fromkeys(t for t in out if t))[:TAGS_MAX]


def _value(group: str, name: str, visitor: Visitor | None, account: Account | None) -> object:
    """The visitor's value for group/name, else the account's (never a do-not-process record's)."""
    value = None
    for record in (visitor, account):
        if record is not None and not record.do_not_process:
            value = record.meta(group, name)
            if value not in (None, ""):
                break
    return value


def field_values(
    field_map: Sequence[tuple[str, int]],
    visitor: Visitor | None,
    account: Account | None,
    definitions: Mapping[int, TicketField | None] | None = None,
) -> list[dict[str, object]]:
    """`custom_fields` entries for the mapped Pendo metadata (the visitor's value, else the account's),
    each as its field's type wants it (`field_value`); a field with no value is left alone, never
    cleared."""
    out: list[dict[str, object]] = []
    for path, field_id in field_map:
        group, _, name = path.partition("/")
        value = _value(group, name, visitor, account)
        if value not in (None, ""):
            out.append({"id": field_id, "value": field_value((definitions or {}).get(field_id), value)})
    return out


_TRUE = {"true", "yes", "y", "1", "on", "checked"}
_FALSE = {"false", "no", "n", "0", "off", "unchecked"}


def field_value(definition: TicketField | None, value: object) -> object:
    """A Pendo value as Zendesk wants it for the field's type (shared/reference/friction-replays-alerts.md
    Z6): checkbox a JSON true/false, date `YYYY-MM-DD` (Pendo keeps dates as epoch milliseconds), a
    drop-down (`tagger`) the tag of the option whose tag or name it is, a multi-select a list of tags,
    integer and decimal a number, text as text. A value that does not convert is sent as text: Zendesk
    refuses it (422) and the writer says so in one line (the field map names a field of another type)."""
    text = _text(value)
    kind = definition.type if definition is not None else "text"
    if kind == "checkbox":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        word = text.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else text
    if kind == "date":
        day = _day(value)
        return day.isoformat() if day is not None else text
    if kind in ("tagger", "multiselect") and definition is not None:
        items = value if isinstance(value, list) else [value]
        tags = [_option(definition, _text(v)) for v in items]
        if kind == "tagger":
            return tags[0] if len(tags) == 1 and tags[0] is not None else text
        return [t for t in tags if t is not None] if all(t is not None for t in tags) else text
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else text
    if kind == "decimal" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return text


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)[:1000]
    return str(value)[:1000]


def _day(value: object) -> date | None:
    """The calendar day (UTC) of an epoch time (ms; seconds when too small for ms) or an ISO date."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= 100_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    found = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    try:
        if found:
            return date(*(int(g) for g in found.groups()))
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).date()
    except ValueError:
        return None


def _option(definition: TicketField, word: str) -> str | None:
    """The tag of the option `word` names: its tag, its name (any case), or its tag spelled from it."""
    folded = " ".join(word.split()).casefold()
    for option in definition.custom_field_options:
        if option.value == word or (option.name or "").strip().casefold() == folded:
            return option.value
    slug = re.sub(r"[\W_]+", "_", folded).strip("_")
    for option in definition.custom_field_options:
        if option.value.casefold() == slug:
            return option.value
    return None
