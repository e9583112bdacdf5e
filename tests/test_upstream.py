"""The shared retry policy (`send_with_retry`) against an in-process MockTransport; no real sleeping."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from bot.http.errors import AuthError, BadResponse, NotFound, RateLimited, Unavailable, UpstreamError
from bot.http.upstream import RetryPolicy, json_body, parse_retry_after, send_with_retry
from bot.render import words

URL = "https://pendo.test/api/v1/visitor/jane@acme.example"
ROUTE = "GET /api/v1/visitor/{id}"
EMAIL = "jane@acme.example"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A clock and an async sleep that share one fake timeline; sleeps are recorded, never slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


class MaxJitterPolicy(RetryPolicy):
    """Deterministic backoff: the jitter draw is always 1.0, so the delay is the exponential cap."""

    def backoff(self, attempt: int, rng: Callable[[], float] = lambda: 1.0) -> float:
        return super().backoff(attempt, rng=lambda: 1.0)


class Recorder:
    """A MockTransport handler replaying `responses` (a status, a Response, or an exception class)."""

    def __init__(self, *responses: object, on_call: Callable[[], None] | None = None) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []
        self.on_call = on_call

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.on_call:
            self.on_call()
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, type) and issubclass(item, Exception):
            raise item("simulated", request=request)  # type: ignore[call-arg]
        if isinstance(item, httpx.Response):
            return item
        assert isinstance(item, int)
        return httpx.Response(item, json={"status": item})

    @property
    def calls(self) -> int:
        return len(self.requests)


async def send(
    handler: Handler,
    fake: FakeTime,
    *,
    policy: RetryPolicy | None = None,
    classify: Callable[[httpx.Response], UpstreamError | None] = lambda r: None,
    timeout: float | None = 5.0,
) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), timeout=timeout) as client:
        return await send_with_retry(
            client,
            lambda: client.build_request("GET", URL),
            upstream="Pendo",
            route=ROUTE,
            policy=policy or MaxJitterPolicy(),
            classify=classify,
            sleep=fake.sleep,
            clock=fake.clock,
        )


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


# --- success and 429 -----------------------------------------------------------------------------
async def test_success_first_try_does_not_sleep(fake: FakeTime) -> None:
    handler = Recorder(200)
    response = await send(handler, fake)
    assert response.status_code == 200
    assert handler.calls == 1
    assert fake.sleeps == []


async def test_429_retry_after_is_honoured_exactly_then_success(fake: FakeTime) -> None:
    handler = Recorder(httpx.Response(429, headers={"Retry-After": "3"}), 200)
    response = await send(handler, fake)
    assert response.status_code == 200
    assert handler.calls == 2
    assert fake.sleeps == [3.0]


async def test_429_fractional_retry_after_is_honoured(fake: FakeTime) -> None:
    handler = Recorder(httpx.Response(429, headers={"Retry-After": " 1.5 "}), 200)
    await send(handler, fake)
    assert fake.sleeps == [1.5]


async def test_429_retry_after_above_cap_raises_at_once_without_sleeping(fake: FakeTime) -> None:
    handler = Recorder(httpx.Response(429, headers={"Retry-After": "30"}), 200)
    with pytest.raises(RateLimited) as info:
        await send(handler, fake, policy=MaxJitterPolicy(retry_after_cap=5.0))
    assert handler.calls == 1
    assert fake.sleeps == []
    assert info.value.retry_after == 30.0
    assert info.value.status == 429
    assert "Try again in 30 s" in words.admin_sentence(info.value)


async def test_429_retry_after_above_cap_but_within_deadline_is_not_waited(fake: FakeTime) -> None:
    # the cap alone decides here: the deadline (60 s) would have allowed the 30 s wait
    handler = Recorder(httpx.Response(429, headers={"Retry-After": "30"}), 200)
    with pytest.raises(RateLimited):
        await send(handler, fake, policy=MaxJitterPolicy(retry_after_cap=5.0, deadline=60.0))
    assert handler.calls == 1
    assert fake.sleeps == []


async def test_429_retry_after_equal_to_cap_is_still_waited(fake: FakeTime) -> None:
    handler = Recorder(httpx.Response(429, headers={"Retry-After": "5"}), 200)
    await send(handler, fake, policy=MaxJitterPolicy(retry_after_cap=5.0, deadline=8.0))
    assert fake.sleeps == [5.0]


async def test_429_without_retry_after_waits_at_least_a_second_then_doubles(fake: FakeTime) -> None:
    policy = MaxJitterPolicy(base_delay=0.25, max_delay=2.0)
    handler = Recorder(429, 429, 200)
    response = await send(handler, fake, policy=policy)
    assert response.status_code == 200
    first, second = fake.sleeps
    assert 1.0 <= first <= 1.25 and 2.0 <= second <= 2.5


async def test_429_without_retry_after_gives_up_when_the_wait_outlives_the_deadline(fake: FakeTime) -> None:
    handler = Recorder(429, 200)
    with pytest.raises(RateLimited) as info:
        await send(handler, fake, policy=MaxJitterPolicy(deadline=0.9))
    assert handler.calls == 1 and fake.sleeps == []  # no retry that would come too soon or too late
    assert info.value.retry_after is None and words.admin_sentence(info.value).endswith(
        "Try again in a minute."
    )


async def test_429_with_http_date_retry_after_falls_back_to_the_rate_limited_wait(fake: FakeTime) -> None:
    handler = Recorder(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), 200)
    await send(handler, fake)
    assert len(fake.sleeps) == 1 and 1.0 <= fake.sleeps[0] <= 1.25


async def test_429_exhausting_attempts_raises_rate_limited(fake: FakeTime) -> None:
    handler = Recorder(httpx.Response(429, headers={"Retry-After": "1"}))
    with pytest.raises(RateLimited):
        await send(handler, fake, policy=MaxJitterPolicy(max_attempts=3))
    assert handler.calls == 3
    assert fake.sleeps == [1.0, 1.0]


# --- 5xx, connection errors, timeouts ------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_retried_up_to_max_attempts_then_unavailable(fake: FakeTime, status: int) -> None:
    handler = Recorder(status)
    with pytest.raises(Unavailable) as info:
        await send(handler, fake, policy=MaxJitterPolicy(max_attempts=3))
    assert handler.calls == 3
    assert len(fake.sleeps) == 2  # no pointless sleep after the last attempt
    assert info.value.status == status
    assert f"HTTP {status}" in words.admin_sentence(info.value)


@pytest.mark.parametrize("status", [500, 503])
async def test_5xx_then_success(fake: FakeTime, status: int) -> None:
    handler = Recorder(status, status, 200)
    response = await send(handler, fake, policy=MaxJitterPolicy(max_attempts=3))
    assert response.status_code == 200
    assert handler.calls == 3


async def test_max_attempts_one_never_retries(fake: FakeTime) -> None:
    handler = Recorder(503, 200)
    with pytest.raises(Unavailable):
        await send(handler, fake, policy=MaxJitterPolicy(max_attempts=1))
    assert handler.calls == 1
    assert fake.sleeps == []


async def test_connect_error_retried_then_unavailable(fake: FakeTime) -> None:
    handler = Recorder(httpx.ConnectError)
    with pytest.raises(Unavailable) as info:
        await send(handler, fake, policy=MaxJitterPolicy(max_attempts=3))
    assert handler.calls == 3
    assert "ConnectError" in info.value.detail
    assert info.value.unreachable  # no connection at all: the network, not Pendo (issue 27 item 6)
    assert words.admin_sentence(info.value).startswith("The bot cannot reach Pendo")


async def test_connect_error_then_success(fake: FakeTime) -> None:
    handler = Recorder(httpx.ConnectError, 200)
    response = await send(handler, fake)
    assert response.status_code == 200
    assert handler.calls == 2


async def test_read_timeout_retried_then_unavailable_naming_the_deadline(fake: FakeTime) -> None:
    handler = Recorder(httpx.ReadTimeout)
    with pytest.raises(Unavailable) as info:
        await send(handler, fake, policy=MaxJitterPolicy(max_attempts=3, deadline=8.0))
    assert handler.calls == 3
    assert words.admin_sentence(info.value) == "Pendo did not answer in 8 s. Try again in a minute."
    assert "ReadTimeout" in info.value.detail


async def test_connect_timeout_is_a_timeout_too(fake: FakeTime) -> None:
    handler = Recorder(httpx.ConnectTimeout)
    with pytest.raises(Unavailable) as info:
        await send(handler, fake, policy=MaxJitterPolicy(max_attempts=2, deadline=6.5))
    assert handler.calls == 2
    assert info.value.timeout == 6.5
    assert "did not answer in 6.5 s" in words.admin_sentence(info.value)


# --- never retried -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "error"),
    [(400, UpstreamError), (401, UpstreamError), (403, UpstreamError), (404, NotFound), (422, UpstreamError)],
)
async def test_other_4xx_never_retried(fake: FakeTime, status: int, error: type[Exception]) -> None:
    handler = Recorder(status, 200)
    with pytest.raises(error) as info:
        await send(handler, fake)
    assert handler.calls == 1
    assert fake.sleeps == []
    assert info.value.status == status  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_classify_decides_the_error_type_and_is_not_retried(fake: FakeTime, status: int) -> None:
    def classify(response: httpx.Response) -> UpstreamError:
        return AuthError("Pendo", f"HTTP {response.status_code}", status=response.status_code, setting="X")

    handler = Recorder(status)
    with pytest.raises(AuthError):
        await send(handler, fake, classify=classify)
    assert handler.calls == 1


async def test_classify_error_for_retryable_status_is_raised_after_retries(fake: FakeTime) -> None:
    def classify(response: httpx.Response) -> UpstreamError:
        return BadResponse("Pendo", f"HTTP {response.status_code}")

    handler = Recorder(502)
    with pytest.raises(BadResponse):
        await send(handler, fake, policy=MaxJitterPolicy(max_attempts=2), classify=classify)
    assert handler.calls == 2


# --- deadline ------------------------------------------------------------------------------------
async def test_deadline_stops_retries_before_max_attempts(fake: FakeTime) -> None:
    def slow() -> None:
        fake.now += 3.0  # each answer takes 3 s of (fake) time

    handler = Recorder(503, on_call=slow)
    with pytest.raises(Unavailable):
        await send(handler, fake, policy=MaxJitterPolicy(max_attempts=10, deadline=8.0))
    # t=3 → retry, t≈6.25 → retry, t≈9.75 → past the deadline: stop
    assert handler.calls == 3
    assert fake.now <= 8.0 + 3.0 + 1e-9


async def test_deadline_refuses_a_wait_that_would_outlive_it(fake: FakeTime) -> None:
    def slow() -> None:
        fake.now += 4.0

    handler = Recorder(httpx.Response(429, headers={"Retry-After": "4"}), 200, on_call=slow)
    with pytest.raises(RateLimited):
        await send(handler, fake, policy=MaxJitterPolicy(deadline=8.0, retry_after_cap=5.0))
    assert handler.calls == 1
    assert fake.sleeps == []  # 4 s spent + 4 s wait reaches the 8 s deadline: give up now


async def test_deadline_already_passed_when_called(fake: FakeTime) -> None:
    times = iter([0.0, 100.0])
    handler = Recorder(200)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(Unavailable) as info:
            await send_with_retry(
                client,
                lambda: client.build_request("GET", URL),
                upstream="Pendo",
                route=ROUTE,
                policy=RetryPolicy(deadline=8.0),
                classify=lambda r: None,
                sleep=fake.sleep,
                clock=lambda: next(times),
            )
    assert handler.calls == 0
    assert info.value.timeout == 8.0


async def test_each_request_timeout_is_capped_to_the_remaining_deadline(fake: FakeTime) -> None:
    def slow() -> None:
        fake.now += 6.0

    handler = Recorder(503, 200, on_call=slow)
    await send(handler, fake, policy=MaxJitterPolicy(deadline=8.0), timeout=5.0)
    first, second = (r.extensions["timeout"] for r in handler.requests)
    assert first == {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    remaining = 8.0 - (6.0 + 0.25)
    assert second == pytest.approx(dict.fromkeys(("connect", "read", "write", "pool"), remaining))


async def test_no_client_timeout_becomes_the_remaining_deadline(fake: FakeTime) -> None:
    handler = Recorder(200)
    await send(handler, fake, policy=MaxJitterPolicy(deadline=7.0), timeout=None)
    assert handler.requests[0].extensions["timeout"] == dict.fromkeys(
        ("connect", "read", "write", "pool"), 7.0
    )


async def test_build_is_called_for_every_attempt(fake: FakeTime) -> None:
    handler = Recorder(503, 503, 200)
    built = 0
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:

        def build() -> httpx.Request:
            nonlocal built
            built += 1
            return client.build_request("POST", URL, json={"n": built})

        await send_with_retry(
            client,
            build,
            upstream="Pendo",
            route=ROUTE,
            policy=MaxJitterPolicy(),
            classify=lambda r: None,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert built == 3
    assert [r.content for r in handler.requests] == [b'{"n":1}', b'{"n":2}', b'{"n":3}']


# --- backoff -------------------------------------------------------------------------------------
def test_backoff_is_exponential_and_capped_at_max_jitter() -> None:
    policy = RetryPolicy(base_delay=0.25, max_delay=2.0)
    assert [policy.backoff(n, rng=lambda: 1.0) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]


def test_backoff_full_jitter_scales_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    assert policy.backoff(1, rng=lambda: 0.0) == 0.0
    assert policy.backoff(2, rng=lambda: 0.5) == 0.5
    assert policy.backoff(3, rng=lambda: 0.25) == 0.5
    assert policy.backoff(10, rng=lambda: 0.5) == 1.5


def test_backoff_default_rng_stays_within_bounds() -> None:
    policy = RetryPolicy(base_delay=0.25, max_delay=2.0)
    for attempt in range(1, 8):
        cap = min(2.0, 0.25 * 2 ** (attempt - 1))
        for _ in range(50):
            assert 0.0 <= policy.backoff(attempt) <= cap


def test_default_policy_matches_the_documented_shape() -> None:
    policy = RetryPolicy()
    assert policy.retry_statuses == frozenset({429, 500, 502, 503, 504})
    assert policy.max_attempts >= 2
    assert policy.retry_after_cap < policy.deadline


# --- helpers -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3", 3.0), ("0", 0.0), ("-4", 0.0), ("2.5", 2.5), ("soon", None), ("", None)],
)
def test_parse_retry_after(raw: str, expected: float | None) -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": raw})) == expected


def test_parse_retry_after_missing() -> None:
    assert parse_retry_after(httpx.Headers()) is None


def test_json_body_non_json_is_bad_response() -> None:
    request = httpx.Request("GET", URL)
    response = httpx.Response(
        200, text="<html>login</html>", headers={"content-type": "text/html"}, request=request
    )
    with pytest.raises(BadResponse) as info:
        json_body(response, "Pendo", what=ROUTE)
    assert info.value.detail == f"non-JSON body (text/html) from {ROUTE}"
    assert EMAIL not in str(info.value) and "login" not in str(info.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 429, 500, 503])
async def test_generic_errors_name_status_and_route_never_path_or_body(fake: FakeTime, status: int) -> None:
    handler = Recorder(httpx.Response(status, text=f"no visitor {EMAIL}"))
    with pytest.raises(UpstreamError) as info:
        await send(handler, fake, policy=MaxJitterPolicy(max_attempts=1))
    err = info.value
    assert err.detail == f"HTTP {status} from {ROUTE}"
    for text in (str(err), err.detail, words.admin_sentence(err), repr(err)):
        assert EMAIL not in text
        assert "no visitor" not in text


async def test_unavailable_admin_sentence_names_the_status_not_the_route(fake: FakeTime) -> None:
    with pytest.raises(Unavailable) as info:
        await send(Recorder(503), fake, policy=MaxJitterPolicy(max_attempts=1))
    assert (
        words.admin_sentence(info.value)
        == "Pendo is unavailable right now (HTTP 503). Try again in a minute."
    )


def test_error_messages_never_echo_request_headers() -> None:
    secret = "0f0f0f0f-1234-5678-9abc-def012345678"
    errors: list[UpstreamError] = [
        Unavailable("Pendo", "HTTP 503", status=503),
        Unavailable("Pendo", "timeout", timeout=8.0),
        RateLimited("Pendo", "HTTP 429", retry_after=2.4),
        RateLimited("Pendo", "HTTP 429"),
        AuthError("Pendo", "HTTP 401", status=401, setting="PENDO_INTEGRATION_KEY"),
        NotFound("Pendo", "HTTP 404"),
        BadResponse("Pendo", "non-JSON"),
    ]
    for err in errors:
        assert secret not in words.admin_sentence(err)
        assert words.admin_sentence(err).startswith("Pendo")
    assert (
        words.failure_sentence(errors[2])
        == "Pendo is busy with too many requests from the bot. Try again in 2 s."
    )
    assert (
        words.failure_sentence(errors[3])
        == "Pendo is busy with too many requests from the bot. Try again in a minute."
    )


async def test_retry_errors_do_not_contain_the_key(fake: FakeTime) -> None:
    secret = "0f0f0f0f-1234-5678-9abc-def012345678"
    handler = Recorder(httpx.Response(400, text="bad filter"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(UpstreamError) as info:
            await send_with_retry(
                client,
                lambda: client.build_request("GET", URL, headers={"x-pendo-integration-key": secret}),
                upstream="Pendo",
                route=ROUTE,
                policy=MaxJitterPolicy(),
                classify=lambda r: None,
                sleep=fake.sleep,
                clock=fake.clock,
            )
    assert secret not in str(info.value)
    assert secret not in words.admin_sentence(info.value)
    assert handler.requests[0].headers["x-pendo-integration-key"] == secret


# --- upstream bodies are capped while they stream (issue 12 item 10) ------------------------------------
async def test_an_answer_declared_larger_than_the_cap_is_refused(fake: FakeTime) -> None:
    handler = Recorder(httpx.Response(200, content=b"[" + b"0," * 64 + b"0]"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(BadResponse) as info:
            await send_with_retry(
                client,
                lambda: client.build_request("GET", URL),
                upstream="Pendo",
                route=ROUTE,
                policy=MaxJitterPolicy(),
                classify=lambda r: None,
                sleep=fake.sleep,
                clock=fake.clock,
                max_body=100,
            )
    assert info.value.detail == f"answer larger than 100 bytes from {ROUTE}"
    assert handler.calls == 1  # not retried: it would be as large again


async def test_a_streamed_answer_is_cut_off_at_the_cap_without_reading_the_rest(fake: FakeTime) -> None:
    pulled = 0

    async def sixty_four_megabytes() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(64):
            pulled += 1
            yield b"x" * 1024 * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=sixty_four_megabytes())  # no Content-Length: chunked

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(BadResponse):
            await send_with_retry(
                client,
                lambda: client.build_request("GET", URL),
                upstream="Pendo",
                route=ROUTE,
                policy=MaxJitterPolicy(),
                classify=lambda r: None,
                sleep=fake.sleep,
                clock=fake.clock,
            )
    assert pulled == 11  # 10 MB accepted, the 11th refused, nothing more read


async def test_a_gzipped_answer_under_the_cap_is_decoded(fake: FakeTime) -> None:
    import gzip

    payload = json.dumps({"results": [{"n": i} for i in range(100)]}).encode()
    handler = Recorder(
        httpx.Response(200, content=gzip.compress(payload), headers={"content-encoding": "gzip"})
    )
    response = await send(handler, fake)
    assert json_body(response, "Pendo", what=ROUTE) == json.loads(payload)


def test_json_body_reads_non_finite_numbers_as_null() -> None:
    request = httpx.Request("GET", URL)
    response = httpx.Response(
        200, content=b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e400, "e": 1.5}', request=request
    )
    assert json_body(response, "Pendo", what=ROUTE) == {"a": None, "b": None, "c": None, "d": None, "e": 1.5}


# --- issue 20: the request as httpx built it, without merging a fixed URL each time ------------------------
async def test_requests_are_byte_for_byte_what_httpx_builds_and_only_fixed_urls_are_kept() -> None:
    from pydantic import TypeAdapter

    from bot.http.cache import TTLCache
    from bot.http.client import BaseClient

    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    class Client(BaseClient):
        upstream = "Test"

        def _headers(self) -> dict[str, str]:
            return {"x-key": "k"}

    http = httpx.AsyncClient(base_url="https://api.example/base/", transport=httpx.MockTransport(answer))
    client = Client(http, policy=RetryPolicy(), cache=TTLCache())
    body = {"request": {"pipeline": [{"filter": 'visitorId == "jané@x"'}], "n": 1}}
    anything = TypeAdapter(dict)
    for _ in range(2):
        await client._send("POST", "/api/v1/aggregation", "POST /api/v1/aggregation", anything, body=body)
        await client._send("GET", "/api/v1/page", "GET /api/v1/page", anything, params={"expand": "*"})
        await client._send(
            "GET", "/api/v1/visitor/jane%40x", "GET /api/v1/visitor/{id}", anything, params={"starttime": 5}
        )
    expected = [
        http.build_request("POST", "/api/v1/aggregation", json=body),
        http.build_request("GET", "/api/v1/page", params={"expand": "*"}),
        http.build_request("GET", "/api/v1/visitor/jane%40x", params={"starttime": 5}),
    ] * 2
    assert [(r.method, str(r.url), r.content) for r in seen] == [
        (r.method, str(r.url), r.content) for r in expected
    ]
    assert all(r.headers["x-key"] == "k" for r in seen)
    assert seen[0].headers["content-type"] == "application/json"
    assert sorted(path for path, _ in client._urls) == ["/api/v1/aggregation", "/api/v1/page"]  # no ID kept
    await http.aclose()
