"""A real browser (Playwright driving Debian's Chromium) on the demo page, which drives the real bot.

Chromium comes from the system (`make system-deps`), never from `playwright install`. Without it the
tests skip and say why; with REQUIRE_SYSTEM_DEPS=1 (CI) they fail instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.sample.preview import DemoStack, create_preview_app
from bot.sample.server import LoopbackServer
from bot.settings import load_settings

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(reason: str) -> None:
    if os.environ.get("REQUIRE_SYSTEM_DEPS") == "1":
        pytest.fail(f"{reason} (REQUIRE_SYSTEM_DEPS=1: run `make system-deps`)")
    pytest.skip(f"{reason}: run `make system-deps` (Debian's chromium) to run the browser tests")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: Playwright's sync API keeps an event loop running in this thread while it is open, which
    the asyncio tests elsewhere in the suite must not inherit."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(clean_env: None) -> Iterator[tuple[DemoStack, str]]:
    """The demo as `pendo-bot demo` runs it: fake Slack on loopback, the bot and the page on one port."""
    stack = DemoStack(load_settings(), email_field="agent/email")
    stack.start()
    server = LoopbackServer(create_preview_app(stack))
    server.start()
    try:
        yield stack, server.base_url
    finally:
        server.stop()
        # Playwright's sync API runs an event loop in this thread: close the stack from another one.
        closer = threading.Thread(target=lambda: asyncio.run(stack.aclose()))
        closer.start()
        closer.join(timeout=10)


@pytest.fixture
def page(browser: Any, demo: tuple[DemoStack, str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, timezone_id="America/New_York")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(demo[1] + "/")
    page.wait_for_selector("body[data-ready=true]")
    yield page
    # The page's own log of what it sent and what the bot called (e.g. "views.open ✗ expired_trigger_id"):
    # pytest shows it only when the test failed.
    print(
        "demo page log:",
        page.evaluate("() => Array.from(document.querySelectorAll('#log li'), li => li.textContent)"),
    )
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
