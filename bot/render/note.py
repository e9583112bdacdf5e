"""The private note the bot writes on a Zendesk ticket: the requester's Pendo context at filing, as HTML.

Pure: a `TicketFacts` in, the comment's `html_body` out. Every line of the Slack "Details" view of the
ticket's answer (the same `VisitorFacts`, looked up with the workspace's choices; the same word functions:
`words`, `nps`, `fields.field_words`, `activity`'s sparkline scale, `friction`), in HTML: what stands out,
who, activity and depth of use, the visitor's fields, the latest NPS answer with its whole comment, the
friction before filing with its 30-day trend and the recorded sessions (player links), the window before
filing with each entry's friction, every account with its fields, links to Pendo (tests/notes/test_note_parity.py holds the two to each other).
Zendesk stores HTML comments as given and derives the plain `body` from them, so
the last paragraph carries `MARKER` as visible text: the bot finds its own note again by it (before
writing, so a retried webhook or a restart never writes a second one).

The optional tags and custom field values written with the note are `bot.render.ticket_fields`.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from bot.domain import signals
from bot.domain.friction import REPLAYS_LISTED, FrictionFacts, Spot
from bot.domain.models import (
    Ambiguous,
    MetadataField,
    NotFoundInPendo,
    NpsAnswer,
    Timeline,
    TimelineEntry,
    VisitorFacts,
)
from bot.domain.tickets import TicketFacts
from bot.render import friction as friction_words
from bot.render import nps as nps_words
from bot.render import words
from bot.render.activity import SPARKLINE_ENDS, SPARKLINE_TITLE, sparkline_scale
from bot.render.blocks import FIELD_LIMIT
from bot.render.fields import field_words
from bot.render.format import KIND_ICON, number, plural, sparkline, truncate, when
from bot.render.summary import usage_pairs, visitor_fields
from bot.render.times import before_ticket, day_words, local_day

MARKER = "pendo-context-note"
CANDIDATES = 10
NAME_WIDTH = 60  # a page's, feature's or account's name in a friction or stand-out line (as in Slack)


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
        body = _found(result, tz, tc.bundle.ticket.created_ms)
        return Note(_wrap(body, tc, tz, added_by, visitor_marker), "found")
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


def _found(ctx: VisitorFacts, tz: tzinfo, ticket_ms: int) -> str:
    """Every line of the Slack Details view of the ticket's answer, in its words: what stands out, who,
    how active and how deep, the visitor's fields, the 30 days, the latest NPS answer, the friction and
    replays before filing, the window before the ticket, every account with its fields, and what is
    missing."""
    p = ctx.profile
    out = ""
    if stand_out := _stand_out(ctx, tz):
        out += f"<p><strong>{stand_out}</strong></p>"
    who = [f"<strong>{_e(truncate(p.title, 120))}</strong>", f"<code>{_e(truncate(p.id, 100))}</code>"]
    if p.email and p.email != p.id and p.email != p.title:
        who.append(_e(truncate(p.email, 100)))
    if p.last_visit_ms:
        who.append(f"last seen {_e(when(p.last_visit_ms, tz))}")
    who.append(_a(p.url, "Open in Pendo"))
    out += f"<p>{' · '.join(who)}</p>"
    items = _usage_items(ctx, tz)
    if items:
        out += f"<ul>{''.join(f'<li>{i}</li>' for i in items)}</ul>"
    if ctx.nps is not None:
        out += _nps(ctx.nps, ticket_ms, tz)
    if ctx.friction is not None:
        out += _friction(ctx.friction, tz)
    if ctx.timeline is not None:
        out += _timeline(ctx.timeline, tz)
    out += _accounts(ctx)
    for gap in words.gap_sentences(ctx.gaps):
        out += f"<p>⚠️ {_e(truncate(gap, 300))}</p>"
    return out


def _at(tz: tzinfo) -> friction_words.At:
    """A time in the note's zone, as the note writes every time ("2026-11-18 12:39 UTC"): Slack's date
    token reads the same in the reader's zone, and its fallback is this very text."""
    return lambda ms: _e(when(ms, tz))


def _spot_name(s: Spot) -> str:
    """A page's or feature's name, linked to it in Pendo when it has a link."""
    return _a(s.url, s.name, NAME_WIDTH) if s.url else _e(truncate(s.name, NAME_WIDTH))


def _stand_out(ctx: VisitorFacts, tz: tzinfo) -> str | None:
    """ "🚩 Detractor (NPS 3) · Friction before filing · Acme renews 3 weeks after the ticket (…)":
    `signals.stand_out`'s strongest (none for an opted-out visitor), in `friction.stand_out_line`'s words."""
    found = signals.stand_out(ctx)
    return friction_words.stand_out_line(found, _at(tz), ticket=True, text=_name)


def _name(name: str) -> str:
    """An account's name in a stand-out line (it comes from Pendo)."""
    return _e(truncate(name, NAME_WIDTH))


def _friction(f: FrictionFacts, tz: tzinfo) -> str:
    """Details' friction lines: the strongest friction in the 24 h before filing (or that there was
    none, with how far Pendo's figures go, so a lag never reads as "no friction"), the 30-day line, and
    up to three recorded sessions with their player links (only with PENDO_SUBSCRIPTION_ID)."""
    at = _at(tz)
    lines = [friction_words.strongest_line(f, _spot_name, at) or friction_words.none_line(f, at)]
    if f.trend is not None:
        lines.append(friction_words.trend_line(f.trend, _spot_name))
    for r in [r for r in f.replays if r.url][:REPLAYS_LISTED]:
        lines.append(
            f"{_a(r.url or '', f'{friction_words.REPLAY_ICON} Replay')} {friction_words.replay_words(f, r, at)}"
        )
    return f"<p>{'<br>'.join(lines)}</p>"


def _plain_field(f: MetadataField, label: int = 60, value: int = 300) -> str:
    """ "Plan Level: Enterprise", "Renewal Date: Jan 2, 2027": `fields.field_text` in plain words."""
    return f"{_e(truncate(f.label, label))}: {_e(field_words(f, value))}"


def _usage_items(ctx: VisitorFacts, tz: tzinfo) -> list[str]:
    """The first screen's activity line (with depth of use), then the Details fields, the 30 days and
    the top features and pages."""
    p, u = ctx.profile, ctx.usage
    items: list[str] = []
    if u is not None:
        depth = f" · {nps_words.depth_text(u.depth)}" if u.depth else ""
        items += [
            f"Activity: {_e(words.activity(u.frequency, u.days_active))} · "
            f"{_e(plural(u.events, 'event'))} ({_e(u.events_trend.label)}){_e(depth)}",
        ]
        items += [f"{label}: {_e(value)}" for label, value in usage_pairs(u)]
    if p.first_visit_ms:
        items.append(f"First visit: {_e(when(p.first_visit_ms, tz))}")
    if p.browser or p.os:
        items.append(f"Browser / OS: {_e(p.browser or '?')} · {_e(p.os or '?')}")
    items += [_plain_field(f, FIELD_LIMIT, FIELD_LIMIT) for f in visitor_fields(ctx)]
    if u is not None:
        items.append(
            f"{SPARKLINE_TITLE} {SPARKLINE_ENDS}: <code>{_e(sparkline(u.daily_events))}</code> · "
            f"{_e(sparkline_scale(u.daily_events))}"
        )
        for title, tops in (("Top features", u.top_features), ("Top pages", u.top_pages)):
            if tops:
                items.append(
                    f"{title}: " + ", ".join(f"{_a(i.url, i.name)} · {_e(number(i.events))}" for i in tops)
                )
    return items


def _nps(a: NpsAnswer, ticket_ms: int, tz: tzinfo) -> str:
    """The latest answer within 12 months (`nps.answer_section`'s words): score, category, when, the
    survey, and the whole comment as a quote."""
    parts = [
        f"<strong>{_e(nps_words.head(a))}</strong>",
        _e(nps_words.relative_to_ticket(a.ts_ms, ticket_ms)),
        _e(when(a.ts_ms, tz)),
    ]
    if a.survey:
        parts.append(_e(truncate(a.survey, 80)))
    out = f"<p>{nps_words.ICON[a.category]} {' · '.join(parts)}</p>"
    if a.comment:
        lines = truncate("\n".join(nps_words.comment_lines(a.comment)), nps_words.FULL_COMMENT)
        out += f"<blockquote><p>“{'<br>'.join(_e(line) for line in lines.splitlines())}”</p></blockquote>"
    return out


def _timeline(t: Timeline, tz: tzinfo) -> str:
    """The window before the ticket as Details shows it (`activity.timeline_blocks`): every entry, a day
    line where it crosses midnight, what was left out or hidden."""
    end = f"the ticket ({when(t.anchor_ms, tz)})" if t.marker else when(t.anchor_ms, tz)
    title = f"<p><strong>Activity in the {t.hours} h before {_e(end)}</strong></p>"
    days = [local_day(e.ts_ms, t.zone) for e in t.entries]
    crosses = len(set(days)) > 1
    anchor_day = local_day(t.anchor_ms, t.zone)
    lines: list[str] = []
    day: int | None = None
    for e, its_day in zip(t.entries, days, strict=True):
        if crosses and its_day != day:
            day = its_day
            lines.append(f"<strong>{_e(day_words(e.ts_ms, t.zone))}</strong>")
        lines.append(_entry(e, t, tz, dated=its_day != anchor_day))
    if not any(e.kind != "ticket" for e in t.entries) and not t.newer:
        lines.append("No tracked activity in this window.")
    notes = []
    if t.more:
        notes.append(f"and {t.more} more")
    if t.hidden_untagged:
        notes.append(plural(t.hidden_untagged, "untagged page view") + " hidden")
    notes += [f"{plural(count, words.history_kind(kind))} hidden" for kind, count in t.hidden_kinds]
    tail = f"<p>{_e(' · '.join(notes))}</p>" if notes else ""
    return title + f"<ul>{''.join(f'<li>{line}</li>' for line in lines)}</ul>" + tail


def _entry(e: TimelineEntry, t: Timeline, tz: tzinfo, *, dated: bool) -> str:
    """`activity.entry_line` in HTML: "🖱️ Export CSV ×3 · 4 rage clicks · 2 min before ticket"."""
    if e.kind == "ticket":
        return f"{KIND_ICON['ticket']} <strong>{_e(e.name)}</strong> · {_e(when(e.ts_ms, tz))}"
    name = _a(e.url, e.name) if e.url else _e(truncate(e.name, 80))
    repeat = f" ×{e.count}" if e.count > 1 else ""
    if e.friction is not None and e.friction.total > 0:  # its page's friction in that hour, as Details
        repeat += f" · {friction_words.short_counts(e.friction)}"
    if t.marker:
        at = before_ticket(e.ts_ms, t.anchor_ms) + (f" ({when(e.ts_ms, tz)})" if dated else "")
    else:
        at = when(e.ts_ms, tz)
    return f"{KIND_ICON.get(e.kind, '•')} {name}{repeat} · {_e(at)}"


def _accounts(ctx: VisitorFacts) -> str:
    """Every account Details shows (`summary._account_blocks`), each with its figures and all its
    fields; the ones not read are counted as there."""
    total = len(ctx.profile.account_ids)
    if not total:
        return "<p>Account: none</p>"
    items = []
    for a in ctx.accounts:
        lines = [f"🏢 <strong>{_a(a.url, a.name)}</strong> <code>{_e(a.id)}</code>"]
        if a.opted_out:
            lines.append("Opted out of processing: no activity shown.")
            items.append("<br>".join(lines))
            continue
        if a.usage:
            lines.append(
                _e(
                    f"{plural(a.usage.unique_visitors, 'active visitor')} · "
                    f"{words.activity(a.usage.frequency, a.usage.days_active, who='account')} · "
                    f"{plural(a.usage.events, 'event')} in 30 d"
                )
            )
        if a.fields:
            lines.append(" · ".join(_plain_field(f) for f in a.fields))
        if a.gap:
            lines.append("Figures missing (see below).")
        items.append("<br>".join(lines))
    out = f"<ul>{''.join(f'<li>{i}</li>' for i in items)}</ul>" if items else ""
    if total > len(ctx.accounts):
        out += f"<p>and {_e(plural(total - len(ctx.accounts), 'more account'))}: see the visitor in Pendo</p>"
    return out


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
