"""Property: whatever JSON an upstream sends, every response parser yields a value or a labelled gap.

Issue 12 item 5: one bad value (`lastvisit` = 1e20, `firstvisit` = -1e18, rows of the wrong shape, NaN or
Infinity counts, a renewal date of 1e300, `Retry-After: inf`) used to kill the whole answer. Here
hypothesis takes the sample APIs' real answers, replaces any one value anywhere in one of them with
arbitrary JSON (NaN, Infinity and numbers past a float's range included, as the text a server could
send), and runs the whole question through the real clients and renderers. The answer may carry gaps
or be a typed `UpstreamError`, never another exception.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answers import render_result, ticket_answer
from bot.deps import build_deps
from bot.domain.models import VisitorFacts
from bot.http.errors import UpstreamError
from bot.http.upstream import parse_retry_after
from bot.render import format as fmt
from bot.render import text as terminal_text
from bot.render import words
from bot.sample import (
    JANE,
    MULTI,
    TICKET_JANE,
    Workspace,
    build_workspace,
    create_pendo_app,
    create_zendesk_app,
    sample_settings,
)
from bot.settings import load_settings
from tests.support.blockkit import validate_message

NOW = 1_795_000_000_000 + 13 * 3_600_000
Json = Any


@functools.cache
def workspace() -> Workspace:
    return build_workspace(NOW)


# Numbers as a server might write them: huge, tiny, negative, non-finite, and past a float's range.
WILD_NUMBERS = ["1e20", "-1e18", "1e300", "-1e300", "1e400", "NaN", "Infinity", "-Infinity", "1e-320"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(WILD_NUMBERS).map(lambda raw: _Raw(raw)),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


class _Raw:
    """A number written as raw JSON text (1e400, NaN): json.dumps cannot produce all of these."""

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(value: Json) -> bytes:
    """JSON text for `value`, with `_Raw` numbers spliced in verbatim."""
    raws: list[str] = []

    def default(obj: object) -> str:
        if isinstance(obj, _Raw):
            raws.append(obj.text)
            return f"__raw_{len(raws) - 1}__"
        raise TypeError

    text = json.dumps(value, default=default, allow_nan=True)
    return re.sub(r'"__raw_(\d+)__"', lambda m: raws[int(m.group(1))], text).encode()


def mutate(data: st.DataObject, value: Json, depth: int = 0) -> Json:
    """`value` with one node (chosen by hypothesis, the root included) replaced by arbitrary JSON."""
    children: list[Any] = (
        list(value) if isinstance(value, dict) else list(range(len(value))) if isinstance(value, list) else []
    )
    if not children or depth > 6 or data.draw(st.integers(0, 3), label="stop here") == 0:
        return data.draw(json_values, label="replacement")
    key = data.draw(st.sampled_from(children), label="into")
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[key] = mutate(data, value[key], depth + 1)
    return copy


class Mutating(httpx.AsyncBaseTransport):
    """The sample API, except that answers on one route (regex) are mutated by hypothesis."""

    def __init__(self, inner: httpx.AsyncBaseTransport, route: str, data: st.DataObject) -> None:
        self.inner, self.route, self.data = inner, re.compile(route), data
        self.mutated = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.route.search(request.url.path) or response.status_code != 200:
            return response
        body = await response.aread()
        self.mutated += 1
        mutated = mutate(self.data, json.loads(body))
        return httpx.Response(200, content=dumps(mutated), headers={"content-type": "application/json"})


# Every route the bot calls (each is asserted to have been answered, and so mutated, in every example).
PENDO_ROUTES = [
    r"^/api/v1/visitor/[^/]+$",
    r"^/api/v1/visitor/[^/]+/history$",
    r"^/api/v1/aggregation$",
    r"^/api/v1/(page|feature|tracktype|guide)$",
    r"^/api/v1/metadata/schema/",
]
ZENDESK_ROUTES = [r"^/api/v2/tickets/"]
EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def services_over(
    pendo_route: str | None, zendesk_route: str | None, data: st.DataObject
) -> tuple[Any, Mutating]:
    """The bot's dependencies over the sample APIs, with the one route's answers mutated (the transport
    that mutates them, to check the route was called)."""
    ws = workspace()
    pendo: httpx.AsyncBaseTransport = httpx.ASGITransport(app=create_pendo_app(ws))
    zendesk: httpx.AsyncBaseTransport = httpx.ASGITransport(app=create_zendesk_app(ws))
    if pendo_route:
        mutating = pendo = Mutating(pendo, pendo_route, data)
    if zendesk_route:
        mutating = zendesk = Mutating(zendesk, zendesk_route, data)

    async def no_sleep(_: float) -> None:
        return None

    settings_ = sample_settings(
        load_settings(pendo_account_fields=["custom/planlevel", "custom/renewaldate"], cache_ttl_seconds=0)
    )
    deps = build_deps(
        settings_, pendo_transport=pendo, zendesk_transport=zendesk, now_ms=lambda: NOW, sleep=no_sleep
    )
    return deps, mutating


async def lookup_and_render(data: st.DataObject, route: str, email: str) -> None:
    deps, mutating = services_over(route, None, data)
    try:
        try:
            result = await deps.customers.lookup(email)
        except UpstreamError as exc:
            assert words.admin_sentence(exc)  # a labelled failure: the agent reads why
            return
        finally:
            assert mutating.mutated, f"the bot never called {route}: the example tested nothing"
        message = render_result(result, NOW).message
        validate_message(message["blocks"], message["text"])
        if isinstance(result, VisitorFacts):
            assert terminal_text.render_visitor(result, ZoneInfo("UTC"))
    finally:
        await deps.aclose()


@EXAMPLES
@given(data=st.data(), route=st.sampled_from(PENDO_ROUTES), email=st.sampled_from([JANE, MULTI]))
def test_any_pendo_answer_becomes_a_value_or_a_labelled_gap(
    data: st.DataObject, route: str, email: str
) -> None:
    asyncio.run(lookup_and_render(data, route, email))


async def ticket_and_render(data: st.DataObject, pendo_route: str | None, zendesk_route: str | None) -> None:
    deps, mutating = services_over(pendo_route, zendesk_route, data)
    try:
        assert deps.tickets is not None
        answer = await ticket_answer(deps.tickets, TICKET_JANE, "ref")
        assert mutating.mutated, (
            f"the bot never called {pendo_route or zendesk_route}: the example tested nothing"
        )
        validate_message(answer.message["blocks"], answer.message["text"])
        assert answer.message["text"]
    finally:
        await deps.aclose()


@EXAMPLES
@given(
    data=st.data(),
    routes=st.one_of(
        st.tuples(st.none(), st.sampled_from(ZENDESK_ROUTES)),
        st.tuples(st.sampled_from(PENDO_ROUTES), st.none()),
    ),
)
def test_any_zendesk_or_pendo_answer_to_a_ticket_becomes_a_value_or_a_labelled_gap(
    data: st.DataObject, routes: tuple[str | None, str | None]
) -> None:
    asyncio.run(ticket_and_render(data, *routes))


@given(st.one_of(st.text(max_size=30), st.sampled_from(["inf", "Infinity", "-inf", "nan", "1e400", "1e308"])))
def test_retry_after_is_a_finite_number_of_seconds_or_nothing(raw: str) -> None:
    try:
        headers = httpx.Headers({"retry-after": raw})
    except UnicodeEncodeError:
        return
    seconds = parse_retry_after(headers)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)


@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)))
def test_dates_and_ages_of_any_number_render_as_text(ms: Any) -> None:
    assert isinstance(fmt.when(ms), str)
    assert isinstance(fmt.ago(ms, NOW), str)


# --- the values named in the report, each on its own ---------------------------------------------------
class Rewriting(httpx.AsyncBaseTransport):
    """The sample API with the JSON text of answers on one route rewritten by `edit`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, route: str, edit: Any) -> None:
        self.inner, self.route, self.edit = inner, re.compile(route), edit
        self.changed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.route.search(request.url.path) or response.status_code != 200:
            return response
        original = (await response.aread()).decode()
        text = self.edit(original)
        self.changed += text != original
        return httpx.Response(200, content=text.encode(), headers={"content-type": "application/json"})


def set_field(name: str, raw: str) -> Any:
    """Rewrite every `"name": <number>` in the JSON text to `"name": raw` (raw JSON, e.g. NaN)."""
    return lambda text: re.sub(rf'"{name}":\s*-?[0-9.eE+-]+', f'"{name}": {raw}', text)


NAMED_CASES = [
    ("lastvisit 1e20", r"^/api/v1/visitor/[^/]+$", set_field("lastvisit", "1e20")),
    ("firstvisit -1e18", r"^/api/v1/visitor/[^/]+$", set_field("firstvisit", "-1e18")),
    ("lastvisit NaN", r"^/api/v1/visitor/[^/]+$", set_field("lastvisit", "NaN")),
    ("counts NaN", r"^/api/v1/aggregation$", set_field("numEvents", "NaN")),
    ("counts Infinity", r"^/api/v1/aggregation$", set_field("numMinutes", "Infinity")),
    ("counts 1e400", r"^/api/v1/aggregation$", set_field("numEvents", "1e400")),
    ("days -Infinity", r"^/api/v1/aggregation$", set_field("day", "-Infinity")),
    (
        "rows of the wrong shape",
        r"^/api/v1/aggregation$",
        lambda text: re.sub(r'"results":\s*\[', '"results": [1, null, "x", [2], ', text),
    ),
    ("renewal date 1e300", r"^/api/v1/aggregation$", set_field("renewaldate", "1e300")),
    ("history ts 1e20", r"/history$", set_field("ts", "1e20")),
    (  # found by hypothesis: an account named `true` (metadata of another type) broke the account line
        "names that are not text",
        r"^/api/v1/aggregation$",
        lambda text: re.sub(r'"name":\s*"[^"]*"', '"name": true', text),
    ),
]


@pytest.mark.parametrize(("case", "route", "edit"), NAMED_CASES, ids=[c[0] for c in NAMED_CASES])
async def test_each_reported_bad_value_becomes_a_value_or_a_labelled_gap(
    case: str, route: str, edit: Any
) -> None:
    ws = workspace()
    pendo = Rewriting(httpx.ASGITransport(app=create_pendo_app(ws)), route, edit)
    settings_ = sample_settings(
        load_settings(pendo_account_fields=["custom/planlevel", "custom/renewaldate"])
    )
    deps = build_deps(settings_, pendo_transport=pendo, now_ms=lambda: NOW)
    try:
        try:
            result = await deps.customers.lookup(JANE)
        except UpstreamError as exc:  # the visitor itself unreadable: said so, in words
            assert "could not read" in words.admin_sentence(exc), case
            return
        assert isinstance(result, VisitorFacts), case
        message = render_result(result, NOW).message
        validate_message(message["blocks"], message["text"])
        assert result.profile.name == "Jane Doe"  # the rest of the answer is still there
        assert terminal_text.render_visitor(result, ZoneInfo("UTC"))
    finally:
        await deps.aclose()
        assert pendo.changed, f"{case}: the bad value was never sent"


@pytest.mark.parametrize("raw", ["inf", "Infinity", "nan", "1e400"])
def test_retry_after_that_is_not_a_finite_number_is_ignored(raw: str) -> None:
    assert parse_retry_after(httpx.Headers({"retry-after": raw})) is None
