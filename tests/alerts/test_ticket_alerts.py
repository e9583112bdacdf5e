"""A new ticket whose requester needs attention is told to the alerts channel once, with its reason; the
others are not, each for its counted reason. Real HTTP on loopback: the Zendesk webhook, the fake Slack.

Who is who in the sample at NOW (computed from its raw data below where a figure is shown): Jane is a
detractor (NPS 3, 12 days before a ticket filed at NOW) with friction; Sam (Globex, a Business plan) had
one dead click in the 24 h before NOW and never answered NPS; Morgan (multi@umbrella) has no signal but
renewal (not a default rule), in Umbrella Corporation and Umbrella Europe (CSM Ines Moreau); the
ops@initech email is two visitors; Pat (private@hooli) opted out; Tony's only account (Stark) opted out.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from bot.domain.friction import DAY_MS
from bot.notes.endpoint import ZENDESK_PATH
from bot.render.buttons import ViewRef
from bot.sample import Workspace, data
from bot.sample.helpdesk import iso
from bot.sample.surveys import MOBILE_NPS_SCORE_POLL, NPS_SCORE_POLL
from tests.alerts.conftest import ALERTS, SECRET, AlertDesk, NewDesk, count
from tests.domain.conftest import NOW
from tests.notes.conftest import signed
from tests.support.blockkit import validate_message

SUBJECT = "Export fails"


def detractor_days(ws: Workspace) -> int:
    """Whole days between Jane's latest NPS score (the raw pollEvents rows) and a ticket filed at NOW."""
    scores = [
        r["browserTime"]
        for r in ws.poll_events
        if r.get("visitorId") == data.JANE and r["pollId"] in (NPS_SCORE_POLL, MOBILE_NPS_SCORE_POLL)
    ]
    latest = max(t for t in scores if t <= NOW)
    assert next(r for r in ws.poll_events if r["browserTime"] == latest)["pollResponse"] == "3"
    return int((NOW - latest) // DAY_MS)


def first_line(post: dict[str, Any]) -> str:
    return str(post["blocks"][0]["text"]["text"]).splitlines()[0]


def buttons(post: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = [b for block in post["blocks"] if block["type"] == "actions" for b in block["elements"]]
    return {b["text"]["text"]: b for b in found}


async def alert_for(desk: AlertDesk, email: str) -> tuple[int, list[dict[str, Any]]]:
    ticket = await desk.file(email, SUBJECT)
    assert (await desk.deliver(ticket)).status_code == 200
    await desk.settle()
    return ticket, desk.posts()


async def test_a_detractors_ticket_alerts_once_with_its_reason_header_and_buttons(
    new_desk: NewDesk, ws: Workspace
) -> None:
    desk = await new_desk()
    sent = count("sent", "detractor")
    ticket, posts = await alert_for(desk, data.JANE)
    assert len(posts) == 1 and posts[0]["channel"] == ALERTS
    post = posts[0]
    days = detractor_days(ws)
    assert days == 12
    reason = f"Detractor (NPS 3, {days} days before the ticket)"
    assert post["text"] == f"{reason} filed #{ticket}: {SUBJECT}"
    assert first_line(post).startswith(f"🔔 *{reason}* filed *<https://")
    header = post["blocks"][0]["text"]["text"]
    assert "Requester *Jane Doe (Acme Corp)*" in header and "Unassigned" in header
    assert "🚩 Detractor (NPS 3) · Friction before filing" in post["blocks"][1]["text"]["text"]
    validate_message(post["blocks"], post["text"])
    shown = buttons(post)
    assert list(shown) == ["Details (only you see them)", "Open ticket", "Open in Pendo"]
    ref = ViewRef.decode(shown["Details (only you see them)"]["value"])
    assert ref == ViewRef(data.JANE, anchor_ms=NOW, ticket_id=ticket, ticket_ms=NOW, full=True)
    assert shown["Open ticket"]["url"].endswith(f"/agent/tickets/{ticket}")
    assert "visitor/jane.doe%40acme.example" in shown["Open in Pendo"]["url"]
    assert count("sent", "detractor") == sent + 1
    assert desk.ticket_reads(ticket) == 1  # the header: one Zendesk read, for an alert only
    assert len(desk.zendesk.helpdesk.notes(ticket)) == 1  # the note is written as before


async def test_a_struggling_visitors_ticket_alerts_with_friction(new_desk: NewDesk, ws: Workspace) -> None:
    flagged = [
        e
        for e in ws.events
        if e.visitor_id == data.SAM_VISITOR_ID and e.friction and NOW - DAY_MS <= e.ts <= NOW
    ]
    assert Counter(e.friction for e in flagged) == {"dead": 1}  # the raw data: one dead click
    desk = await new_desk()
    sent = count("sent", "friction")
    ticket, posts = await alert_for(desk, data.SAM.lower())
    assert len(posts) == 1
    assert posts[0]["text"] == f"Struggling customer (friction before filing) filed #{ticket}: {SUBJECT}"
    assert "😣 1 dead click on " in posts[0]["blocks"][1]["text"]["text"]
    assert count("sent", "friction") == sent + 1


@pytest.mark.parametrize(
    ("key_accounts", "name"),
    [("umbrella", "Umbrella Corporation"), ("custom/csm=Ines Moreau", "Umbrella Europe")],
    ids=["by-id", "by-field"],
)
async def test_a_key_accounts_ticket_alerts(new_desk: NewDesk, key_accounts: str, name: str) -> None:
    desk = await new_desk(alert_rules="detractor,friction,key_account", alert_key_accounts=key_accounts)
    sent = count("sent", "key_account")
    ticket, posts = await alert_for(desk, data.MULTI)
    assert [p["text"] for p in posts] == [f"Key account ({name}) filed #{ticket}: {SUBJECT}"]
    assert count("sent", "key_account") == sent + 1


@pytest.mark.parametrize(
    ("email", "reason", "settings"),
    [
        (data.MULTI, "no_rule", {}),  # renewal only: not a default rule
        (data.MULTI, "no_rule", {"alert_key_accounts": "umbrella"}),  # a key account, the rule not on
        (data.OPS, "ambiguous", {}),
        (data.PRIVATE, "opted_out", {"alert_rules": "detractor,friction,key_account,renewal"}),
        (data.NOBODY, "not_in_pendo", {}),
    ],
    ids=["ordinary", "key-rule-off", "ambiguous", "opted-out", "not-in-pendo"],
)
async def test_these_tickets_do_not_alert(
    new_desk: NewDesk, email: str, reason: str, settings: dict[str, str]
) -> None:
    desk = await new_desk(**settings)
    before = count("not_sent", reason)
    ticket, posts = await alert_for(desk, email)
    assert posts == []
    assert count("not_sent", reason) == before + 1
    assert desk.ticket_reads(ticket) == 0  # the ticket is read only when a rule matched


async def test_a_visitor_whose_accounts_all_opted_out_does_not_alert(new_desk: NewDesk) -> None:
    """Tony's one account (Stark) opted out; he is no Zendesk user in the sample: a body for a ticket
    Zendesk does not hold shows nothing is read for him either."""
    desk = await new_desk(alert_rules="detractor,friction,key_account", alert_key_accounts="stark")
    before = count("not_sent", "opted_out")
    assert (await desk.deliver(999_001, data.TONY)).status_code == 200
    await desk.settle()
    assert desk.posts() == [] and count("not_sent", "opted_out") == before + 1
    assert desk.ticket_reads(999_001) == 0


@pytest.mark.parametrize(
    ("email", "settings"),
    [
        (data.JANE, {}),
        (data.MULTI, {"alert_rules": "key_account", "alert_key_accounts": "custom/csm=Ines Moreau"}),
    ],
    ids=["detractor", "key-account-by-field"],
)
async def test_the_alert_costs_no_pendo_call_beyond_the_notes(
    new_desk: NewDesk, email: str, settings: dict[str, str]
) -> None:
    """The same ticket's lookup, note only and note + alert, each on a fresh bot: the same Pendo calls
    (a field match reads the accounts' metadata from the lookup's own read)."""
    notes_only = await new_desk(store="notes", alerts_channel=None)
    ticket = await notes_only.file(email)
    await notes_only.deliver(ticket)
    await notes_only.settle()
    both = await new_desk(store="both", **settings)
    assert (await both.deliver(ticket)).status_code == 200
    await both.settle()
    assert len(both.posts()) == 1
    assert len(both.pendo.requests) == len(notes_only.pendo.requests)


async def test_a_stale_ticket_is_dropped_with_the_metric(new_desk: NewDesk) -> None:
    desk = await new_desk(alert_max_delay_minutes=15)
    desk.minutes_after_filing(16)
    before = count("not_sent", "stale")
    _, posts = await alert_for(desk, data.JANE)
    assert posts == [] and count("not_sent", "stale") == before + 1
    assert desk.slack.calls == []  # not even the channel check: dropped first


async def test_zendesk_notes_off_writes_no_note_but_alerts(new_desk: NewDesk) -> None:
    desk = await new_desk(zendesk_notes=False)
    ticket, posts = await alert_for(desk, data.JANE)
    assert len(posts) == 1
    assert desk.zendesk.helpdesk.notes(ticket) == []
    assert desk.zendesk.puts(ticket) == []


async def test_routes_send_a_rule_or_an_account_match_to_its_channel(new_desk: NewDesk) -> None:
    desk = await new_desk(alert_routes="detractor>CDETRACT1,custom/planlevel=Business>CBUSINESS")
    await alert_for(desk, data.JANE)  # a detractor
    await alert_for(desk, data.SAM.lower())  # friction, in Globex (Business)
    assert [p["channel"] for p in desk.posts()] == ["CDETRACT1", "CBUSINESS"]


async def test_a_body_with_the_id_alone_reads_the_ticket_once_and_alerts(new_desk: NewDesk) -> None:
    """An older trigger's `{"ticket_id": …}`: the ticket is read for the requester and the header, once."""
    desk = await new_desk(zendesk_notes=False)
    ticket = await desk.file(data.JANE)
    body = json.dumps({"ticket_id": ticket}).encode()
    assert (
        await desk.http.post(ZENDESK_PATH, content=body, headers=signed(body, secret=SECRET))
    ).status_code == 200
    await desk.settle()
    assert len(desk.posts()) == 1 and desk.ticket_reads(ticket) == 1


async def test_a_requester_without_an_email_is_not_looked_up(new_desk: NewDesk) -> None:
    desk = await new_desk(zendesk_notes=False)  # the note would read the ticket: not the alert
    before = count("not_sent", "not_in_pendo")
    body = json.dumps(
        {"ticket_id": "999002", "requester_email": "", "created_at": iso(NOW), "updated_at": iso(NOW)}
    )
    sent = await desk.http.post(
        ZENDESK_PATH, content=body.encode(), headers=signed(body.encode(), secret=SECRET)
    )
    assert sent.status_code == 200
    await desk.settle()
    assert desk.posts() == [] and count("not_sent", "not_in_pendo") == before + 1
    assert desk.ticket_reads(999_002) == 0 and desk.pendo.requests == []
