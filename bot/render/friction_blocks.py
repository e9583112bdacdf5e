"""Friction, replays and what stands out, for Slack: the lines of a visitor's first screen and Details,
the ▶ Replay button, and the account view's friction section.

Every word comes from `bot.render.friction` (the note and the CLI say the same); this module only says
how Slack writes a time (Slack's date token: the reader's own zone) and a page's name (escaped, linked).
An opted-out visitor has no friction (`facts.friction` is None) and no signal (`stand_out` gives none).
Pure; imports the render primitives and the domain's types.
"""

from __future__ import annotations

from typing import Any

from bot.domain import signals
from bot.domain.friction import REPLAYS_LISTED, FrictionFacts, Replay, Spot
from bot.domain.models import AccountFacts, NpsAnswer, VisitorFacts
from bot.render import friction as words
from bot.render import nps as nps_words
from bot.render.blocks import Block, button, esc, link, section
from bot.render.buttons import OPEN_ACTION
from bot.render.format import truncate
from bot.render.times import DAY_AND_TIME, slack_date

REPLAY_ACTION = OPEN_ACTION + ":replay"
NAME_WIDTH = 60  # a page's or feature's name in a friction line


def at_time(ms: int) -> str:
    return slack_date(ms, "{time}")


def at_day(ms: int) -> str:
    return slack_date(ms, "{date_short}")


def at_of(f: FrictionFacts) -> words.At:
    """Times of a ticket's 24 h read as times of day (the ticket header has the date); a latest session
    may be days ago, so it says which day too."""
    return at_time if f.scope == "ticket" else (lambda ms: slack_date(ms, DAY_AND_TIME))


def spot_name(s: Spot) -> str:
    return link(s.url, s.name, NAME_WIDTH) if s.url else esc(truncate(s.name, NAME_WIDTH))


def _account_name(name: str) -> str:
    return esc(truncate(name, NAME_WIDTH))


# --- the first screen -----------------------------------------------------------------------------------
def stand_out(ctx: VisitorFacts) -> str | None:
    """ "🚩 Detractor (NPS 3) · Friction before filing": the answer's first line (none when nothing fires)."""
    found = signals.stand_out(ctx)
    return words.stand_out_line(found, at_day, ticket=ctx.anchor_ms is not None, text=_account_name)


def names_detractor(ctx: VisitorFacts) -> bool:
    """Whether the stand-out line already says "Detractor (NPS 3)" of the answer the NPS line shows."""
    return any(s.kind is signals.SignalKind.DETRACTOR and s.nps == ctx.nps for s in signals.stand_out(ctx))


def nps_line(ctx: VisitorFacts, ticket_ms: int | None) -> str | None:
    """A detractor's NPS line; only its comment when the stand-out line already names the score."""
    if ctx.nps is not None and names_detractor(ctx):
        return nps_comment_line(ctx.nps, ticket_ms)
    return nps_words.detractor_line(ctx.nps, ticket_ms)


def nps_comment_line(a: NpsAnswer, ticket_ms: int | None) -> str | None:
    """The detractor's line when the stand-out line names the score: only the comment and when it was
    given (nothing when there is no comment: the stand-out line said it all)."""
    if not a.comment:
        return None
    given = (
        nps_words.relative_to_ticket(a.ts_ms, ticket_ms)
        if ticket_ms
        else f"on {slack_date(a.ts_ms, '{date_short}')}"
    )
    icon = nps_words.ICON[a.category]
    return f"{icon} NPS comment, {given}: {nps_words.quoted(nps_words.excerpt(a.comment)[0])}"


def friction_line(ctx: VisitorFacts) -> str | None:
    """ "😣 4 rage clicks on Billing settings, 6 min before filing" (+ how far Pendo's figures go)."""
    f = ctx.friction
    return None if f is None else words.strongest_line(f, spot_name, at_of(f))


def nearest_replay(ctx: VisitorFacts) -> Replay | None:
    """The recording nearest to the anchor, when it has a player link (PENDO_SUBSCRIPTION_ID)."""
    f = ctx.friction
    r = f.nearest_replay if f is not None and not ctx.profile.opted_out else None
    return r if r is not None and r.url else None


def replay_line(ctx: VisitorFacts) -> str | None:
    """ "▶ Replay: starts 9 min before filing · 7 min": what the ▶ Replay button opens."""
    r, f = nearest_replay(ctx), ctx.friction
    if r is None or f is None:
        return None
    return f"{words.REPLAY_ICON} Replay: {words.replay_words(f, r, at_of(f))}"


def replay_button(ctx: VisitorFacts) -> dict[str, Any] | None:
    """The first screen's ▶ Replay: a link, so it follows Open in Pendo wherever that is shown."""
    r = nearest_replay(ctx)
    return None if r is None or r.url is None else button("▶ Replay", REPLAY_ACTION, url=r.url)


# --- Details --------------------------------------------------------------------------------------------
def details_blocks(ctx: VisitorFacts) -> list[Block]:
    """The strongest friction (or that there was none), the 30-day line, and up to three replays."""
    f = ctx.friction
    if f is None or ctx.profile.opted_out:
        return []
    at = at_of(f)
    lines = [words.strongest_line(f, spot_name, at) or words.none_line(f, at)]
    if f.trend is not None:
        lines.append(words.trend_line(f.trend, spot_name))
    for r in [r for r in f.replays if r.url][:REPLAYS_LISTED]:
        lines.append(f"{link(r.url or '', '▶ Replay')} {words.replay_words(f, r, at)}")
    return [section("\n".join(lines))]


# --- the account view -----------------------------------------------------------------------------------
def account_blocks(ctx: AccountFacts) -> list[Block]:
    """ "Friction (30 d): 9 rage clicks and 2 U-turns", then the pages where it is highest."""
    fr = ctx.friction
    if fr is None or ctx.opted_out:
        return []
    lines = [f"*Friction (30 d):* {words.counts_words(fr.counts)}"]
    lines += [words.account_line(s, spot_name) for s in fr.top]
    return [section("\n".join(lines))]


def account_text_lines(ctx: AccountFacts) -> list[str]:
    """The same for the terminal (`pendo-bot account`)."""
    fr = ctx.friction
    if fr is None or ctx.opted_out:
        return []
    lines = [f"Friction (30 d): {words.counts_words(fr.counts)}"]
    return lines + [f"  {words.account_line(s, lambda s: s.name)}" for s in fr.top]
