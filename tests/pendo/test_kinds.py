"""One PendoKind for the four kinds, and one place that builds Pendo links."""

from __future__ import annotations

import pytest

from bot.pendo.kinds import PendoKind, PendoLinks
from bot.pendo.models import HistoryItem
from bot.render.format import KIND_ICON


def test_the_four_kinds_and_what_each_knows() -> None:
    table = {(k.value, k.label, k.catalog_path, k.id_field, k.app_segment) for k in PendoKind}
    assert table == {
        ("page", "page", "page", "pageId", "pages"),
        ("feature", "feature", "feature", "featureId", "features"),
        ("guide", "guide", "guide", "guideId", "guides"),
        ("trackType", "track event", "tracktype", "trackTypeId", "trackTypes"),
    }
    assert PendoKind.parse("untagged") is None and PendoKind.parse("trackType") is PendoKind.TRACK_EVENT
    assert all(kind in KIND_ICON for kind in PendoKind)


@pytest.mark.parametrize("kind", list(PendoKind))
def test_history_rows_find_their_id_through_the_kind(kind: PendoKind) -> None:
    item = HistoryItem.model_validate({"type": kind.value, "ts": 1, kind.id_field: "abc"})
    assert item.object_id == "abc"


def test_links_quote_every_id() -> None:
    links = PendoLinks("https://app.eu.pendo.io/")
    assert links.visitor("jane@acme.example") == "https://app.eu.pendo.io/visitor/jane%40acme.example"
    assert links.account("a/b c") == "https://app.eu.pendo.io/account/a%2Fb%20c"
    assert links.item(PendoKind.TRACK_EVENT, "x?y") == "https://app.eu.pendo.io/trackTypes/x%3Fy"
