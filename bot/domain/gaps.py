"""A part of an answer that is missing, and why: the failure itself, never a sentence. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.http.errors import UpstreamError


class Missing(StrEnum):
    """What is missing when nothing failed (the thing itself is not there); said by `bot.render.words`."""

    NOT_IN_PENDO = "not in Pendo"  # an account the visitor names that Pendo does not know


@dataclass(frozen=True)
class Gap:
    """A part of an answer that is missing, made where the failure happens and put in words once, by
    `bot.render.words` (`gap_sentences`): a gap holds the failure, never a sentence.

    `part` is what failed ("Usage figures", "Recent activity", "Details", "Pendo data"); None when the
    thing itself is missing (an account Pendo does not know). `cause` is the upstream's error, or what is
    missing; `account` the account's name when the part is one account's.
    """

    part: str | None
    cause: UpstreamError | Missing
    account: str | None = None

    @classmethod
    def of(cls, part: str, error: UpstreamError) -> Gap:
        return cls(part, error)

    def for_account(self, name: str) -> Gap:
        return replace(self, account=name)

    def __str__(self) -> str:
        """Facts for the log (the error's kind, detail and hint; no sentence): "Account Acme: Details
        unavailable: Unavailable: Pendo: HTTP 503 from …"."""
        cause = f"{type(self.cause).__name__}: {self.cause}"
        what = f"{self.part} unavailable: {cause}" if self.part is not None else cause
        return f"Account {self.account}: {what}" if self.account is not None else what
