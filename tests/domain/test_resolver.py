"""Email → visitor over the sample workspace, in both modes: visitor ID is the email, or a metadata field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.models import Ambiguous, InvalidInput, NotFoundInPendo, VisitorFacts
from bot.sample import (
    INITECH,
    INITECH_LABS,
    JANE,
    NOBODY,
    OPS,
    OPS_VISITOR_IDS,
    SAM,
    SAM_VISITOR_ID,
)

from .conftest import Make, Oracle

METADATA = {"pendo_email_field": "agent/email"}
LC_PATH = "/api/v1/visitor/metadata/agent/_lc_email/"


def aggregation_filters(env: Any) -> list[str]:
    return [stage["filter"] for p in env.aggregations() for stage in p if "filter" in stage]


# --- visitor ID is the email (the default) ------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    [
        JANE,
        "Jane.Doe@ACME.example",
        "  jane.doe@acme.example  ",
        f"<mailto:{JANE}|{JANE}>",
        "<mailto:Jane.Doe@ACME.example|Jane.Doe@ACME.example>",
        f"<mailto:{JANE}>",
    ],
)
async def test_email_as_id_finds_jane_however_it_is_typed(make_env: Make, typed: str) -> None:
    env = make_env()
    result = await env.deps.customers.lookup(typed)
    assert isinstance(result, VisitorFacts), result
    assert result.profile.id == JANE
    assert result.profile.email == JANE
    assert [r.path for r in env.requests].count(f"/api/v1/visitor/{JANE}") == 1


async def test_email_as_id_not_found_says_what_was_searched(make_env: Make) -> None:
    env = make_env()
    result = await env.deps.customers.lookup(NOBODY)
    assert result == NotFoundInPendo(email=NOBODY, searched="visitor ID")
    assert [r.path for r in env.requests] == [f"/api/v1/visitor/{NOBODY}"]


async def test_email_as_id_tries_the_typed_case_after_lower_case(make_env: Make) -> None:
    env = make_env()
    typed = "No.Body@Unknown.example"
    result = await env.deps.customers.lookup(typed)
    assert result == NotFoundInPendo(email=typed, searched="visitor ID")
    assert [r.path for r in env.requests] == [f"/api/v1/visitor/{typed.lower()}", f"/api/v1/visitor/{typed}"]


async def test_an_email_stored_only_in_metadata_is_not_found_by_id(make_env: Make) -> None:
    env = make_env()
    assert await env.deps.customers.lookup(OPS) == NotFoundInPendo(email=OPS, searched="visitor ID")


# --- metadata field (PENDO_EMAIL_FIELD=agent/email) -----------------------------------------------------
@pytest.mark.parametrize(
    "typed", [SAM.lower(), SAM, SAM.upper().replace("@GLOBEX.EXAMPLE", "@globex.example")]
)
async def test_metadata_mode_ignores_case(make_env: Make, typed: str) -> None:
    env = make_env(**METADATA)
    result = await env.deps.customers.lookup(typed)
    assert isinstance(result, VisitorFacts), result
    assert result.profile.id == SAM_VISITOR_ID
    assert result.profile.email == SAM  # as Pendo stores it
    assert env.requests[0].path == LC_PATH + SAM.lower()
    assert all("metadata" not in f for f in aggregation_filters(env))  # the index answered: no fallback


async def test_metadata_mode_two_visitors_is_a_choice_not_a_guess(make_env: Make, oracle: Oracle) -> None:
    env = make_env(**METADATA)
    result = await env.deps.customers.lookup(OPS.upper())
    assert isinstance(result, Ambiguous), result
    assert result.searched == "metadata field agent/email"
    last = {vid: oracle.last_visit(vid) for vid in OPS_VISITOR_IDS}
    assert last[OPS_VISITOR_IDS[0]] != last[OPS_VISITOR_IDS[1]]
    expected_order = sorted(OPS_VISITOR_IDS, key=lambda vid: -last[vid])
    assert [c.visitor_id for c in result.candidates] == expected_order
    accounts = {OPS_VISITOR_IDS[0]: [INITECH], OPS_VISITOR_IDS[1]: [INITECH_LABS]}
    for c in result.candidates:
        assert c.account_ids == accounts[c.visitor_id]
        assert c.last_visit_ms == last[c.visitor_id]
        assert c.email == OPS and c.name
    # Nothing about either visitor was fetched: the agent picks first.
    assert [r.path for r in env.requests] == [LC_PATH + OPS]


async def test_metadata_mode_not_found_says_what_was_searched_and_ran_the_fallback(make_env: Make) -> None:
    env = make_env(**METADATA)
    result = await env.deps.customers.lookup(NOBODY)
    assert result == NotFoundInPendo(email=NOBODY, searched="metadata field agent/email")
    assert [r.path for r in env.requests] == [LC_PATH + NOBODY, "/api/v1/aggregation"]
    assert aggregation_filters(env) == [f'metadata.agent.email == "{NOBODY}"']


async def test_empty_lc_index_falls_back_to_the_exact_match_aggregation(make_env: Make) -> None:
    env = make_env(**METADATA)
    env.controls.fail(r"/_lc_email/", 200, body="[]")  # the case-insensitive index has nothing
    result = await env.deps.customers.lookup(SAM)  # typed exactly as stored
    assert isinstance(result, VisitorFacts), result
    assert result.profile.id == SAM_VISITOR_ID
    paths = [r.path for r in env.requests]
    assert paths[:2] == [LC_PATH + SAM.lower(), "/api/v1/aggregation"]
    first = env.aggregations()[0]
    assert first[0] == {"source": {"visitors": None}}
    assert f'metadata.agent.email == "{SAM}"' in first[2]["filter"]
    assert f'metadata.agent.email == "{SAM.lower()}"' in first[2]["filter"]


async def test_lc_index_404_also_falls_back(make_env: Make) -> None:
    env = make_env(**METADATA)
    env.controls.fail(r"/_lc_email/", 404)
    result = await env.deps.customers.lookup(SAM)
    assert isinstance(result, VisitorFacts) and result.profile.id == SAM_VISITOR_ID
    assert [r.path for r in env.requests][:2] == [LC_PATH + SAM.lower(), "/api/v1/aggregation"]


async def test_fallback_finds_two_visitors_as_ambiguous(make_env: Make) -> None:
    env = make_env(**METADATA)
    env.controls.fail(r"/_lc_email/", 404)
    result = await env.deps.customers.lookup(OPS)
    assert isinstance(result, Ambiguous)
    assert sorted(c.visitor_id for c in result.candidates) == sorted(OPS_VISITOR_IDS)
    assert all(c.account_ids for c in result.candidates)


# --- invalid input and escaping ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "jane",
        "jane@acme",
        "jane@@acme.example",
        "jane doe@acme.example",
        "jane@acme.example bob@acme.example",
        'a"||true||"@x.com',
        "<mailto:|>",
        "x" * 65 + "@acme.example",
        "jane@acme.123",
        ".jane@acme.example",
        "jane..doe@acme.example",
    ],
)
@pytest.mark.parametrize("settings", [{}, METADATA], ids=["by-id", "by-field"])
async def test_invalid_input_raises_before_any_request(
    make_env: Make, typed: str, settings: dict[str, str]
) -> None:
    env = make_env(**settings)
    with pytest.raises(InvalidInput) as caught:
        await env.deps.customers.lookup(typed)
    assert "Try `/pendo" in str(caught.value)
    assert env.requests == []
    assert env.deps.pendo.calls == 0


@pytest.mark.parametrize(
    "value",
    ['x" || true || "', 'x\\" || true || \\"', 'x" || metadata.agent.email != "', "\\", "\n"],
)
async def test_filter_values_cannot_break_out_of_their_literal(make_env: Make, value: str) -> None:
    env = make_env(**METADATA)
    rows = await env.deps.pendo.search_visitors("agent", "email", [value])
    assert rows == []
    [request] = env.requests
    assert request.path == "/api/v1/aggregation"
    # The value reached the fake intact, as one literal (the fake answered 200, not a 400 parse error).
    [expr] = [s["filter"] for s in request.json()["request"]["pipeline"] if "filter" in s]
    assert expr == "metadata.agent.email == " + json.dumps(value, ensure_ascii=False)


async def test_escaped_value_still_matches_exactly(make_env: Make) -> None:
    """The other half of escaping: a real value with no special characters is found."""
    env = make_env(**METADATA)
    rows = await env.deps.pendo.search_visitors("agent", "email", [SAM])
    assert [v.id for v in rows] == [SAM_VISITOR_ID]


async def test_a_refused_lc_index_is_not_asked_again(make_env: Make) -> None:
    """A field without a lower-cased index answers 400; the next lookups go straight to the exact search."""
    env = make_env(**METADATA)
    env.controls.fail(r"/_lc_email/", 400)
    for email in (SAM, OPS):
        await env.deps.customers.lookup(email)
    lc_calls = [r.path for r in env.requests if "/_lc_" in r.path]
    assert lc_calls == [LC_PATH + SAM.lower()]
    assert [r.path for r in env.requests].count("/api/v1/aggregation") >= 2
