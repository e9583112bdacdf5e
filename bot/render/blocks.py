"""Block Kit builders: pure functions from domain objects to Slack messages (dicts), within Slack's limits.

A message is `{"text": fallback, "blocks": [...]}`. User data is escaped for mrkdwn. Nothing in a message
is relative to "now" (it would go stale in a channel): absolute times use Slack's `<!date^…>` and
relative ones are relative to the ticket.

Every summary comes in two views: compact (the first screen: who, how active, what they did just now,
buttons; at most 8 blocks) and full ("Show more": every figure, field, account and the whole timeline,
with Earlier / Later to move through the days). A `ViewRef` in each button says which view to draw next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.context.models import (
    BUTTON_VALUE_LIMIT,
    TICKET_MARKER,
    AccountSummary,
    Ambiguous,
    Candidate,
    CustomerContext,
    Gap,
    MetadataField,
    NotFoundInPendo,
    Target,
    Timeline,
    TimelineEntry,
    TopItem,
    VisitorUsage,
)
from bot.render import nps as nps_words
from bot.render import words
from bot.render.format import KIND_ICON, number, plural, sparkline, truncate
from bot.render.format import esc as esc  # callers import it from here
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

Block = dict[str, Any]
Message = dict[str, Any]

SHARE_ACTION = "share_summary"  # only on messages posted by an earlier version (bot.listeners.actions)
PICK_ACTION = "pick_visitor"  # idem
OPEN_ACTION = "open_link"
VIEW_ACTION = "message_view"  # + ":more", ":less", ":earlier", ":later", ":day", ":pick", ":detail"
SHARE_IN_CHANNEL = "message_share"
SHARE_WITH_NOTE = "message_share_note"
ADD_TO_TICKET = "ticket_note_add"  # the Pendo note on the Zendesk ticket (bot.listeners.ticket_notes)
NOTE_MODAL = "message_share_note_modal"
LOOKUP_ACTION = "lookup_target"  # a choice between the emails and tickets found in a message
LOOKUP_SHORTCUT = "pendo_lookup"  # the global shortcut: its modal
LOOKUP_MODAL = "pendo_lookup_modal"
MESSAGE_SHORTCUT = "pendo_message"  # "Pendo context" on a message
ACCOUNT_ACTION = "account_view"  # + ":more", ":less", ":pick", ":open" (bot.render.accounts)
ZENDESK_OFF = (
    "Zendesk isn't connected to this bot, so I can't look up tickets. Look up the requester's email "
    "instead, or ask whoever runs the bot to connect Zendesk."
)
MAX_BLOCKS = 50
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
STORY_MS = 30 * MINUTE_MS  # "what they did just before": the last half hour of activity
RECENT_SHOWN = 3  # events on the first screen
UNFURL_CANDIDATES = 4


_MARKUP = frozenset("*_~`\n\r")


def typed(text: object, limit: int = 200) -> str:
    """Words someone typed, quoted in a sentence: bold when they are plain; otherwise in a code span,
    where Slack applies no bold, italics or strike-through, so `a*b_c` shows as typed (its backticks
    and line breaks, which would end the span, shown as look-alikes)."""
    value = truncate(str(text), limit)
    if not _MARKUP.intersection(value):
        return f"*{esc(value)}*"
    shown = esc(value).replace("`", "ˋ").replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ↵ ")
    return f"`{shown}`"


def link(url: str, label: str, limit: int = 80) -> str:
    """A mrkdwn link; long labels are shortened so a list of links stays within Slack's limits."""
    return f"<{url}|{esc(truncate(label, limit)).replace('|', '¦')}>"


def fit(text: str, limit: int) -> str:
    """Cut mrkdwn to `limit` characters without splitting a <link>, <!date> or &entity;."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    return cut + "…"


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> dict[str, str]:
    return {"type": "mrkdwn", "text": fit(text, limit)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context_block(*texts: str) -> Block:
    """Up to 10 elements: any beyond the ninth are joined into the last one rather than dropped."""
    elements = list(texts[:9]) + (["\n".join(texts[9:])] if texts[9:] else [])
    return {"type": "context", "elements": [mrkdwn(t, FIELD_LIMIT) for t in elements]}


def button(
    text: str, action_id: str, *, url: str | None = None, value: str | None = None, style: str | None = None
) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": plain(text, 75), "action_id": action_id}
    if url:
        button["url"] = url
    if value is not None:
        button["value"] = value
    if style:
        button["style"] = style
    return button


def actions(*elements: dict[str, Any] | None) -> Block:
    return {"type": "actions", "elements": [e for e in elements if e is not None]}


# --- what a button asks for ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ViewRef:
    """Which summary to draw: a visitor, the end of the activity window, the ticket it belongs to.

    `anchor_ms` None means "now". At the ticket's own time (`anchor_ms == ticket_ms`) the timeline ends
    with the "Ticket submitted" marker and times read "2 min before ticket".
    """

    visitor_id: str
    anchor_ms: int | None = None
    ticket_id: int | None = None
    ticket_ms: int | None = None
    full: bool = False

    @property
    def marker(self) -> str | None:
        at_ticket = self.ticket_ms is not None and self.anchor_ms == self.ticket_ms
        return TICKET_MARKER if at_ticket else None

    def but(self, **changes: Any) -> ViewRef:
        return replace(self, **changes)

    def encode(self) -> str | None:
        """The button value (at most 2,000 characters); None when the visitor ID makes it too long."""
        raw = {"v": self.visitor_id, "a": self.anchor_ms, "t": self.ticket_id, "c": self.ticket_ms}
        data = {k: v for k, v in raw.items() if v is not None} | ({"f": 1} if self.full else {})
        text = json.dumps(data, separators=(",", ":"))
        return text if len(text) <= BUTTON_VALUE_LIMIT else None

    @classmethod
    def decode(cls, raw: str | None) -> ViewRef | None:
        """The ref in a button value; None for anything else (an old or tampered button)."""
        try:
            data = json.loads(raw or "")
            ref = cls(
                visitor_id=str(data["v"]),
                anchor_ms=_opt_int(data.get("a")),
                ticket_id=_opt_int(data.get("t")),
                ticket_ms=_opt_int(data.get("c")),
                full=bool(data.get("f")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return ref if ref.visitor_id else None


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an integer")
    return value


def view_button(text: str, name: str, ref: ViewRef, style: str | None = None) -> dict[str, Any] | None:
    value = ref.encode()
    return None if value is None else button(text, f"{VIEW_ACTION}:{name}", value=value, style=style)


@dataclass(frozen=True)
class AccountRef:
    """Which account to draw, compact or full: the value of every account button."""

    account_id: str
    full: bool = False

    def encode(self) -> str | None:
        data: dict[str, Any] = {"k": self.account_id} | ({"f": 1} if self.full else {})
        text = json.dumps(data, separators=(",", ":"))
        return text if len(text) <= BUTTON_VALUE_LIMIT else None

    @classmethod
    def decode(cls, raw: str | None) -> AccountRef | None:
        try:
            data = json.loads(raw or "")
            ref = cls(account_id=str(data["k"]), full=bool(data.get("f")))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return ref if ref.account_id else None


def account_button(text: str, name: str, ref: AccountRef, style: str | None = None) -> dict[str, Any] | None:
    value = ref.encode()
    return None if value is None else button(text, f"{ACCOUNT_ACTION}:{name}", value=value, style=style)


def open_account_button(ctx: CustomerContext) -> dict[str, Any] | None:
    """**Open account** on a visitor summary: the first account's summary, privately to whoever clicks."""
    first = ctx.profile.account_ids[0] if ctx.profile.account_ids else None
    by_id = {a.id: a for a in ctx.accounts}
    if first is None or (first in by_id and by_id[first].opted_out):
        return None
    return account_button("Open account", "open", AccountRef(first))


@dataclass(frozen=True)
class Sharing:
    """Where a summary stands with the channel: may it be shared, was it, by whom, with what note."""

    allowed: bool = True  # False in Slack Connect and outside UNFURL_CHANNELS: no Share button at all
    shared_by: str | None = None  # a user id: this is the copy posted in the channel
    shared_in: str | None = None  # a channel id: the agent's private copy after sharing
    note: str | None = None  # the sharer's words, shown with the channel copy
    ticket_url: str | None = None  # the ticket the summary is about (shown with the channel copy)
    ticket_note: Literal["offer", "added"] | None = None  # "Add to ticket" on a ticket's summary, or done


@dataclass(frozen=True)
class Stale:
    """Part of an answer came from the cache because `who` failed just now; the oldest part is `age_s` old."""

    who: str
    age_s: float


def stale_block(stale: Stale) -> Block:
    """The note on top of an answer built from cached data (a header block: a cut to 50 keeps it)."""
    return context_block(words.stale_sentence(stale.who, stale.age_s))


# --- the summary ------------------------------------------------------------------------------------
def context_message(
    ctx: CustomerContext,
    *,
    view: ViewRef | None = None,
    sharing: Sharing | None = None,
    header_blocks: list[Block] | None = None,
    shareable: bool = True,
) -> Message:
    """The visitor summary, compact unless `view.full`. A channel copy (`sharing.shared_by`) never has
    Share buttons and opens its detail privately for whoever clicks."""
    view = view or default_view(ctx)
    sharing = sharing or Sharing(allowed=shareable)
    p = ctx.profile
    blocks: list[Block] = list(header_blocks or [])
    blocks.append({"type": "header", "text": plain(p.title, 150)})
    if p.opted_out:
        blocks.append(
            section("🔒 This visitor has *opted out of processing* in Pendo. No activity is shown.")
        )
        tail = [actions(button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url))]
        return {"text": _fallback(ctx), "blocks": blocks + tail}
    body = _full_blocks(ctx, view) if view.full else _compact_blocks(ctx, view)
    tail = _tail(ctx, view, sharing)
    # Slack allows 50 blocks: the body gives way, the gaps, attribution and buttons always stay.
    return {"text": _fallback(ctx), "blocks": (blocks + body)[: MAX_BLOCKS - len(tail)] + tail}


def default_view(ctx: CustomerContext) -> ViewRef:
    t = ctx.timeline
    at_marker = t is not None and t.marker is not None
    anchor = t.anchor_ms if t is not None and at_marker else None
    return ViewRef(ctx.profile.id, anchor_ms=anchor, ticket_ms=anchor)


def _fallback(ctx: CustomerContext) -> str:
    """The notification text: Slack formats it as mrkdwn too, so user data is escaped here as well."""
    p = ctx.profile
    title = esc(truncate(p.title, 150))
    if p.opted_out:
        return f"Pendo: {title} has opted out of processing"
    if ctx.usage:
        u = ctx.usage
        return f"Pendo: {title}: {words.activity(u.frequency, u.days_active)}, {plural(u.events, 'event')}"
    return f"Pendo: {title}"


def _tail(ctx: CustomerContext, view: ViewRef, sharing: Sharing) -> list[Block]:
    """Gaps (each cause once), who shared it, and the buttons."""
    p = ctx.profile
    tail: list[Block] = []
    if ctx.gaps:
        tail.append(gap_block(ctx.gaps, compact=not view.full))
    if sharing.shared_by:
        about = f" · about {link(sharing.ticket_url, _ticket_label(view))}" if sharing.ticket_url else ""
        tail.append(context_block(f"Shared by <@{sharing.shared_by}>{about} · from Pendo"))
        if sharing.note:
            tail.append(section(f"💬 {esc(truncate(sharing.note, 2000))}"))
        detail = view_button("Details (only you see them)", "detail", view.but(full=True))
        tail.append(
            actions(
                detail, open_account_button(ctx), button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url)
            )
        )
        return tail
    toggle = (
        view_button("Show less", "less", view.but(full=False))
        if view.full
        else view_button("Show more", "more", view.but(full=True), style="primary")
    )
    offer = _last_active_offer(ctx, view)
    elements: list[dict[str, Any] | None] = [toggle]
    if offer is not None and not view.full:
        elements.append(view_button("Show their last active day", "day", offer))
    elements.append(open_account_button(ctx))
    elements.append(button("Open in Pendo", OPEN_ACTION + ":visitor", url=p.url))
    if view.ticket_id is not None and sharing.ticket_note == "offer" and view.encode() is not None:
        elements.append(button("Add to ticket", ADD_TO_TICKET, value=view.encode()))
    done = [context_block(f"Added to ticket #{view.ticket_id} ✓")] if sharing.ticket_note == "added" else []
    if sharing.shared_in:
        tail.append(actions(*elements))
        tail.append(context_block(f"Shared in <#{sharing.shared_in}> ✓"))
        return tail + done
    if sharing.allowed and view.encode() is not None:
        value = view.encode()
        elements.append(button("Share in channel", SHARE_IN_CHANNEL, value=value))
        elements.append(button("Share with a note…", SHARE_WITH_NOTE, value=value))
    tail.append(actions(*elements))
    return tail + done


def gap_block(gaps: list[Gap], *, compact: bool) -> Block:
    """What is missing, each cause once; the first screen keeps it to two short sentences."""
    sentences = words.gap_sentences(gaps)
    if compact and len(sentences) > 2:
        sentences = [*sentences[:1], f"{len(sentences) - 1} other problems: see Show more."]
    limit = 200 if compact else FIELD_LIMIT
    return context_block(*(f"⚠️ {esc(truncate(s, limit))}" for s in sentences))


def _ticket_label(view: ViewRef) -> str:
    return f"Zendesk ticket #{view.ticket_id}" if view.ticket_id else "the Zendesk ticket"


# --- compact: the first screen -------------------------------------------------------------------------
def _compact_blocks(ctx: CustomerContext, view: ViewRef) -> list[Block]:
    blocks = [section("\n".join(who_lines(ctx, view.ticket_ms)))]
    recent = recent_lines(ctx)
    if recent:
        blocks.append(section("\n".join(recent)))
    return blocks


def who_lines(ctx: CustomerContext, ticket_ms: int | None = None) -> list[str]:
    """Email, accounts and plan; how active and how deep; a detractor's NPS; last seen."""
    p = ctx.profile
    first: list[str] = []
    if p.email and p.email != p.title:
        first.append(esc(truncate(p.email, 80)))
    elif p.id != p.title:
        first.append(f"`{esc(truncate(p.id, 60))}`")
    first.append(_account_line(ctx))
    lines = [" · ".join(first)]
    if ctx.usage:
        u = ctx.usage
        depth = f" · {nps_words.depth_text(u.depth)}" if u.depth else ""
        lines.append(
            f"*{words.activity(u.frequency, u.days_active)}* · {plural(u.events, 'event')} "
            f"({u.events_trend.label}){depth}"
        )
    if detractor := nps_words.detractor_line(ctx.nps, ticket_ms):
        lines.append(detractor)
    if p.last_visit_ms:
        lines.append(f"Last seen {slack_date(p.last_visit_ms)}")
    return lines


ACCOUNTS_NAMED = 5  # accounts named on a first screen, then "and N more"


def _account_line(ctx: CustomerContext) -> str:
    """Every account by name (up to five, then "and N more"); the plan of a visitor's only account."""
    p = ctx.profile
    if not p.account_ids:
        return "no account"
    by_id = {a.id: a for a in ctx.accounts}
    width = 60 if len(p.account_ids) == 1 else 32
    names = [
        link(by_id[a].url, by_id[a].name, width) if a in by_id else esc(truncate(a, width))
        for a in p.account_ids[:ACCOUNTS_NAMED]
    ]
    text = "🏢 " + ", ".join(names)
    first = by_id.get(p.account_ids[0])
    if len(p.account_ids) == 1 and first and first.fields:
        text += " (" + ", ".join(_field_text(f, 24, 40) for f in first.fields[:2]) + ")"
    if len(p.account_ids) > ACCOUNTS_NAMED:
        text += f" and {len(p.account_ids) - ACCOUNTS_NAMED} more"
    return text


def _field_text(f: MetadataField, label: int, value: int) -> str:
    return f"{esc(truncate(f.label, label))}: {esc(truncate(f.value, value))}"


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


def recent_lines(ctx: CustomerContext) -> list[str]:
    """The story line and the last few events; or, for a quiet window, when they were last active."""
    t = ctx.timeline
    if t is None:
        return []  # the gap says why
    events = [e for e in t.entries if e.kind != "ticket"]
    if not events:
        return [_quiet_window(ctx, t)]
    lines = [story(t) or ""]
    shown = RECENT_SHOWN - 1 if nps_words.is_detractor(ctx.nps) else RECENT_SHOWN  # room for the NPS line
    lines += [entry_line(e, t, 50, DAY_AND_TIME) for e in events[:shown]]
    return lines


def _quiet_window(ctx: CustomerContext, t: Timeline) -> str:
    end = "filing" if t.marker else slack_date(t.anchor_ms)
    line = f"No activity in the {t.hours} h before {end}."
    last = ctx.profile.last_visit_ms
    if last is None:
        return line + " No visit on record."
    if last < t.start_ms:
        line += f" Last active {slack_date(last)}."
    return line


def _last_active_offer(ctx: CustomerContext, view: ViewRef) -> ViewRef | None:
    """When the window is empty and the visitor was active before it: their last active day."""
    t, last = ctx.timeline, ctx.profile.last_visit_ms
    if t is None or last is None or last >= t.start_ms or any(e.kind != "ticket" for e in t.entries):
        return None
    return view.but(anchor_ms=last + MINUTE_MS)


def entry_line(e: TimelineEntry, t: Timeline, width: int = 80, fmt: str = "{time}") -> str:
    """ "🖱️ Export CSV ×3 · 2 min before ticket" (ticket windows) or "… · 3:40 PM" in `fmt`."""
    if e.kind == "ticket":
        return f"{KIND_ICON['ticket']} *{esc(e.name)}* · {slack_date(e.ts_ms, '{time}')}"
    name = link(e.url, e.name, width) if e.url else esc(truncate(e.name, width))
    repeat = f" ×{e.count}" if e.count > 1 else ""
    at = before_ticket(e.ts_ms, t.anchor_ms) if t.marker else slack_date(e.ts_ms, fmt)
    return f"{KIND_ICON.get(e.kind, '•')} {name}{repeat} · {at}"


# --- full: "Show more" ---------------------------------------------------------------------------------
def _full_blocks(ctx: CustomerContext, view: ViewRef) -> list[Block]:
    p = ctx.profile
    facts = [f"`{esc(truncate(p.id, 100))}`"]
    if p.email and p.email != p.id and p.email != p.title:
        facts.append(esc(truncate(p.email, 100)))
    if p.last_visit_ms:
        facts.append(f"last seen {slack_date(p.last_visit_ms)}")
    blocks: list[Block] = [context_block(" · ".join(facts))]
    blocks += _usage_blocks(ctx)
    if ctx.nps is not None:
        blocks.append(section(nps_words.answer_section(ctx.nps, view.ticket_ms)))
    if ctx.timeline is not None:
        blocks += timeline_blocks(ctx.timeline, view, ctx.generated_at_ms)
    blocks += _account_blocks(ctx.accounts, len(p.account_ids))
    return blocks


def _visitor_fields(ctx: CustomerContext) -> list[MetadataField]:
    """The visitor's fields, minus any an account already shows with the same value (shown once)."""
    on_accounts = {(f.label, f.value) for a in ctx.accounts for f in a.fields}
    return [f for f in ctx.profile.fields if (f.label, f.value) not in on_accounts]


def _usage_blocks(ctx: CustomerContext) -> list[Block]:
    p, u = ctx.profile, ctx.usage
    fields: list[str] = []
    if u:
        fields += [
            f"*Active (30 d)*\n{words.activity(u.frequency, u.days_active)} · {u.days_trend.label}",
            f"*Events (30 d)*\n{number(u.events)} · {u.events_trend.label}",
            f"*Minutes (30 d)*\n{number(u.minutes)} · {u.minutes_trend.label}",
        ]
        if u.depth:
            fields.append(f"*Features used (30 d)*\n{nps_words.depth_field(u.depth)}")
    if p.first_visit_ms:
        fields.append(f"*First visit*\n{slack_date(p.first_visit_ms, '{date_short}')}")
    if p.browser or p.os:
        fields.append(f"*Browser / OS*\n{esc(p.browser or '?')} · {esc(p.os or '?')}")
    fields += [f"*{esc(f.label)}*\n{esc(f.value)}" for f in _visitor_fields(ctx)]
    blocks: list[Block] = []
    if fields:
        blocks.append({"type": "section", "fields": [mrkdwn(f, FIELD_LIMIT) for f in fields[:10]]})
    if u:
        blocks += _activity_blocks(u)
    return blocks


def _activity_blocks(u: VisitorUsage) -> list[Block]:
    return [sparkline_block(u.daily_events), *tops_blocks(u.top_features, u.top_pages)]


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


def _account_blocks(accounts: list[AccountSummary], total: int) -> list[Block]:
    blocks: list[Block] = []
    if accounts:
        blocks.append({"type": "divider"})
    for a in accounts:
        head = f"🏢 *{link(a.url, a.name)}* `{esc(a.id)}`"
        if a.opted_out:
            blocks.append(section(f"{head}\nOpted out of processing: no activity shown."))
            continue
        lines = [head]
        if a.usage:
            lines.append(
                f"{plural(a.usage.unique_visitors, 'active visitor')} · "
                f"{words.activity(a.usage.frequency, a.usage.days_active)} · "
                f"{plural(a.usage.events, 'event')} in 30 d"
            )
        if a.fields:
            lines.append(" · ".join(_field_text(f, 60, 300) for f in a.fields))
        if a.gap:
            lines.append("_Figures missing (see below)._")
        block = section("\n".join(lines))
        opener = account_button("Open account", "open", AccountRef(a.id))
        if opener is not None and len(accounts) > 1:
            block["accessory"] = opener
        blocks.append(block)
    if total > len(accounts):
        blocks.append(
            context_block(f"and {plural(total - len(accounts), 'more account')}: see the visitor in Pendo")
        )
    return blocks


# --- other answers -----------------------------------------------------------------------------------
def ambiguous_message(
    result: Ambiguous,
    now_ms: int | None = None,
    header_blocks: list[Block] | None = None,
    *,
    view: ViewRef | None = None,
    limit: int = 20,
) -> Message:
    """A choice of visitors with one button each; `view` anchors the pick (e.g. at the ticket's time)."""
    count = len(result.candidates)
    blocks: list[Block] = list(header_blocks or [])
    blocks += candidate_blocks(result, view, limit)
    return {"text": f"{count} Pendo visitors have {esc(result.email)}: pick one", "blocks": blocks}


def candidate_blocks(result: Ambiguous, view: ViewRef | None, limit: int) -> list[Block]:
    count = len(result.candidates)
    whose = "the requester's email" if view and view.ticket_id else f"*{esc(result.email)}*"
    blocks: list[Block] = [
        section(f"*{count} Pendo visitors* have {whose}. I won't guess: pick the one you mean.")
    ]
    for c in result.candidates[:limit]:
        ref = (view or ViewRef(c.visitor_id)).but(visitor_id=c.visitor_id, full=False)
        block: Block = {"type": "section", "text": mrkdwn(_candidate_text(c))}
        pick = view_button("Show this visitor", "pick", ref)
        if pick is not None:
            block["accessory"] = pick
        blocks.append(block)
    if count > limit:
        blocks.append(context_block(f"and {count - limit} more: narrow it down in Pendo"))
    return blocks


def _candidate_text(c: Candidate) -> str:
    visitor_id = f"`{esc(truncate(c.visitor_id, 100))}`"
    if c.opted_out:
        return f"{visitor_id} · 🔒 opted out of processing in Pendo"
    seen = f"last seen {slack_date(c.last_visit_ms)}" if c.last_visit_ms else "never seen"
    accounts = ", ".join(esc(truncate(a, 60)) for a in c.account_ids[:5]) or "no account"
    if len(c.account_ids) > 5:
        accounts += f" and {len(c.account_ids) - 5} more"
    return f"*{esc(truncate(c.name or c.visitor_id, 100))}* {visitor_id}\n{seen} · Accounts: {accounts}"


def not_found_message(result: NotFoundInPendo, header_blocks: list[Block] | None = None) -> Message:
    """No visitor: the agent reads what to check; how the bot searched goes to the log, not here."""
    sentence = words.not_found(result)
    return {
        "text": f"{esc(truncate(result.email, 200))}: {sentence}",
        "blocks": [*(header_blocks or []), section(f"*{esc(truncate(result.email, 200))}*\n{sentence}")],
    }


def notice_message(text: str, *, icon: str = "⚠️") -> Message:
    """A one-sentence answer: an error, a refusal, a progress note. `text` is trusted mrkdwn."""
    return {"text": text.replace("*", "").replace("`", ""), "blocks": [section(f"{icon} {text}")]}


def progress_message(target: str, where: str = "Pendo") -> Message:
    return notice_message(f"Looking up {typed(target)} in {where}…", icon="⏳")


def help_message(command: str = "/pendo", zendesk_host: str | None = None) -> Message:
    """How to use the command; ticket examples use the workspace's own Zendesk host when there is one."""
    lines = [
        f"*{command}* shows what Pendo knows about a customer: how active they are, their account, "
        "and what they did just before they wrote in.",
        f"• `{command} jane@acme.com`: look up a visitor by email",
    ]
    if zendesk_host:
        lines += [
            f"• `{command} 12345` or `{command} #12345`: a Zendesk ticket's requester, with what they did "
            "before filing it",
            f"• `{command} https://{esc(zendesk_host)}/agent/tickets/12345`: the same, from a ticket link",
        ]
    lines += [
        f"• `{command} account Acme Corp` (a name) or `{command} account acme` (an account ID): an account's summary",
        f"• `{command} settings`: your own preferences (event kinds, compact or full first, unfurls of "
        "your links, fields, time zone); also in the bot's Home tab",
        f"• `{command} help`: this message",
        "Answers are private to you: *Show more* opens the detail, *Share in channel* posts the summary "
        "for everyone.",
    ]
    return {"text": f"How to use {command}", "blocks": [section("\n".join(lines))]}


# --- the note that goes with a share -----------------------------------------------------------------------
NOTE_BLOCK = "note"
NOTE_INPUT = "text"
NOTE_MAX = 1000


@dataclass(frozen=True)
class NoteRequest:
    """What the "Share with a note" modal carries (its `private_metadata`): what to share, where, and how
    to update the agent's copy once shared."""

    ref: str | None  # the Share button's value: a `ViewRef`, decoded when the note comes back
    response_url: str | None
    channel: str
    message_ts: str
    thread_ts: str | None
    private: bool  # the button was on the agent's own ephemeral message

    def encode(self) -> str:
        data = {
            "r": self.ref,
            "u": self.response_url,
            "c": self.channel,
            "m": self.message_ts,
            "t": self.thread_ts,
            "p": self.private,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | None) -> NoteRequest | None:
        """None when the metadata is not one of ours (not JSON, not an object)."""
        try:
            data = json.loads(raw or "{}")
            return cls(
                ref=data.get("r"),
                response_url=data.get("u"),
                channel=str(data.get("c") or ""),
                message_ts=str(data.get("m") or ""),
                thread_ts=data.get("t"),
                private=bool(data.get("p")),
            )
        except (ValueError, AttributeError):
            return None


def note_modal(request: NoteRequest) -> dict[str, Any] | None:
    """The "Share with a note" modal; None when what it must carry is over Slack's 3,000 characters."""
    metadata = request.encode()
    if len(metadata) > 3000:
        return None
    return {
        "type": "modal",
        "callback_id": NOTE_MODAL,
        "title": plain("Share in channel", 24),
        "submit": plain("Share", 24),
        "close": plain("Cancel", 24),
        "private_metadata": metadata,
        "blocks": [
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "optional": True,
                "label": plain("A note for the channel (optional)", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_INPUT,
                    "multiline": True,
                    "max_length": NOTE_MAX,
                    "placeholder": plain("For example: this is the customer from the escalation", 150),
                },
            },
            context_block("The summary is posted in this channel for everyone, with your name and note."),
        ],
    }


# --- emails and tickets found in a message ----------------------------------------------------------------
def targets_message(targets: list[Target]) -> Message:
    """A choice between what a message mentions, one Look up button each (its value: `Target.encode`)."""
    blocks: list[Block] = [
        section(f"This message mentions *{len(targets)} customers or tickets*. Pick one to look up.")
    ]
    for target in targets:
        block: Block = {"type": "section", "text": mrkdwn(f"*{esc(truncate(target.label, 200))}*")}
        encoded = target.encode()
        if encoded is not None:
            block["accessory"] = button("Look up", LOOKUP_ACTION, value=encoded)
        blocks.append(block)
    return {"text": f"{len(targets)} customers or tickets in this message: pick one", "blocks": blocks}


def nothing_found_message() -> Message:
    return notice_message(
        "I found no email address or Zendesk ticket link in that message. Use `/pendo` with an email, "
        "a ticket number or `account <name>`.",
        icon="🤷",
    )


LOOKUP_BLOCK = "query"  # the lookup modal's field: its block and input ids (errors are keyed by the block)
LOOKUP_INPUT = "text"


def lookup_modal(channel_hint: bool = True) -> dict[str, Any]:
    """The global shortcut's modal: one field, and where to post the private answer."""
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": LOOKUP_BLOCK,
            "label": plain("Email, ticket number or account", 75),
            "element": {
                "type": "plain_text_input",
                "action_id": LOOKUP_INPUT,
                "placeholder": plain("jane@acme.com, 12345 or Acme Corp", 150),
            },
        },
    ]
    if channel_hint:
        blocks.append(
            {
                "type": "input",
                "block_id": "where",
                "label": plain("Show me the answer in", 75),
                "element": {
                    "type": "conversations_select",
                    "action_id": "channel",
                    "default_to_current_conversation": True,
                    "response_url_enabled": True,
                },
                "hint": plain("Only you will see it.", 150),
            }
        )
    return {
        "type": "modal",
        "callback_id": LOOKUP_MODAL,
        "title": plain("Pendo lookup", 24),
        "submit": plain("Look up", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }
