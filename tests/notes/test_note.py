"""What the note says: the same figures as the Slack answer for the same ticket, computed from the raw
events too; candidates with links for an ambiguous email; tags and custom fields when asked for."""

from __future__ import annotations

import logging
import re

import pytest

from bot.answers import ticket_answer
from bot.sample import JANE, TICKET_JANE, TICKET_OPS
from bot.sample.data import Workspace
from tests.domain.conftest import WINDOW_START, Oracle

from .conftest import Desk, FakeZendesk, NewDesk

ACTIVITY = re.compile(
    r"Active (?=\d+ of the last 30 days \(Pendo: (daily|weekly|monthly) user\))"
    r"(\d+) of the last 30 days \(Pendo: \w+ user\) · ([\d,]+) events \(([^)]*)\)"
)


def visible(blocks: list[dict[str, object]]) -> str:
    return str(blocks).replace("*", "")


async def test_the_notes_figures_equal_the_slack_answers_and_the_raw_events(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, ws: object
) -> None:
    desk: Desk = await new_desk()
    assert desk.deps.tickets is not None and desk.deps.notes is not None
    slack = await ticket_answer(desk.deps.tickets, TICKET_JANE, "r1")
    result = await desk.deps.notes.write(TICKET_JANE)
    assert result.status.value == "written"
    [note] = fake_zendesk.helpdesk.notes(TICKET_JANE)
    in_note = ACTIVITY.search(note["body"])
    in_slack = ACTIVITY.search(visible(slack.message["blocks"]))
    assert in_note is not None and in_slack is not None
    assert in_note.groups() == in_slack.groups()
    expected = Oracle(ws).figures(JANE, WINDOW_START)  # type: ignore[arg-type]
    assert int(in_note.group(2)) == expected.days_active
    assert int(in_note.group(3).replace(",", "")) == expected.events
    # the timeline's first entry is the same event, the same minutes before the ticket
    assert "Contact support · 2 min before ticket" in note["body"]
    assert "Contact support" in visible(slack.message["blocks"])


async def test_an_ambiguous_email_lists_every_candidate_with_a_link_and_never_guesses(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk(pendo_email_field="agent/email")
    assert desk.deps.notes is not None
    await desk.deps.notes.write(TICKET_OPS)
    [note] = fake_zendesk.helpdesk.notes(TICKET_OPS)
    assert "Pendo visitors have the requester's email, so the bot does not guess" in note["body"]
    from urllib.parse import quote

    from bot.sample import OPS_VISITOR_IDS

    for visitor_id in OPS_VISITOR_IDS:
        assert f'href="https://app.pendo.io/visitor/{quote(visitor_id, safe="")}"' in note["html_body"]
    assert "Activity:" not in note["body"]


async def test_tags_and_custom_fields_keep_the_tickets_own_and_add_pendos(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, ws: Workspace
) -> None:
    desk = await new_desk(
        zendesk_ticket_tags=True,
        zendesk_tag_fields="custom/planlevel,custom/renewaldate,custom/csm,agent/email,agent/role",
        zendesk_field_map="custom/planlevel:360001234",
    )
    assert desk.deps.notes is not None
    before = list(fake_zendesk.helpdesk.tickets[TICKET_JANE]["tags"])
    await desk.deps.notes.write(TICKET_JANE)
    ticket = fake_zendesk.helpdesk.tickets[TICKET_JANE]
    assert ticket["tags"][: len(before)] == before  # an Update Ticket `tags` replaces: ours are added
    # Expected from the raw sample records: Jane's plan and role, her account's CSM; the renewal date (a
    # number) and the email are no categories.
    jane, acme = ws.visitors[JANE]["metadata"], ws.accounts["acme"]["metadata"]
    frequency = ACTIVITY.search(fake_zendesk.helpdesk.notes(TICKET_JANE)[0]["body"])
    assert frequency is not None
    expected = [
        f"pendo_{frequency.group(1).lower()}",
        f"pendo_planlevel_{jane['custom']['planlevel'].lower()}",
        "pendo_csm_" + acme["custom"]["csm"].lower().replace(" ", "_"),
        f"pendo_role_{jane['agent']['role']}",
    ]
    assert ticket["tags"][len(before) :] == expected
    assert isinstance(acme["custom"]["renewaldate"], int) and "@" in jane["agent"]["email"]
    assert {"id": 360001234, "value": "Enterprise"} in ticket["custom_fields"]


async def test_without_tag_fields_only_the_frequency_is_a_tag(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk(zendesk_ticket_tags=True)
    assert desk.deps.notes is not None
    before = list(fake_zendesk.helpdesk.tickets[TICKET_JANE]["tags"])
    await desk.deps.notes.write(TICKET_JANE)
    assert fake_zendesk.helpdesk.tickets[TICKET_JANE]["tags"][len(before) :] == ["pendo_daily"]


@pytest.mark.parametrize(
    "field_map", ["custom/planlevel:999999", "custom/planlevel:360001236"], ids=["unknown id", "wrong type"]
)
async def test_a_field_zendesk_refuses_costs_the_fields_never_the_note(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, field_map: str, caplog: pytest.LogCaptureFixture
) -> None:
    # 999999 is no field of the account; 360001236 is an integer field, and the plan is "Enterprise".
    desk = await new_desk(zendesk_ticket_tags=True, zendesk_field_map=field_map)
    assert desk.deps.notes is not None
    caplog.set_level(logging.INFO, logger="bot.notes.writer")
    result = await desk.deps.notes.write(TICKET_JANE)
    assert result.status.value == "written"
    assert len(fake_zendesk.helpdesk.notes(TICKET_JANE)) == 1
    ticket = fake_zendesk.helpdesk.tickets[TICKET_JANE]
    assert ticket["custom_fields"] == []  # the 422 applied nothing
    assert "pendo_daily" in ticket["tags"]  # the tags go through Add Tags, after the note
    [put_with_fields, put_note] = [p.json()["ticket"] for p in fake_zendesk.puts(TICKET_JANE)]
    assert "custom_fields" in put_with_fields and "comment" in put_with_fields  # one update, refused
    assert set(put_note) == {"comment", "safe_update", "updated_stamp"}  # the note again, alone
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["pendo fields not written on the ticket (its note is)"]
    assert "422" in str(warnings[0].__dict__.get("error"))


def test_tags_follow_zendesks_rules() -> None:
    from bot.render.ticket_fields import tag

    assert tag("Plan Level", "Enterprise Plus!") == "pendo_plan_level_enterprise_plus"
    assert tag("Ünïcode", "ä b") == "pendo_ünïcode_ä_b"  # Zendesk allows letters of any script
    assert tag("region", "東京 / Tokyo") == "pendo_region_東京_tokyo"
    assert tag("", "") is None
    long = tag("x" * 200)
    assert long is not None and len(long) <= 80


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("Enterprise", "Enterprise"),
        (True, "true"),
        ("EMEA-North", "EMEA-North"),
        (42, None),
        (1798869600000, None),  # a Pendo date is a number
        (1.5, None),
        ("1,200", None),
        ("12.5%", None),
        ("2027-01-02", None),
        ("2027-01-02T10:00:00Z", None),
        ("01/02/2027", None),
        ("jane@acme.example", None),
        ("x" * 41, None),
        ("x" * 40, "x" * 40),
        ("  ", None),
        (["a", "b"], None),
        (None, None),
    ],
)
def test_only_categories_become_tags(value: object, word: str | None) -> None:
    from bot.render.ticket_fields import tag_word

    assert tag_word(value) == word


def test_at_most_ten_tags_the_frequency_first() -> None:
    from bot.pendo.models import Visitor
    from bot.render.ticket_fields import ticket_tags

    custom = {f"f{i}": f"v{i}" for i in range(15)}
    visitor = Visitor.model_validate({"id": "v", "metadata": {"custom": custom}})
    tags = ticket_tags("Weekly", [f"custom/f{i}" for i in range(15)], visitor, None)
    assert tags == ["pendo_weekly", *(f"pendo_f{i}_v{i}" for i in range(9))]


async def test_opted_out_candidates_are_only_counted_in_the_note(new_desk: NewDesk) -> None:
    from zoneinfo import ZoneInfo

    from bot.domain.models import Ambiguous, Candidate
    from bot.domain.tickets import TicketFacts
    from bot.render.note import note_for

    desk = await new_desk()
    assert desk.deps.tickets is not None
    bundle = await desk.deps.tickets.ticket(TICKET_OPS)
    candidates = [
        Candidate("u-visible", "Visible Person", None, ["acme"], None),
        Candidate("u-secret-1", None, None, [], None, opted_out=True),
        Candidate("u-secret-2", None, None, [], None, opted_out=True),
    ]
    tc = TicketFacts(bundle, pendo=Ambiguous("ops@acme.example", candidates, "visitor ID"))
    note = note_for(tc, ZoneInfo("UTC"), visitor_url=lambda v: f"https://app.pendo.io/visitor/{v}")
    assert note is not None
    assert "u-visible" in note.html_body and "Visible Person" in note.html_body
    assert "u-secret" not in note.html_body
    assert "3 Pendo visitors have the requester's email" in note.html_body
    assert "2 visitors opted out of processing: not shown." in note.html_body
