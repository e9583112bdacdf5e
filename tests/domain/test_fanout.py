"""How many Pendo calls one cold lookup makes, by endpoint: fixed whatever the number of accounts.

"Warm catalogs": the page, feature and track-type catalogs, both metadata schemas and the names of the
guides are already cached (all are kept for an hour); everything about the visitor itself is cold.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.domain.models import VisitorFacts
from bot.sample import ACME, JANE, Workspace
from bot.sample.data import RESELLER, RESELLER_ACCOUNTS

from .conftest import NOW, Env, Make, Oracle, local_midnight

MAX_ACCOUNTS = 10  # what the bot queries of a visitor's accounts


def endpoint(method: str, path: str) -> str:
    """`GET /api/v1/visitor/{id}/history` style: the route, never the customer's id."""
    if path.startswith("/api/v1/visitor/"):
        return f"{method} /api/v1/visitor/{{id}}" + ("/history" if path.endswith("/history") else "")
    return f"{method} {path}"


async def calls_for(env: Env, ws: Workspace, visitor_id: str, *, warm: bool) -> Counter[str]:
    if warm:
        pendo = env.deps.pendo
        for kind in ("page", "feature", "trackType"):
            await pendo.catalog(kind)
        await pendo.schema("visitor")
        await pendo.schema("account")
        await pendo.guides([str(g["id"]) for g in ws.guides])
    env.controls.clear()
    result = await env.deps.customers.lookup(visitor_id)
    assert isinstance(result, VisitorFacts) and result.gaps == []
    return Counter(endpoint(r.method, r.path) for r in env.requests)


@pytest.mark.parametrize("warm", [True, False], ids=["warm-catalogs", "cold-catalogs"])
async def test_calls_per_cold_lookup_do_not_grow_with_accounts(
    make_env: Make, ws: Workspace, warm: bool
) -> None:
    one = await calls_for(make_env(), ws, JANE, warm=warm)
    many = await calls_for(make_env(), ws, RESELLER, warm=warm)
    assert len(ws.visitors[JANE]["accountIds"]) == 1 and len(ws.visitors[RESELLER]["accountIds"]) >= 10
    print(f"\nPendo calls per cold lookup ({'warm' if warm else 'cold'} catalogs):")
    for name, counts in (("1 account", one), (f"{len(RESELLER_ACCOUNTS)} accounts", many)):
        print(f"  {name:12} {sum(counts.values()):2}  {dict(sorted(counts.items()))}")
    expected = Counter(
        {"GET /api/v1/visitor/{id}": 1, "GET /api/v1/visitor/{id}/history": 2, "POST /api/v1/aggregation": 7}
    )
    if warm:
        assert one == many == expected
        assert sum(one.values()) <= 10  # the 9 before friction, plus the page rows per hour
    else:  # plus the three catalogs and two schemas, and at most two requests for guides: those seen in
        # the timeline, those whose polls were answered
        catalogs = {f"GET /api/v1/{p}": 1 for p in ("page", "feature", "tracktype")}
        schemas = {f"GET /api/v1/metadata/schema/{k}": 1 for k in ("visitor", "account")}
        for counts in (one, many):
            assert counts["GET /api/v1/guide"] <= 2
            assert counts - Counter({"GET /api/v1/guide": 2}) == expected + Counter(catalogs | schemas)


async def test_guides_are_asked_only_for_those_seen_or_answered(make_env: Make, ws: Workspace) -> None:
    """The timeline's guides (for names) and the guides whose polls the visitor answered (to know which
    polls are NPS), by id, never the whole catalog."""
    env = make_env()
    result = await env.deps.customers.lookup(JANE)
    assert isinstance(result, VisitorFacts) and result.timeline is not None
    asked = [set(r.params["id"].split(",")) for r in env.requests if r.path == "/api/v1/guide"]
    start, anchor = result.timeline.start_ms, result.timeline.anchor_ms
    seen = {
        str(e.object_id)
        for e in ws.events
        if e.visitor_id == JANE and e.kind == "guide" and start <= e.ts <= anchor
    }
    year = local_midnight(NOW, -364)
    answered = {
        str(r["guideId"]) for r in ws.poll_events if r["visitorId"] == JANE and r["browserTime"] >= year
    }
    assert seen and answered and 1 <= len(asked) <= 2
    assert set().union(*asked) == seen | answered
    assert len(seen | answered) < len(ws.guides)  # not the catalog
    shown = [e.name for e in result.timeline.entries if e.kind == "guide"]
    assert shown and "Unrecognized guide" not in shown


async def test_the_reseller_accounts_figures_match_the_raw_events(make_env: Make, oracle: Oracle) -> None:
    env = make_env()
    result = await env.deps.customers.lookup(RESELLER)
    assert isinstance(result, VisitorFacts)
    assert [a.id for a in result.accounts] == list(RESELLER_ACCOUNTS[:MAX_ACCOUNTS])
    assert ACME in RESELLER_ACCOUNTS
    busy = 0
    for account in result.accounts:
        want = oracle.account(account.id)
        assert account.usage is not None and account.gap is None
        got = account.usage
        assert (got.unique_visitors, got.days_active, got.events, got.minutes) == (
            want.unique_visitors,
            want.days_active,
            want.events,
            want.minutes,
        ), account.id
        busy += want.events > 0
    assert busy >= 5
    grouped = [p for p in env.aggregations() if "group" in p[-1] and p[-1]["group"]["group"] == ["accountId"]]
    assert len(grouped) == 1  # every account's figures in one query
