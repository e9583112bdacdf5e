"""`zendesk-setup` never silently re-points the bot's webhook that another deployment set up (it asks for
--replace), and `check` says whether the webhook points at this deployment (PUBLIC_URL)."""

from __future__ import annotations

import pytest

from bot.zendesk.setup import setup, status, webhook_endpoint

from .conftest import FakeZendesk, NewDesk

A = "https://bot-a.example.com/zendesk/webhook"
B = "https://bot-b.example.com/zendesk/webhook"


async def test_setup_refuses_to_repoint_another_deployments_webhook_without_replace(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    assert desk.deps.tickets is not None
    client = desk.deps.tickets.zendesk
    assert await setup(client, A, dry_run=False, say=lambda _: None) == 0
    said: list[str] = []
    writes = len([r for r in fake_zendesk.controls.requests if r.method in ("PUT", "POST")])
    assert await setup(client, B, dry_run=False, say=said.append) == 1
    assert await setup(client, B, dry_run=True, say=said.append) == 1  # a dry run says the same
    [webhook] = fake_zendesk.helpdesk.webhooks.values()
    assert webhook["endpoint"] == A  # left alone
    assert len([r for r in fake_zendesk.controls.requests if r.method in ("PUT", "POST")]) == writes
    assert all(A in line and "--replace" in line for line in said)
    assert await setup(client, A, dry_run=False, say=said.append) == 0  # the same address: an update
    assert await setup(client, B, dry_run=False, say=said.append, replace=True) == 0
    [webhook] = fake_zendesk.helpdesk.webhooks.values()
    assert webhook["endpoint"] == B


async def test_check_compares_the_webhook_with_this_deployments_public_url(new_desk: NewDesk) -> None:
    desk = await new_desk()
    assert desk.deps.tickets is not None
    client = desk.deps.tickets.zendesk
    assert await setup(client, A, dry_run=False, say=lambda _: None) == 0

    def webhook_line(lines: list[str]) -> str:
        return next(line for line in lines if "webhook" in line and "→" in line)

    elsewhere = webhook_line(await status(client, public_url="https://bot-b.example.com"))
    assert elsewhere.startswith("FAIL") and A in elsewhere and B in elsewhere and "--replace" in elsewhere
    here = webhook_line(await status(client, public_url="https://bot-a.example.com/"))
    assert here.startswith("OK  ") and A in here
    unknown = webhook_line(await status(client))
    assert unknown.startswith("OK  ") and A in unknown and "PUBLIC_URL" in unknown


@pytest.mark.parametrize(
    ("public", "endpoint"),
    [
        ("https://bot.example.com", "https://bot.example.com/zendesk/webhook"),
        ("https://bot.example.com/", "https://bot.example.com/zendesk/webhook"),
        ("https://bot.example.com/zendesk/webhook", "https://bot.example.com/zendesk/webhook"),
        ("https://example.com/pendo-bot", "https://example.com/pendo-bot/zendesk/webhook"),
    ],
)
def test_the_webhook_endpoint_of_a_public_url(public: str, endpoint: str) -> None:
    assert webhook_endpoint(public) == endpoint


def test_the_webhook_path_is_the_one_the_bot_serves() -> None:
    from bot.notes.endpoint import ZENDESK_PATH
    from bot.zendesk.setup import WEBHOOK_PATH

    assert WEBHOOK_PATH == ZENDESK_PATH


def test_zendesk_setup_takes_replace_and_defaults_url_to_public_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.__main__ import main

    assert main(["zendesk-setup", "--url", A, "--replace", "--dry-run"]) == 0
    monkeypatch.setenv("PUBLIC_URL", "https://bot-b.example.com")
    assert main(["zendesk-setup", "--dry-run"]) == 0
    assert f'"endpoint": "{B}"' in capsys.readouterr().out
