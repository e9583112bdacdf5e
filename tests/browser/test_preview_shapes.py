"""Every message shape the bot's renderers produce is drawn by the page, block by block, element by element.

The shapes are built here with the real renderers over the sample workspace (as tests/render does), then
fed to the page through the fake Slack, the way the bot delivers them: messages with chat.postMessage,
unfurls with chat.unfurl on a message typed in the page, the Home tab with views.publish. The page marks
anything it cannot draw with `data-unknown`; one deliberately unknown block proves that marking works.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from bot import answers
from bot.deps import build_deps
from bot.domain.models import Ambiguous, NotFoundInPendo, VisitorFacts
from bot.http.errors import Unavailable, UpstreamError
from bot.render import messages as message_blocks
from bot.render import summary as summary_blocks
from bot.render import tickets as ticket_blocks
from bot.render.home import home_view
from bot.sample import (
    DORMANT,
    JANE,
    MULTI,
    NOBODY,
    OPS,
    POWER_USER,
    PRIVATE,
    SOLO,
    TONY,
    create_pendo_app,
    create_zendesk_app,
    sample_settings,
)
from bot.sample.data import Workspace
from bot.sample.preview import DemoStack
from bot.settings import load_settings

TIMEOUT = 15_000
UNKNOWN = {"type": "no_such_block", "text": {"type": "mrkdwn", "text": "?"}}


async def _shapes(ws: Workspace, now: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(messages, unfurls) from every renderer, over the sample workspace."""
    deps = build_deps(
        sample_settings(load_settings(pendo_email_field="agent/email")),
        pendo_transport=httpx.ASGITransport(app=create_pendo_app(ws)),
        zendesk_transport=httpx.ASGITransport(app=create_zendesk_app(ws)),
        now_ms=lambda: now,
    )
    messages: list[dict[str, Any]] = []
    unfurls: list[dict[str, Any]] = []
    try:
        for email in (JANE, POWER_USER, MULTI, SOLO, PRIVATE, DORMANT, TONY):
            result = await deps.customers.lookup(email)
            assert isinstance(result, VisitorFacts)
            messages += [
                answers.render_result(result, now).message,
                summary_blocks.visitor_message(
                    result, sharing=summary_blocks.Sharing(shared_by="U012ABCDEF")
                ),
                summary_blocks.visitor_message(result, shareable=False),
            ]
        ambiguous = await deps.customers.lookup(OPS)
        assert isinstance(ambiguous, Ambiguous)
        messages.append(message_blocks.ambiguous_message(ambiguous, now))
        missing = await deps.customers.lookup(NOBODY)
        assert isinstance(missing, NotFoundInPendo)
        messages.append(message_blocks.not_found_message(missing))
        messages += [
            message_blocks.help_message(),
            message_blocks.notice_message("You don't have access to Pendo lookups yet.", icon="🔒"),
            message_blocks.progress_message(JANE),
            message_blocks.notice_message(message_blocks.ZENDESK_OFF, icon="🤔"),
            answers.error_answer(Unavailable("Pendo", "deadline", timeout=8), "r1").message,
        ]
        assert deps.tickets is not None
        for ticket_id in sorted(ws.tickets):
            messages.append((await answers.ticket_answer(deps.tickets, ticket_id, "r1")).message)
            unfurls.append(
                ticket_blocks.ticket_number_unfurl(ticket_id, "Details appear when the message is posted.")
            )
            try:
                bundle = await deps.tickets.ticket(ticket_id)
            except UpstreamError as exc:
                unfurls.append(ticket_blocks.ticket_failure_unfurl(ticket_id, exc))
                continue
            tc = await deps.tickets.requester_facts(bundle)
            full = ticket_blocks.ticket_unfurl(bundle, now, tc)
            unfurls += [
                ticket_blocks.ticket_unfurl(bundle, now),
                ticket_blocks.ticket_unfurl(bundle, now, pending=True),
                full,
                ticket_blocks.with_note(full, "2 more ticket links not previewed"),
            ]
    finally:
        await deps.aclose()
    return messages, unfurls


def _in_thread(work: Any) -> Any:
    """Run a coroutine to completion outside Playwright's event loop."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(work)))
    thread.start()
    thread.join(timeout=60)
    return out[0]


def _element_types(node: Any) -> Iterator[str]:
    """Types of interactive/image elements (accessories, actions elements), not text objects."""
    if isinstance(node, dict):
        for key in ("accessory", "element"):
            if isinstance(node.get(key), dict):
                yield node[key]["type"]
        if node.get("type") == "actions":
            yield from (e["type"] for e in node.get("elements", []))
        for value in node.values():
            yield from _element_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from _element_types(value)


DRAWN_TYPES = """(selector) => [...document.querySelectorAll(selector)].map(
    (el) => [...el.querySelectorAll(':scope .bk-blocks > .bk-block')].map((b) => b.dataset.blockType))"""


def test_every_message_shape_is_drawn(page: Any, demo: tuple[DemoStack, str]) -> None:
    stack, _ = demo
    assert stack.ws is not None
    messages, unfurls = _in_thread(_shapes(stack.ws, int(time.time() * 1000)))
    assert len(messages) > 30 and len(unfurls) > 30
    api = httpx.Client(
        base_url=f"{stack.slack_url}/api/", headers={"authorization": f"Bearer {stack.bot_token}"}
    )

    # Messages, as the bot posts them, plus one block the page cannot know.
    for message in [*messages, {"text": "unknown", "blocks": [UNKNOWN]}]:
        assert api.post("chat.postMessage", json={"channel": "C0SUPPORT", **message}).json()["ok"]
    page.wait_for_function(
        f"document.querySelectorAll('.msg-bot').length >= {len(messages) + 1}", timeout=TIMEOUT
    )
    drawn = page.evaluate(DRAWN_TYPES, ".msg-bot")
    assert drawn[:-1] == [[b["type"] for b in m["blocks"]] for m in messages]
    assert page.locator(".msg-bot").last.locator("[data-unknown='block:no_such_block']").count() == 1

    # Unfurls, attached under a message typed in the page (one chat.unfurl, one URL per shape).
    send_text = "Unfurl shapes"
    page.fill("[data-testid=composer]", send_text)
    page.press("[data-testid=composer]", "Enter")
    typed = page.locator("#messages .msg-reader", has_text=send_text).last
    typed.wait_for(timeout=TIMEOUT)
    ts = typed.get_attribute("data-ts")
    host = stack.settings().zendesk_host
    by_url = {f"https://{host}/agent/tickets/{i}?shape={i}": u for i, u in enumerate(unfurls)}
    assert api.post("chat.unfurl", json={"channel": "C0SUPPORT", "ts": ts, "unfurls": by_url}).json()["ok"]
    page.wait_for_function(f"document.querySelectorAll('.unfurl').length >= {len(unfurls)}", timeout=TIMEOUT)
    assert page.evaluate(DRAWN_TYPES, ".unfurl") == [[b["type"] for b in u["blocks"]] for u in unfurls]

    # The Home tab, as the bot publishes it when the reader opens it (and as the renderer builds it).
    page.locator("#nav-home").click()
    page.locator("#home .bk-header").first.wait_for(timeout=TIMEOUT)
    view = home_view(stack.settings(), sample=True)
    assert api.post("views.publish", json={"user_id": "U0AGENT", "view": view}).json()["ok"]
    page.wait_for_function(
        f"document.querySelectorAll('#home .bk-blocks > .bk-block').length === {len(view['blocks'])}",
        timeout=TIMEOUT,
    )

    # Nothing but the deliberate unknown block is marked, and every element type was drawn as itself.
    assert page.locator("[data-unknown]").count() == 1
    kinds = set(_element_types([*messages, *unfurls, view]))
    assert "button" in kinds
    for kind in kinds:
        assert page.locator(f"[data-el='{kind}']").count() > 0, f"element type {kind} was not drawn"
    api.close()
