"""Wire models for the Pendo Engage API v1: only the fields the bot reads, lenient about the rest."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bot.http.client import WireModel
from bot.pendo.kinds import PendoKind

Metadata = dict[str, dict[str, Any]]


class _WithMetadata(WireModel):
    """Visitors and accounts: an id and `{group: {field: value}}` metadata, incl. Pendo's opt-out flag."""

    id: str
    metadata: Metadata = Field(default_factory=dict)

    def meta(self, group: str, field: str) -> Any:
        return (self.metadata.get(group) or {}).get(field)

    def meta_text(self, group: str, field: str) -> str | None:
        """A text field (e.g. agent/name) as a non-empty string, or None when absent or of another type."""
        value = self.meta(group, field)
        return value if isinstance(value, str) and value else None

    def meta_int(self, group: str, field: str) -> int | None:
        """A numeric field (e.g. auto/lastvisit, epoch ms) as an int, or None when absent or not a number."""
        value = self.meta(group, field)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    @property
    def do_not_process(self) -> bool:
        return bool(self.meta("pendo", "donotprocess"))


class Visitor(_WithMetadata):
    account_ids: list[str] = Field(default_factory=list, alias="accountIds")
    display_name: str | None = Field(default=None, alias="displayName")

    @property
    def name(self) -> str | None:
        return self.display_name or self.meta_text("agent", "name")

    @property
    def all_account_ids(self) -> list[str]:
        """accountIds, falling back to metadata.auto.accountids / accountid, order kept, no repeats."""
        ids = list(self.account_ids) or list(self.meta("auto", "accountids") or [])
        if not ids and self.meta("auto", "accountid"):
            ids = [str(self.meta("auto", "accountid"))]
        return list(dict.fromkeys(str(i) for i in ids if i))


class Account(_WithMetadata):
    name: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.meta_text("agent", "name") or self.id


class HistoryItem(WireModel):
    """One row of GET /visitor/{id}/history. Every field but `type` and `ts` may be missing or null
    (tap-pendo's schema marks them all nullable); an item without those two cannot be placed."""

    type: str
    ts: int
    page_id: str | None = Field(default=None, alias="pageId")
    feature_id: str | None = Field(default=None, alias="featureId")
    guide_id: str | None = Field(default=None, alias="guideId")
    track_type_id: str | None = Field(default=None, alias="trackTypeId")
    untagged_url: str | None = Field(default=None, alias="untaggedUrl")
    uri: str | None = None

    @property
    def object_id(self) -> str | None:
        kind = PendoKind.parse(self.type)
        if kind is PendoKind.PAGE:
            return self.page_id
        if kind is PendoKind.FEATURE:
            return self.feature_id
        if kind is PendoKind.GUIDE:
            return self.guide_id
        return self.track_type_id if kind is PendoKind.TRACK_EVENT else None


class CatalogItem(WireModel):
    """A page, feature, track type or guide from the catalog endpoints."""

    id: str
    name: str | None = None


class PollAttributes(WireModel):
    """`type` is "NPSRating" for an NPS score poll (others: "NumberScale", "FreeForm", ...); `followUp`
    names the poll that takes the NPS survey's free text (Fivetran's Pendo models read both)."""

    type: str | None = None
    follow_up: str | None = Field(default=None, alias="followUp")


class Poll(WireModel):
    id: str
    attributes: PollAttributes = Field(default_factory=PollAttributes)


class Guide(CatalogItem):
    """A guide from `GET /api/v1/guide?id=`: its name, and its polls (an NPS survey has two)."""

    polls: list[Poll] = Field(default_factory=list)


class FieldSchema(WireModel):
    type: str = Field(default="", alias="Type")
    display_name: str | None = Field(default=None, alias="DisplayName")


MetadataSchema = dict[str, dict[str, FieldSchema]]
