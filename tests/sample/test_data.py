"""The sample dataset: deterministic, always recent, and holding every named entity the docs promise."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.sample import data
from bot.sample.data import (
    ACME_NAMESAKE,
    DAY_MS,
    DORMANT,
    JANE,
    MULTI,
    MULTI_ACCOUNTS,
    OPS,
    OPS_VISITOR_IDS,
    POWER_USER,
    PRIVATE,
    SAM,
    SAM_VISITOR_ID,
    SOLO,
    TONY,
    Workspace,
    build_workspace,
)

from .conftest import NOW_MS


def events_of(ws: Workspace, visitor_id: str) -> list[data.RawEvent]:
    return [e for e in ws.events if e.visitor_id == visitor_id]


def ticket_ms(ticket: dict[str, object]) -> int:
    return (
        int(
            datetime.strptime(str(ticket["created_at"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        )
        * 1000
    )


def test_deterministic_for_the_same_now(ws: Workspace) -> None:
    again = build_workspace(NOW_MS)
    assert again.events == ws.events
    assert again.visitors == ws.visitors
    assert again.tickets == ws.tickets


@pytest.mark.parametrize("offset_ms", [30_000, 9 * 3_600_000 + 1, DAY_MS - 30_000])
def test_recent_whatever_the_time_of_day(offset_ms: int) -> None:
    """Jane's last 24 h straddle the most recent UTC midnight even just after or just before it."""
    now = NOW_MS - NOW_MS % DAY_MS + offset_ms
    ws = build_workspace(now)
    midnight = ws.last_midnight_ms
    assert all(now - 90 * DAY_MS <= e.ts < now for e in ws.events)
    jane = [e.ts for e in events_of(ws, JANE) if e.ts >= now - DAY_MS]
    assert any(ts < midnight for ts in jane)
    assert any(ts >= midnight for ts in jane)
    created = {tid: ticket_ms(t) for tid, t in ws.tickets.items()}
    assert all(ms <= now for ms in created.values())
    assert midnight <= created[data.TICKET_AFTER_MIDNIGHT] <= now
    assert now - 3 * 3_600_000 <= created[data.TICKET_JANE] <= now - 3_600_000


def test_events_are_sorted_and_reference_the_catalog(ws: Workspace) -> None:
    assert [e.ts for e in ws.events] == sorted(e.ts for e in ws.events)
    ids = {
        "page": {p["id"] for p in ws.pages},
        "feature": {f["id"] for f in ws.features},
        "trackType": {t["id"] for t in ws.track_types},
        "guide": {g["id"] for g in ws.guides},
    }
    for e in ws.events:
        assert e.visitor_id in ws.visitors
        assert e.url and e.url.startswith("https://")
        if e.kind == "untagged":
            assert e.object_id is None
        else:
            assert e.object_id in ids[e.kind]
    assert Counter(e.kind for e in ws.events).keys() == {"page", "feature", "trackType", "guide", "untagged"}
    assert (len(ws.pages), len(ws.features), len(ws.track_types), len(ws.guides)) >= (15, 25, 5, 3)
    assert {f["pageId"] for f in ws.features} <= ids["page"]
    # Several apps, with features named like the web app's: counted apart by id, merged by name.
    apps = {e.app_id for e in ws.events}
    assert len(apps) == 3 and {item["appId"] for item in [*ws.pages, *ws.features, *ws.guides]} == apps
    assert all(item["appId"] == -323232 for item in ws.track_types)
    by_name = Counter(f["name"] for f in ws.features)
    assert {"Create task", "Export CSV", "Add widget"} <= {n for n, count in by_name.items() if count > 1}
    feature_app = {f["id"]: f["appId"] for f in ws.features}
    assert all(feature_app[e.object_id or ""] == e.app_id for e in ws.events if e.kind == "feature")


def test_feature_clicks_follow_a_load_of_their_page(ws: Workspace) -> None:
    page_of = {f["id"]: f["pageId"] for f in ws.features}
    current: dict[str, str | None] = {}
    for e in ws.events:
        if e.kind in ("page", "untagged"):
            current[e.visitor_id] = e.object_id
        elif e.kind == "feature":
            assert current.get(e.visitor_id) == page_of[e.object_id or ""], e


def test_visitors_and_layouts(ws: Workspace) -> None:
    assert 45 <= len(ws.visitors) <= 60
    email_ids = [vid for vid in ws.visitors if "@" in vid]
    assert 0.4 <= len(email_ids) / len(ws.visitors) <= 0.6
    for vid, visitor in ws.visitors.items():
        meta = visitor["metadata"]
        assert visitor["id"] == vid == meta["auto"]["id"]
        assert meta["agent"]["email"]
        if "@" in vid:
            assert vid == meta["agent"]["email"] == vid.lower()
        else:
            assert vid.startswith("u-") or vid == data.SLASH_VISITOR_ID  # one ID a URL path cannot carry
        mine = events_of(ws, vid)
        assert mine, vid
        assert (meta["auto"]["firstvisit"], meta["auto"]["lastvisit"]) == (mine[0].ts, mine[-1].ts)
        assert visitor["accountIds"] == meta["auto"]["accountids"]
        assert {e.account_id for e in mine} <= {*visitor["accountIds"], None}
        for key in ("lastbrowsername", "lastbrowserversion", "lastoperatingsystem", "lastservername"):
            assert meta["auto"][key]
        assert {"role", "language", "name"} <= meta["agent"].keys()
        assert "planlevel" in meta["custom"] and isinstance(meta["pendo"]["donotprocess"], bool)


def test_activity_levels(ws: Workspace) -> None:
    start = ws.last_midnight_ms - 29 * DAY_MS
    days: dict[str, set[int]] = {vid: set() for vid in ws.visitors}
    for e in ws.events:
        if e.ts >= start:
            days[e.visitor_id].add(e.ts // DAY_MS)
    levels = Counter(
        "daily" if n >= 13 else "weekly" if n >= 5 else "monthly" if n >= 1 else "inactive"
        for n in map(len, days.values())
    )
    assert min(levels.values()) >= 5 and len(levels) == 4, levels
    assert 5 <= len(days[JANE]) <= 20
    assert len(days[DORMANT]) == 0


def test_named_visitors(ws: Workspace) -> None:
    v = ws.visitors
    now = ws.now_ms
    assert v[JANE]["accountIds"] == ["acme"] and v[POWER_USER]["accountIds"] == ["acme"]
    assert sum(1 for e in events_of(ws, POWER_USER) if e.ts >= now - 30 * DAY_MS) >= 3000

    assert v[MULTI]["accountIds"] == list(MULTI_ACCOUNTS)
    assert {e.account_id for e in events_of(ws, MULTI)} == set(MULTI_ACCOUNTS)

    assert v[SOLO]["accountIds"] == [] and "accountid" not in v[SOLO]["metadata"]["auto"]
    assert events_of(ws, SOLO) and all(e.account_id is None for e in events_of(ws, SOLO))

    assert v[PRIVATE]["metadata"]["pendo"]["donotprocess"] is True and events_of(ws, PRIVATE)
    assert [vid for vid, x in v.items() if x["metadata"]["pendo"]["donotprocess"]] == [PRIVATE]

    dormant = events_of(ws, DORMANT)
    assert v[DORMANT]["accountIds"] == ["globex"]
    assert dormant and all(now - 90 * DAY_MS <= e.ts <= now - 40 * DAY_MS for e in dormant)

    ops = [vid for vid, x in v.items() if x["metadata"]["agent"]["email"] == OPS]
    assert ops == list(OPS_VISITOR_IDS)
    assert [v[i]["accountIds"] for i in ops] == [["initech"], ["initech-labs"]]

    assert v[SAM_VISITOR_ID]["metadata"]["agent"]["email"] == SAM == "Sam.Lee@Globex.example"
    assert v[SAM_VISITOR_ID]["accountIds"] == ["globex"]
    assert v[TONY]["accountIds"] == ["stark"] and events_of(ws, TONY)


def test_accounts(ws: Workspace) -> None:
    expected = {"acme", "globex", "initech", "initech-labs", "umbrella", "umbrella-eu", "hooli", "stark"}
    assert expected < ws.accounts.keys()
    assert ws.accounts["acme"]["metadata"]["agent"]["name"] == "Acme Corp"
    assert [a for a, x in ws.accounts.items() if x["metadata"]["pendo"]["donotprocess"]] == ["stark"]
    for account_id, account in ws.accounts.items():
        meta = account["metadata"]
        assert account["id"] == account_id and meta["agent"]["name"]
        assert {"planlevel", "renewaldate", "csm"} <= meta["custom"].keys()
        assert meta["custom"]["renewaldate"] > ws.now_ms
        mine = [e.ts for e in ws.events if e.account_id == account_id]
        if not mine:  # the namesake account: no visitors, so Pendo has seen no visit
            assert account_id == ACME_NAMESAKE and "firstvisit" not in meta["auto"]
            continue
        assert (meta["auto"]["firstvisit"], meta["auto"]["lastvisit"]) == (mine[0], mine[-1])


def test_schemas_describe_the_metadata(ws: Workspace) -> None:
    vs, acs = ws.visitor_schema, ws.account_schema
    assert vs["auto"]["lastbrowsername"]["DisplayName"] == "Most recent browser name"
    assert vs["auto"]["lastoperatingsystem"]["DisplayName"] == "Most recent operating system"
    assert vs["auto"]["firstvisit"] == {"Type": "time", "DisplayName": "First Visit", "isHidden": False}
    assert (vs["agent"]["role"]["DisplayName"], vs["agent"]["language"]["DisplayName"]) == (
        "Role",
        "Language",
    )
    assert vs["custom"]["planlevel"]["DisplayName"] == "Plan Level"
    assert (
        acs["custom"]["renewaldate"]["Type"] == "time"
        and acs["custom"]["renewaldate"]["DisplayName"] == "Renewal Date"
    )
    assert acs["custom"]["csm"]["DisplayName"] == "Customer Success Manager"
    for schema, records in ((vs, ws.visitors.values()), (acs, ws.accounts.values())):
        for record in records:
            for group, fields in record["metadata"].items():
                assert set(fields) <= set(schema[group]), (group, fields)


def test_tickets(ws: Workspace) -> None:
    t, users = ws.tickets, ws.zendesk_users
    assert sorted(t) == list(range(1001, 1011))

    def requester(tid: int) -> object:
        return users[t[tid]["requester_id"]]["email"]

    assert requester(1001) == JANE and t[1001]["status"] == "open" and t[1001]["priority"] == "high"
    assert ws.zendesk_organizations[t[1001]["organization_id"]]["name"] == "Acme Corp"
    assert ws.zendesk_groups[t[1001]["group_id"]]["name"] == "Tier 1"
    assert users[t[1001]["assignee_id"]]["role"] == "agent"
    assert requester(1002) is None and t[1002]["via"]["channel"] == "voice"
    assert (
        t[1002]["priority"] is None and t[1002]["assignee_id"] is None and t[1002]["organization_id"] is None
    )
    assert requester(1003) == "nobody@unknown.example"
    assert requester(1004) == OPS
    assert requester(1005) == "sam.lee@globex.example"
    assert requester(1006) == POWER_USER
    assert requester(1007) == PRIVATE
    assert requester(1008) == MULTI
    assert (t[1008]["status"], t[1008]["priority"], t[1008]["via"]["channel"]) == (
        "open",
        "urgent",
        "native_messaging",
    )
    # Custom statuses on: `status` is the category, the label comes from the custom status.
    escalated = ws.zendesk_custom_statuses[t[1008]["custom_status_id"]]
    assert (escalated["status_category"], escalated["agent_label"]) == ("open", "Escalated to engineering")
    for ticket in t.values():
        assert ws.zendesk_custom_statuses[ticket["custom_status_id"]]["status_category"] == ticket["status"]
    assert ws.forbidden_ticket_ids == {1009}
    assert len([u for u in users.values() if u["role"] == "agent"]) == 2
    for ticket in t.values():
        assert ticket["created_at"].endswith("Z") and ticket["updated_at"] >= ticket["created_at"]
        assert ticket["url"].endswith(f"/api/v2/tickets/{ticket['id']}.json")
        assert {"channel", "source"} <= ticket["via"].keys()
        assert ticket["submitter_id"] in users and ticket["requester_id"] in users


def test_a_visitor_with_more_than_ten_accounts(ws: Workspace) -> None:
    reseller = ws.visitors[data.RESELLER]
    assert reseller["accountIds"] == list(data.RESELLER_ACCOUNTS) and len(data.RESELLER_ACCOUNTS) > 10
    assert all(a in ws.accounts for a in data.RESELLER_ACCOUNTS)
    used = {e.account_id for e in ws.events if e.visitor_id == data.RESELLER}
    assert len(used) >= 5  # activity spread over several of them
