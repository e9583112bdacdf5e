"""The fake Zendesk API: one ticket with sideloads, show_many, exact error bodies, auth, rate headers."""

from __future__ import annotations

import base64

import httpx
import pytest
from starlette.applications import Starlette

from bot.sample import create_zendesk_app
from bot.sample.credentials import SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN
from bot.sample.data import JANE, Workspace

NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


async def test_ticket_with_sideloads(zendesk: httpx.AsyncClient, ws: Workspace) -> None:
    response = await zendesk.get(
        "/api/v2/tickets/1001.json", params={"include": "users,organizations,groups"}
    )
    assert response.status_code == 200
    body = response.json()
    ticket = body["ticket"]
    assert ticket == ws.tickets[1001]
    users = {u["id"]: u for u in body["users"]}
    assert set(users) == {ticket["requester_id"], ticket["submitter_id"], ticket["assignee_id"]}
    assert users[ticket["requester_id"]]["email"] == JANE
    assert body["users"][0]["id"] != ticket["requester_id"]  # never rely on the order
    assert [o["name"] for o in body["organizations"]] == ["Acme Corp"]
    assert [g["name"] for g in body["groups"]] == ["Tier 1"]


async def test_sideloads_only_when_asked(zendesk: httpx.AsyncClient) -> None:
    assert set((await zendesk.get("/api/v2/tickets/1001.json")).json()) == {"ticket"}
    assert set((await zendesk.get("/api/v2/tickets/1001", params={"include": "users"})).json()) == {
        "ticket",
        "users",
    }
    no_email = (
        await zendesk.get("/api/v2/tickets/1002", params={"include": "users,organizations,groups"})
    ).json()
    requester = next(u for u in no_email["users"] if u["id"] == no_email["ticket"]["requester_id"])
    assert requester["email"] is None
    assert no_email["organizations"] == []


@pytest.mark.parametrize(
    "path", ["/api/v2/tickets/999.json", "/api/v2/tickets/999", "/api/v2/tickets/abc.json"]
)
async def test_not_found(zendesk: httpx.AsyncClient, path: str) -> None:
    response = await zendesk.get(path)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_forbidden_ticket(zendesk: httpx.AsyncClient) -> None:
    response = await zendesk.get("/api/v2/tickets/1009.json", params={"include": "users"})
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "title": "Forbidden",
            "message": "You do not have access to this page. Please contact the account owner of this help desk "
            "for further help.",
        }
    }


async def test_show_many(zendesk: httpx.AsyncClient, ws: Workspace) -> None:
    response = await zendesk.get(
        "/api/v2/tickets/show_many.json", params={"ids": "1004,1009,424242,1001", "include": "users,groups"}
    )
    assert response.status_code == 200
    body = response.json()
    assert [t["id"] for t in body["tickets"]] == [1004, 1001]
    wanted = {ws.tickets[i][k] for i in (1001, 1004) for k in ("requester_id", "submitter_id", "assignee_id")}
    assert {u["id"] for u in body["users"]} == wanted - {None}
    assert len(body["users"]) == len({u["id"] for u in body["users"]})
    assert {g["name"] for g in body["groups"]} == {"Tier 1", "Tier 2"}
    assert "organizations" not in body
    plain = await zendesk.get("/api/v2/tickets/show_many", params={"ids": "1002"})
    assert [t["id"] for t in plain.json()["tickets"]] == [1002]


@pytest.mark.parametrize("ids", ["", "1,x", ",".join(str(1000 + i) for i in range(101))])
async def test_show_many_rejects_bad_ids(zendesk: httpx.AsyncClient, ids: str) -> None:
    response = await zendesk.get("/api/v2/tickets/show_many.json", params={"ids": ids})
    assert response.status_code == 400
    assert response.json()["error"] in ("InvalidValue", "TooManyValues")


async def test_show_many_accepts_exactly_100(zendesk: httpx.AsyncClient) -> None:
    ids = ",".join(str(1000 + i) for i in range(100))
    assert (await zendesk.get("/api/v2/tickets/show_many.json", params={"ids": ids})).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic(f"{SAMPLE_ZENDESK_EMAIL}/token:wrong"),
        basic(f"someone@else.example/token:{SAMPLE_ZENDESK_TOKEN}"),
        basic(f"{SAMPLE_ZENDESK_EMAIL}:{SAMPLE_ZENDESK_TOKEN}"),  # password form, not token form
        "Basic not-base64!",
        "Bearer wrong",
        SAMPLE_ZENDESK_TOKEN,
    ],
)
async def test_bad_credentials(ws: Workspace, authorization: str | None) -> None:
    app = create_zendesk_app(ws)
    headers = {"authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://z.test") as client:
        response = await client.get("/api/v2/tickets/1001.json", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}
    assert response.headers["www-authenticate"] == 'Basic realm="Web Password"'
    assert response.headers["x-rate-limit"] == "700"


async def test_good_credentials(ws: Workspace) -> None:
    app = create_zendesk_app(ws, email="agent@x.example", token="t0k")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://z.test") as client:
        for authorization in (basic("agent@x.example/token:t0k"), "Bearer t0k", "bearer t0k"):
            response = await client.get("/api/v2/tickets/1001.json", headers={"authorization": authorization})
            assert response.status_code == 200, authorization


async def test_rate_limit_headers_on_every_response(zendesk: httpx.AsyncClient) -> None:
    remaining = []
    for path in [
        "/api/v2/tickets/1001.json",
        "/api/v2/tickets/1009.json",
        "/api/v2/tickets/5.json",
        "/nowhere",
    ]:
        response = await zendesk.get(path)
        assert response.headers["x-rate-limit"] == "700"
        remaining.append(int(response.headers["x-rate-limit-remaining"]))
    assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == 4
    assert all(0 < n < 700 for n in remaining)


async def test_custom_statuses_sideload(zendesk: httpx.AsyncClient, ws: Workspace) -> None:
    """Custom statuses on: `status` is the category, `custom_statuses` carries the label agents see."""
    body = (
        await zendesk.get("/api/v2/tickets/1008.json", params={"include": "users,custom_statuses"})
    ).json()
    ticket = body["ticket"]
    [status] = body["custom_statuses"]
    assert status["id"] == ticket["custom_status_id"]
    assert (ticket["status"], status["status_category"], status["agent_label"]) == (
        "open",
        "open",
        "Escalated to engineering",
    )
    plain = (await zendesk.get("/api/v2/tickets/1008.json", params={"include": "users"})).json()
    assert "custom_statuses" not in plain
    many = (
        await zendesk.get(
            "/api/v2/tickets/show_many.json", params={"ids": "1001,1008", "include": "custom_statuses"}
        )
    ).json()
    assert {s["agent_label"] for s in many["custom_statuses"]} == {"Open", "Escalated to engineering"}


# --- updates as Zendesk takes them -----------------------------------------------------------------------
async def test_update_lowercases_and_splits_tags(zendesk: httpx.AsyncClient) -> None:
    body = {"ticket": {"tags": ["VIP Customer", "pendo_Daily", "vip"]}}
    ticket = (await zendesk.put("/api/v2/tickets/1001.json", json=body)).json()["ticket"]
    assert ticket["tags"] == ["vip", "customer", "pendo_daily"]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"id": 999999, "value": "x"}, "Custom field 999999 does not exist"),
        ({"id": 360001236, "value": "Enterprise"}, "Integer field 360001236: value is invalid"),
        ({"id": 360001238, "value": "yes"}, "Checkbox field 360001238: value is invalid"),
        ({"id": 360001239, "value": "02/01/2027"}, "Date field 360001239: value is invalid"),
        ({"id": 360001235, "value": "two words"}, "Tagger field 360001235: value is invalid"),
    ],
)
async def test_a_custom_field_zendesk_would_refuse_is_422_and_changes_nothing(
    zendesk: httpx.AsyncClient, zendesk_app: Starlette, entry: dict[str, object], problem: str
) -> None:
    before = dict(zendesk_app.state.helpdesk.tickets[1001])
    fields = [{"id": 360001234, "value": "Enterprise"}, entry]
    body = {"ticket": {"comment": {"body": "hi", "public": False}, "custom_fields": fields}}
    response = await zendesk.put("/api/v2/tickets/1001.json", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"base": [{"description": problem, "error": "InvalidValue", "field_key": entry["id"]}]},
    }
    assert zendesk_app.state.helpdesk.tickets[1001] == before
    assert zendesk_app.state.helpdesk.notes(1001) == []


async def test_valid_custom_fields_of_each_type_are_kept(zendesk: httpx.AsyncClient) -> None:
    fields = [
        {"id": 360001234, "value": "Enterprise"},
        {"id": 360001236, "value": "42"},
        {"id": 360001237, "value": 1.5},
        {"id": 360001238, "value": True},
        {"id": 360001239, "value": "2027-01-02"},
        {"id": 360001240, "value": ["reports", "exports"]},  # multi-select: the options' tags
        {"id": 360001241, "value": "plan_enterprise"},  # drop-down: the option's tag
    ]
    response = await zendesk.put("/api/v2/tickets/1001.json", json={"ticket": {"custom_fields": fields}})
    assert response.status_code == 200
    assert all(f in response.json()["ticket"]["custom_fields"] for f in fields)


async def test_updated_at_is_the_real_clock_in_whole_seconds(
    zendesk: httpx.AsyncClient, zendesk_app: Starlette
) -> None:
    now = [1_800_000_000.25]
    zendesk_app.state.helpdesk.clock = lambda: now[0]
    first = (await zendesk.put("/api/v2/tickets/1001.json", json={"ticket": {"tags": ["a"]}})).json()
    now[0] += 0.5  # the same second: Zendesk's stamp does not move, a safe update cannot tell
    stamp = first["ticket"]["updated_at"]
    safe = {"tags": ["b"], "safe_update": True, "updated_stamp": stamp}
    second = await zendesk.put("/api/v2/tickets/1001.json", json={"ticket": safe})
    assert stamp == "2027-01-15T08:00:00Z" and second.json()["ticket"]["updated_at"] == stamp
    now[0] += 1.0
    third = (await zendesk.put("/api/v2/tickets/1001.json", json={"ticket": {"tags": ["c"]}})).json()
    assert third["ticket"]["updated_at"] == "2027-01-15T08:00:01Z"
    stale = await zendesk.put("/api/v2/tickets/1001.json", json={"ticket": safe})
    assert stale.status_code == 409


async def test_list_comments_pages_by_cursor_and_by_offset_like_zendesk(
    zendesk: httpx.AsyncClient, zendesk_app: Starlette
) -> None:
    desk = zendesk_app.state.helpdesk
    desk.add_comments(1001, [f"reply {i}" for i in range(149)])  # 150 with the description
    newest_first = [c["id"] for c in desk.comments[1001]][::-1]
    seen: list[int] = []
    url: str | None = "/api/v2/tickets/1001/comments.json?sort=-created_at&page[size]=100"
    while url is not None:
        body = (await zendesk.get(url)).json()
        assert set(body) == {"comments", "meta", "links"}  # cursor pages have no count
        seen += [c["id"] for c in body["comments"]]
        assert body["links"]["next"].startswith("http")  # there on the last page too
        url = body["links"]["next"] if body["meta"]["has_more"] else None
    assert seen == newest_first
    last = (await zendesk.get(body["links"]["next"])).json()
    assert last["comments"] == [] and last["meta"]["has_more"] is False
    back = (await zendesk.get(body["links"]["prev"])).json()
    assert [c["id"] for c in back["comments"]] == newest_first[:100]
    bad = await zendesk.get("/api/v2/tickets/1001/comments.json?page[after]=nope")
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidPaginationParameter"
    offset = (await zendesk.get("/api/v2/tickets/1001/comments.json?per_page=100")).json()
    assert offset["count"] == 150 and len(offset["comments"]) == 100
    second = (await zendesk.get(offset["next_page"])).json()
    assert [c["id"] for c in second["comments"]] == newest_first[::-1][100:]
    assert second["next_page"] is None and second["previous_page"] is not None
