"""The README's screenshot: `.venv/bin/python -m tests.browser.screenshot docs/preview.png`.

Runs the demo in-process (as the browser tests do), looks someone up, pastes a ticket link, and saves
the page. Needs Debian's Chromium (`make system-deps`).
"""

from __future__ import annotations

import asyncio
import sys
import threading

from playwright.sync_api import sync_playwright

from bot.sample.data import JANE, TICKET_JANE
from bot.sample.preview import DemoStack, create_preview_app
from bot.sample.server import LoopbackServer
from bot.settings import load_settings
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


def main(path: str) -> None:
    stack = DemoStack(load_settings(), email_field="agent/email")
    stack.start()
    with LoopbackServer(create_preview_app(stack)) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 860}, device_scale_factor=1)
        page.goto(server.base_url + "/")
        page.wait_for_selector("body[data-ready=true]")
        page.fill("[data-testid=composer]", f"/pendo {JANE}")
        page.press("[data-testid=composer]", "Enter")
        page.locator(".msg-ephemeral .bk-header").first.wait_for(timeout=15_000)
        host = stack.settings().zendesk_host
        page.fill(
            "[data-testid=composer]",
            f"Jane wrote in about her card: https://{host}/agent/tickets/{TICKET_JANE}",
        )
        page.press("[data-testid=composer]", "Enter")
        page.locator(".unfurl").get_by_text("before filing").first.wait_for(timeout=15_000)
        page.screenshot(path=path)
        browser.close()
    closer = threading.Thread(target=lambda: asyncio.run(stack.aclose()))
    closer.start()
    closer.join()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/preview.png")
