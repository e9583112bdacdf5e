"""Depth of use and NPS, checked against values computed here from the sample's raw data with plain loops.

Depth: distinct feature ids in the current 30 local days (and the 30 before) from `ws.events`, out of the
feature catalog across all apps. NPS: the score polls are found in `ws.guides` (`attributes.type`), the
scores read from `ws.poll_events` (strings), texts paired by the same visitor within ±100 ms; windows are
365 local days for a visitor and 90 for an account, today included.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from bot.domain import nps as nps_part
from bot.domain.models import AccountFacts, AccountNps, NpsCategory, VisitorFacts
from bot.pendo.models import Guide
from bot.sample import ACME, DORMANT, GLOBEX, JANE, MULTI, POWER_USER, PRIVATE, TONY, Workspace
from bot.sample.data import RESELLER, SAM_VISITOR_ID

from .conftest import DAY, NOW, PREVIOUS_START, WINDOW_START, Make, local_midnight

YEAR_START = local_midnight(NOW, -364)
QUARTER_START = local_midnight(NOW, -89)


# --- the oracle ---------------------------------------------------------------------------------------------
def features_used(
    ws: Workspace, start: int, end: int, *, visitor: str | None = None, account: str | None = None
) -> set[str]:
    out = set()
    for e in ws.events:
        if e.kind != "feature" or not start <= e.ts < end or e.ts > NOW:
            continue
        if (visitor is None or e.visitor_id == visitor) and (account is None or e.account_id == account):
            out.add(str(e.object_id))
    return out


@dataclass(frozen=True)
class Said:
    visitor: str
    account: str | None
    score: int
    ts: int
    comment: str | None


def said(ws: Workspace, start: int) -> list[Said]:
    """Every NPS answer since `start`, with the text given with it, from the raw rows."""
    score_polls: dict[str, str | None] = {}
    for guide in ws.guides:
        for poll in guide.get("polls", []):
            if poll["attributes"].get("type") == "NPSRating":
                score_polls[poll["id"]] = poll["attributes"].get("followUp")
    out = []
    for row in ws.poll_events:
        if row["pollId"] not in score_polls or not start <= row["browserTime"] <= NOW:
            continue
        comment = None
        for other in ws.poll_events:
            if (
                other["visitorId"] == row["visitorId"]
                and other["pollId"] == score_polls[row["pollId"]]
                and row["browserTime"] - 100 <= other["browserTime"] < row["browserTime"] + 100
            ):
                comment = other["pollResponse"]
        out.append(
            Said(
                row["visitorId"], row.get("accountId"), int(row["pollResponse"]), row["browserTime"], comment
            )
        )
    return out


def category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


# --- depth ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("visitor", [JANE, POWER_USER, MULTI, RESELLER])
async def test_visitor_depth_is_distinct_feature_ids_against_the_catalog(
    make_env: Make, ws: Workspace, visitor: str
) -> None:
    ctx = await make_env().deps.customers.lookup(visitor)
    assert isinstance(ctx, VisitorFacts) and ctx.usage is not None and ctx.usage.depth is not None
    now = features_used(ws, WINDOW_START, NOW + 1, visitor=visitor)
    before = features_used(ws, PREVIOUS_START, WINDOW_START, visitor=visitor)
    d = ctx.usage.depth
    assert (d.used, d.previous, d.catalog) == (len(now), len(before), len(ws.features))
    assert d.percent == round(len(now) * 100 / len(ws.features)) and d.change == len(now) - len(before)


async def test_same_named_features_of_different_apps_count_apart(make_env: Make, ws: Workspace) -> None:
    """Pendo's own Zendesk app counts names; two apps' "Create task" are two features here."""
    names = {f["id"]: f["name"] for f in ws.features}
    now = features_used(ws, WINDOW_START, NOW + 1, visitor=POWER_USER)
    assert len({names[f] for f in now}) < len(now)  # by name would merge some
    ctx = await make_env().deps.customers.lookup(POWER_USER)
    assert isinstance(ctx, VisitorFacts) and ctx.usage is not None and ctx.usage.depth is not None
    assert ctx.usage.depth.used == len(now)


@pytest.mark.parametrize("account", [ACME, GLOBEX])
async def test_account_depth_and_how_many_active_visitors_use_features(
    make_env: Make, ws: Workspace, account: str
) -> None:
    ctx = await make_env().deps.customers.account(account)
    assert isinstance(ctx, AccountFacts) and ctx.figures is not None and ctx.figures.depth is not None
    used = features_used(ws, WINDOW_START, NOW + 1, account=account)
    users = {
        e.visitor_id
        for e in ws.events
        if e.kind == "feature" and e.account_id == account and WINDOW_START <= e.ts <= NOW
    }
    active = {
        e.visitor_id
        for e in ws.events
        if e.kind in ("page", "feature", "untagged")
        and e.account_id == account
        and WINDOW_START <= e.ts <= NOW
    }
    assert (ctx.figures.depth.used, ctx.figures.depth.catalog) == (len(used), len(ws.features))
    before = features_used(ws, PREVIOUS_START, WINDOW_START, account=account)
    assert ctx.figures.depth.previous == len(before)  # the trend, from the same query's earlier days
    assert ctx.figures.depth.change == len(used) - len(before)
    assert ctx.figures.feature_visitors == len(users) and ctx.figures.active_visitors.current == len(active)
    assert 0 < len(users) <= len(active)


# --- NPS: visitors ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("visitor", [JANE, POWER_USER, MULTI, DORMANT, TONY])
async def test_a_visitors_latest_answer_within_12_months(make_env: Make, ws: Workspace, visitor: str) -> None:
    ctx = await make_env().deps.customers.lookup(visitor)
    assert isinstance(ctx, VisitorFacts) and ctx.nps is not None
    mine = [s for s in said(ws, YEAR_START) if s.visitor == visitor]
    want = max(mine, key=lambda s: s.ts)
    got = ctx.nps
    assert (got.score, got.ts_ms, got.comment, got.category.value) == (
        want.score,
        want.ts,
        want.comment,
        category(want.score),
    )


async def test_the_sample_has_every_kind_of_respondent(make_env: Make, ws: Workspace) -> None:
    env = make_env()
    kinds = {}
    for visitor in (JANE, POWER_USER, MULTI):
        ctx = await env.deps.customers.lookup(visitor)
        assert isinstance(ctx, VisitorFacts) and ctx.nps is not None
        kinds[visitor] = ctx.nps.category
    assert kinds == {
        JANE: NpsCategory.DETRACTOR,
        POWER_USER: NpsCategory.PROMOTER,
        MULTI: NpsCategory.PASSIVE,
    }
    assert [s for s in said(ws, 0) if s.visitor == JANE and s.ts < YEAR_START]  # an answer outside the year
    never = await env.deps.customers.for_visitor_id(SAM_VISITOR_ID)
    assert isinstance(never, VisitorFacts) and never.nps is None and never.gaps == []


async def test_an_opted_out_visitor_shows_no_nps_and_is_never_asked(make_env: Make, ws: Workspace) -> None:
    env = make_env()
    assert any(s.visitor == PRIVATE for s in said(ws, YEAR_START))  # there is one to hide
    ctx = await env.deps.customers.lookup(PRIVATE)
    assert isinstance(ctx, VisitorFacts) and ctx.nps is None
    assert not any("pollEvents" in r.body.decode() for r in env.requests if r.path == "/api/v1/aggregation")


async def test_jane_is_a_detractor_twelve_days_before_her_ticket(make_env: Make, ws: Workspace) -> None:
    env = make_env(pendo_email_field="agent/email")
    bundle = await env.tickets.ticket(1001)
    tc = await env.tickets.requester_facts(bundle)
    assert isinstance(tc.pendo, VisitorFacts) and tc.pendo.nps is not None
    latest = max((s for s in said(ws, YEAR_START) if s.visitor == JANE), key=lambda s: s.ts)
    assert tc.pendo.nps.ts_ms == latest.ts and (bundle.ticket.created_ms - latest.ts) // DAY == 12


# --- NPS: accounts ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("account", [ACME, GLOBEX])
async def test_account_nps_over_90_days_from_each_visitors_latest_answer(
    make_env: Make, ws: Workspace, account: str
) -> None:
    ctx = await make_env().deps.customers.account(account)
    assert isinstance(ctx, AccountFacts) and ctx.gaps == []
    opted_out = {v for v, record in ws.visitors.items() if record["metadata"]["pendo"]["donotprocess"]}
    latest: dict[str, Said] = {}
    for s in said(ws, QUARTER_START):
        mine = s.account == account and s.visitor not in opted_out
        if mine and (s.visitor not in latest or s.ts > latest[s.visitor].ts):
            latest[s.visitor] = s
    if not latest:
        assert ctx.nps is None
        return
    assert ctx.nps is not None
    promoters = sum(1 for s in latest.values() if s.score >= 9)
    detractors = sum(1 for s in latest.values() if s.score <= 6)
    assert (ctx.nps.responses, ctx.nps.promoters, ctx.nps.detractors) == (len(latest), promoters, detractors)
    exact = Decimal((promoters - detractors) * 100) / Decimal(len(latest))
    assert ctx.nps.score == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # halves away from 0
    newest = sorted(latest.values(), key=lambda s: -s.ts)[:3]
    assert [(a.visitor_id, a.score, a.comment) for a in ctx.nps.latest] == [
        (s.visitor, s.score, s.comment) for s in newest
    ]
    for a in ctx.nps.latest:
        assert a.who == ws.visitors[a.visitor_id]["displayName"]


async def test_acme_has_the_cases_the_account_score_must_handle(ws: Workspace) -> None:
    """Someone who answered twice, a row without accountId, an answer outside the 90 days."""
    acme = [
        s for s in said(ws, 0) if s.visitor in {v for v, r in ws.visitors.items() if ACME in r["accountIds"]}
    ]
    inside = [s for s in acme if s.ts >= QUARTER_START and s.account == ACME]
    assert len({s.visitor for s in inside}) < len(inside)
    assert any(s.account is None and s.ts >= QUARTER_START for s in acme)
    assert any(s.account == ACME and s.ts < QUARTER_START for s in acme)
    globex = [s for s in said(ws, 0) if s.account == GLOBEX]
    assert globex and all(s.ts < QUARTER_START for s in globex)  # Dale's answer: his, not Globex's 90 days


# --- the pure parts, on rows shaped by hand -------------------------------------------------------------------
def guide(polls: list[dict[str, Any]], name: str = "NPS") -> dict[str, Guide]:
    return {"g": Guide.model_validate({"id": "g", "name": name, "polls": polls})}


SCORE = {"id": "s", "attributes": {"type": "NPSRating", "followUp": "t"}}
TEXT = {"id": "t", "attributes": {"type": "FreeForm"}}


def row(poll: str, ts: int, response: Any, visitor: str = "v") -> dict[str, Any]:
    return {
        "visitorId": visitor,
        "accountId": "a",
        "guideId": "g",
        "pollId": poll,
        "browserTime": ts,
        "pollResponse": response,
    }


def test_texts_pair_within_100_ms_of_their_own_score() -> None:
    polls = nps_part.nps_polls(guide([TEXT, SCORE]))
    rows = [
        row("s", 1_000, "9"),
        row("t", 1_004, "first"),
        row("s", 5_000, "3"),
        row("t", 5_100, "too late: +100 ms is outside"),
        row("s", 9_000, "10", visitor="w"),
        row("t", 9_001, "someone else's", visitor="x"),
    ]
    found = {(a.visitor_id, a.ts_ms): a.comment for a in nps_part.answers(rows, polls)}
    assert found == {("v", 1_000): "first", ("v", 5_000): None, ("w", 9_000): None}


def test_scores_that_are_not_0_to_10_and_other_polls_are_skipped() -> None:
    other = {
        "g2": Guide.model_validate(
            {"id": "g2", "polls": [{"id": "h", "attributes": {"type": "NumberScale"}}]}
        )
    }
    polls = nps_part.nps_polls(guide([SCORE, TEXT]) | other)
    rows = [row("s", 1, "11"), row("s", 2, "seven"), row("s", 3, " 7 "), row("s", 4, None), row("h", 5, "5")]
    assert [(a.score, a.ts_ms) for a in nps_part.answers(rows, polls)] == [(7, 3)]


def test_a_score_poll_without_follow_up_takes_its_guides_other_poll() -> None:
    polls = nps_part.nps_polls(guide([TEXT, {"id": "s", "attributes": {"type": "NPSRating"}}]))
    assert polls["s"].follow_up == "t"
    assert (
        nps_part.nps_polls(guide([{"id": "s", "attributes": {"type": "npsrating"}}]))["s"].follow_up is None
    )


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "score"),
    [
        (1, 7, 0, 13),  # 12.5: Python's round() gives 12 (half to even)
        (0, 7, 1, -13),  # -12.5
        (3, 0, 5, -25),  # exact
        (1, 2, 0, 33),  # 33.33…
        (2, 1, 0, 67),  # 66.66…
        (0, 0, 0, 0),
    ],
)
def test_the_account_score_rounds_halves_away_from_zero(
    promoters: int, passives: int, detractors: int, score: int
) -> None:
    assert AccountNps(promoters, passives, detractors, latest=[]).score == score


def test_account_score_counts_each_visitors_latest_answer() -> None:
    polls = nps_part.nps_polls(guide([SCORE, TEXT]))
    rows = [row("s", 1, "0", "v"), row("s", 2, "10", "v"), row("s", 3, "6", "w"), row("s", 4, "8", "x")]
    nps = nps_part.account_nps(nps_part.answers(rows, polls), "a", until_ms=10)
    assert nps is not None and (nps.promoters, nps.passives, nps.detractors, nps.score) == (1, 1, 1, 0)
    assert [a.visitor_id for a in nps.latest] == ["x", "w", "v"]
    assert nps_part.account_nps(nps_part.answers(rows, polls), "other", until_ms=10) is None


async def test_without_the_responders_records_no_account_nps_is_shown(make_env: Make) -> None:
    """Opted-out visitors' answers must stay out of an account's score; without their records the bot
    cannot tell, so the NPS becomes a gap and the figures stay."""
    env = make_env()
    env.controls.fail(r"/aggregation$", 500, body_regex="pendo-slack-visitors-by-id")
    ctx = await env.deps.customers.account(ACME)
    assert isinstance(ctx, AccountFacts) and ctx.figures is not None and ctx.nps is None
    assert [str(g).split(":")[0] for g in ctx.gaps] == ["Survey answers unavailable"]


async def test_a_failing_survey_query_is_a_gap_and_nothing_else(make_env: Make) -> None:
    env = make_env()
    env.controls.fail(r"/aggregation$", 500, body_regex="pollEvents")
    ctx = await env.deps.customers.lookup(JANE)
    assert isinstance(ctx, VisitorFacts) and ctx.nps is None and ctx.usage is not None
    assert [str(g).split(":")[0] for g in ctx.gaps] == ["Survey answers unavailable"]
    account = await env.deps.customers.account(ACME)
    assert isinstance(account, AccountFacts) and account.figures is not None and account.nps is None
    assert [str(g).split(":")[0] for g in account.gaps] == ["Survey answers unavailable"]


def test_only_guides_with_several_polls_and_no_score_poll_are_unrecognised() -> None:
    scale = {"id": "n", "attributes": {"type": "NumberScale"}}
    assert nps_part.unrecognised(guide([SCORE, TEXT])) == []  # an NPS survey
    assert nps_part.unrecognised(guide([scale])) == []  # one poll: a question, not an NPS survey
    assert nps_part.unrecognised(guide([scale, TEXT])) == ["g"]


async def test_an_answered_guide_without_a_score_poll_is_logged_once(
    make_env: Make, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The NPSRating type is inferred from Pendo's examples: a two-poll guide without it is named in the
    log (once per guide), since it may be an NPS survey the bot cannot read."""
    env = make_env()
    scale = {"id": "n", "attributes": {"type": "NumberScale", "followUp": "t"}}

    async def guides(ids: Any) -> dict[str, Guide]:
        return guide([scale, TEXT])

    monkeypatch.setattr(env.deps.pendo, "guides", guides)
    rows = [row("n", 1_000, "3"), row("t", 1_010, "slow")]
    with caplog.at_level("WARNING", logger="bot.domain"):
        assert await env.deps.customers._nps_answers(rows) == []
        assert await env.deps.customers._nps_answers(rows) == []
    lines = [r for r in caplog.records if "none of type NPSRating" in r.getMessage()]
    assert len(lines) == 1 and getattr(lines[0], "guide", None) == "g"
