"""The demo page's App Home: the preferences form, clicked through in a real browser; the next answer
follows it, and one click resets it. Also the same form as a modal from `/pendo settings`."""

from __future__ import annotations

from typing import Any

from bot.preferences.model import Preferences
from bot.sample.data import POWER_USER
from bot.sample.preview import DemoStack
from bot.sample.preview.stack import READER

TIMEOUT = 15_000


def try_item(page: Any, label: str) -> None:
    page.locator(".try-item", has_text=label).first.click()


def test_the_home_tab_form_shapes_the_next_answer_and_resets(page: Any, demo: tuple[DemoStack, str]) -> None:
    stack, _ = demo
    try_item(page, "Your preferences in the Home tab")
    home = page.locator("#home")
    home.get_by_text("Your preferences").first.wait_for(timeout=TIMEOUT)
    # the reader's Slack profile zone is the page's own (the browser context runs in New York)
    home.get_by_text("America/New_York · your Slack profile's").wait_for(timeout=TIMEOUT)

    home.locator("label.bk-choice", has_text="Track events").locator("input").uncheck()
    home.get_by_text("Pages, Features, Guides · yours").wait_for(timeout=TIMEOUT)
    home.locator("label.bk-choice", has_text="Everything first").locator("input").check()
    home.get_by_text("Everything first · yours").wait_for(timeout=TIMEOUT)
    assert _load(stack, READER) == Preferences(kinds=("page", "feature", "guide"), view="full")

    try_item(page, "A heavy user")
    answer = page.locator(".msg-ephemeral").last
    answer.get_by_role("button", name="Show less").wait_for(timeout=TIMEOUT)  # everything first
    answer.get_by_text("track events hidden").wait_for(timeout=TIMEOUT)
    assert "📍" not in answer.inner_text()

    page.locator("#nav-home").click()
    home.get_by_role("button", name="Reset to the workspace defaults").click()
    home.get_by_text("Back to the workspace defaults.").wait_for(timeout=TIMEOUT)
    home.get_by_text("You use the workspace defaults.").wait_for(timeout=TIMEOUT)
    track = home.locator("label.bk-choice", has_text="Track events").locator("input")
    assert track.is_checked()

    page.locator(".nav-item", has_text="support").first.click()
    page.locator("#composer-input").fill(f"/pendo {POWER_USER}")
    page.locator("#composer-input").press("Enter")
    again = page.locator(".msg-ephemeral").last
    again.get_by_role("button", name="Show more").wait_for(timeout=TIMEOUT)  # compact again


def test_pendo_settings_opens_the_form_as_a_modal(page: Any, demo: tuple[DemoStack, str]) -> None:
    stack, _ = demo
    try_item(page, "The same form from /pendo settings")
    modal = page.locator("#modal")
    modal.get_by_text("Pendo preferences").wait_for(timeout=TIMEOUT)  # the "Loading…" modal, then the form
    modal.get_by_text("Loading your preferences").wait_for(state="detached", timeout=TIMEOUT)
    modal.locator("label.bk-choice", has_text="Don't unfurl links I post").locator("input").check()
    modal.get_by_text("Saved. Your next answers use it.").wait_for(timeout=TIMEOUT)
    modal.get_by_text("Don't unfurl links I post · yours").wait_for(timeout=TIMEOUT)
    assert stack.bot is not None
    prefs = _load(stack, READER)
    assert prefs == Preferences(unfurl_my_links=False)
    modal.locator(".modal-close").click()


def _load(stack: DemoStack, user: str) -> Preferences:
    """The reader's preferences as the bot's store keeps them (read from another thread's event loop)."""
    import asyncio
    import threading

    assert stack.bot is not None
    store = stack.bot.deps.preferences
    out: list[Preferences] = []

    def read() -> None:
        out.append(asyncio.run(store.load("T0001", user)))

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=10)
    return out[0]
