"""Custom field values by the field's type (shared/reference/friction-replays-alerts.md Z6): checkbox a JSON
boolean, date `YYYY-MM-DD`, a drop-down the option's tag, read from the field definitions (once); the
sample Zendesk serves the definitions and refuses a wrong-typed value with 422 RecordInvalid."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.render.ticket_fields import field_value, field_values
from bot.sample import TICKET_JANE, TICKET_OPS
from bot.sample.credentials import SAMPLE_ZENDESK_EMAIL
from bot.sample.data import Workspace
from bot.zendesk.client import basic_auth_header
from bot.zendesk.models import FieldOption, TicketField

from .conftest import FakeZendesk, NewDesk


def definition(kind: str, *options: tuple[str, str]) -> TicketField:
    return TicketField(
        id=1, type=kind, custom_field_options=[FieldOption(name=n, value=v) for n, v in options]
    )


PLAN = definition("tagger", ("Free", "plan_free"), ("Enterprise", "plan_enterprise"))
AREAS = definition("multiselect", ("Reports", "reports"), ("Big Exports", "big_exports"))
RENEWAL_MS = int(datetime(2027, 3, 1, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("field", "value", "sent"),
    [
        (definition("checkbox"), True, True),
        (definition("checkbox"), "false", False),
        (definition("checkbox"), "Yes", True),
        (definition("date"), RENEWAL_MS, "2027-03-01"),
        (definition("date"), "2027-03-01T10:00:00Z", "2027-03-01"),
        (definition("date"), "2027-3-1", "2027-03-01"),
        (PLAN, "Enterprise", "plan_enterprise"),
        (PLAN, "enterprise", "plan_enterprise"),
        (PLAN, "plan_free", "plan_free"),
        (AREAS, ["Reports", "big exports"], ["reports", "big_exports"]),
        (definition("integer"), 45, 45),
        (definition("decimal"), 4.5, 4.5),
        (definition("text"), 45, "45"),
        (None, True, "true"),  # no definition (unknown id): as text, Zendesk decides
    ],
)
def test_each_field_type_gets_the_value_zendesk_wants(
    field: TicketField | None, value: object, sent: object
) -> None:
    assert field_value(field, value) == sent


def test_a_value_that_does_not_convert_is_sent_as_text_for_zendesk_to_refuse() -> None:
    assert field_value(PLAN, "Platinum") == "Platinum"
    assert field_value(definition("checkbox"), "maybe") == "maybe"
    assert field_value(definition("date"), "soon") == "soon"


def test_field_values_use_the_definitions() -> None:
    from bot.pendo.models import Visitor

    jane = Visitor.model_validate(
        {"id": "j", "metadata": {"custom": {"planlevel": "Enterprise", "beta": True, "renewal": RENEWAL_MS}}}
    )
    fields = [("custom/planlevel", 11), ("custom/beta", 12), ("custom/renewal", 13)]
    definitions = {11: PLAN, 12: definition("checkbox"), 13: definition("date")}
    assert field_values(fields, jane, None, definitions) == [
        {"id": 11, "value": "plan_enterprise"},
        {"id": 12, "value": True},
        {"id": 13, "value": "2027-03-01"},
    ]


async def put(fake: FakeZendesk, fields: list[dict[str, Any]]) -> httpx.Response:
    from bot.sample.credentials import SAMPLE_ZENDESK_TOKEN

    auth = {"authorization": basic_auth_header(SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN)}
    async with httpx.AsyncClient(base_url="http://zd", transport=httpx.ASGITransport(app=fake.app)) as http:
        return await http.put(
            f"/api/v2/tickets/{TICKET_JANE}.json", json={"ticket": {"custom_fields": fields}}, headers=auth
        )


@pytest.mark.parametrize(
    ("field_id", "wrong", "right"),
    [
        (360001238, "true", True),  # checkbox: a JSON boolean
        (360001239, "1795000000000", "2026-11-18"),  # date: YYYY-MM-DD
        (360001241, "Enterprise", "plan_enterprise"),  # drop-down: the option's tag, not its name
        (360001240, ["Reports"], ["reports"]),  # multi-select: tags
    ],
)
async def test_the_sample_refuses_a_wrong_typed_value_as_zendesk_does(
    fake_zendesk: FakeZendesk, field_id: int, wrong: object, right: object
) -> None:
    refused = await put(fake_zendesk, [{"id": field_id, "value": wrong}])
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "RecordInvalid" and body["description"] == "Record validation errors"
    assert "details" in body
    accepted = await put(fake_zendesk, [{"id": field_id, "value": right}])
    assert accepted.status_code == 200
    assert {"id": field_id, "value": right} in fake_zendesk.helpdesk.tickets[TICKET_JANE]["custom_fields"]


async def test_the_sample_serves_the_field_definitions(fake_zendesk: FakeZendesk) -> None:
    from bot.sample.credentials import SAMPLE_ZENDESK_TOKEN

    auth = {"authorization": basic_auth_header(SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN)}
    transport = httpx.ASGITransport(app=fake_zendesk.app)
    async with httpx.AsyncClient(base_url="http://zd", transport=transport, headers=auth) as http:
        one = (await http.get("/api/v2/ticket_fields/360001241.json")).json()["ticket_field"]
        listed = (await http.get("/api/v2/ticket_fields.json")).json()["ticket_fields"]
        missing = await http.get("/api/v2/ticket_fields/999.json")
    assert one["type"] == "tagger" and {"name": "Enterprise", "value": "plan_enterprise"} in [
        {k: o[k] for k in ("name", "value")} for o in one["custom_field_options"]
    ]
    assert {f["id"]: f["type"] for f in listed}[360001238] == "checkbox"
    assert missing.status_code == 404


async def test_the_note_writes_a_drop_down_tag_and_a_date_and_reads_the_definitions_once(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, ws: Workspace
) -> None:
    desk = await new_desk(zendesk_field_map="custom/planlevel:360001241,custom/renewaldate:360001239")
    assert desk.deps.notes is not None
    assert (await desk.deps.notes.write(TICKET_JANE)).status.value == "written"
    renewal = ws.accounts["acme"]["metadata"]["custom"]["renewaldate"]
    day = datetime.fromtimestamp(renewal / 1000, UTC).date().isoformat()
    fields = fake_zendesk.helpdesk.tickets[TICKET_JANE]["custom_fields"]
    assert {"id": 360001241, "value": "plan_enterprise"} in fields
    assert {"id": 360001239, "value": day} in fields
    reads = [r for r in fake_zendesk.controls.requests if r.path.startswith("/api/v2/ticket_fields")]
    assert len(reads) == 2
    await desk.deps.notes.write(TICKET_OPS)
    assert len([r for r in fake_zendesk.controls.requests if r.path.startswith("/api/v2/ticket_fields")]) == 2
