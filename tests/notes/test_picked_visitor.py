""" "Add to ticket" after picking one of several visitors with the requester's email: that visitor's
context, once per visitor per ticket (the marker names the visitor); the webhook's note (no visitor
picked) keeps the plain marker, and any note blocks it."""

from __future__ import annotations

from bot.notes.writer import NoteStatus
from bot.render.note import MARKER, has_marker, visitor_mark
from bot.sample import OPS_VISITOR_IDS, TICKET_OPS

from .conftest import FakeZendesk, NewDesk

FIRST, SECOND = OPS_VISITOR_IDS


async def test_a_picked_visitor_gets_its_own_note_once_beside_the_ambiguous_one(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk(pendo_email_field="agent/email")
    notes = desk.deps.notes
    assert notes is not None
    assert (await notes.write(TICKET_OPS)).status is NoteStatus.WRITTEN  # the webhook's: candidates
    [ambiguous] = fake_zendesk.helpdesk.notes(TICKET_OPS)
    assert "Pendo visitors have the requester's email" in ambiguous["body"]
    assert has_marker(ambiguous["body"]) and not has_marker(ambiguous["body"], FIRST)

    picked = await notes.write(TICKET_OPS, added_by="Alex", visitor_id=FIRST)
    assert picked.status is NoteStatus.WRITTEN and picked.reason == "found"
    note = fake_zendesk.helpdesk.notes(TICKET_OPS)[-1]
    assert "Activity:" in note["body"] and "Added from Slack by Alex" in note["body"]
    assert visitor_mark(FIRST) in note["body"] and FIRST not in visitor_mark(FIRST)
    assert (await notes.write(TICKET_OPS, visitor_id=FIRST)).status is NoteStatus.ALREADY
    assert (await notes.write(TICKET_OPS, visitor_id=SECOND)).status is NoteStatus.WRITTEN
    assert (await notes.write(TICKET_OPS)).status is NoteStatus.ALREADY  # the webhook again: any marker
    assert len(fake_zendesk.helpdesk.notes(TICKET_OPS)) == 3


async def test_a_visitor_id_is_ignored_when_the_email_names_one_visitor(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    from bot.sample import JANE, TICKET_JANE

    desk = await new_desk()
    assert desk.deps.notes is not None
    assert (await desk.deps.notes.write(TICKET_JANE)).status is NoteStatus.WRITTEN
    # the summary's button carries Jane's id: the webhook's note is hers already
    assert (await desk.deps.notes.write(TICKET_JANE, visitor_id=JANE)).status is NoteStatus.ALREADY
    [note] = fake_zendesk.helpdesk.notes(TICKET_JANE)
    assert MARKER in note["body"] and "visitor" not in note["body"].split(MARKER, 1)[1]


async def test_the_picked_visitors_note_first_then_the_webhook_writes_nothing(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk(pendo_email_field="agent/email")
    assert desk.deps.notes is not None
    assert (await desk.deps.notes.write(TICKET_OPS, visitor_id=SECOND)).status is NoteStatus.WRITTEN
    assert (await desk.deps.notes.write(TICKET_OPS)).status is NoteStatus.ALREADY
    assert len(fake_zendesk.helpdesk.notes(TICKET_OPS)) == 1
