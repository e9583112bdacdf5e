"""`pendo-bot demo`'s Zendesk page: filing a sample ticket writes exactly one private note, through the
sample Zendesk's trigger, a signed webhook to the real bot, and the bot's write back."""

from __future__ import annotations

import asyncio
import re

import httpx

from bot.sample import JANE
from bot.sample.preview.app import create_preview_app
from bot.sample.preview.stack import DemoStack
from bot.settings import load_settings


async def test_filing_a_ticket_in_the_demo_writes_one_private_note() -> None:
    stack = DemoStack(load_settings())
    await asyncio.to_thread(stack.start)
    try:
        app = create_preview_app(stack)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:3000"
        ) as page:
            assert stack.ws is not None and stack.bot is not None
            jane = next(u["id"] for u in stack.ws.zendesk_users.values() if u.get("email") == JANE)
            filed = await page.post(
                "/demo/zendesk/file", data={"requester": str(jane), "subject": "Card declined"}
            )
            assert filed.status_code == 303
            await stack.bot.helpdesk.idle()  # the signed webhook reached the bot
            assert stack.bot.deps.note_queue is not None
            await stack.bot.deps.note_queue.idle()
            shown = (await page.get("/demo/zendesk")).text
            assert "#" in shown and "Card declined" in shown
            assert len(re.findall("Internal note", shown)) == 1 and "Jane Doe" in shown
            assert [d.status for d in stack.bot.helpdesk.deliveries] == [200]
            refused = await page.post("/demo/zendesk/file", data={"requester": "12"})
            assert refused.status_code == 400
            # Markup in a ticket's text is text: in the sample's html_body and on the page
            evil = "<script>alert(1)</script>"
            await page.post("/demo/zendesk/file", data={"requester": str(jane), "subject": evil})
            newest = max(stack.bot.helpdesk.tickets)
            first = stack.bot.helpdesk.comments[newest][0]
            assert evil not in first["html_body"] and "&lt;script&gt;" in first["html_body"]
            assert first["body"] == evil
            shown = (await page.get("/demo/zendesk")).text
            assert "<script>alert" not in shown and "&lt;script&gt;alert(1)" in shown
            await stack.bot.helpdesk.idle()
            await stack.bot.deps.note_queue.idle()
    finally:
        await stack.aclose()
