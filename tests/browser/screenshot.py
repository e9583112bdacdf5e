"""The README's screenshot: `.venv/bin/python -m tests.browser.screenshot docs/preview.png` (or `make docs`).

Runs the demo in-process (as the browser tests do) on the sample workspace at the fixed time the docs use
(tests/support/docs_examples.py), asks for an account, pastes a ticket link, and saves the page. The Block
Kit the page showed is stored in docs/generated/preview.json, after checking it is what the renderers
make (tests/test_docs_generated.py re-renders it without a browser). Needs Debian's Chromium
(`make system-deps`).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import sync_playwright

from bot.sample.preview import DemoStack, create_preview_app
from bot.sample.server import LoopbackServer
from bot.settings import load_settings
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.docs_examples import (
    ANCHOR_MS,
    EMAIL_FIELD,
    GENERATED,
    PREVIEW_ACCOUNT,
    PREVIEW_JSON,
    PREVIEW_TICKET,
    dump,
    make_sample,
    preview_messages,
)
from tests.support.factories import deps_factory
from tests.support.fixtures import sample_workspace


def shown(stack: DemoStack, link: str) -> dict[str, list[dict[str, Any]]]:
    """The Block Kit the page shows: the slash command's answer and the link's last unfurl."""
    answer = [c.body for c in stack.slack.responses if c.body.get("blocks")][-1]
    unfurl = [c["unfurls"][link] for c in stack.slack.by_method("chat.unfurl") if link in c["unfurls"]][-1]
    return {"account": answer["blocks"], "unfurl": unfurl["blocks"]}


async def rendered() -> dict[str, list[dict[str, Any]]]:
    async with deps_factory(sample_workspace(), ANCHOR_MS) as make:
        return await preview_messages(make_sample(make))


def main(path: str) -> None:
    stack = DemoStack(load_settings(), email_field=EMAIL_FIELD, now_ms=ANCHOR_MS)
    stack.start()
    link = f"https://{stack.settings().zendesk_host}/agent/tickets/{PREVIEW_TICKET}"
    with LoopbackServer(create_preview_app(stack)) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(
            viewport={"width": 1400, "height": 1000}, device_scale_factor=1, timezone_id="UTC", locale="en-US"
        )
        # the page's clock at the docs' time: "Today at 11:06 AM" as the stored Block Kit says
        page.clock.set_fixed_time(datetime.fromtimestamp(ANCHOR_MS / 1000, UTC))
        page.goto(server.base_url + "/")
        page.wait_for_selector("body[data-ready=true]")
        page.fill("[data-testid=composer]", f"/pendo account {PREVIEW_ACCOUNT}")
        page.press("[data-testid=composer]", "Enter")
        page.locator(".msg-ephemeral .bk-header").first.wait_for(timeout=15_000)
        page.fill("[data-testid=composer]", f"Jane wrote in about her card: {link}")
        page.press("[data-testid=composer]", "Enter")
        page.locator(".unfurl").get_by_text("before filing").first.wait_for(timeout=15_000)
        page.locator(".unfurl").get_by_text("detractor").first.wait_for(timeout=5_000)
        page.screenshot(path=path)
        browser.close()
    messages = shown(stack, link)
    closer = threading.Thread(target=lambda: asyncio.run(stack.aclose()))
    closer.start()
    closer.join()
    expected = asyncio.run(rendered())
    if messages != expected:
        differ = [name for name in expected if messages.get(name) != expected[name]]
        raise SystemExit(f"the demo showed other Block Kit than the renderers make: {differ}")
    GENERATED.mkdir(exist_ok=True)
    PREVIEW_JSON.write_text(
        dump({"anchor_ms": ANCHOR_MS, "picture": path, "messages": messages}), encoding="utf-8"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/preview.png")
