"""The private note the bot writes on a Zendesk ticket: the requester's Pendo context at filing, as HTML.

Pure: a `TicketFacts` in, the comment's `html_body` out. Same content and figures as the Slack
"Details" view (the same `VisitorFacts`, the same words), compact: a short list, the 24 hours before
filing, links to Pendo. Zendesk stores HTML comments as given and derives the plain `body` from them, so
the last paragraph carries `MARKER` as visible text: the bot finds its own note again by it (before
writing, so a retried webhook or a restart never writes a second one).

Also the optional ticket fields: `ticket_tags` (`pendo_<frequency>`, and `pendo_<field>_<value>` for the
categorical fields ZENDESK_TAG_FIELDS lists; Zendesk tag rules: lower case, letters of any script, digits
and `_`) and `field_values` (Pendo metadata into custom ticket fields).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from bot.domain.models import Ambiguous, NotFoundInPendo, Timeline, VisitorFacts
from bot.domain.tickets import TicketFacts
from bot.pendo.models import Account, Visitor
from bot.render import words
from bot.render.format import KIND_ICON, plural, truncate, when
from bot.render.times import before_ticket
from bot.zendesk.models import TicketField

MARKER = "pendo-context-note"
NOTE_ENTRIES = 10  # timeline entries in a note: the 24 h before filing, newest first
CANDIDATES = 10
TAG_PREFIX = "pendo_"
TAG_MAX = 80  # Zendesk's longest tag
TAG_VALUE_MAX = 40  # a longer value is free text, not a category
TAGS_MAX = 10  # the bot's own tags on one ticket, at most


@dataclass(frozen=True)
class Note:
    html_body: str
    kind: str  # found | ambiguous | not_found: what the note says, for the log and tests


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _a(url: str, label: str, limit: int = 80) -> str:
    return f'<a href="{_e(url)}">{_e(truncate(label, limit))}</a>'


def note_for(
    tc: TicketFacts,
    tz: tzinfo,
    *,
    visitor_url: Callable[[str], str],
    added_by: str | None = None,
    not_found_note: bool = False,
    visitor_marker: str | None = None,
) -> Note | None:
    """The note for this ticket, or None when nothing must be written (opted out, no Pendo part, not
    found unless `not_found_note`). `visitor_marker`: the visitor an agent picked among several with the
    requester's email; the marker then names that visitor (`has_marker(text, visitor_id)`)."""
    result = tc.pendo
    if isinstance(result, VisitorFacts):
        if result.profile.opted_out:
            return None
        return Note(_wrap(_found(result, tz), tc, tz, added_by, visitor_marker), "found")
    if isinstance(result, Ambiguous):
        return Note(_wrap(_ambiguous(result, tz, visitor_url), tc, tz, added_by), "ambiguous")
    if isinstance(result, NotFoundInPendo) and not_found_note:
        body = f"<p>No Pendo visitor has the requester's email ({_e(truncate(result.email, 200))}).</p>"
        return Note(_wrap(body, tc, tz, added_by), "not_found")
    return None


def _wrap(
    body: str, tc: TicketFacts, tz: tzinfo, added_by: str | None, visitor_marker: str | None = None
) -> str:
    created = when(tc.bundle.ticket.created_ms, tz)
    head = (
        f"<p><strong>Pendo context</strong> for the requester, at the ticket's creation ({_e(created)})</p>"
    )
    by = f"Added from Slack by {_e(truncate(added_by, 80))} · " if added_by else ""
    mark = MARKER if visitor_marker is None else visitor_mark(visitor_marker)
    foot = f"<p><small>{by}Written by Pendo context for Slack · {mark}</small></p>"
    return head + body + foot


def _found(ctx: VisitorFacts, tz: tzinfo) -> str:
    p = ctx.profile
    who = [f"<strong>{_e(truncate(p.title, 120))}</strong>"]
    if p.email and p.email != p.title:
        who.append(_e(truncate(p.email, 120)))
    who.append(_a(p.url, "Open in Pendo"))
    items: list[str] = []
    by_id = {a.id: a for a in ctx.accounts}
    for account_id in p.account_ids[:3]:
        a = by_id.get(account_id)
        if a is None:
            items.append(f"Account: {_e(truncate(account_id, 80))}")
            continue
        text = f"Account: {_a(a.url, a.name)}"
        if a.opted_out:
            text += " (opted out of processing)"
        elif a.fields:
            text += " (" + ", ".join(f"{_e(f.label)}: {_e(truncate(f.value, 60))}" for f in a.fields) + ")"
        items.append(text)
    if len(p.account_ids) > 3:
        items.append(f"and {plural(len(p.account_ids) - 3, 'more account')}")
    if not p.account_ids:
        items.append("Account: none")
    u = ctx.usage
    if u is not None:
        items.append(
            f"Activity: {_e(words.activity(u.frequency, u.days_active))} · "
            f"{_e(plural(u.events, 'event'))} ({_e(u.events_trend.label)})"
        )
    if p.last_visit_ms:
        items.append(f"Last seen {_e(when(p.last_visit_ms, tz))}")
    out = f"<p>{' · '.join(who)}</p><ul>{''.join(f'<li>{i}</li>' for i in items)}</ul>"
    if ctx.timeline is not None:
        out += _timeline(ctx.timeline)
    for gap in words.gap_sentences(ctx.gaps):
        out += f"<p>⚠️ {_e(truncate(gap, 300))}</p>"
    return out


def _timeline(t: Timeline) -> str:
    events = [e for e in t.entries if e.kind != "ticket"]
    title = f"<p><strong>In the {t.hours} h before the ticket</strong></p>"
    if not events:
        return title + "<p>No activity in this window.</p>"
    lines = []
    for e in events[:NOTE_ENTRIES]:
        name = _a(e.url, e.name, 60) if e.url else _e(truncate(e.name, 60))
        repeat = f" ×{e.count}" if e.count > 1 else ""
        lines.append(
            f"<li>{KIND_ICON.get(e.kind, '•')} {name}{repeat} · {_e(before_ticket(e.ts_ms, t.anchor_ms))}</li>"
        )
    more = len(events) - NOTE_ENTRIES + t.more
    tail = f"<p>and {plural(more, 'more event')}</p>" if more > 0 else ""
    return title + f"<ul>{''.join(lines)}</ul>" + tail


def _ambiguous(result: Ambiguous, tz: tzinfo, visitor_url: Callable[[str], str]) -> str:
    """The candidates with links; opted-out visitors are only counted (not even their id is written)."""
    count = len(result.candidates)
    shown = [c for c in result.candidates if not c.opted_out]
    opted_out = count - len(shown)
    lines = []
    for c in shown[:CANDIDATES]:
        seen = f"last seen {when(c.last_visit_ms, tz)}" if c.last_visit_ms else "never seen"
        accounts = ", ".join(truncate(a, 60) for a in c.account_ids[:5]) or "no account"
        label = c.name or c.visitor_id
        lines.append(
            f"<li>{_a(visitor_url(c.visitor_id), label)} ({_e(truncate(c.visitor_id, 100))}) · "
            f"{_e(seen)} · Accounts: {_e(accounts)}</li>"
        )
    more = f"<p>and {len(shown) - CANDIDATES} more</p>" if len(shown) > CANDIDATES else ""
    if opted_out:
        more += f"<p>{plural(opted_out, 'visitor')} opted out of processing: not shown.</p>"
    return (
        f"<p>{count} Pendo visitors have the requester's email, so the bot does not guess. "
        f"Open the right one in Pendo:</p><ul>{''.join(lines)}</ul>{more}"
    )


def visitor_mark(visitor_id: str) -> str:
    """The marker of a note about one visitor an agent picked: MARKER and a short one-way tag of the
    visitor id (the id itself may be long or hold characters a plain-text body would change)."""
    digest = hashlib.blake2b(visitor_id.encode(), digest_size=6, person=b"pendo-note-v").hexdigest()
    return f"{MARKER} visitor {digest}"


def has_marker(text: str | None, visitor_id: str | None = None) -> bool:
    """Whether `text` carries the bot's marker: any (`visitor_id` None, the webhook's check), or the
    marker of the note about `visitor_id` (one note per picked visitor per ticket)."""
    wanted = MARKER if visitor_id is None else visitor_mark(visitor_id)
    return bool(text) and wanted in (text or "")


# --- tags and custom fields -------------------------------------------------------------------------------
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
