"""The typed errors every upstream (Pendo, Zendesk) can produce: facts, never sentences.

An error says what happened (its kind, the upstream, the HTTP status, how long to wait, which ticket,
a `Reason` when the kind alone does not say it), a technical `detail` for the log and a `hint` for whoever
runs the bot (what to fix, with setting names: the log, `/readyz` and `pendo-bot check`). The sentences
people read are written once, from these facts, by `bot.render.words` (`failure_sentence` for agents,
`admin_sentence` for whoever runs the bot).

Nothing here ever contains a credential or customer data: request headers, request paths (which carry
emails and ids) and response bodies are never copied in. A detail names the HTTP status and the route
template the caller labelled the request with, e.g. `GET /api/v1/visitor/{id}`. Plain values: no I/O,
so the renderers may import them. Imports nothing from the bot.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class Reason(StrEnum):
    """What a failure means beyond its kind, where that changes what people are told."""

    KEY_REFUSED = "key refused"  # Pendo 401/403: the integration key (a setup problem, not an outage)
    KEY_OR_REGION = "key or region"  # Pendo 400 at the key check: the key or the region is wrong
    REGION_LIKELY = "region likely"  # Pendo 400 on a request: if on every one, the key's region
    PACING = "pacing"  # the bot's own budget for the upstream is spent for longer than it may wait
    HISTORY_EXPIRED = "history expired"  # older than the visitor history Pendo keeps
    TICKET_CHANGED = "ticket changed"  # Zendesk 409: the ticket changed while the bot wrote to it
    TICKET_UNWRITABLE = "ticket unwritable"  # Zendesk 422: the update was refused (a closed ticket)


class UpstreamError(Exception):
    """Base of every error an upstream (Pendo or Zendesk) can produce."""

    reason: ClassVar[Reason | None] = None  # set by the subclasses whose cause the kind does not say

    def __init__(
        self, upstream: str, detail: str, *, status: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(f"{upstream}: {detail}" + (f" ({hint})" if hint else ""))
        self.upstream = upstream
        self.detail = detail
        self.status = status
        self.hint = hint  # what to fix, with setting names: for the log and `pendo-bot check`, never agents


class NotFound(UpstreamError):
    """HTTP 404: no such record; `ticket_id` when the record is a ticket."""

    def __init__(
        self, upstream: str, detail: str, *, status: int | None = None, ticket_id: int | None = None
    ) -> None:
        super().__init__(upstream, detail, status=status)
        self.ticket_id = ticket_id


class AuthError(UpstreamError):
    """The credentials were refused; `setting` names them (for whoever runs the bot)."""

    def __init__(
        self,
        upstream: str,
        detail: str,
        *,
        status: int | None = None,
        setting: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(upstream, detail, status=status, hint=hint)
        self.setting = setting


class Forbidden(AuthError):
    """Credentials are valid but may not see this record (Zendesk 403 on one ticket: `ticket_id`), or
    any of its kind (`ticket_id` None)."""

    def __init__(
        self,
        upstream: str,
        detail: str,
        *,
        status: int | None = 403,
        setting: str = "",
        ticket_id: int | None = None,
    ) -> None:
        super().__init__(upstream, detail, status=status, setting=setting)
        self.ticket_id = ticket_id


class RateLimited(UpstreamError):
    def __init__(self, upstream: str, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(upstream, detail, status=429)
        self.retry_after = retry_after


class Unavailable(UpstreamError):
    """5xx, a connection error, or no answer within `timeout` seconds. `unreachable`: no connection was
    made at all (DNS, connection refused, TLS, a proxy), so the upstream never saw the request: the
    network or the address is wrong, not the upstream busy."""

    def __init__(
        self,
        upstream: str,
        detail: str,
        *,
        status: int | None = None,
        timeout: float | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(upstream, detail, status=status)
        self.timeout = timeout
        self.unreachable = unreachable


class BadRequest(UpstreamError):
    """HTTP 400: the upstream refused a request the bot sent (not an answer the bot could not read)."""


class BadResponse(UpstreamError):
    """An answer the bot could not read (not JSON, not the expected shape, too large)."""
