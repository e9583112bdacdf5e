"""Issue 27 item 8: the demo's Zendesk page shows a note's html_body as Zendesk would: bold, working
links, and nothing beyond the tags Zendesk allows (no script, no event attribute, no javascript: link)."""

from __future__ import annotations

from typing import Any

from bot.sample import JANE
from bot.sample.preview.stack import DemoStack
from bot.sample.preview.zendesk_panel import zendesk_html


def test_the_sanitizer_keeps_zendesks_tags_and_drops_the_rest() -> None:
    raw = (
        '<p><strong>Jane</strong> <a href="https://x.example/?a=1&b=2" onclick="evil()">link</a> '
        '<a href="javascript:alert(1)">js</a><script>alert(1)</script><img src=x onerror=alert(1)> &lt;b&gt;'
    )
    out = zendesk_html(raw)
    assert "<strong>Jane</strong>" in out and 'href="https://x.example/?a=1&amp;b=2"' in out
    assert "onclick" not in out and "javascript:" not in out and "<script" not in out and "<img" not in out
    assert "alert(1)" not in out and "&lt;b&gt;" in out and out.endswith("</p>")


def test_the_zendesk_page_shows_the_note_bold_with_working_links(
    page: Any, demo: tuple[DemoStack, str]
) -> None:
    stack, base = demo
    assert stack.ws is not None
    page.goto(base + "/demo/zendesk")
    jane = next(u["id"] for u in stack.ws.zendesk_users.values() if u.get("email") == JANE)
    page.select_option("select[name=requester]", str(jane))
    page.fill("input[name=subject]", "<b>not bold</b> Card declined")
    page.click("button[type=submit]")
    page.wait_for_selector(".internal .html a[href^='https://']", timeout=15_000)
    note = page.locator(".internal .html").first
    assert note.locator("strong, b").count() > 0  # bold, as Zendesk shows it
    href = note.locator("a").first.get_attribute("href")
    assert href is not None and href.startswith("https://")
    assert page.locator(".ticket b:has-text('not bold')").count() == 0  # the customer's text stays text
    assert "<b>not bold</b>" in page.locator(".ticket").first.inner_text()
