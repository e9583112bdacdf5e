"""ZendeskClient against httpx.MockTransport: one request per ticket, sideload joins, retries, errors."""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.http.cache import TTLCache
from bot.http.errors import (
    AuthError,
    BadResponse,
    Forbidden,
    NotFound,
    RateLimited,
    Unavailable,
    UpstreamError,
)
from bot.http.upstream import RetryPolicy
from bot.render import words
from bot.settings import Settings
from bot.zendesk.client import (
    TicketNotFound,
    ZendeskAuthError,
    ZendeskClient,
    ZendeskForbidden,
    auth_header_from_settings,
)
from bot.zendesk.models import TicketBundle

EMAIL = "bot@acme.example"
API_TOKEN = "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
OAUTH_TOKEN = "oauth-secret-0123456789abcdef"
AUTH = "Basic " + base64.b64encode(f"{EMAIL}/token:{API_TOKEN}".encode()).decode()

Handler = Callable[[httpx.Request], httpx.Response]

TICKET: dict[str, Any] = {
    "url": "https://acme.zendesk.com/api/v2/tickets/35436.json",
    "id": 35436,
    "external_id": None,
    "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
    "created_at": "2009-07-20T22:55:29Z",
    "updated_at": "2011-05-05T10:38:52Z",
    "type": "incident",
    "subject": "Help, my printer is on fire!",
    "raw_subject": "{{dc.printer_on_fire}}",
    "priority": "high",
    "status": "open",
    "requester_id": 20978392,
    "submitter_id": 76872,
    "assignee_id": 235323,
    "organization_id": 509974,
    "group_id": 98738,
    "tags": ["enterprise", "other_tag"],
    "custom_fields": [{"id": 27642, "value": "745"}],
    "satisfaction_rating": None,
}
REQUESTER: dict[str, Any] = {
    "id": 20978392,
    "name": "Jane Customer",
    "email": "jane@customer.example",
    "role": "end-user",
    "organization_id": 509974,
    "phone": None,
    "user_fields": {},
}
SUBMITTER: dict[str, Any] = {
    "id": 76872,
    "name": "Sam Submitter",
    "email": "sam@acme.example",
    "role": "agent",
}
ASSIGNEE: dict[str, Any] = {
    "id": 235323,
    "name": "Johnny Agent",
    "email": "johnny@acme.example",
    "role": "agent",
}
ORG: dict[str, Any] = {"id": 509974, "name": "Customer Inc", "domain_names": [], "details": None}
OTHER_ORG: dict[str, Any] = {"id": 57542, "name": "Acme Support"}
GROUP: dict[str, Any] = {"id": 98738, "name": "Tier 1", "is_public": True}


def show_body(ticket: dict[str, Any] | None = None, *, shuffle_seed: int | None = None) -> dict[str, Any]:
    users = [copy.deepcopy(u) for u in (REQUESTER, SUBMITTER, ASSIGNEE)]
    orgs = [copy.deepcopy(OTHER_ORG), copy.deepcopy(ORG)]
    if shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        rng.shuffle(users)
        rng.shuffle(orgs)
    return {
        "ticket": copy.deepcopy(ticket or TICKET),
        "users": users,
        "organizations": orgs,
        "groups": [copy.deepcopy(GROUP)],
    }


class Recorder:
    """A MockTransport handler that answers from a queue of responses (or one fixed function)."""

    def __init__(self, *responses: httpx.Response | Exception | Handler) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        if isinstance(item, httpx.Response):
            return item
        return item(request)


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(
    recorder: Recorder,
    *,
    auth_header: str = AUTH,
    policy: RetryPolicy | None = None,
    sleep: FakeSleep | None = None,
    ttl: float = 60.0,
) -> ZendeskClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder), base_url="https://acme.zendesk.com")
    return ZendeskClient(
        http,
        auth_header=auth_header,
        policy=policy or RetryPolicy(max_attempts=3, deadline=8.0),
        cache=TTLCache(),
        ttl=ttl,
        sleep=sleep or FakeSleep(),
    )


def ok(body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


# --- the one request ---------------------------------------------------------------------------------------
async def test_get_ticket_is_exactly_one_request_with_sideloads() -> None:
    rec = Recorder(ok(show_body()))
    client = make_client(rec)
    bundle = await client.get_ticket(35436)
    assert len(rec.requests) == 1
    request = rec.requests[0]
    assert request.method == "GET"
    assert str(request.url) == (
        "https://acme.zendesk.com/api/v2/tickets/35436.json?include=users,organizations,groups,custom_statuses"
    )
    assert request.headers["accept"] == "application/json"
    assert "content-type" not in request.headers  # no body, no Content-Type
    assert bundle.ticket.id == 35436
    assert bundle.host == "acme.zendesk.com"
    assert bundle.agent_url == "https://acme.zendesk.com/agent/tickets/35436"


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
async def test_sideloads_joined_by_id_in_any_order(seed: int) -> None:
    client = make_client(Recorder(ok(show_body(shuffle_seed=seed))))
    bundle = await client.get_ticket(35436)
    assert bundle.requester is not None and bundle.requester.name == "Jane Customer"
    assert bundle.requester_email == "jane@customer.example"
    assert bundle.assignee is not None and bundle.assignee.name == "Johnny Agent"
    assert bundle.organization is not None and bundle.organization.name == "Customer Inc"
    assert bundle.group is not None and bundle.group.name == "Tier 1"
    t = bundle.ticket
    assert (t.subject, t.status, t.priority, t.type, t.tags) == (
        "Help, my printer is on fire!",
        "open",
        "high",
        "incident",
        ["enterprise", "other_tag"],
    )
    assert t.via_channel == "web"
    assert t.created_at.isoformat() == "2009-07-20T22:55:29+00:00"


async def test_null_priority_assignee_org_group_are_normal() -> None:
    ticket = {
        **TICKET,
        "priority": None,
        "assignee_id": None,
        "organization_id": None,
        "group_id": None,
        "type": None,
        "tags": None,
    }
    body = show_body(ticket)
    body["organizations"] = []
    del body["groups"]  # a sideload may be missing entirely
    client = make_client(Recorder(ok(body)))
    bundle = await client.get_ticket(35436)
    assert bundle.ticket.priority is None
    assert bundle.assignee is None
    assert bundle.organization is None
    assert bundle.group is None
    assert bundle.ticket.tags == []
    assert bundle.requester is not None


async def test_unknown_enum_values_are_kept_as_strings() -> None:
    ticket = {
        **TICKET,
        "status": "awaiting_vendor",
        "priority": "critical",
        "via": {"channel": "carrier_pigeon"},
    }
    bundle = await make_client(Recorder(ok(show_body(ticket)))).get_ticket(35436)
    assert bundle.ticket.status == "awaiting_vendor"
    assert bundle.ticket.priority == "critical"
    assert bundle.ticket.via_channel == "carrier_pigeon"


async def test_numeric_via_channel_is_kept() -> None:
    bundle = await make_client(Recorder(ok(show_body({**TICKET, "via": {"channel": 4}})))).get_ticket(35436)
    assert bundle.ticket.via is not None and bundle.ticket.via.channel == 4
    assert bundle.ticket.via_channel == "4"


async def test_requester_without_email() -> None:
    body = show_body()
    for user in body["users"]:
        if user["id"] == REQUESTER["id"]:
            user["email"] = None
    bundle = await make_client(Recorder(ok(body))).get_ticket(35436)
    assert bundle.requester is not None and bundle.requester.email is None
    assert bundle.requester_email is None


async def test_requester_missing_from_sideload_and_malformed_record_skipped() -> None:
    body = show_body()
    body["users"] = [u for u in body["users"] if u["id"] != REQUESTER["id"]] + [{"name": "no id"}]
    bundle = await make_client(Recorder(ok(body))).get_ticket(35436)
    assert bundle.requester is None
    assert bundle.assignee is not None


async def test_empty_subject_falls_back() -> None:
    bundle = await make_client(
        Recorder(ok(show_body({**TICKET, "subject": "", "raw_subject": None})))
    ).get_ticket(35436)
    assert bundle.ticket.title == "(no subject)"


# --- cache -----------------------------------------------------------------------------------------------
async def test_cached_and_coalesced_per_ticket() -> None:
    rec = Recorder(ok(show_body()))
    client = make_client(rec)
    first, second = await asyncio.gather(client.get_ticket(35436), client.get_ticket(35436))
    third = await client.get_ticket(35436)
    assert first is second is third
    assert len(rec.requests) == 1


async def test_ttl_zero_does_not_cache() -> None:
    rec = Recorder(ok(show_body()))
    client = make_client(rec, ttl=0)
    await client.get_ticket(35436)
    await client.get_ticket(35436)
    assert len(rec.requests) == 2


# --- show_many -------------------------------------------------------------------------------------------
def show_many_handler(request: httpx.Request) -> httpx.Response:
    ids = [int(i) for i in request.url.params["ids"].split(",")]
    tickets = [{**TICKET, "id": i, "subject": f"ticket {i}"} for i in ids if i != 404]  # 404: deleted
    body = show_body()
    del body["ticket"]
    body["tickets"] = list(reversed(tickets))
    return ok(body)


async def test_get_tickets_uses_show_many_and_omits_missing_ids() -> None:
    rec = Recorder(show_many_handler)
    client = make_client(rec)
    result = await client.get_tickets([3, 404, 1, 3])
    assert len(rec.requests) == 1
    url = rec.requests[0].url
    assert url.path == "/api/v2/tickets/show_many.json"
    assert "ids=3,404,1&include=users,organizations,groups,custom_statuses" in str(url)
    assert sorted(result) == [1, 3]
    assert isinstance(result[1], TicketBundle)
    assert result[3].ticket.subject == "ticket 3"
    assert result[3].requester is not None and result[3].requester.name == "Jane Customer"


async def test_get_tickets_uses_cache_and_chunks_by_100() -> None:
    rec = Recorder(show_many_handler)
    client = make_client(rec)
    await client.get_tickets([1])
    result = await client.get_tickets(range(1, 151))
    assert len(result) == 150
    # one request for [1]; then 149 uncached ids in two chunks (100 + 49)
    assert len(rec.requests) == 3
    assert [len(r.url.params["ids"].split(",")) for r in rec.requests] == [1, 100, 49]
    single = await client.get_ticket(150)  # filled by show_many
    assert single.ticket.id == 150
    assert len(rec.requests) == 3


async def test_get_tickets_empty_makes_no_request() -> None:
    rec = Recorder(show_many_handler)
    assert await make_client(rec).get_tickets([]) == {}
    assert rec.requests == []


@pytest.mark.parametrize("bad", [0, -1, 2**63])
async def test_invalid_ticket_ids_rejected_before_any_request(bad: int) -> None:
    rec = Recorder(ok(show_body()))
    with pytest.raises(ValueError):
        await make_client(rec).get_ticket(bad)
    assert rec.requests == []


# --- retries ---------------------------------------------------------------------------------------------
async def test_429_waits_retry_after_then_succeeds() -> None:
    rec = Recorder(
        httpx.Response(
            429,
            text="Number of allowed API requests per minute exceeded",
            headers={"retry-after": "2", "x-rate-limit": "700", "x-rate-limit-remaining": "0"},
        ),
        ok(show_body()),
    )
    sleep = FakeSleep()
    bundle = await make_client(rec, sleep=sleep).get_ticket(35436)
    assert bundle.ticket.id == 35436
    assert len(rec.requests) == 2
    assert sleep.waits == [2.0]


async def test_429_with_long_retry_after_is_reported_not_waited() -> None:
    rec = Recorder(httpx.Response(429, headers={"retry-after": "60"}), ok(show_body()))
    sleep = FakeSleep()
    with pytest.raises(RateLimited) as info:
        await make_client(rec, sleep=sleep).get_ticket(35436)
    assert info.value.retry_after == 60
    assert sleep.waits == []
    assert len(rec.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_retried_then_succeeds(status: int) -> None:
    rec = Recorder(httpx.Response(status, text="oops"), ok(show_body()))
    sleep = FakeSleep()
    bundle = await make_client(rec, sleep=sleep).get_ticket(35436)
    assert bundle.ticket.id == 35436
    assert len(rec.requests) == 2
    assert len(sleep.waits) == 1


async def test_5xx_every_time_gives_unavailable_after_max_attempts() -> None:
    rec = Recorder(httpx.Response(503))
    with pytest.raises(Unavailable):
        await make_client(rec, policy=RetryPolicy(max_attempts=3)).get_ticket(35436)
    assert len(rec.requests) == 3


async def test_timeouts_become_unavailable() -> None:
    rec = Recorder(httpx.ReadTimeout("slow"))
    sleep = FakeSleep()
    with pytest.raises(Unavailable) as info:
        await make_client(rec, sleep=sleep, policy=RetryPolicy(max_attempts=3)).get_ticket(35436)
    assert len(rec.requests) == 3
    assert len(sleep.waits) == 2
    assert "did not answer" in words.admin_sentence(info.value)


async def test_timeout_then_success() -> None:
    rec = Recorder(httpx.ConnectTimeout("slow"), ok(show_body()))
    assert (await make_client(rec).get_ticket(35436)).ticket.id == 35436
    assert len(rec.requests) == 2


# --- errors without retry ---------------------------------------------------------------------------------
async def test_404_is_ticket_not_found_without_retry() -> None:
    rec = Recorder(httpx.Response(404, json={"error": "RecordNotFound", "description": "Not found"}))
    with pytest.raises(TicketNotFound) as info:
        await make_client(rec).get_ticket(12345)
    assert len(rec.requests) == 1
    assert isinstance(info.value, NotFound)
    assert words.admin_sentence(info.value) == (
        "Ticket #12345 was not found in Zendesk "
        "(it may have been deleted, or the link is for another account)."
    )


async def test_403_is_forbidden_without_retry() -> None:
    body = {"error": {"title": "Forbidden", "message": "You do not have access to this page."}}
    rec = Recorder(httpx.Response(403, json=body))
    with pytest.raises(ZendeskForbidden) as info:
        await make_client(rec).get_ticket(12345)
    assert len(rec.requests) == 1
    assert isinstance(info.value, Forbidden)
    assert "the bot's zendesk user cannot see ticket #12345" in words.admin_sentence(info.value).lower()


async def test_401_is_auth_error_without_retry() -> None:
    rec = Recorder(
        httpx.Response(
            401,
            json={"error": "Couldn't authenticate you"},
            headers={"www-authenticate": 'Basic realm="Web Password"'},
        )
    )
    with pytest.raises(ZendeskAuthError) as info:
        await make_client(rec).get_ticket(12345)
    assert len(rec.requests) == 1
    assert isinstance(info.value, AuthError) and not isinstance(info.value, Forbidden)
    assert words.admin_sentence(info.value) == (
        "Zendesk rejected the bot's credentials (HTTP 401). Ask your Zendesk admin to check "
        "ZENDESK_EMAIL/ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN."
    )


async def test_403_on_show_many_has_no_ticket_number() -> None:
    rec = Recorder(httpx.Response(403))
    with pytest.raises(ZendeskForbidden) as info:
        await make_client(rec).get_tickets([1, 2])
    assert "#" not in words.admin_sentence(info.value)


@pytest.mark.parametrize("status", [401, 403, 404, 500, 429])
@pytest.mark.parametrize("auth", ["basic", "bearer"])
async def test_credentials_never_in_errors_or_logs(
    status: int, auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    header = AUTH if auth == "basic" else f"Bearer {OAUTH_TOKEN}"
    rec = Recorder(
        httpx.Response(status, text="no", headers={"retry-after": "1", "x-rate-limit-remaining": "0"})
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(UpstreamError) as info:
        await make_client(rec, auth_header=header).get_ticket(12345)
    err = info.value
    rendered = " ".join([str(err), err.detail, words.admin_sentence(err), repr(err), caplog.text])
    for secret in (API_TOKEN, OAUTH_TOKEN, header, header.split(" ", 1)[1]):
        assert secret not in rendered


def test_client_repr_hides_the_auth_header() -> None:
    client = make_client(Recorder(ok({})))
    assert AUTH not in repr(client) and API_TOKEN not in repr(client)


# --- bad answers -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>maintenance</html>", headers={"content-type": "text/html"}),
        ok([]),
        ok({"tickets": []}),
        ok({"ticket": {"id": 35436}}),  # no status / created_at
        ok({"ticket": {**TICKET, "created_at": "not a date"}}),
        ok({"ticket": TICKET, "users": {"id": 1}}),  # sideload not a list
        ok({"ticket": {**TICKET, "id": 99}}),  # different ticket
    ],
)
async def test_bad_responses(response: httpx.Response) -> None:
    rec = Recorder(response)
    with pytest.raises(BadResponse):
        await make_client(rec).get_ticket(35436)
    assert len(rec.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 429, 500, 503])
@pytest.mark.parametrize(
    ("many", "route"),
    [(False, "GET /api/v2/tickets/{id}.json"), (True, "GET /api/v2/tickets/show_many.json")],
)
async def test_error_details_name_status_and_route_never_the_body(
    status: int, many: bool, route: str
) -> None:
    marker = "jane.customer@acme.example"
    rec = Recorder(
        httpx.Response(status, json={"error": f"nope for {marker}"}, headers={"retry-after": "60"})
    )
    client = make_client(rec, policy=RetryPolicy(max_attempts=1))
    with pytest.raises(UpstreamError) as info:
        await (client.get_tickets([12345, 6]) if many else client.get_ticket(12345))
    err = info.value
    assert err.detail == f"HTTP {status} from {route}"
    for text in (str(err), err.detail, words.admin_sentence(err), repr(err)):
        assert marker not in text and "nope" not in text


async def test_non_json_detail_names_the_route() -> None:
    rec = Recorder(
        httpx.Response(200, text="<html>maintenance</html>", headers={"content-type": "text/html"})
    )
    with pytest.raises(BadResponse) as info:
        await make_client(rec).get_ticket(35436)
    assert info.value.detail == "non-JSON body (text/html) from GET /api/v2/tickets/{id}.json"


async def test_show_many_bad_shape() -> None:
    with pytest.raises(BadResponse):
        await make_client(Recorder(ok({"ticket": TICKET}))).get_tickets([1])


# --- rate-limit headers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {"x-rate-limit": "700", "x-rate-limit-remaining": "5"},
        {"ratelimit-limit": "700", "ratelimit-remaining": "5"},
        {"rate-limit": "700", "rate-limit-remaining": "5"},
        {"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "650", "ratelimit-remaining": "5"},  # lowest wins
    ],
)
async def test_low_rate_limit_remaining_logs_warning(
    headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(Recorder(ok(show_body(), headers=headers)))
    with caplog.at_level(logging.WARNING, logger="bot.zendesk.client"):
        await client.get_ticket(35436)
    assert client.rate_limit_remaining == 5
    assert any("rate limit" in r.getMessage().lower() for r in caplog.records)


async def test_a_low_rate_limit_is_logged_once_until_it_recovers(caplog: pytest.LogCaptureFixture) -> None:
    """A burst answered with a low budget logs one line when it runs low, not one per answer."""
    low, plenty = {"x-rate-limit": "700", "x-rate-limit-remaining": "5"}, {"x-rate-limit-remaining": "650"}
    answers = [ok(show_body(), headers=h) for h in (low, low, low, plenty, low)]
    recorder = Recorder(*answers, ok(show_body(), headers=low))
    client = make_client(recorder, ttl=0)
    with caplog.at_level(logging.WARNING, logger="bot.zendesk.client"):
        for _ in answers:
            await client.get_ticket(35436)
    assert len(recorder.requests) == len(answers)
    assert sum("rate limit" in r.getMessage().lower() for r in caplog.records) == 2  # low, then low again


async def test_plenty_of_rate_limit_left_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(
        Recorder(ok(show_body(), headers={"x-rate-limit": "700", "x-rate-limit-remaining": "650"}))
    )
    with caplog.at_level(logging.WARNING, logger="bot.zendesk.client"):
        await client.get_ticket(35436)
    assert client.rate_limit_remaining == 650
    assert not caplog.records


# --- auth headers ----------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _no_zendesk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment: keep a developer's real ZENDESK_* variables out of these tests."""
    for name in ("SUBDOMAIN", "EMAIL", "API_TOKEN", "OAUTH_TOKEN", "BASE_URL", "HOSTS"):
        monkeypatch.delenv(f"ZENDESK_{name}", raising=False)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def decode_basic(header: str) -> str:
    scheme, _, payload = header.partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(payload).decode()


def test_auth_header_api_token() -> None:
    s = settings(zendesk_subdomain="acme", zendesk_email=EMAIL, zendesk_api_token=API_TOKEN)
    assert decode_basic(auth_header_from_settings(s)) == f"{EMAIL}/token:{API_TOKEN}"


def test_auth_header_oauth() -> None:
    s = settings(zendesk_subdomain="acme", zendesk_oauth_token=OAUTH_TOKEN)
    assert auth_header_from_settings(s) == f"Bearer {OAUTH_TOKEN}"


def test_auth_header_without_an_account_is_an_error() -> None:
    with pytest.raises(ValueError, match="no Zendesk credentials"):
        auth_header_from_settings(settings())


@pytest.mark.parametrize("mode", ["basic", "bearer"])
async def test_authorization_header_is_sent(mode: str) -> None:
    values: dict[str, Any] = {"zendesk_subdomain": "acme"}
    if mode == "basic":
        values |= {"zendesk_email": EMAIL, "zendesk_api_token": API_TOKEN}
        expected = AUTH
    else:
        values |= {"zendesk_oauth_token": OAUTH_TOKEN}
        expected = f"Bearer {OAUTH_TOKEN}"
    rec = Recorder(ok(show_body()))
    client = ZendeskClient.from_settings(
        settings(**values), cache=TTLCache(), policy=RetryPolicy(), transport=httpx.MockTransport(rec)
    )
    try:
        bundle = await client.get_ticket(35436)
    finally:
        await client.aclose()
    assert rec.requests[0].headers["authorization"] == expected
    assert str(rec.requests[0].url).startswith("https://acme.zendesk.com/api/v2/tickets/35436.json")
    assert bundle.host == "acme.zendesk.com"


async def test_from_settings_base_url_override_keeps_real_host_for_links() -> None:
    rec = Recorder(ok(show_body()))
    s = settings(
        zendesk_subdomain="acme", zendesk_oauth_token=OAUTH_TOKEN, zendesk_base_url="http://127.0.0.1:9999/"
    )
    client = ZendeskClient.from_settings(
        s, cache=TTLCache(), policy=RetryPolicy(), transport=httpx.MockTransport(rec)
    )
    bundle = await client.get_ticket(35436)
    await client.aclose()
    assert str(rec.requests[0].url).startswith("http://127.0.0.1:9999/api/v2/tickets/35436.json")
    assert bundle.host == s.zendesk_host


async def test_custom_status_label_from_the_sideload_falling_back_to_the_status() -> None:
    body = show_body()
    body["ticket"]["custom_status_id"] = 77
    body["custom_statuses"] = [
        {"id": 5, "status_category": "open", "agent_label": "Open"},
        {"id": 77, "status_category": "open", "agent_label": "Waiting on engineering"},
    ]
    bundle = await make_client(Recorder(ok(body))).get_ticket(35436)
    assert bundle.ticket.status == "open"  # only the category
    assert bundle.status_label == "Waiting on engineering"
    body["custom_statuses"] = [{"id": 5, "status_category": "open", "agent_label": "Open"}]
    bundle = await make_client(Recorder(ok(body))).get_ticket(35436)
    assert bundle.status_label == "open"  # label not sideloaded: the status itself
    del body["custom_statuses"]
    body["ticket"]["custom_status_id"] = None
    assert (await make_client(Recorder(ok(body))).get_ticket(35436)).status_label == "open"


async def test_comment_pages_follow_the_cursor_and_stop_at_fifty_pages() -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page[after]") or 0)
        comment = {"id": n + 1, "type": "Comment", "body": f"c{n}", "public": True}
        return ok(
            {
                "comments": [comment],
                "meta": {"has_more": True, "after_cursor": str(n + 1), "before_cursor": str(n + 1)},
                "links": {
                    "next": f"https://elsewhere.example/api/v2/tickets/35436/comments.json?page[after]={n + 1}"
                },
            }
        )

    rec = Recorder(endless)
    pages = [page async for page in make_client(rec).comment_pages(35436)]
    assert len(pages) == len(rec.requests) == 50  # a ticket holds ≤5000 comments: 50 pages of 100
    first = rec.requests[0].url
    # cursor pagination orders by `sort` (friction-replays-alerts.md Z5); `sort_order` is offset pagination's
    assert first.params["sort"] == "-created_at" and first.params["page[size]"] == "100"
    assert "sort_order" not in first.params
    assert {r.url.host for r in rec.requests} == {"acme.zendesk.com"}  # never the link's host
    assert [p[0].id for p in pages] == list(range(1, 51))
