"""What a click sends back: the action and shortcut ids, and the values buttons carry.

A `ViewRef` says which visitor summary to draw next (which visitor, which window, which ticket, compact or
full); an `AccountRef` which account. Each encodes itself into a button value (at most 2,000 characters)
and decodes one, refusing anything else. Pure; imports the render primitives and the domain's types.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.models import BUTTON_VALUE_LIMIT, TICKET_MARKER, TimelinePage, VisitorFacts, is_ticket_id
from bot.render.blocks import button

SHARE_ACTION = "share_summary"  # only on messages posted by an earlier version (bot.listeners.actions)
PICK_ACTION = "pick_visitor"  # idem
OPEN_ACTION = "open_link"
VIEW_ACTION = "message_view"  # + ":more", ":less", ":earlier", ":later", ":day", ":pick", ":detail"
SHARE_IN_CHANNEL = "message_share"
SHARE_WITH_NOTE = "message_share_note"
ADD_TO_TICKET = "ticket_note_add"  # the Pendo note on the Zendesk ticket (bot.listeners.ticket_notes)

LOOKUP_ACTION = "lookup_target"  # a choice between the emails and tickets found in a message
LOOKUP_SHORTCUT = "pendo_lookup"  # the global shortcut: its modal

MESSAGE_SHORTCUT = "pendo_message"  # "Pendo context" on a message
ACCOUNT_ACTION = "account_view"  # + ":more", ":less", ":pick", ":open" (bot.render.accounts)


# --- what a button asks for ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ViewRef:
    """Which summary to draw: a visitor, the end of the activity window, the ticket it belongs to.

    `anchor_ms` None means "now". At the ticket's own time (`anchor_ms == ticket_ms`) the timeline ends
    with the "Ticket submitted" marker and times read "2 min before ticket". `before_ms` / `after_ms`:
    which part of the window when it holds more than one page (a `TimelinePage`'s cursors; absent from
    buttons made before them, which then show the newest page).
    """

    visitor_id: str
    anchor_ms: int | None = None
    ticket_id: int | None = None
    ticket_ms: int | None = None
    full: bool = False
    before_ms: int | None = None
    after_ms: int | None = None

    @property
    def page(self) -> TimelinePage | None:
        if self.before_ms is None and self.after_ms is None:
            return None
        return TimelinePage(before_ms=self.before_ms, after_ms=self.after_ms)

    @property
    def marker(self) -> str | None:
        at_ticket = self.ticket_ms is not None and self.anchor_ms == self.ticket_ms
        return TICKET_MARKER if at_ticket else None

    def but(self, **changes: Any) -> ViewRef:
        return replace(self, **changes)

    def encode(self) -> str | None:
        """The button value (at most 2,000 characters); None when the visitor ID makes it too long."""
        raw = {
            "v": self.visitor_id,
            "a": self.anchor_ms,
            "t": self.ticket_id,
            "c": self.ticket_ms,
            "b": self.before_ms,
            "s": self.after_ms,
        }
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
                anchor_ms=_opt_ms(data.get("a")),
                ticket_id=_opt_ticket_id(data.get("t")),
                ticket_ms=_opt_ms(data.get("c")),
                full=bool(data.get("f")),
                before_ms=_opt_ms(data.get("b")),
                after_ms=_opt_ms(data.get("s")),
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


_MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: the last moment a datetime can hold


def _opt_ms(value: Any) -> int | None:
    """A time in epoch milliseconds a datetime can hold; anything else is a tampered button."""
    ms = _opt_int(value)
    if ms is not None and not 0 <= ms <= _MAX_MS:
        raise ValueError("not a time")
    return ms


def _opt_ticket_id(value: Any) -> int | None:
    """A ticket id Zendesk could have (1 to 2**63-1): 0, a negative or a past-int64 one is a tampered or
    broken button, refused here like any other bad value (the click then says "out of date")."""
    ticket_id = _opt_int(value)
    if ticket_id is not None and not is_ticket_id(ticket_id):
        raise ValueError("not a ticket id")
    return ticket_id


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


def open_account_button(ctx: VisitorFacts) -> dict[str, Any] | None:
    """**Open account** on a visitor summary: the first account's summary, privately to whoever clicks."""
    first = ctx.profile.account_ids[0] if ctx.profile.account_ids else None
    by_id = {a.id: a for a in ctx.accounts}
    if first is None or (first in by_id and by_id[first].opted_out):
        return None
    return account_button("Open account", "open", AccountRef(first))
