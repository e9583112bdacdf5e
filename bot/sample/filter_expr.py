"""The subset of Pendo's filter expression language the bot sends: a real tokenizer and parser.

Grammar (lowest precedence first)::

    expr       := conjunct ("||" conjunct)*
    conjunct   := term ("&&" term)*
    term       := "(" expr ")" | operand ("==" | "!=" | "<" | "<=" | ">" | ">=") operand
    operand    := path | string | integer
    path       := name ("." name)*          e.g. visitorId, metadata.agent.email
    string     := a JSON string literal     decoded with json.loads ("\\"", "\\\\", "\\n", "\\uXXXX", ...)

A bare operand is not a condition, so an unescaped quote in a value makes the expression fail to parse
instead of widening the match. `==`/`!=` compare without coercion; `<`, `<=`, `>`, `>=` compare two
numbers or two strings (Pendo's connectors page with `visitorId > "<last>"`) and are false otherwise,
e.g. on a field the row lacks (`rageClickCount > 0` on a row without friction counts).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

Operator = Literal["==", "!=", "<", "<=", ">", ">="]
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


class FilterSyntaxError(ValueError):
    """The expression is not in the supported subset; the fake answers 400 with this message."""


@dataclass(frozen=True)
class Path:
    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Const:
    value: str | int


Operand = Path | Const


@dataclass(frozen=True)
class Compare:
    op: Operator
    left: Operand
    right: Operand


@dataclass(frozen=True)
class And:
    terms: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    terms: tuple[Node, ...]


Node = Compare | And | Or

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(
    rf"""(?P<ws>\s+)
       |(?P<op>\|\||&&|==|!=|<=|>=|<|>|\(|\))
       |(?P<path>{_NAME}(?:\.{_NAME})*)
       |(?P<int>-?[0-9]+)
       |(?P<str>")""",
    re.VERBOSE,
)

Token = tuple[str, Any, int]  # (kind, value, position)


def tokenize(expr: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if match is None:
            raise FilterSyntaxError(f"unexpected character {expr[pos]!r} at {pos}")
        kind = match.lastgroup or ""
        if kind == "str":
            end = _string_end(expr, pos)
            try:
                value: Any = json.loads(expr[pos : end + 1])
            except json.JSONDecodeError as exc:
                raise FilterSyntaxError(f"bad string literal at {pos}: {exc.msg}") from None
            tokens.append(("const", value, pos))
            pos = end + 1
            continue
        text = match.group()
        if kind == "op":
            tokens.append((text, text, pos))
        elif kind == "path":
            tokens.append(("path", tuple(text.split(".")), pos))
        elif kind == "int":
            tokens.append(("const", int(text), pos))
        pos = match.end()
    return tokens


def _string_end(expr: str, start: int) -> int:
    """Index of the quote closing the literal opened at `start` (backslash escapes skipped)."""
    i = start + 1
    while i < len(expr):
        if expr[i] == "\\":
            i += 2
        elif expr[i] == '"':
            return i
        else:
            i += 1
    raise FilterSyntaxError(f"unterminated string literal at {start}")


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        if self.i >= len(self.tokens):
            raise FilterSyntaxError("unexpected end of expression")
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expr(self) -> Node:
        terms = [self.conjunct()]
        while self.peek() == "||":
            self.take()
            terms.append(self.conjunct())
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def conjunct(self) -> Node:
        terms = [self.term()]
        while self.peek() == "&&":
            self.take()
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def term(self) -> Node:
        if self.peek() == "(":
            self.take()
            node = self.expr()
            kind, _, pos = self.take()
            if kind != ")":
                raise FilterSyntaxError(f"expected ')' at {pos}")
            return node
        left = self.operand()
        kind, op, pos = self.take()
        if kind not in _COMPARISONS:
            raise FilterSyntaxError(f"expected a comparison (== != < <= > >=) at {pos}")
        return Compare(op, left, self.operand())

    def operand(self) -> Operand:
        kind, value, pos = self.take()
        if kind == "path":
            return Path(value)
        if kind == "const":
            return Const(value)
        raise FilterSyntaxError(f"expected a field or a literal at {pos}, got {value!r}")


def parse(expr: str) -> Node:
    """Parse a filter expression; raises FilterSyntaxError on anything outside the subset."""
    parser = _Parser(tokenize(expr))
    node = parser.expr()
    if parser.i != len(parser.tokens):
        _, value, pos = parser.tokens[parser.i]
        raise FilterSyntaxError(f"unexpected {value!r} at {pos}")
    return node


def paths(node: Node) -> set[str]:
    """Every dotted field path the expression reads."""
    if isinstance(node, Compare):
        return {o.dotted for o in (node.left, node.right) if isinstance(o, Path)}
    return set().union(*(paths(t) for t in node.terms))


def resolve(row: dict[str, Any], parts: tuple[str, ...]) -> Any:
    value: Any = row
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _same(a: Any, b: Any) -> bool:
    # Python's True == 1 must not leak into the expression language.
    return type(a) is type(b) and bool(a == b)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ordered(op: Operator, a: Any, b: Any) -> bool:
    """`a op b` for two numbers or two strings; false for anything else (a missing field, mixed types)."""
    if not (_number(a) and _number(b)) and not (isinstance(a, str) and isinstance(b, str)):
        return False
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def evaluate(node: Node, row: dict[str, Any]) -> bool:
    if isinstance(node, Compare):
        left, right = (
            resolve(row, o.parts) if isinstance(o, Path) else o.value for o in (node.left, node.right)
        )
        if node.op == "==":
            return _same(left, right)
        if node.op == "!=":
            return not _same(left, right)
        return _ordered(node.op, left, right)
    if isinstance(node, And):
        return all(evaluate(t, row) for t in node.terms)
    return any(evaluate(t, row) for t in node.terms)


def equality_values(node: Node) -> tuple[str, set[str]] | None:
    """(field, values) when the expression is `field == "v"` or an OR of those on one top-level field.

    The fake uses it to pick events from an index instead of scanning; it still evaluates the filter.
    """
    terms = node.terms if isinstance(node, Or) else (node,)
    field, values = None, set()
    for term in terms:
        if not isinstance(term, Compare) or term.op != "==":
            return None
        path, const = (term.left, term.right) if isinstance(term.left, Path) else (term.right, term.left)
        if not isinstance(path, Path) or not isinstance(const, Const) or not isinstance(const.value, str):
            return None
        if len(path.parts) != 1 or field not in (None, path.parts[0]):
            return None
        field = path.parts[0]
        values.add(const.value)
    return (field, values) if field else None
