"""A deleted guide: Pendo answers a batch `GET /api/v1/guide?id=a,b` with 404 when one id is gone
(pendo-io/zendo 7f48094, shared/reference/friction-replays-alerts.md P1). The bot then reads the ids one at
a time, keeps the others' names and NPS polls, and remembers the missing id for the catalogs' TTL."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from bot.domain import nps as nps_part
from bot.domain.models import VisitorFacts
from bot.http.cache import TTLCache
from bot.http.upstream import RetryPolicy
from bot.pendo.client import PendoClient
from bot.pendo.models import Guide
from bot.sample import JANE, SAMPLE_PENDO_KEY, Workspace, create_pendo_app
from bot.sample.controls import RecordedRequest
from bot.sample.data import guide_id
from tests.support.factories import DepsFactory, no_sleep
from tests.support.fixtures import sample_workspace

GONE = "guide-deleted-last-week"


@pytest.fixture
def ws() -> Workspace:
    return sample_workspace()


def nps_guide(ws: Workspace) -> str:
    return next(str(g["id"]) for g in ws.guides if nps_part.nps_polls({str(g["id"]): _guide(g)}))


def _guide(raw: dict[str, Any]) -> Guide:
    return Guide.model_validate(raw)


def client_for(ws: Workspace) -> tuple[PendoClient, list[RecordedRequest]]:
    app = create_pendo_app(ws, key=SAMPLE_PENDO_KEY)
    http = httpx.AsyncClient(base_url="https://app.pendo.io", transport=httpx.ASGITransport(app=app))
    client = PendoClient(
        http, key=SAMPLE_PENDO_KEY, policy=RetryPolicy(max_attempts=2), cache=TTLCache(), sleep=no_sleep
    )
    return client, app.state.controls.requests


async def test_the_sample_answers_a_batch_with_an_unknown_guide_id_with_404_as_pendo_does(
    ws: Workspace,
) -> None:
    app = create_pendo_app(ws, key=SAMPLE_PENDO_KEY)
    headers = {"x-pendo-integration-key": SAMPLE_PENDO_KEY}
    async with httpx.AsyncClient(base_url="http://pendo", transport=httpx.ASGITransport(app=app)) as http:
        known = nps_guide(ws)
        ok = await http.get("/api/v1/guide", params={"id": known, "expand": "*"}, headers=headers)
        gone = await http.get(
            "/api/v1/guide", params={"id": f"{known},{GONE}", "expand": "*"}, headers=headers
        )
    assert ok.status_code == 200 and [g["id"] for g in ok.json()] == [known]
    assert gone.status_code == 404


async def test_one_deleted_guide_costs_neither_the_nps_survey_name_nor_a_second_request(
    ws: Workspace,
) -> None:
    client, requests = client_for(ws)
    known = nps_guide(ws)
    found = await client.guides([known, GONE])
    assert sorted(found) == [known]
    polls = nps_part.nps_polls(found)
    assert polls and all(p.survey for p in polls.values())  # the NPS answer is still named
    asked = [r.params["id"] for r in requests if r.path == "/api/v1/guide"]
    assert sorted(asked) == sorted(
        [",".join(sorted([known, GONE])), known, GONE]
    )  # the batch, then one at a time
    requests.clear()
    assert sorted(await client.guides([known, GONE])) == [known]
    assert [r for r in requests if r.path == "/api/v1/guide"] == []  # the known one cached, GONE remembered
    requests.clear()
    client._cache.clear()  # the catalogs' TTL is over: the missing id is asked for again
    await client.guides([GONE])
    assert [r.params["id"] for r in requests if r.path == "/api/v1/guide"] == [GONE]
    await client.aclose()


async def test_a_lookup_whose_timeline_names_a_deleted_guide_still_names_the_nps_survey(
    sample_deps: DepsFactory, ws: Workspace
) -> None:
    deleted = guide_id("report-builder-launch")  # seen in the timelines, since deleted in Pendo
    without = dataclasses.replace(ws, guides=[g for g in ws.guides if g["id"] != deleted])
    env = sample_deps(ws=without)
    facts = await env.deps.customers.lookup(JANE)
    assert isinstance(facts, VisitorFacts) and not facts.gaps
    assert facts.nps is not None and facts.nps.survey
    asked = [r.params["id"].split(",") for r in env.requests if r.path == "/api/v1/guide"]
    assert [deleted] in asked and any(len(ids) > 1 and deleted in ids for ids in asked)
