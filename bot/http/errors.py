"""The typed errors every upstream (Pendo, Zendesk) can produce, each with its sentences.

Errors carry a sentence a support agent understands (`user_message`, `agent_message`) and a technical
detail for the log (`detail`). Neither ever contains a credential or customer data: request headers,
request paths (which carry emails and ids) and response bodies are never copied into them. A detail names
the HTTP status and the route template the caller labelled the request with, e.g.
`GET /api/v1/visitor/{id}`. Plain values: no I/O, so the renderers may import them to say a failure in
words. Imports nothing from the bot.
"""

from __future__ import annotations

from typing import ClassVar


class UpstreamError(Exception):
    """Base of every error an upstream (Pendo or Zendesk) can produce."""

    # True where `user_message` is already written for agents and says more than the kind of error can
    # (the bot's own pacing, history Pendo no longer keeps): renderers then show it as it is.
    agent_facing: ClassVar[bool] = False

    def __init__(
        self, upstream: str, detail: str, *, status: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(f"{upstream}: {detail}" + (f" ({hint})" if hint else ""))
        self.upstream = upstream
        self.detail = detail
        self.status = status
        self.hint = hint  # what to fix, with setting names: for the log and `pendo-bot check`, never agents

    @property
    def user_message(self) -> str:
        return f"{self.upstream} returned an unexpected error. Try again in a minute."

    @property
    def agent_message(self) -> str:
        """`user_message` for a support agent: without HTTP statuses or setting names (those are for the
        log and `pendo-bot check`). Each error says its own; none is cut out of the other sentence."""
        return self.user_message


class NotFound(UpstreamError):
    @property
    def user_message(self) -> str:
        return f"{self.upstream} has no such record."


class AuthError(UpstreamError):
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

    @property
    def user_message(self) -> str:
        who = "Pendo admin" if self.upstream == "Pendo" else f"{self.upstream} admin"
        return (
            f"{self.upstream} rejected the bot's credentials ({self.status or 'auth error'}). "
            f"Ask your {who} to check {self.setting}."
        )

    @property
    def agent_message(self) -> str:
        return f"{self.upstream} rejected the bot's credentials. Tell whoever runs the bot."


class Forbidden(AuthError):
    """Credentials are valid but may not see this record (Zendesk 403 on one ticket)."""


class RateLimited(UpstreamError):
    def __init__(self, upstream: str, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(upstream, detail, status=429)
        self.retry_after = retry_after

    @property
    def user_message(self) -> str:
        wait = f" in {round(self.retry_after)} s" if self.retry_after else " in a minute"
        return f"{self.upstream} is rate-limiting the bot right now. Try again{wait}."


class Unavailable(UpstreamError):
    def __init__(
        self, upstream: str, detail: str, *, status: int | None = None, timeout: float | None = None
    ) -> None:
        super().__init__(upstream, detail, status=status)
        self.timeout = timeout

    @property
    def user_message(self) -> str:
        if self.timeout is not None:
            return f"{self.upstream} did not answer in {self.timeout:g} s. Try again in a minute."
        reason = f"HTTP {self.status}" if self.status is not None else self.detail
        return f"{self.upstream} is unavailable right now ({reason}). Try again in a minute."

    @property
    def agent_message(self) -> str:
        if self.timeout is None and self.status is not None:
            return f"{self.upstream} is unavailable right now. Try again in a minute."
        return self.user_message


class BadRequest(UpstreamError):
    """HTTP 400: the upstream refused a request the bot sent (not an answer the bot could not read)."""

    @property
    def user_message(self) -> str:
        return (
            f"{self.upstream} refused a request from the bot. If it keeps happening, tell whoever runs "
            "the bot (the details are in its log)."
        )


class BadResponse(UpstreamError):
    @property
    def user_message(self) -> str:
        return (
            f"{self.upstream} sent an answer the bot could not read. Try again; if it persists, "
            "tell whoever runs the bot (the details are in its log)."
        )
