"""The demo page in a real browser: the sidebar's account, message-shortcut and mention entries, each
driven through the page (signed requests to the real bot) and checked on what the page draws."""

from __future__ import annotations

from typing import Any

from bot.sample.preview import DemoStack

TIMEOUT = 15_000


def try_item(page: Any, label: str) -> None:
    page.locator(".try-item", has_text=label).first.click()


def test_account_by_name_then_open_a_visitor(page: Any, demo: tuple[DemoStack, str]) -> None:
    try_item(page, "An account by name")
    answer = page.locator(".msg-ephemeral").last
    answer.get_by_text("2 Pendo accounts").wait_for(timeout=TIMEOUT)
    answer.get_by_role("button", name="Show this account").first.click()
    answer.locator(".bk-header", has_text="Acme Corp").first.wait_for(timeout=TIMEOUT)
    answer.get_by_role("button", name="Show more").click()
    answer.get_by_text("Events per day, last 30 days").wait_for(timeout=TIMEOUT)
    answer.get_by_role("button", name="Show visitor").first.click()
    answer.get_by_role("button", name="Open account").first.wait_for(timeout=TIMEOUT)


def test_message_shortcut_and_mention(page: Any, demo: tuple[DemoStack, str]) -> None:
    try_item(page, "Pendo context on a message")
    answer = page.locator(".msg-ephemeral").last
    answer.get_by_text("Pick one to look up").wait_for(timeout=TIMEOUT)
    assert answer.get_by_role("button", name="Look up").count() == 3
    answer.get_by_role("button", name="Look up").first.click()  # Jane, the first in the message
    page.locator(".msg-ephemeral .bk-header", has_text="Jane Doe").first.wait_for(timeout=TIMEOUT)

    try_item(page, "Mention @pendo with an email")
    public = page.locator(".msg:not(.msg-ephemeral) .bk-header", has_text="Jane Doe")
    public.first.wait_for(timeout=TIMEOUT)


def test_the_lookup_shortcut_opens_a_form_and_answers_privately(
    page: Any, demo: tuple[DemoStack, str]
) -> None:
    try_item(page, "The Pendo lookup shortcut")
    modal = page.locator("#modal")
    modal.get_by_text("Email, ticket number or account").wait_for(timeout=TIMEOUT)
    modal.locator("input[type=text], textarea").first.fill("account globex")
    modal.locator(".modal-submit").click()
    answer = page.locator(".msg-ephemeral").last
    answer.locator(".bk-header", has_text="Globex Corporation").first.wait_for(timeout=TIMEOUT)
    assert "Only visible to you" in answer.inner_text()
