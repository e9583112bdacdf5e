"""A ticket alert: one compact message for the alerts channel. Pure.

First line the reason, strongest rule first ("Detractor (NPS 3, 12 days before the ticket) filed #1234:
Export fails"), in the signals' own words (`bot.render.friction.signal_words`, `bot.render.nps`), then
the ticket's header (`bot.render.tickets`), the stand-out line with the detractor's comment and the
friction line of the first screen (`bot.render.friction_blocks`), and three buttons: Details (a view
button, so the click is answered privately after the checks every button has), Open ticket and Open in
Pendo (links).
"""

from __future__ import annotations

from bot.domain.models import VisitorFacts
from bot.domain.signals import Signal, SignalKind
from bot.render import friction as words
from bot.render import friction_blocks as fb
from bot.render import nps as nps_words
from bot.render.blocks import Block, Message, actions, button, esc, link, section
from bot.render.buttons import OPEN_ACTION, view_button
from bot.render.format import truncate
from bot.render.tickets import ticket_header_text, ticket_view
from bot.zendesk.models import TicketBundle

KEY_ACCOUNT = "key_account"  # the one rule that is not a signal (bot.alerts.rules.KEY_ACCOUNT)
ICON = "🔔"
NAME_WIDTH = 60


def _name(text: str) -> str:
    return esc(truncate(text, NAME_WIDTH))


def reason_words(rule: str, found: list[Signal], key_account: str | None) -> str:
    """Who filed, as the rule sees them, in the signals' words: "Detractor (NPS 3, 12 days before the
    ticket)", "Struggling customer (friction before filing)", "Customer with usage down by half or more
    (30 d)", "Renewing customer (Acme Corp renews 3 weeks after the ticket, Dec 27)", "New user (first
    visit Dec 1)", "Key account (Acme Corp)". `key_account`: the key account's name (escaped here)."""
    if rule == KEY_ACCOUNT:
        return f"Key account ({_name(key_account or '')})"
    signal = next((s for s in found if s.kind.value == rule), None)
    if signal is None:
        return rule
    said = words.signal_words(signal, fb.at_day, ticket=True, text=_name)
    if signal.kind is SignalKind.DETRACTOR and signal.nps is not None:
        when = nps_words.relative_to_ticket(signal.nps.ts_ms, signal.anchor_ms)
        return f"{said.removesuffix(')')}, {when})"
    if signal.kind is SignalKind.FRICTION:
        return f"Struggling customer ({said[0].lower()}{said[1:]})"
    if signal.kind is SignalKind.USAGE_DROP:
        return f"Customer with {said[0].lower()}{said[1:]}"
    if signal.kind is SignalKind.RENEWAL:
        head, _, day = said.rpartition(" (")
        return (
            f"Renewing customer ({head}, {day.removesuffix(')')})" if head else f"Renewing customer ({said})"
        )
    return said  # new_user: "New user (first visit Dec 1)"


def alert_message(
    bundle: TicketBundle,
    ctx: VisitorFacts,
    rules: list[str],
    found: list[Signal],
    key_account: str | None = None,
) -> Message:
    """The alert for `bundle` filed by `ctx`'s visitor: `rules` the rules that fired, strongest first;
    `found` every signal (`bot.domain.signals.every_signal`); `key_account` the key account's name when
    that rule fired."""
    t = bundle.ticket
    reason = reason_words(rules[0], found, key_account)
    ticket = f"#{t.id}: {truncate(t.title, 120)}"
    first = f"{ICON} *{reason}* filed *{link(bundle.agent_url, ticket, 130)}*"
    lines = [first, ticket_header_text(bundle, title=False)]
    stand_out = fb.stand_out(ctx)
    if KEY_ACCOUNT in rules and rules[0] != KEY_ACCOUNT:
        key = f"Key account ({_name(key_account or '')})"
        stand_out = f"{stand_out} · {key}" if stand_out else f"{words.STAND_OUT_ICON} {key}"
    extra = [line for line in (stand_out, fb.nps_line(ctx, t.created_ms), fb.friction_line(ctx)) if line]
    blocks: list[Block] = [section("\n".join(lines))]
    if extra:
        blocks.append(section("\n".join(extra)))
    view = ticket_view(bundle, ctx.profile.id).but(full=True)
    blocks.append(
        actions(
            view_button("Details (only you see them)", "detail", view),
            button("Open ticket", OPEN_ACTION + ":ticket", url=bundle.agent_url),
            button("Open in Pendo", OPEN_ACTION + ":visitor", url=ctx.profile.url),
        )
    )
    return {"text": f"{reason} filed {esc(ticket)}", "blocks": blocks}
