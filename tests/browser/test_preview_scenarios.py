"""The sidebar's suggestions: every sample ticket listed, with what it shows; the named people."""

from __future__ import annotations

from bot.sample.data import MULTI, OPS, PRIVATE, TICKET_AFTER_MIDNIGHT, TICKET_MULTI, build_workspace
from bot.sample.preview.scenarios import TICKET_NOTES, _ticket_note, scenarios

NOW = 1_795_000_000_000


def test_every_ticket_and_person_is_offered() -> None:
    ws = build_workspace(NOW)
    groups = scenarios(ws, "sample-support.zendesk.com", email_field="agent/email", dedupe_seconds=120)
    items = [item for group in groups for item in group["items"]]
    pasted = [i for i in items if i["do"] == "paste" and "channel" not in i]
    assert [i["ticket"] for i in pasted] == sorted(ws.tickets)
    for item in pasted:
        assert item["text"] == f"https://sample-support.zendesk.com/agent/tickets/{item['ticket']}"
        assert item["label"].startswith(f"#{item['ticket']} {ws.tickets[item['ticket']]['subject']}")
        assert item["note"]
    commands = {i["text"] for i in items if i["do"] == "command"}
    assert {f"/pendo {MULTI}", f"/pendo {OPS}", f"/pendo {PRIVATE}"} <= commands
    assert any(i.get("channel") == "ext-acme" for i in items)  # the Slack Connect channel


def test_a_ticket_without_a_note_is_described_from_the_data() -> None:
    ws = build_workspace(NOW)
    multi = next(v for v in ws.visitors.values() if v["metadata"]["agent"]["email"] == MULTI)
    assert TICKET_MULTI in TICKET_NOTES
    assert _ticket_note(ws, TICKET_MULTI) == f"a requester in {len(multi['accountIds'])} accounts"


def test_the_after_midnight_ticket_says_whose_midnight() -> None:
    # "minutes after midnight" holds in the Pendo subscription's time zone, not the reader's: it says which
    for zone in ("America/New_York", "Asia/Tokyo"):
        ws = build_workspace(NOW, zone)
        groups = scenarios(ws, "x.zendesk.com", email_field="", dedupe_seconds=0)
        notes = [i["note"] for g in groups for i in g["items"] if i.get("ticket") == TICKET_AFTER_MIDNIGHT]
        assert notes and all(f"midnight ({zone}, the Pendo subscription's day)" in n for n in notes)
