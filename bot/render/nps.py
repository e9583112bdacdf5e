"""Depth of use and NPS in words: pure helpers for the Block Kit and terminal renderers.

Comments are customer text: escaped for mrkdwn and quoted; a first screen shows the whole comment up to
300 characters (the account view 200 per answer), cut only at a word boundary, and Show more the whole
text. Times are relative to the ticket in ticket contexts ("12 days before the
ticket"), never to "now" (a message in a channel would go stale); otherwise an absolute date.
"""

from __future__ import annotations

from datetime import tzinfo

from bot.domain.models import AccountNps, Depth, NpsAnswer, NpsCategory
from bot.render.format import esc, number, plural, truncate, when
from bot.render.times import slack_date, span

DAY_MS = 86_400_000
COMPACT_COMMENT = 300  # characters of a comment on a first screen (the /pendo answer, the unfurl)
ACCOUNT_COMMENT = 200  # characters of each latest answer's comment in the account view
FULL_COMMENT = 1200  # characters of a comment in Show more
ICON = {NpsCategory.PROMOTER: "💚", NpsCategory.PASSIVE: "😐", NpsCategory.DETRACTOR: "⚠️"}


# --- depth ---------------------------------------------------------------------------------------------
def depth_change(d: Depth) -> str | None:
    """ "▲ 4" / "▼ 2" / "no change" against the previous 30 days; None when not compared. A bare "▲ 4"
    reads like a percentage next to "▼ 6%": `depth_text` and `depth_field` say what it is compared with."""
    change = d.change
    if change is None:
        return None
    if change == 0:
        return "no change"
    return f"{'▲' if change > 0 else '▼'} {abs(change)}"


def depth_text(d: Depth, *, compared: bool = True) -> str:
    """ "23 of 140 features (16%), ▲ 4 vs previous 30 d" (without `compared`, where room is short:
    "…, ▲ 4"); "23 features" when the catalog is unknown."""
    text = (
        f"{number(d.used)} of {plural(d.catalog, 'feature')} ({d.percent}%)"
        if d.catalog
        else plural(d.used, "feature")
    )
    change = depth_change(d)
    if not change:
        return text
    return f"{text}, {_compared(d) if compared else change}"


def _compared(d: Depth) -> str:
    """ "▲ 4 vs previous 30 d", or "no change"."""
    change = depth_change(d)
    return f"{change} vs previous 30 d" if change and change != "no change" else change or ""


def depth_field(d: Depth) -> str:
    """The value of a "Features used (30 d)" field: "23 of 140 (16%) · ▲ 4 vs previous 30 d"."""
    text = f"{number(d.used)} of {number(d.catalog)} ({d.percent}%)" if d.catalog else number(d.used)
    return f"{text} · {_compared(d)}" if depth_change(d) else text


def account_depth_text(d: Depth, feature_visitors: int | None, active_visitors: int) -> str:
    """ "41 of 140 features (29%) · used by 5 of 7 active visitors"."""
    text = depth_text(d)
    if feature_visitors is None:
        return text
    return f"{text} · used by {number(feature_visitors)} of {plural(active_visitors, 'active visitor')}"


# --- one answer ------------------------------------------------------------------------------------------
def head(a: NpsAnswer) -> str:
    """ "NPS 3 (detractor)"."""
    return f"NPS {a.score} ({a.category.value})"


def relative_to_ticket(ts_ms: int, ticket_ms: int) -> str:
    """ "12 days before the ticket", "5 h before the ticket", "2 days after the ticket"."""
    gap = ticket_ms - ts_ms
    side = "before" if gap >= 0 else "after"
    gap = abs(gap)
    amount = plural(gap // DAY_MS, "day") if gap >= DAY_MS else span(gap)
    return f"{amount} {side} the ticket"


def comment_lines(comment: str) -> list[str]:
    """A comment's non-empty lines, each with its runs of spaces made one."""
    return [" ".join(line.split()) for line in comment.splitlines() if line.strip()]


def first_line(comment: str, limit: int = COMPACT_COMMENT) -> tuple[str, bool]:
    """The comment's first non-empty line cut to `limit` at a word boundary (a word longer than half the
    room is cut inside), and whether anything was left out."""
    lines = comment_lines(comment)
    if not lines:
        return "", False
    line = lines[0]
    if len(line) <= limit:
        return line, len(lines) > 1
    room = line[: max(0, limit - 1)]
    space = room.rfind(" ")
    if space >= limit // 2:
        room = room[:space]
    return room.rstrip(" ,;:-") + "…", True


def excerpt(comment: str, limit: int = COMPACT_COMMENT) -> tuple[str, bool]:
    """The whole comment on one line (its lines joined, runs of spaces made one) up to `limit`
    characters; longer, it is cut at the last word boundary that fits, with "…" (a single word longer
    than the room is cut inside). Also whether anything was left out."""
    text = " ".join(comment_lines(comment))
    if len(text) <= limit:
        return text, False
    room = text[: max(0, limit - 1)]
    space = room.rfind(" ") if text[len(room)] != " " else len(room)
    if space > 0:
        room = room[:space]
    return room.rstrip(" ,;:-") + "…", True


def quoted(text: str) -> str:
    """Customer text as mrkdwn: escaped, in quotes."""
    return f"“{esc(text)}”"


def _slack_when(a: NpsAnswer, ticket_ms: int | None) -> str:
    return (
        relative_to_ticket(a.ts_ms, ticket_ms) if ticket_ms else f"on {slack_date(a.ts_ms, '{date_short}')}"
    )


def is_detractor(a: NpsAnswer | None) -> bool:
    return a is not None and a.category is NpsCategory.DETRACTOR


def detractor_line(a: NpsAnswer | None, ticket_ms: int | None) -> str | None:
    """The first screen's line for a detractor (nothing for anyone else): "⚠️ *NPS 3 (detractor)*, 12 days
    before the ticket: “the whole comment, up to 300 characters…”"."""
    if a is None or not is_detractor(a):
        return None
    line = f"{ICON[a.category]} *{head(a)}*, {_slack_when(a, ticket_ms)}"
    if a.comment:
        line += f": {quoted(excerpt(a.comment)[0])}"
    return line


def answer_section(a: NpsAnswer, ticket_ms: int | None) -> str:
    """Show more: the latest answer, its survey and the whole comment as a quote."""
    parts = [f"*{head(a)}*", _slack_when(a, ticket_ms)]
    if ticket_ms:
        parts.append(slack_date(a.ts_ms, "{date_short}"))
    if a.survey:
        parts.append(esc(truncate(a.survey, 80)))
    text = f"{ICON[a.category]} " + " · ".join(parts)
    if a.comment:
        text += "\n" + quoted(truncate("\n".join(comment_lines(a.comment)), FULL_COMMENT))
    return text


def answer_text(a: NpsAnswer, ticket_ms: int | None, tz: tzinfo) -> list[str]:
    """The terminal's lines for the latest answer."""
    at = when(a.ts_ms, tz, "%Y-%m-%d")
    relative = f"{relative_to_ticket(a.ts_ms, ticket_ms)}, " if ticket_ms else ""
    survey = f", {a.survey}" if a.survey else ""
    lines = [f"NPS: {a.score} ({a.category.value}), {relative}{at}{survey}"]
    if a.comment:
        lines += [f"  > {line}" for line in comment_lines(a.comment)]
    return lines


# --- an account ------------------------------------------------------------------------------------------
def account_line(n: AccountNps, *, period: bool = True) -> str:
    """ "NPS 20 · 5 people answered in 90 d (3 promoters, 2 detractors)": each person's latest answer
    counts once. Without `period`, for a place whose title says it already ("NPS (90 d)")."""
    counts = [
        plural(count, name)
        for count, name in ((n.promoters, "promoter"), (n.passives, "passive"), (n.detractors, "detractor"))
        if count
    ]
    people = f"{number(n.responses)} {'person' if n.responses == 1 else 'people'} answered"
    within = f" in {n.days} d" if period else ""
    return f"NPS {n.score} · {people}{within} ({', '.join(counts)})"


def who(a: NpsAnswer) -> str:
    """Who answered, for an agent: their name or email, else their visitor ID."""
    return a.who or a.visitor_id


def account_answer_line(a: NpsAnswer) -> str:
    """mrkdwn: "*Harper Evans* · 9 (promoter) · Nov 13 · “Fast and reliable.”"."""
    line = f"*{esc(truncate(who(a), 60))}* · {a.score} ({a.category.value}) · {slack_date(a.ts_ms, '{date_short}')}"
    if a.comment:
        line += f" · {quoted(excerpt(a.comment, ACCOUNT_COMMENT)[0])}"
    return line


def account_answer_text(a: NpsAnswer, tz: tzinfo) -> str:
    comment = f": {excerpt(a.comment, ACCOUNT_COMMENT)[0]}" if a.comment else ""
    return f"  {who(a)}: {a.score} ({a.category.value}), {when(a.ts_ms, tz, '%Y-%m-%d')}{comment}"
