"""The filter parser against the bot's own escaping: no value can change the shape of the expression."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.pendo.queries import equals_any, literal
from bot.sample.filter_expr import (
    And,
    Compare,
    Const,
    FilterSyntaxError,
    Or,
    Path,
    equality_values,
    evaluate,
    parse,
)

VISITOR_ID = Path(("visitorId",))
EMAIL = Path(("metadata", "agent", "email"))
INJECTION = 'a" || true || "@x.com'


def eq(path: Path, value: str) -> Compare:
    return Compare("==", path, Const(value))


@given(st.text())
def test_any_text_is_one_literal(s: str) -> None:
    assert parse(f"visitorId == {literal(s)}") == eq(VISITOR_ID, s)


@given(st.lists(st.text(), min_size=1, max_size=6))
def test_equals_any_is_an_or_of_exactly_those_literals(values: list[str]) -> None:
    node = parse(equals_any("metadata.agent.email", values))
    unique = list(dict.fromkeys(values))
    expected = [eq(EMAIL, v) for v in unique]
    assert node == (expected[0] if len(unique) == 1 else Or(tuple(expected)))


@given(st.text(), st.text())
def test_a_value_matches_only_rows_with_that_exact_value(s: str, other: str) -> None:
    node = parse(f"visitorId == {literal(s)}")
    assert evaluate(node, {"visitorId": s})
    assert evaluate(node, {"visitorId": other}) == (other == s)


def test_injection_attempt_stays_one_literal() -> None:
    node = parse(equals_any("visitorId", [INJECTION, "b@x.com"]))
    assert node == Or((eq(VISITOR_ID, INJECTION), eq(VISITOR_ID, "b@x.com")))
    assert evaluate(node, {"visitorId": INJECTION})
    assert not evaluate(node, {"visitorId": "a"})
    assert not evaluate(node, {"visitorId": "@x.com"})
    assert not evaluate(node, {"visitorId": "anyone.else@x.com"})


@pytest.mark.parametrize(
    "value", ['x" || visitorId != "', "\\", '\\"', 'x") || ("1" == "1', "\n\u2028\x00\x1f", "é 😀 \ud7ff"]
)
def test_malicious_values_cannot_match_other_rows(value: str) -> None:
    node = parse(f"visitorId == {literal(value)}")
    rows = [{"visitorId": v} for v in ("", "x", "1", "a", value + "x", None)]
    assert [evaluate(node, row) for row in rows] == [False] * len(rows)
    assert evaluate(node, {"visitorId": value})


@pytest.mark.parametrize(
    "expr",
    [
        f'visitorId == "{INJECTION}"',  # the same value without escaping: a bare literal is not a condition
        'visitorId == "unterminated',
        "visitorId ==",
        'visitorId = "x"',
        '"x"',
        'visitorId == "x" visitorId',
        'visitorId == "\\q"',  # not a JSON escape
        'visitorId == "tab\there"',  # raw control character
        '(visitorId == "x"',
        'visitorId == "x" ||',
        "visitorId == `x`",
        'visitorId <> "x"',
        "",
    ],
)
def test_syntax_errors(expr: str) -> None:
    with pytest.raises(FilterSyntaxError):
        parse(expr)


def test_precedence_and_parentheses() -> None:
    a, b, c = (eq(Path((name,)), "1") for name in "abc")
    assert parse('a == "1" || b == "1" && c == "1"') == Or((a, And((b, c))))
    assert parse('(a == "1" || b == "1") && c == "1"') == And((Or((a, b)), c))
    row = {"a": "0", "b": "1", "c": "0"}
    assert not evaluate(parse('(a == "1" || b == "1") && c == "1"'), row)
    assert evaluate(parse('a != "1" && "1" == b'), row)


def test_types_are_not_coerced() -> None:
    node = parse("n == 1")
    assert evaluate(node, {"n": 1})
    assert not evaluate(node, {"n": True})
    assert not evaluate(node, {"n": "1"})
    assert not evaluate(parse('missing.deep == "x"'), {"missing": "not a dict"})
    assert evaluate(parse('metadata.agent.email == "e"'), {"metadata": {"agent": {"email": "e"}}})


def test_equality_values() -> None:
    assert equality_values(parse(equals_any("visitorId", ["a", "b"]))) == ("visitorId", {"a", "b"})
    assert equality_values(parse('"a" == accountId')) == ("accountId", {"a"})
    assert equality_values(parse('visitorId == "a" || accountId == "b"')) is None
    assert equality_values(parse('visitorId != "a"')) is None
    assert equality_values(parse('metadata.agent.email == "a"')) is None
    assert equality_values(parse('visitorId == "a" && visitorId == "b"')) is None
