"""Terminal rendering of a lookup, for `pendo-bot lookup` and `pendo-bot ticket`: every line in the words
of the Slack answer (`bot.render.friction` for what stands out, friction and replays), times in
DISPLAY_TIMEZONE. (`pendo-bot account` prints `accounts.account_text`.)"""

from __future__ import annotations

from datetime import tzinfo

from bot.domain import signals
from bot.domain.friction import REPLAYS_LISTED, FrictionFacts, Spot
from bot.domain.models import AccountSummary, Ambiguous, NotFoundInPendo, VisitorFacts
from bot.domain.tickets import TicketFacts
from bot.render import friction as friction_words
from bot.render import nps as nps_words
from bot.render.format import KIND_ICON, ago, number, plural, sparkline, when
from bot.render.words import (
    active_days,
    activity,
    gap_line,
    no_pendo,
    ticket_channel,
    ticket_priority,
    ticket_status_label,
)


def render_visitor(ctx: VisitorFacts, tz: tzinfo) -> str:
    p = ctx.profile
    now = ctx.generated_at_ms
    lines = [p.title, "=" * len(p.title)]
    stand_out = friction_words.stand_out_line(
        signals.stand_out(ctx), lambda ms: when(ms, tz, "%Y-%m-%d"), ticket=ctx.anchor_ms is not None
    )
    if stand_out and not p.opted_out:
        lines.append(stand_out)
    lines.append(f"Visitor ID: {p.id}" + (f"   Email: {p.email}" if p.email and p.email != p.id else ""))
    if p.opted_out:
        lines += ["", "This visitor has opted out of processing in Pendo: no activity is shown.", "", p.url]
        return "\n".join(lines)
    if p.last_visit_ms:
        lines.append(f"Last seen: {when(p.last_visit_ms, tz)} ({ago(p.last_visit_ms, now)})")
    if p.first_visit_ms:
        lines.append(f"First visit: {when(p.first_visit_ms, tz, '%Y-%m-%d')}")
    if p.browser or p.os:
        lines.append(f"Browser / OS: {p.browser or '?'} / {p.os or '?'}")
    for f in p.fields:
        lines.append(f"{f.label}: {f.value}")
    u = ctx.usage
    if u:
        lines += [
            "",
            "Last 30 days",
            f"  Active:      {active_days(u.frequency, u.days_active)} · {u.days_trend.label}",
            f"  Events:      {number(u.events)} ({u.events_trend.label})",
            f"  Minutes:     {number(u.minutes)} ({u.minutes_trend.label})",
            *([f"  Features:    {nps_words.depth_field(u.depth)}"] if u.depth else []),
            f"  Activity:    {sparkline(u.daily_events)}  (events per day, today at the right)",
        ]
        if u.top_features:
            lines.append(
                "  Top features: " + "; ".join(f"{i.name} ({number(i.events)})" for i in u.top_features)
            )
        if u.top_pages:
            lines.append(
                "  Top pages:    " + "; ".join(f"{i.name} ({number(i.events)})" for i in u.top_pages)
            )
    if ctx.nps is not None:
        ticket_ms = ctx.timeline.anchor_ms if ctx.timeline and ctx.timeline.marker else None
        lines += ["", *nps_words.answer_text(ctx.nps, ticket_ms, tz)]
    if ctx.friction is not None:
        lines += ["", *friction_lines(ctx.friction, tz)]
    lines.append("")
    if not p.account_ids:
        lines.append("Accounts: none (this visitor belongs to no account)")
    for account in ctx.accounts:
        lines.append(_account(account))
    if ctx.timeline:
        t = ctx.timeline
        lines += ["", f"Activity in the {t.hours} h before {when(t.anchor_ms, tz)}"]
        if not t.entries:
            lines.append("  No activity in this window.")
        for e in t.entries:
            repeat = f" ×{e.count}" if e.count > 1 else ""
            if e.friction is not None and e.friction.total > 0:
                repeat += f" · {friction_words.short_counts(e.friction)}"
            lines.append(
                f"  {when(e.ts_ms, tz, '%m-%d %H:%M')}  {KIND_ICON.get(e.kind, '•')} {e.name}{repeat}"
            )
        if t.more:
            lines.append(f"  … and {t.more} more (--all shows every one)")
        if t.hidden_untagged:
            lines.append(f"  ({plural(t.hidden_untagged, 'untagged page view')} hidden)")
    for gap in ctx.gaps:
        lines.append(f"! {gap_line(gap)}")
    lines += ["", f"Open in Pendo: {p.url}"]
    return "\n".join(lines)


def _at(tz: tzinfo) -> friction_words.At:
    return lambda ms: when(ms, tz)


def _name(s: Spot) -> str:
    return s.name


def friction_lines(f: FrictionFacts, tz: tzinfo) -> list[str]:
    """The strongest friction (or that there was none, with how far Pendo's figures go), the 30-day
    line, and up to three recorded sessions, each with its player link on the line below."""
    at = _at(tz)
    lines = [friction_words.strongest_line(f, _name, at) or friction_words.none_line(f, at)]
    if f.trend is not None:
        lines.append(friction_words.trend_line(f.trend, _name))
    for r in [r for r in f.replays if r.url][:REPLAYS_LISTED]:
        lines += [
            f"{friction_words.REPLAY_ICON} Replay {friction_words.replay_words(f, r, at)}",
            f"    {r.url}",
        ]
    return lines


def _account(a: AccountSummary) -> str:
    head = f"Account: {a.name} ({a.id})"
    if a.opted_out:
        return f"{head}: opted out of processing"
    parts = [head]
    if a.usage:
        parts.append(
            f"  {plural(a.usage.unique_visitors, 'active visitor')} · "
            f"{activity(a.usage.frequency, a.usage.days_active, who='account')} · {plural(a.usage.events, 'event')} in 30 d"
        )
    parts += [f"  {f.label}: {f.value}" for f in a.fields]
    if a.gap:
        parts.append(f"  ({gap_line(a.gap)})")
    return "\n".join(parts)


def render_ambiguous(result: Ambiguous, tz: tzinfo) -> str:
    lines = [f"{len(result.candidates)} Pendo visitors have {result.email} ({result.searched}); pick one:"]
    for c in result.candidates:
        if c.opted_out:
            lines.append(f"  {c.visitor_id}  (opted out of processing)")
            continue
        seen = when(c.last_visit_ms, tz) if c.last_visit_ms else "never"
        accounts = ", ".join(c.account_ids) or "none"
        lines.append(f"  {c.visitor_id}  {c.name or ''}  accounts: {accounts}  last seen {seen}")
    lines.append("Look one up with: pendo-bot lookup --visitor-id ID")
    return "\n".join(lines)


def render_not_found(result: NotFoundInPendo) -> str:
    return (
        f"No Pendo visitor found for {result.email} (searched: {result.searched}).\n"
        "The email must be unique to a visitor. If your Pendo keeps emails in a metadata field, "
        "set PENDO_EMAIL_FIELD (e.g. agent/email)."
    )


def render_ticket(tc: TicketFacts, tz: tzinfo) -> str:
    t, b = tc.bundle.ticket, tc.bundle
    created = when(t.created_ms, tz)
    org = f" ({b.organization.name})" if b.organization and b.organization.name else ""
    lines = [
        f"Zendesk ticket #{t.id}: {t.title}",
        "  "
        + " · ".join(
            part
            for part in (
                ticket_status_label(t.status, b.status_label),
                ticket_priority(t.priority) or "no priority",
                ticket_channel(t.via_channel),
                f"created {created}",
            )
            if part
        ),
        f"  Requester: {b.requester.name if b.requester else 'unknown'}{org}",
        f"  Assignee: {b.assignee.name if b.assignee else 'unassigned'} · Group: {b.group.name if b.group else '-'}",
        f"  {b.agent_url}",
        "",
    ]
    if isinstance(tc.pendo, VisitorFacts):
        lines.append(render_visitor(tc.pendo, tz))
    elif isinstance(tc.pendo, Ambiguous):
        lines.append(render_ambiguous(tc.pendo, tz))
    elif isinstance(tc.pendo, NotFoundInPendo):
        lines.append(render_not_found(tc.pendo))
    else:
        lines.append(no_pendo(tc.reason, tc.bundle.ticket.via_channel))
    return "\n".join(lines)
