"""PendoClient against a recording MockTransport, and the aggregation pipeline builders."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.http.cache import TTLCache
from bot.http.errors import AuthError, BadRequest, BadResponse, RateLimited, Unavailable, UpstreamError
from bot.http.upstream import RetryPolicy
from bot.pendo import queries
from bot.pendo.client import PendoClient, segment
from bot.pendo.models import CatalogItem, HistoryItem, Visitor
from bot.render import words

BASE = "https://app.pendo.io"
KEY = "6f1c2d3e-aaaa-bbbb-cccc-0123456789ab"
NASTY_EMAIL = "Jane+ops/qa#1?x=y z@Example.com"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class Wire:
    """Records every request; answers from a queue (the last answer repeats)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies) or [httpx.Response(200, json={})]
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if callable(reply):
            result = reply(request)
            return await result if asyncio.iscoroutine(result) else result  # type: ignore[return-value]
        return reply

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def ok(body: Any) -> httpx.Response:
    """A 200 whose body is `body` as JSON (including a literal `null`)."""
    headers = {"content-type": "application/json"}
    return httpx.Response(200, content=json.dumps(body).encode(), headers=headers)


def make_client(wire: Wire, *, cache: TTLCache | None = None, sleeps: Sleeps | None = None) -> PendoClient:
    http = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(wire))
    return PendoClient(
        http,
        key=KEY,
        policy=RetryPolicy(max_attempts=3, base_delay=0.01),
        cache=cache or TTLCache(),
        sleep=sleeps or Sleeps(),
    )


VISITOR = {
    "id": "jane@example.com",
    "accountIds": ["acme"],
    "displayName": "Jane",
    "metadata": {"agent": {"email": "jane@example.com"}, "auto": {"lastvisit": 1718445780000}},
}


# --- headers and paths ---------------------------------------------------------------------------
async def test_integration_key_header_and_content_type_only_with_a_body() -> None:
    wire = Wire(ok(VISITOR))
    client = make_client(wire)
    await client.get_visitor("jane@example.com")
    assert wire.last.headers["x-pendo-integration-key"] == KEY
    assert "content-type" not in wire.last.headers  # a GET has no body, so no Content-Type
    assert wire.last.method == "GET"
    assert wire.last.url.host == "app.pendo.io"
    assert client.calls == 1
    wire.replies = [ok({"results": []})]
    await client.aggregate("t", [{"source": {"visitors": None}}])
    assert wire.last.headers["content-type"] == "application/json"
    assert wire.last.headers["x-pendo-integration-key"] == KEY


async def test_visitor_id_is_percent_encoded_on_the_wire() -> None:
    nasty = NASTY_EMAIL.replace("/", "-")
    wire = Wire(ok(VISITOR))
    await make_client(wire).get_visitor(nasty)
    raw = wire.last.url.raw_path
    assert raw == b"/api/v1/visitor/Jane%2Bops-qa%231%3Fx%3Dy%20z%40Example.com"
    assert wire.last.url.query == b""
    assert wire.last.url.fragment == ""
    assert unquote(raw.decode().rsplit("/", 1)[1]) == nasty


@pytest.mark.parametrize("visitor_id", ["okta/jane@example.com", "dom\\jane"])
async def test_visitor_id_a_path_cannot_carry_is_found_by_aggregation(visitor_id: str) -> None:
    row = {"visitorId": visitor_id, "metadata": {"auto": {"accountids": ["acme"]}, "agent": {"name": "J"}}}
    wire = Wire(ok({"results": [row]}))
    visitor = await make_client(wire).get_visitor(visitor_id)
    assert visitor is not None and visitor.id == visitor_id and visitor.all_account_ids == ["acme"]
    assert visitor.name == "J"
    assert [r.url.path for r in wire.requests] == ["/api/v1/aggregation"]  # never a mangled path
    pipeline = json.loads(wire.last.content)["request"]["pipeline"]
    assert pipeline == queries.visitor_by_id(visitor_id)
    assert pipeline[1]["filter"] == f"visitorId == {json.dumps(visitor_id)}"
    wire.replies = [ok({"results": []})]
    assert await make_client(wire).get_visitor(visitor_id) is None


async def test_percent_sign_is_encoded_not_passed_through() -> None:
    wire = Wire(ok(VISITOR))
    await make_client(wire).get_visitor("a%2Fb@x.com")
    assert wire.last.url.raw_path == b"/api/v1/visitor/a%252Fb%40x.com"


async def test_history_path_and_starttime_query_param() -> None:
    wire = Wire(ok([{"type": "page", "ts": 1, "pageId": "p1"}]))
    items = await make_client(wire).history(NASTY_EMAIL, 1718409600000)
    assert wire.last.url.raw_path.startswith(
        b"/api/v1/visitor/Jane%2Bops%2Fqa%231%3Fx%3Dy%20z%40Example.com/history?"
    )
    assert wire.last.url.path.endswith("/history")
    assert dict(wire.last.url.params) == {"starttime": "1718409600000"}
    assert items == [HistoryItem(type="page", ts=1, pageId="p1")]


async def test_history_null_body_is_empty_list() -> None:
    wire = Wire(ok(None))
    assert await make_client(wire).history("v", 0) == []


async def test_history_skips_a_malformed_item_and_counts_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    items = [
        {"type": "page", "ts": 1, "pageId": "p1", "lastTs": None, "duration": None, "uri": None},
        {"type": "page"},  # no ts: cannot be placed
        {"type": "feature", "ts": 3, "featureId": "f1"},  # every optional field missing
        "junk",
    ]
    got = await make_client(Wire(ok(items))).history("v", 0)
    assert [(i.type, i.ts) for i in got] == [("page", 1), ("feature", 3)]
    [record] = [r for r in caplog.records if r.getMessage() == "skipped malformed history items"]
    assert record.__dict__["skipped"] == 2


async def test_history_wrong_shape_is_bad_response() -> None:
    with pytest.raises(BadResponse):
        await make_client(Wire(ok({"items": []}))).history("v", 0)


async def test_accounts_come_from_one_aggregation_and_are_cached() -> None:
    rows = [
        {"accountId": "acme/eu", "metadata": {"agent": {"name": "Acme EU"}}},
        {"accountId": "other", "metadata": {}},  # not asked for: ignored
    ]
    wire = Wire(ok({"results": rows}))
    client = make_client(wire)
    accounts = await client.accounts(["acme/eu", "gone", "acme/eu"])
    assert list(accounts) == ["acme/eu"] and accounts["acme/eu"].display_name == "Acme EU"
    pipeline = json.loads(wire.last.content)["request"]["pipeline"]
    assert pipeline == queries.accounts_by_id(["acme/eu", "gone"])
    assert pipeline[1]["filter"] == 'accountId == "acme/eu" || accountId == "gone"'
    await client.accounts(["acme/eu", "gone"])
    assert len(wire.requests) == 1  # account records are kept as long as the catalogs
    assert await client.accounts([]) == {} and len(wire.requests) == 1


# builds requests exactly as PendoClient does (same base_url merge); never sends anything
_URL_BUILDER = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(lambda r: httpx.Response(500)))


@given(st.text(min_size=1))
def test_any_id_stays_one_path_segment(value: str) -> None:
    """Whatever the text, the encoded ID occupies exactly one segment and decodes back to itself."""
    assume(value not in {".", ".."})  # dot segments: tested separately below
    request = _URL_BUILDER.build_request("GET", f"/api/v1/visitor/{segment(value)}/history")
    raw = request.url.raw_path.decode("ascii")
    parts = raw.split("/")
    assert parts[:4] == ["", "api", "v1", "visitor"]
    assert parts[5:] == ["history"]
    assert unquote(parts[4], errors="strict") == value
    assert request.url.query == b""


@pytest.mark.parametrize("value", [".", ".."])
async def test_dot_segment_ids_cannot_change_the_path(value: str) -> None:
    wire = Wire(ok([]))
    client = make_client(wire)
    await client.history(value, 0)
    assert wire.last.url.raw_path.split(b"?")[0].split(b"/")[:4] == [b"", b"api", b"v1", b"visitor"]
    assert wire.last.url.path.endswith("/history")
    assert len(wire.last.url.raw_path.split(b"?")[0].split(b"/")) == 6


# --- visitor lookups -----------------------------------------------------------------------------
async def test_get_visitor_parses_the_visitor() -> None:
    wire = Wire(ok(VISITOR))
    visitor = await make_client(wire).get_visitor("jane@example.com")
    assert isinstance(visitor, Visitor)
    assert visitor.id == "jane@example.com"
    assert visitor.all_account_ids == ["acme"]
    assert visitor.meta("agent", "email") == "jane@example.com"


async def test_visitor_404_is_none_and_not_retried() -> None:
    wire = Wire(httpx.Response(404, json={"message": "not found"}))
    client = make_client(wire)
    assert await client.get_visitor("ghost@example.com") is None
    assert len(wire.requests) == 1


async def test_metadata_lookup_uses_lower_cased_index_and_encoded_value() -> None:
    wire = Wire(ok([VISITOR]))
    visitors = await make_client(wire).visitors_by_metadata("agent", "email", NASTY_EMAIL)
    assert wire.last.url.raw_path == (
        b"/api/v1/visitor/metadata/agent/_lc_email/jane%2Bops%2Fqa%231%3Fx%3Dy%20z%40example.com"
    )
    assert [v.id for v in visitors] == ["jane@example.com"]


async def test_metadata_lookup_keeps_an_existing_lc_prefix() -> None:
    wire = Wire(ok([]))
    await make_client(wire).visitors_by_metadata("salesforce", "_lc_email", "A@B.com")
    assert wire.last.url.raw_path == b"/api/v1/visitor/metadata/salesforce/_lc_email/a%40b.com"


@pytest.mark.parametrize("reply", [ok([]), ok(None), httpx.Response(404)])
async def test_metadata_lookup_empty_results(reply: httpx.Response) -> None:
    assert await make_client(Wire(reply)).visitors_by_metadata("agent", "email", "x@y.z") == []


async def test_metadata_lookup_wrong_shape_is_bad_response() -> None:
    wire = Wire(ok({"id": "not-a-list"}))
    with pytest.raises(BadResponse):
        await make_client(wire).visitors_by_metadata("agent", "email", "x@y.z")


# --- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [401, 403])
async def test_auth_errors_name_the_setting_in_the_hint_never_the_key(status: int) -> None:
    wire = Wire(httpx.Response(status, json={"message": "bad key"}))
    client = make_client(wire)
    with pytest.raises(AuthError) as info:
        await client.get_visitor("jane@example.com")
    err = info.value
    assert len(wire.requests) == 1  # never retried
    assert err.status == status
    assert "PENDO_INTEGRATION_KEY" in (err.hint or "") and "PENDO_REGION" in (err.hint or "")
    assert "PENDO_" not in words.failure_sentence(err)  # agents read it: whom to tell, not which setting
    for text in (words.admin_sentence(err), err.detail, str(err), repr(err)):
        assert KEY not in text
        assert KEY[:8] not in text


async def test_non_json_body_is_bad_response() -> None:
    wire = Wire(httpx.Response(200, text="<html>Sign in</html>", headers={"content-type": "text/html"}))
    with pytest.raises(BadResponse) as info:
        await make_client(wire).get_visitor("jane@example.com")
    assert "text/html" in info.value.detail
    assert KEY not in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        {"accountIds": ["acme"], "metadata": {}},  # no id
        ["jane@example.com"],
        {"id": "x", "metadata": {"agent": "not-a-group"}},
        {"id": "x", "accountIds": "acme"},
    ],
)
async def test_visitor_wrong_shape_is_bad_response(body: Any) -> None:
    with pytest.raises(BadResponse) as info:
        await make_client(Wire(ok(body))).get_visitor("x")
    assert "visitor" in info.value.detail


async def test_400_is_a_refused_request_naming_the_region_not_retried() -> None:
    wire = Wire(httpx.Response(400, text="no period specified for time series source"))
    with pytest.raises(BadRequest) as info:
        await make_client(wire).aggregate("t", [{"source": {"visitors": None}}])
    assert not isinstance(info.value, BadResponse)
    assert len(wire.requests) == 1
    assert info.value.status == 400
    assert info.value.detail == "HTTP 400 from POST /api/v1/aggregation"  # never the body
    message = words.failure_sentence(info.value)
    assert "refused a request from the bot" in message and "region" in message
    assert "could not read" not in message and "PENDO_" not in message  # no setting names for agents
    assert info.value.hint and "PENDO_REGION" in info.value.hint and "app.pendo.io" in info.value.hint


async def test_400_at_the_key_check_says_key_or_region(caplog: pytest.LogCaptureFixture) -> None:
    wire = Wire(httpx.Response(400, json={"error": "bad request"}))
    with pytest.raises(AuthError) as info:
        await make_client(wire).verify()
    err = info.value
    assert err.status == 400 and "key or the Pendo region is likely wrong" in words.admin_sentence(err)
    assert err.hint and "PENDO_REGION" in err.hint and "suffix" in err.hint
    assert "PENDO_REGION" in str(err)  # what the log shows
    assert KEY not in str(err) + words.admin_sentence(err) + err.hint


@pytest.mark.parametrize("reply", [httpx.Response(400, json={"error": "no index"}), ok([])])
async def test_metadata_lookup_400_or_empty_is_no_match(reply: httpx.Response) -> None:
    """The caller then falls back to the exact-match search."""
    assert await make_client(Wire(reply)).visitors_by_metadata("custom", "mail", "a@b.c") == []


LOOKUP_EMAIL = "Jane.Doe+vip@Acme-Corp.example"
LOOKUPS: dict[str, tuple[str, Callable[[PendoClient], Awaitable[Any]]]] = {
    "visitor": ("GET /api/v1/visitor/{id}", lambda c: c.get_visitor(LOOKUP_EMAIL)),
    "metadata": (
        "GET /api/v1/visitor/metadata/{group}/{field}/{value}",
        lambda c: c.visitors_by_metadata("agent", "email", LOOKUP_EMAIL),
    ),
    "history": ("GET /api/v1/visitor/{id}/history", lambda c: c.history(LOOKUP_EMAIL, 0)),
    "search": ("POST /api/v1/aggregation", lambda c: c.search_visitors("agent", "email", [LOOKUP_EMAIL])),
}
ECHOING_ANSWERS = ["400", "401", "403", "404", "429", "500", "503", "non-json"]


def echoing_answer(answer: str) -> httpx.Response:
    """An error answer whose body (Pendo's or a proxy's) echoes the email that was looked up."""
    if answer == "non-json":
        return httpx.Response(200, text=f"<html>{LOOKUP_EMAIL}</html>", headers={"content-type": "text/html"})
    headers = {"Retry-After": "60"} if answer == "429" else {}
    return httpx.Response(int(answer), json={"message": f"no visitor {LOOKUP_EMAIL}"}, headers=headers)


@pytest.mark.parametrize("answer", ECHOING_ANSWERS)
@pytest.mark.parametrize("lookup", LOOKUPS)
async def test_errors_never_carry_the_looked_up_email(
    lookup: str, answer: str, caplog: pytest.LogCaptureFixture
) -> None:
    route, call = LOOKUPS[lookup]
    caplog.set_level(logging.DEBUG)
    try:
        result = await call(make_client(Wire(lambda _request: echoing_answer(answer))))
    except UpstreamError as exc:
        err = exc
    else:
        refused_lookup = answer == "400" and lookup == "metadata"  # falls back to the exact search
        assert ((answer == "404" and lookup in ("visitor", "metadata")) or refused_lookup) and not result
        return
    expected = "non-JSON body (text/html) from" if answer == "non-json" else f"HTTP {answer} from"
    assert err.detail == f"{expected} {route}"
    logged = [str(r.__dict__) for r in caplog.records if r.name.startswith("bot")]
    for text in (str(err), err.detail, words.admin_sentence(err), repr(err), *logged):
        for form in (LOOKUP_EMAIL, segment(LOOKUP_EMAIL), "jane.doe", "acme-corp"):
            assert form.lower() not in text.lower()


async def test_5xx_retried_through_injected_sleep_then_success() -> None:
    sleeps = Sleeps()
    wire = Wire(httpx.Response(503), httpx.Response(502), ok(VISITOR))
    client = make_client(wire, sleeps=sleeps)
    visitor = await client.get_visitor("jane@example.com")
    assert visitor is not None
    assert len(wire.requests) == 3
    assert client.calls == 3
    assert len(sleeps.delays) == 2
    # each attempt is a freshly built request carrying the key
    assert all(r.headers["x-pendo-integration-key"] == KEY for r in wire.requests)


async def test_5xx_exhausted_is_unavailable() -> None:
    wire = Wire(httpx.Response(500))
    with pytest.raises(Unavailable):
        await make_client(wire).get_visitor("jane@example.com")
    assert len(wire.requests) == 3


async def test_429_retry_after_goes_to_the_injected_sleep() -> None:
    sleeps = Sleeps()
    wire = Wire(httpx.Response(429, headers={"Retry-After": "2"}), ok(VISITOR))
    await make_client(wire, sleeps=sleeps).get_visitor("jane@example.com")
    assert sleeps.delays == [2.0]


async def test_429_without_retry_after_still_backs_off() -> None:
    """Pendo sends no Retry-After: the bot waits at least a second (a leaky bucket is still full a
    fraction of a second later), then twice that, then succeeds; the ordinary backoff does not apply."""
    sleeps = Sleeps()
    wire = Wire(httpx.Response(429), httpx.Response(429), ok(VISITOR))
    visitor = await make_client(wire, sleeps=sleeps).get_visitor("jane@example.com")
    assert visitor is not None and len(wire.requests) == 3
    first, second = sleeps.delays
    assert 1.0 <= first <= 1.25 and 2.0 <= second <= 2.5


async def test_429_without_retry_after_exhausted_is_rate_limited() -> None:
    wire = Wire(httpx.Response(429))
    with pytest.raises(RateLimited) as info:
        await make_client(wire).get_visitor("jane@example.com")
    assert len(wire.requests) == 3 and info.value.retry_after is None
    assert "too many requests" in words.failure_sentence(info.value)


async def test_429_long_retry_after_is_rate_limited_now() -> None:
    sleeps = Sleeps()
    wire = Wire(httpx.Response(429, headers={"Retry-After": "60"}))
    with pytest.raises(RateLimited) as info:
        await make_client(wire, sleeps=sleeps).get_visitor("jane@example.com")
    assert sleeps.delays == []
    assert info.value.retry_after == 60.0


# --- aggregation ---------------------------------------------------------------------------------
async def test_aggregation_envelope_on_the_wire() -> None:
    pipeline = queries.visitor_daily_activity("jane@example.com", 1_700_000_000_000, 30)
    wire = Wire(ok({"results": [{"day": 1, "numEvents": 3}]}))
    rows = await make_client(wire).aggregate("usage", pipeline)
    request = wire.last
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/v1/aggregation"
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["x-pendo-integration-key"] == KEY
    body = json.loads(request.content)
    assert body["response"] == {"mimeType": "application/json"}
    assert body["request"]["pipeline"] == pipeline
    assert body["request"]["requestId"] == "pendo-slack-usage"
    assert rows == [{"day": 1, "numEvents": 3}]


@pytest.mark.parametrize("body", [{}, {"results": None}, {"results": {"a": 1}}, [], None, "results"])
async def test_aggregation_without_results_list_is_bad_response(body: Any) -> None:
    with pytest.raises(BadResponse):
        await make_client(Wire(ok(body))).aggregate("t", [{"source": {"visitors": None}}])


async def test_search_visitors_turns_rows_into_visitors() -> None:
    rows = [
        {"visitorId": "v1", "metadata": {"agent": {"email": "jane@example.com"}}},
        {"visitorId": 42, "metadata": None},
        {"visitorId": ""},  # skipped: no id
        {"metadata": {}},  # skipped: no id
        "junk",  # skipped: not an object
    ]
    wire = Wire(ok({"results": rows}))
    visitors = await make_client(wire).search_visitors("agent", "email", ["Jane@Example.com", 'x"y'])
    assert [v.id for v in visitors] == ["v1", "42"]
    assert all(isinstance(v, Visitor) for v in visitors)
    assert visitors[0].meta("agent", "email") == "jane@example.com"
    assert visitors[1].metadata == {}
    pipeline = json.loads(wire.last.content)["request"]["pipeline"]
    assert pipeline == queries.visitors_with_field("agent", "email", ["Jane@Example.com", 'x"y'])
    assert pipeline[2]["filter"] == (
        'metadata.agent.email == "Jane@Example.com" || metadata.agent.email == "x\\"y"'
    )


async def test_search_visitors_malformed_row_is_bad_response() -> None:
    wire = Wire(ok({"results": [{"visitorId": "v1", "metadata": {"agent": "not-a-group"}}]}))
    with pytest.raises(BadResponse):
        await make_client(wire).search_visitors("agent", "email", ["x@y.z"])


# --- catalogs and schema -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("page", "/api/v1/page"),
        ("feature", "/api/v1/feature"),
        ("trackType", "/api/v1/tracktype"),
    ],
)
async def test_catalog_paths_and_index(kind: str, path: str) -> None:
    wire = Wire(ok([{"id": "a", "name": "Alpha", "appId": -323232}, {"id": "b"}]))
    catalog = await make_client(wire).catalog(kind)
    assert wire.last.url.path == path
    assert wire.last.url.params["expand"] == "*"
    assert catalog == {
        "a": CatalogItem(id="a", name="Alpha", appId=-323232),
        "b": CatalogItem(id="b"),
    }


async def test_catalog_is_cached() -> None:
    wire = Wire(ok([{"id": "p1", "name": "Home"}]))
    client = make_client(wire)
    first = await client.catalog("page")
    second = await client.catalog("page")
    assert first == second == {"p1": CatalogItem(id="p1", name="Home")}
    assert len(wire.requests) == 1
    await client.catalog("feature")  # another kind is another entry
    assert len(wire.requests) == 2


async def test_catalog_expires_after_ttl() -> None:
    now = [0.0]
    cache = TTLCache(clock=lambda: now[0])
    wire = Wire(ok([{"id": "p1"}]))
    client = make_client(wire, cache=cache)
    await client.catalog("page")
    now[0] = 3601.0  # catalog_ttl defaults to 3600
    await client.catalog("page")
    assert len(wire.requests) == 2


async def test_catalog_concurrent_calls_coalesce_into_one_request() -> None:
    gate = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return ok([{"id": "p1", "name": "Home"}])

    wire = Wire(slow)
    cache = TTLCache()
    client = make_client(wire, cache=cache)
    tasks = [asyncio.create_task(client.catalog("page")) for _ in range(5)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(wire.requests) == 1  # all five are waiting on the one request in flight
    gate.set()
    results = await asyncio.gather(*tasks)
    assert len(wire.requests) == 1
    assert client.calls == 1
    assert all(r == {"p1": CatalogItem(id="p1", name="Home")} for r in results)
    assert (cache.misses, cache.hits) == (1, 4)


async def test_catalog_failure_is_not_cached() -> None:
    wire = Wire(httpx.Response(403), ok([{"id": "p1"}]))
    client = make_client(wire)
    with pytest.raises(AuthError):
        await client.catalog("page")
    assert await client.catalog("page") == {"p1": CatalogItem(id="p1")}
    assert len(wire.requests) == 2


async def test_catalog_wrong_shape_is_bad_response() -> None:
    with pytest.raises(BadResponse):
        await make_client(Wire(ok([{"name": "no id"}]))).catalog("page")


async def test_schema_path_parse_and_cache() -> None:
    body = {"agent": {"email": {"Type": "string", "DisplayName": "Email", "isHidden": False}}}
    wire = Wire(ok(body))
    client = make_client(wire)
    schema = await client.schema("visitor")
    await client.schema("visitor")
    assert wire.last.url.path == "/api/v1/metadata/schema/visitor"
    assert len(wire.requests) == 1
    assert schema["agent"]["email"].display_name == "Email"
    assert schema["agent"]["email"].type == "string"


# --- queries -------------------------------------------------------------------------------------
EVENT_PIPELINES: list[Callable[[int], queries.Pipeline]] = [
    lambda days: queries.visitor_daily_activity("v", 0, days),
    lambda days: queries.visitor_page_days("v", 0, days),
    lambda days: queries.visitor_feature_days("v", 0, days),
    lambda days: queries.account_activity("a", 0, days),
]


@pytest.mark.parametrize("build", EVENT_PIPELINES)
@pytest.mark.parametrize("days", [61, 90, 0, -1])
def test_event_pipelines_refuse_out_of_range_windows(
    build: Callable[[int], queries.Pipeline], days: int
) -> None:
    with pytest.raises(ValueError, match="60"):
        build(days)


@pytest.mark.parametrize("build", EVENT_PIPELINES)
@pytest.mark.parametrize("days", [1, 30])
def test_event_pipelines_accept_1_to_30_days(build: Callable[[int], queries.Pipeline], days: int) -> None:
    pipeline = build(days)
    source = pipeline[0]["source"]
    assert source["timeSeries"] == {"period": "dayRange", "first": 0, "count": days}
    assert next(v for k, v in source.items() if k != "timeSeries") == {"appId": 'expandAppIds("*")'}
    assert "==" in pipeline[1]["filter"]  # scoped to one visitor or account


def test_event_pipeline_sources_are_not_shared_between_calls() -> None:
    a = queries.visitor_daily_activity("v", 0, 1)
    a[0]["source"]["events"]["appId"] = "mutated"
    assert queries.ALL_APPS == {"appId": 'expandAppIds("*")'}
    assert queries.visitor_daily_activity("v", 0, 1)[0]["source"]["events"]["appId"] == 'expandAppIds("*")'


def test_envelope_shape() -> None:
    assert queries.envelope("rid", [{"limit": 1}]) == {
        "response": {"mimeType": "application/json"},
        "request": {"requestId": "rid", "pipeline": [{"limit": 1}]},
    }


@given(st.text())
def test_literal_is_a_json_string_literal(value: str) -> None:
    lit = queries.literal(value)
    assert lit.startswith('"') and lit.endswith('"')
    assert json.loads(lit) == value
    # nothing in the value can end the literal early: the decoder consumes the whole thing
    decoded, end = json.JSONDecoder().raw_decode(lit)
    assert (decoded, end) == (value, len(lit))


def _parse_or_chain(expr: str, field: str) -> list[str]:
    """Parse `field == "a" || field == "b"` strictly; any injected syntax makes this fail."""
    decoder = json.JSONDecoder()
    values, pos = [], 0
    while True:
        prefix = f"{field} == "
        assert expr.startswith(prefix, pos), expr
        value, pos = decoder.raw_decode(expr, pos + len(prefix))
        assert isinstance(value, str)
        values.append(value)
        if pos == len(expr):
            return values
        assert expr.startswith(" || ", pos), expr
        pos += len(" || ")


@given(st.lists(st.text(), min_size=1, max_size=6))
def test_equals_any_is_escaped_and_deduplicated(values: list[str]) -> None:
    expr = queries.equals_any("metadata.agent.email", values)
    assert _parse_or_chain(expr, "metadata.agent.email") == list(dict.fromkeys(values))


def test_equals_any_injection_attempt_stays_a_literal() -> None:
    evil = 'x" || true || metadata.agent.email == "y'
    expr = queries.equals_any("metadata.agent.email", [evil, evil])
    assert _parse_or_chain(expr, "metadata.agent.email") == [evil]


def test_visitors_with_field_shape() -> None:
    pipeline = queries.visitors_with_field("agent", "email", ["a@b.c"], limit=7)
    assert pipeline == [
        {"source": {"visitors": None}},
        {"identified": "visitorId"},
        {"filter": 'metadata.agent.email == "a@b.c"'},
        {"limit": 7},
    ]


def test_a_name_is_searched_as_typed_and_with_its_spaces_folded() -> None:
    from bot.pendo.queries import name_spellings

    spellings = name_spellings("  Initech\nLabs ")
    assert spellings[0] == "Initech\nLabs" and "Initech Labs" in spellings
    assert "initech labs" in spellings and "INITECH\nLABS" in spellings
    assert name_spellings("acme") == ["acme", "ACME", "Acme"]


async def test_a_guide_being_fetched_is_waited_for_not_fetched_again() -> None:
    """A cold lookup asks for its NPS polls' guides and its timeline's guide names at once."""
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        ids = request.url.params["id"].split(",")
        return ok([{"id": i, "name": f"Guide {i}", "polls": []} for i in ids])

    wire = Wire(slow)
    client = make_client(wire)
    first = asyncio.create_task(client.guides(["g1", "g2"]))
    await asyncio.sleep(0)
    second = asyncio.create_task(client.guides(["g2", "g3"]))
    await asyncio.sleep(0.01)
    release.set()
    a, b = await first, await second
    assert sorted(a) == ["g1", "g2"] and sorted(b) == ["g2", "g3"] and a["g2"] == b["g2"]
    asked = sorted(r.url.params["id"] for r in wire.requests)
    assert asked == ["g1,g2", "g3"]  # g2 once
    assert await client.guides(["g1", "g2", "g3"]) == a | b and len(wire.requests) == 2  # cached


async def test_a_failed_guide_fetch_reaches_every_waiter_and_the_next_call_asks_again() -> None:
    wire = Wire(httpx.Response(401, json={}), ok([{"id": "g1", "name": "One"}]))
    client = make_client(wire)
    results = await asyncio.gather(client.guides(["g1"]), client.guides(["g1"]), return_exceptions=True)
    assert len(wire.requests) == 1
    assert all(isinstance(r, AuthError) for r in results)  # the one failure, for both callers
    assert sorted(await client.guides(["g1"])) == ["g1"] and len(wire.requests) == 2
