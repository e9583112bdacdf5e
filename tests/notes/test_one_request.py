"""Issue 26 item 2: one Zendesk request per note. The trigger's signed body carries the requester's email
and the ticket's times; with stamps to the second the note is one safe update (two with tags: Add Tags),
a ticket changed since falls back to reading it, minute stamps and an id-only body cost three."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.notes.endpoint import ZENDESK_PATH
from bot.notes.writer import NoteStatus
from bot.sample import TICKET_JANE
from bot.sample.helpdesk import Helpdesk, iso
from bot.zendesk.webhook import WebhookBody, webhook_body

from .conftest import Desk, FakeZendesk, NewDesk, signed

FIELDS = "custom/planlevel:360001234"


def body_for(desk: Helpdesk, ticket_id: int, *, seconds: bool = True) -> dict[str, str]:
    """What the trigger sends for this ticket (as the sample renders `TRIGGER_BODY`)."""
    ticket = desk.tickets[ticket_id]
    desk.placeholder_seconds = seconds
    return {
        "ticket_id": str(ticket_id),
        "requester_email": str(desk.ws.zendesk_users[ticket["requester_id"]]["email"]),
        "created_at": desk.placeholder_time(ticket["created_at"]),
        "updated_at": desk.placeholder_time(ticket["updated_at"]),
    }


async def deliver(desk: Desk, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    answer = await desk.http.post(ZENDESK_PATH, content=raw, headers=signed(raw))
    assert answer.status_code == 200
    await desk.queue.idle()


def zendesk_requests(zd: FakeZendesk) -> list[str]:
    """The bot's Zendesk requests, field definitions aside (read once an hour, not per note)."""
    return [
        f"{r.method} {r.path}" for r in zd.controls.requests if not r.path.startswith("/api/v2/ticket_fields")
    ]


async def test_a_fresh_body_writes_the_note_with_one_request(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    body = body_for(fake_zendesk.helpdesk, TICKET_JANE)
    await deliver(desk, body)
    assert zendesk_requests(fake_zendesk) == [f"PUT /api/v2/tickets/{TICKET_JANE}.json"]
    [note] = fake_zendesk.helpdesk.notes(TICKET_JANE)
    assert "Jane Doe" in note["body"] and note["public"] is False
    put = fake_zendesk.puts(TICKET_JANE)[0].json()["ticket"]
    assert put["safe_update"] is True and put["updated_stamp"] == body["updated_at"]


async def test_tags_and_fields_cost_two_requests(new_desk: NewDesk, fake_zendesk: FakeZendesk) -> None:
    desk = await new_desk(zendesk_ticket_tags=True, zendesk_field_map=FIELDS)
    before = list(fake_zendesk.helpdesk.tickets[TICKET_JANE]["tags"])
    await deliver(desk, body_for(fake_zendesk.helpdesk, TICKET_JANE))
    assert zendesk_requests(fake_zendesk) == [
        f"PUT /api/v2/tickets/{TICKET_JANE}.json",  # the note and the custom fields, one safe update
        f"PUT /api/v2/tickets/{TICKET_JANE}/tags.json",  # Add Tags: appends, no read needed
    ]
    ticket = fake_zendesk.helpdesk.tickets[TICKET_JANE]
    assert ticket["tags"] == [*before, "pendo_daily"]  # the ticket's own tags kept
    assert {"id": 360001234, "value": "Enterprise"} in ticket["custom_fields"]
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1


async def test_a_ticket_changed_after_the_webhook_falls_back_and_writes_once(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    body = body_for(fake_zendesk.helpdesk, TICKET_JANE)
    ticket = fake_zendesk.helpdesk.tickets[TICKET_JANE]
    ticket["updated_at"] = iso(int(fake_zendesk.helpdesk.clock()) * 1000)  # an agent saved it since
    await deliver(desk, body)
    assert zendesk_requests(fake_zendesk) == [
        f"PUT /api/v2/tickets/{TICKET_JANE}.json",  # 409: the body's stamp is stale
        f"GET /api/v2/tickets/{TICKET_JANE}.json",
        f"GET /api/v2/tickets/{TICKET_JANE}/comments.json",
        f"PUT /api/v2/tickets/{TICKET_JANE}.json",  # with the fresh stamp
    ]
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1
    assert desk.queue.counts["written"] == 1


async def test_a_job_run_again_after_its_write_writes_nothing_twice(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    """A crash after the write (the job's lease runs out, it is claimed again): the same body again."""
    desk = await new_desk()
    assert desk.deps.notes is not None
    body = body_for(fake_zendesk.helpdesk, TICKET_JANE)
    hint = WebhookBody.from_payload(TICKET_JANE, body)
    assert (await desk.deps.notes.write(TICKET_JANE, final=False, hint=hint)).status is NoteStatus.WRITTEN
    fake_zendesk.controls.requests.clear()
    again = await desk.deps.notes.write(TICKET_JANE, final=False, hint=hint)
    assert again.status is NoteStatus.ALREADY
    assert zendesk_requests(fake_zendesk) == [
        f"PUT /api/v2/tickets/{TICKET_JANE}.json",  # 409: the note moved updated_at
        f"GET /api/v2/tickets/{TICKET_JANE}.json",
        f"GET /api/v2/tickets/{TICKET_JANE}/comments.json",  # the marker: there
    ]
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1


async def test_minute_stamps_cost_three_requests_never_four(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    body = body_for(fake_zendesk.helpdesk, TICKET_JANE, seconds=False)
    assert len(body["updated_at"]) == len("2026-12-07T11:05Z")
    await deliver(desk, body)
    assert zendesk_requests(fake_zendesk) == [
        f"GET /api/v2/tickets/{TICKET_JANE}.json",
        f"GET /api/v2/tickets/{TICKET_JANE}/comments.json",
        f"PUT /api/v2/tickets/{TICKET_JANE}.json",
    ]
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1


async def test_a_body_with_the_ticket_id_only_still_works(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    await deliver(desk, {"ticket_id": str(TICKET_JANE)})
    assert len(zendesk_requests(fake_zendesk)) == 3
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1


async def test_a_field_refused_with_422_still_gets_the_note(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, caplog: pytest.LogCaptureFixture
) -> None:
    desk = await new_desk(zendesk_field_map="custom/planlevel:360001236")  # an integer field: refused
    caplog.set_level(logging.INFO, logger="bot.notes.writer")
    await deliver(desk, body_for(fake_zendesk.helpdesk, TICKET_JANE))
    puts = [p.json()["ticket"] for p in fake_zendesk.puts(TICKET_JANE)]
    assert ["custom_fields" in p for p in puts] == [True, False]  # 422, then the note alone
    assert len(zendesk_requests(fake_zendesk)) == 2
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1
    assert fake_zendesk.helpdesk.tickets[TICKET_JANE]["custom_fields"] == []
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["pendo fields not written on the ticket (its note is)"]
    assert "ZENDESK_FIELD_MAP" in str(warnings[0].__dict__.get("error"))


@pytest.mark.parametrize(
    "extra",
    [
        {"requester_email": "", "created_at": "", "updated_at": ""},  # a requester without an email
        {"requester_email": "not an email", "created_at": "yesterday", "updated_at": 17},
        {"requester_email": ["x@y.z"], "created_at": None, "updated_at": {"a": 1}},
        {"created_at": "2026-12-07T11:05", "updated_at": "2026-13-07T11:05:37Z"},  # no zone; no month 13
    ],
)
async def test_empty_or_malformed_optional_fields_are_absent_never_a_400(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, extra: dict[str, Any]
) -> None:
    raw = json.dumps({"ticket_id": str(TICKET_JANE), **extra}).encode()
    parsed = webhook_body(raw)
    assert parsed == WebhookBody(TICKET_JANE) and parsed.payload() == {}
    desk = await new_desk()
    await deliver(desk, {"ticket_id": str(TICKET_JANE), **extra})
    assert len(zendesk_requests(fake_zendesk)) == 3
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1


def test_the_body_keeps_the_stamps_precision() -> None:
    raw = (
        b'{"ticket_id": 5, "requester_email": " a@b.example ", "created_at": "2026-12-07T11:05:37Z",'
        b' "updated_at": "2026-12-07T11:05Z"}'
    )
    parsed = webhook_body(raw)
    assert parsed.requester_email == "a@b.example"
    assert parsed.created_at is not None and parsed.created_at.has_seconds
    assert parsed.updated_at is not None and not parsed.updated_at.has_seconds
    assert not parsed.fresh  # a stamp without seconds cannot match a safe update
    assert parsed.payload() == {
        "requester_email": "a@b.example",
        "created_at": "2026-12-07T11:05:37Z",
        "updated_at": "2026-12-07T11:05Z",
    }
    assert WebhookBody.from_payload(5, parsed.payload()) == parsed
