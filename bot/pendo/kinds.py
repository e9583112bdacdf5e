"""The four kinds of Pendo object the bot names and links to, and the one place Pendo links are built.

Pendo's history rows say `type: "page" | "feature" | "guide" | "trackType"`; each kind has a catalog
endpoint (singular, `tracktype` in lower case), an id field on history rows and a page in the Pendo app
(`/<kind>s/<id>`, e.g. `/trackTypes/<id>`). Visitors and accounts open at `/visitor/<id>` and
`/account/<id>`. Everything about a kind lives on the enum, so a fifth kind is one addition.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote


class PendoKind(StrEnum):
    PAGE = "page"
    FEATURE = "feature"
    GUIDE = "guide"
    TRACK_EVENT = "trackType"

    @classmethod
    def parse(cls, value: str) -> PendoKind | None:
        """The kind of a history row's `type`; None for `untagged` or anything Pendo adds later."""
        return _KINDS.get(value)

    @property
    def label(self) -> str:
        """How an agent reads it: "page", "feature", "guide", "track event"."""
        return "track event" if self is PendoKind.TRACK_EVENT else self.value

    @property
    def catalog_path(self) -> str:
        """The catalog endpoint under /api/v1/ (Pendo spells track types `tracktype`)."""
        return self.value.lower()

    @property
    def id_field(self) -> str:
        """The field of a history or aggregation row that holds this kind's id: pageId, trackTypeId, …"""
        return f"{self.value}Id"

    @property
    def app_segment(self) -> str:
        """The path segment of the object's page in the Pendo app: pages, features, guides, trackTypes."""
        return f"{self.value}s"


_KINDS: dict[str, PendoKind] = {kind.value: kind for kind in PendoKind}


class PendoLinks:
    """Every link into the Pendo app, from one base URL (the region's app host)."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def visitor(self, visitor_id: str) -> str:
        return f"{self.base}/visitor/{quote(visitor_id, safe='')}"

    def account(self, account_id: str) -> str:
        return f"{self.base}/account/{quote(account_id, safe='')}"

    def item(self, kind: PendoKind, object_id: str) -> str:
        return f"{self.base}/{kind.app_segment}/{quote(object_id, safe='')}"
