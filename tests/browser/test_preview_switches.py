"""The sidebar's switches restart the bot with a Pendo fault or another subscription time zone."""

from __future__ import annotations

from typing import Any

from bot.sample.data import JANE
from bot.sample.preview import DemoStack
from bot.sample.preview.stack import TIME_ZONES

TIMEOUT = 15_000


def ask(page: Any, text: str) -> Any:
    before = page.locator(".msg-ephemeral").count()
    page.fill("[data-testid=composer]", text)
    page.press("[data-testid=composer]", "Enter")
    page.wait_for_function(f"document.querySelectorAll('.msg-ephemeral').length > {before}", timeout=TIMEOUT)
    return page.locator(".msg-ephemeral").last


def test_pendo_fault_switch(page: Any, demo: tuple[DemoStack, str]) -> None:
    stack, _ = demo
    first_bot = stack.bot
    page.select_option("#switch-fault", "down")
    page.get_by_text("Bot restarted").wait_for(timeout=TIMEOUT)
    assert stack.fault == "down" and stack.bot is not first_bot
    answer = ask(page, f"/pendo {JANE}")
    answer.get_by_text("ref").wait_for(timeout=TIMEOUT)  # the error sentence carries a reference
    assert "Pendo" in answer.inner_text()
    assert answer.locator(".bk-header").count() == 0  # no summary drawn

    page.select_option("#switch-fault", "none")
    page.get_by_text("Bot restarted").wait_for(timeout=TIMEOUT)
    answer = ask(page, f"/pendo {JANE}")
    answer.locator(".bk-header").first.wait_for(timeout=TIMEOUT)


def test_subscription_time_zone_switch(page: Any, demo: tuple[DemoStack, str]) -> None:
    stack, _ = demo
    assert page.locator("#switch-subscription-tz").is_enabled()
    other = next(z for z in TIME_ZONES if z != stack.subscription_tz)
    page.select_option("#switch-subscription-tz", other)
    page.get_by_text("Bot restarted").wait_for(timeout=TIMEOUT)
    assert stack.subscription_tz == other and stack.ws is not None
    assert stack.ws.timezone == other  # type: ignore[attr-defined,unused-ignore]
    answer = ask(page, f"/pendo {JANE}")
    answer.locator(".bk-header").first.wait_for(timeout=TIMEOUT)
