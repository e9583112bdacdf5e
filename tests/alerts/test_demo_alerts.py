"""`pendo-bot demo`: filing a sample ticket as a detractor on the "Zendesk ticket" page posts one alert in
#cs-alerts (the stack's ALERTS_CHANNEL), through the sample Zendesk's signed webhook and the fake Slack;
an ordinary requester's ticket posts none."""

from __future__ import annotations

import asyncio

import httpx

from bot.sample import JANE, MULTI
from bot.sample.preview.app import create_preview_app
from bot.sample.preview.stack import ALERTS_CHANNEL, DemoStack
from bot.settings import load_settings


async def test_a_detractors_ticket_filed_in_the_demo_is_told_in_cs_alerts(clean_env: None) -> None:
    stack = DemoStack(load_settings())
    await asyncio.to_thread(stack.start)
    try:
        app = create_preview_app(stack)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:3000"
        ) as page:
            assert stack.ws is not None and stack.bot is not None
            config = (await page.get("/demo/config")).json()
            assert {"id": ALERTS_CHANNEL, "name": "cs-alerts"}.items() <= next(
                c for c in config["channels"] if c["id"] == ALERTS_CHANNEL
            ).items()
            users = {u.get("email"): u["id"] for u in stack.ws.zendesk_users.values()}
            for email, subject in ((MULTI, "Where is the export button?"), (JANE, "Card declined")):
                filed = await page.post(
                    "/demo/zendesk/file", data={"requester": str(users[email]), "subject": subject}
                )
                assert filed.status_code == 303
                await stack.bot.helpdesk.idle()  # the signed webhook reached the bot
                assert stack.bot.deps.note_queue is not None
                await stack.bot.deps.note_queue.idle()
            posts = [
                b for b in stack.slack.by_method("chat.postMessage") if b.get("channel") == ALERTS_CHANNEL
            ]
            assert len(posts) == 1
            assert posts[0]["text"].startswith("Detractor (NPS 3, ") and posts[0]["text"].endswith(
                ": Card declined"
            )
            assert "#cs-alerts" in (await page.get("/demo/zendesk")).text
    finally:
        await stack.aclose()
