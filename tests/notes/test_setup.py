"""`zendesk-setup` creates the webhook and trigger once (a second run updates them), `check` reports them,
and a ticket filed in the sample Zendesk then reaches the bot as a signed webhook and gets its note."""

from __future__ import annotations

import json

import pytest

from bot.sample import JANE
from bot.zendesk.setup import TRIGGER_BODY, setup, status, webhook_url_problem

from .conftest import SECRET, Desk, FakeZendesk, NewDesk


async def test_setup_is_idempotent_and_check_sees_what_it_made(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk: Desk = await new_desk()
    assert desk.deps.tickets is not None
    client = desk.deps.tickets.zendesk
    said: list[str] = []
    before = await status(client)
    assert any(line.startswith("WARN Zendesk: no webhook") for line in before)
    url = str(desk.http.base_url.join("/zendesk/webhook"))
    assert await setup(client, url, dry_run=False, say=said.append) == 0
    assert await setup(client, url, dry_run=False, say=said.append) == 0  # updated, not doubled
    # another address: only with replace (--replace), it may be another deployment's
    assert await setup(client, url + "?v=2", dry_run=False, say=said.append, replace=True) == 0
    helpdesk = fake_zendesk.helpdesk
    assert len(helpdesk.webhooks) == 1 and len(helpdesk.triggers) == 1
    [webhook] = helpdesk.webhooks.values()
    [trigger] = helpdesk.triggers.values()
    assert webhook["endpoint"] == url + "?v=2" and webhook["subscriptions"] == ["conditional_ticket_events"]
    assert trigger["actions"] == [{"field": "notification_webhook", "value": [webhook["id"], TRIGGER_BODY]}]
    assert {"field": "update_type", "operator": "is", "value": "Create"} in trigger["conditions"]["all"]
    assert any("ZENDESK_WEBHOOK_SECRET" in line for line in said)
    after = await status(client)
    assert [line[:4] for line in after] == ["OK  ", "OK  ", "OK  "]


async def test_dry_run_prints_the_json_and_sends_nothing(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    assert desk.deps.tickets is not None
    said: list[str] = []
    assert (
        await setup(
            desk.deps.tickets.zendesk, "https://bot.example/zendesk/webhook", dry_run=True, say=said.append
        )
        == 0
    )
    assert fake_zendesk.helpdesk.webhooks == {} and fake_zendesk.helpdesk.triggers == {}
    assert [r.method for r in fake_zendesk.controls.requests] == ["GET", "GET"]
    webhook = json.loads(said[0].split("\n", 1)[1])
    assert webhook["webhook"]["endpoint"] == "https://bot.example/zendesk/webhook"


async def test_a_filed_ticket_reaches_the_bot_as_a_signed_webhook_and_gets_one_note(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    assert desk.deps.tickets is not None
    client = desk.deps.tickets.zendesk
    await setup(client, str(desk.http.base_url.join("/zendesk/webhook")), dry_run=False, say=lambda _: None)
    helpdesk = fake_zendesk.helpdesk
    [webhook_id] = helpdesk.webhooks
    helpdesk.secrets_by_webhook[webhook_id] = SECRET  # what the admin copied into ZENDESK_WEBHOOK_SECRET
    jane = next(u for u in fake_zendesk.helpdesk.ws.zendesk_users.values() if u.get("email") == JANE)
    created = await client._send(  # as the help center's form would file it
        "POST",
        "/api/v2/tickets.json",
        "POST /api/v2/tickets",
        __import__("pydantic").TypeAdapter(dict),
        body={
            "ticket": {"subject": "Invoice is wrong", "requester_id": jane["id"], "comment": {"body": "Help"}}
        },
    )
    ticket_id = created["ticket"]["id"]
    await helpdesk.idle()
    assert [d.status for d in helpdesk.deliveries] == [200]
    await desk.queue.idle()
    [note] = helpdesk.notes(ticket_id)
    assert "Jane Doe" in note["body"] and note["public"] is False


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://bot.example.com/zendesk/webhook", None),
        ("http://127.0.0.1:3000/zendesk/webhook", None),
        ("http://localhost:8080/zendesk/webhook", None),
        ("http://[::1]:8080/zendesk/webhook", None),
        ("http://bot.example.com/zendesk/webhook", "must use https"),
        ("http://10.0.0.5/zendesk/webhook", "must use https"),
        ("http://127.0.0.1.attacker.example/zendesk/webhook", "must use https"),
        ("ftp://bot.example.com/x", "Give the bot's webhook URL"),
        ("bot.example.com/zendesk/webhook", "Give the bot's webhook URL"),
        ("https:///zendesk/webhook", "Give the bot's webhook URL"),
        ("http://[::1/x", "not a URL"),
    ],
)
def test_the_webhook_url_is_https_except_on_this_machine(url: str, says: str | None) -> None:
    problem = webhook_url_problem(url)
    assert problem is None if says is None else (problem is not None and says in problem)


def test_zendesk_setup_refuses_a_plain_http_url_before_calling_zendesk(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.__main__ import EXIT_BAD_INPUT, main

    monkeypatch.setenv("PENDO_INTEGRATION_KEY", "k")
    code = main(["zendesk-setup", "--url", "http://bot.example.com/zendesk/webhook"])
    assert code == EXIT_BAD_INPUT
    assert "--url: The webhook URL must use https" in capsys.readouterr().err


OLD_BODY = '{"ticket_id": "{{ticket.id}}"}'


async def test_check_flags_a_trigger_sending_the_old_body_and_setup_updates_it(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    assert desk.deps.tickets is not None
    client = desk.deps.tickets.zendesk
    url = str(desk.http.base_url.join("/zendesk/webhook"))
    assert await setup(client, url, dry_run=False, say=lambda _: None) == 0
    [trigger] = fake_zendesk.helpdesk.triggers.values()
    [webhook_id] = fake_zendesk.helpdesk.webhooks
    old = [{"field": "notification_webhook", "value": [webhook_id, OLD_BODY]}]
    trigger["actions"] = old  # as an older bot made it
    lines = await status(client)
    assert lines[-1] == (
        "WARN the trigger sends only the ticket id: run pendo-bot zendesk-setup to update it; "
        "each note then costs 3 Zendesk requests instead of 1"
    )
    assert await setup(client, url, dry_run=False, say=lambda _: None) == 0
    assert len(fake_zendesk.helpdesk.triggers) == 1  # the same trigger, its body replaced
    [saved] = fake_zendesk.helpdesk.triggers.values()
    assert saved["actions"] == [{"field": "notification_webhook", "value": [webhook_id, TRIGGER_BODY]}]
    assert [line[:4] for line in await status(client)] == ["OK  ", "OK  ", "OK  "]


@pytest.mark.parametrize(("seconds", "requests"), [(True, 1), (False, 3)], ids=["to the second", "minutes"])
async def test_a_filed_ticket_costs_one_request_with_stamps_to_the_second_three_without(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, seconds: bool, requests: int
) -> None:
    """The sample renders `*_at_with_timestamp` either way (Zendesk's reference shows minutes)."""
    desk = await new_desk()
    assert desk.deps.tickets is not None
    client = desk.deps.tickets.zendesk
    await setup(client, str(desk.http.base_url.join("/zendesk/webhook")), dry_run=False, say=lambda _: None)
    helpdesk = fake_zendesk.helpdesk
    helpdesk.placeholder_seconds = seconds
    [webhook_id] = helpdesk.webhooks
    helpdesk.secrets_by_webhook[webhook_id] = SECRET
    jane = next(u for u in helpdesk.ws.zendesk_users.values() if u.get("email") == JANE)
    created = await client._send(
        "POST",
        "/api/v2/tickets.json",
        "POST /api/v2/tickets",
        __import__("pydantic").TypeAdapter(dict),
        body={"ticket": {"subject": "Refund", "requester_id": jane["id"], "comment": {"body": "Help"}}},
    )
    ticket_id = created["ticket"]["id"]
    fake_zendesk.controls.requests.clear()
    await helpdesk.idle()
    await desk.queue.idle()
    [delivery] = helpdesk.deliveries
    body = json.loads(delivery.body)
    assert body["requester_email"] == JANE and body["ticket_id"] == str(ticket_id)
    assert len(body["updated_at"]) == (20 if seconds else 17)  # 2026-12-07T11:05:37Z / 2026-12-07T11:05Z
    [note] = helpdesk.notes(ticket_id)
    assert "Jane Doe" in note["body"]
    assert len(fake_zendesk.controls.requests) == requests
