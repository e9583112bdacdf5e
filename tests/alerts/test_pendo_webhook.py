"""Pendo's NPS webhook, end to end: `POST /pendo/webhook/<token>` over real HTTP on loopback (uvicorn, with
its access log on, as `pendo-bot serve --http` runs it), the notes' durable queue (a SQLite file in
tmp_path), the sample Pendo and Zendesk, and the sample Slack on a loopback port of its own.

The payloads are Pendo's (`bot.alerts.nps`: W2, the tech note's NPS Submitted example): the score in
`properties.nps.rating`, the text poll's answer in a `pollSubmitted`'s `properties.pollResponse`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette

from bot.alerts.nps import MAX_BODY, NPS_KIND, PendoAnswer, parse_answer, pendo_webhook_route
from bot.alerts.nps_alerts import NpsAlerts
from bot.alerts.post import AlertPoster
from bot.deps import Deps, build_deps
from bot.sample import LoopbackServer, create_pendo_app, sample_settings
from bot.sample.data import JANE, POWER_USER
from bot.sample.preview.app import create_preview_app
from bot.sample.preview.stack import DemoStack
from bot.sample.slack_api import FakeSlack, create_slack_app
from bot.settings import load_settings
from tests.domain.conftest import NOW
from tests.notes.conftest import FakeZendesk, fake_zendesk, free_port, ws  # noqa: F401 (fixtures)
from tests.support.factories import no_sleep

TOKEN = "pendo-webhook-token-0123456789-abcdefXYZ"
CHANNEL = "C0ALERTS1"
GUIDE = "guide-nps-survey"
WAIT = 0.5  # seconds a score waits for its comment (60 in production)


def nps_submitted(visitor: str, score: int, reason: str = "", *, unique: str | None = None) -> dict[str, Any]:
    """Pendo's NPS Submitted webhook, shaped as the tech note's example (identifying values replaced)."""
    return {
        "app": {"id": -323232, "name": "test_application", "platform": "web"},
        "accountId": "acme",
        "subscription": {"id": 4802463602049999, "name": "test_application"},
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
        "event": "npsSubmitted",
        "properties": {
            "guideId": GUIDE,
            "guideProperties": {
                "id": GUIDE,
                "name": "Quarterly NPS",
                "steps": [{"id": "step-1", "type": ""}],
            },
            "guideStepId": "step-1",
            "language": "en-US",
            "nps": {"rating": score, "reason": reason, "source": "web"},
        },
        "timestamp": int(time.time()),
        "visitorId": visitor,
        "uniqueId": unique or uuid.uuid4().hex,
    }


def poll_submitted(visitor: str, text: str, *, unique: str | None = None) -> dict[str, Any]:
    """The text poll of the same NPS guide, answered: a `pollSubmitted` with `pollId` and `pollResponse`."""
    body = nps_submitted(visitor, 0, unique=unique)
    body["event"] = "pollSubmitted"
    del body["properties"]["nps"]
    body["properties"] |= {"pollId": "poll-nps-reason", "pollResponse": text}
    return body


# --- the harness ------------------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[None]:
    """uvicorn in this loop, access log on at INFO (what `uvicorn.run(log_level=…)` does in HTTP mode)."""

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, log_level="info", access_log=True, lifespan="off"
    )
    server = Server(config)
    task = asyncio.ensure_future(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@dataclass
class Bot:
    deps: Deps
    http: httpx.AsyncClient
    slack: FakeSlack
    zendesk: FakeZendesk

    async def send(self, body: dict[str, Any] | bytes, *, token: str = TOKEN) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        return await self.http.post(f"/pendo/webhook/{token}", content=content, headers=headers)

    def posts(self) -> list[dict[str, Any]]:
        return self.slack.by_method("chat.postMessage")

    def updates(self) -> list[dict[str, Any]]:
        return self.slack.by_method("chat.update")

    async def settle(self, seconds: float = WAIT + 1.5) -> None:
        """Long enough for a score's wait, the queue's poll and a post; then nothing left to do."""
        await asyncio.sleep(seconds)
        assert self.deps.note_queue is not None
        await self.deps.note_queue.idle(10)

    async def stored(self) -> int:
        assert self.deps.note_queue is not None
        return len(await self.deps.note_queue.jobs.waiting())


NewBot = Callable[..., Any]


@pytest.fixture
async def new_bot(ws: Any, fake_zendesk: FakeZendesk) -> AsyncIterator[NewBot]:  # noqa: F811
    async with AsyncExitStack() as stack:
        slack = FakeSlack()
        slack_server = await stack.enter_async_context(LoopbackServer(create_slack_app(slack)))

        async def new(**overrides: Any) -> Bot:
            overrides.setdefault("pendo_email_field", "")
            settings = sample_settings(
                load_settings(
                    zendesk_webhook_secret="zendesk-webhook-secret",
                    pendo_webhook_token=TOKEN,
                    alerts_channel=CHANNEL,
                    slack_bot_token="xoxb-test-token",
                    **overrides,
                )
            )
            deps = build_deps(
                settings,
                pendo_transport=httpx.ASGITransport(app=create_pendo_app(ws)),
                zendesk_transport=httpx.ASGITransport(app=fake_zendesk.app),
                now_ms=lambda: NOW,
                sleep=no_sleep,
            )
            stack.push_async_callback(deps.aclose)
            queue = deps.note_queue
            assert queue is not None and deps.tickets is not None
            client = AsyncWebClient(token="xoxb-test-token", base_url=f"{slack_server.base_url}/api/")
            poster = AlertPoster(client, queue.jobs, settings, pace=0.0)
            queue.handlers[NPS_KIND] = NpsAlerts(
                deps.customers, deps.tickets.zendesk, poster, settings
            ).handle
            queue.backoff = (0.3,)
            route = pendo_webhook_route(settings, queue, deps.inflight, wait=WAIT)
            assert route is not None
            port = free_port()
            await stack.enter_async_context(serving(Starlette(routes=[route]), port))
            deps.start()
            http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
            stack.push_async_callback(http.aclose)
            return Bot(deps, http, slack, fake_zendesk)

        yield new


def open_ticket_ids(zendesk: FakeZendesk, email: str) -> list[int]:
    """The sample Zendesk's own view: the requester's tickets that are not solved or closed."""
    users = zendesk.app.state.workspace.zendesk_users
    return [
        tid
        for tid, t in zendesk.helpdesk.tickets.items()
        if (users.get(t["requester_id"]) or {}).get("email") == email
        and t["status"] in ("new", "open", "pending", "hold")
    ]


def add_ticket(zendesk: FakeZendesk, like: int, status: str, subject: str) -> int:
    desk = zendesk.helpdesk
    ticket = copy.deepcopy(desk.tickets[like])
    ticket_id = max(desk.tickets) + 1
    ticket |= {"id": ticket_id, "status": status, "subject": subject, "custom_status_id": None}
    desk.tickets[ticket_id] = ticket
    return ticket_id


def message_text(call: dict[str, Any]) -> str:
    return json.dumps(call["blocks"]) + str(call["text"])


# --- the tests --------------------------------------------------------------------------------------------
async def test_a_detractors_score_and_comment_post_one_message_with_the_comment_and_open_tickets(
    new_bot: NewBot,
) -> None:
    bot = await new_bot()
    second = add_ticket(bot.zendesk, 1001, "pending", "Invoices are missing")
    solved = add_ticket(bot.zendesk, 1001, "solved", "Old question, answered")
    score = await bot.send(nps_submitted(JANE, 3))
    comment = await bot.send(poll_submitted(JANE, "Billing keeps failing & nobody <answers>"))
    assert (score.status_code, comment.status_code) == (200, 200)
    assert score.json()["outcome"] == comment.json()["outcome"] == "queued"
    await bot.settle()

    (post,) = bot.posts()
    assert post["channel"] == CHANNEL and not bot.updates()
    text = message_text(post)
    assert "NPS 3 (detractor)" in text and "Jane Doe" in text and "Quarterly NPS" in text
    assert "Billing keeps failing &amp; nobody &lt;answers&gt;" in text
    expected = open_ticket_ids(bot.zendesk, JANE)
    assert sorted(expected) == sorted([1001, second])
    for ticket_id in expected:
        assert f"/agent/tickets/{ticket_id}|#{ticket_id} " in text
    assert f"/agent/tickets/{solved}|" not in text
    assert "Details (only you see them)" in text and "Open in Pendo" in text
    searches = [r for r in bot.zendesk.controls.requests if r.path == "/api/v2/search.json"]
    assert len(searches) == 1  # one search by email


async def test_a_comment_after_the_post_updates_that_message(new_bot: NewBot) -> None:
    bot = await new_bot()
    assert (await bot.send(nps_submitted(JANE, 2))).status_code == 200
    await bot.settle()
    (post,) = bot.posts()
    assert "No comment yet" in message_text(post)
    posted_ts = next(c.result for c in bot.slack.calls if c.method == "chat.postMessage")
    assert posted_ts is not None

    assert (await bot.send(poll_submitted(JANE, "Exports time out every morning"))).status_code == 200
    await bot.settle(1.0)
    (update,) = bot.updates()
    assert (update["channel"], update["ts"]) == (posted_ts["channel"], posted_ts["ts"])
    assert "Exports time out every morning" in message_text(update)
    assert len(bot.posts()) == 1


async def test_a_retried_webhook_posts_nothing_more(new_bot: NewBot) -> None:
    bot = await new_bot()
    score = nps_submitted(JANE, 4, "Too slow")  # score and comment in one webhook: posted at once
    first, again = await bot.send(score), await bot.send(score)
    assert first.json()["outcome"] == "queued" and again.json()["outcome"] == "duplicate"
    await bot.settle()
    assert len(bot.posts()) == 1
    late = await bot.send(score)  # Pendo's retry after the post
    assert late.status_code == 200 and late.json()["outcome"] == "duplicate"
    await bot.settle(0.5)
    assert len(bot.posts()) == 1 and not bot.updates()


async def test_a_wrong_token_is_a_404_with_nothing_stored_or_posted_and_no_token_in_any_log(
    new_bot: NewBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = await new_bot()
    wrong = "x" * len(TOKEN)
    body = nps_submitted(JANE, 1, "Broken")
    refused = await bot.send(body, token=wrong)
    assert refused.status_code == 404
    assert (await bot.send(body, token=TOKEN[:-1])).status_code == 404  # a prefix is wrong too
    assert (await bot.http.post("/pendo/webhook/", content=b"{}")).status_code == 404  # no token at all
    await bot.settle(1.0)
    assert await bot.stored() == 0 and not bot.posts()
    assert bot.deps.note_queue is not None
    assert await bot.deps.note_queue.jobs.marked(f"pendo-webhook:{body['uniqueId']}", now=time.time()) is None

    await bot.send(nps_submitted(JANE, 5), token=TOKEN)  # the right one: its path is logged too
    await asyncio.sleep(0.2)
    records = caplog.records
    access = [r.getMessage() for r in records if r.name == "uvicorn.access"]
    assert len(access) >= 4 and all("/pendo/webhook/[redacted]" in line for line in access[:2])
    for record in records:
        seen = record.getMessage() + json.dumps({k: str(v) for k, v in record.__dict__.items()})
        assert TOKEN not in seen and wrong not in seen


async def test_a_promoter_posts_nothing_with_nps_alerts_detractor_and_is_posted_with_all(
    new_bot: NewBot,
) -> None:
    bot = await new_bot()
    answer = await bot.send(nps_submitted(POWER_USER, 10, "Love it"))
    assert answer.status_code == 200 and answer.json()["outcome"] == "not_detractor"
    await bot.settle(1.0)
    assert await bot.stored() == 0 and not bot.posts()

    every = await new_bot(nps_alerts="all")
    assert (await every.send(nps_submitted(POWER_USER, 10, "Love it"))).json()["outcome"] == "queued"
    await every.settle()
    (post,) = every.posts()
    assert "NPS 10 (promoter)" in message_text(post) and "Love it" in message_text(post)


async def test_a_too_large_body_is_refused_and_a_bad_one_is_a_400(new_bot: NewBot) -> None:
    bot = await new_bot()
    big = nps_submitted(JANE, 3, "x" * (MAX_BODY + 10))
    assert (await bot.send(big)).status_code == 413
    assert (await bot.send(b"{not json")).status_code == 400
    assert (await bot.send({"event": "npsSubmitted", "properties": {}})).status_code == 400
    other = await bot.send(nps_submitted(JANE, 3) | {"event": "guideDisplayed"})
    assert other.status_code == 200 and other.json()["ignored"] == "another event"
    await bot.settle(1.0)
    assert await bot.stored() == 0 and not bot.posts()


async def test_the_demo_control_sends_the_score_then_the_comment_and_one_alert_is_posted() -> None:
    stack = DemoStack(load_settings(alerts_channel=CHANNEL, zendesk_webhook_secret="replaced-by-the-demo"))
    await asyncio.to_thread(stack.start)
    try:
        assert stack.bot is not None and stack.bot.deps.note_queue is not None
        deps, queue = stack.bot.deps, stack.bot.deps.note_queue
        assert deps.tickets is not None
        client = AsyncWebClient(token=stack.bot_token, base_url=f"{stack.slack_url}/api/")
        poster = AlertPoster(client, queue.jobs, deps.settings, pace=0.0)
        alerts = NpsAlerts(deps.customers, deps.tickets.zendesk, poster, deps.settings)
        queue.handlers.setdefault(NPS_KIND, alerts.handle)  # the deps' own wiring, when it is there
        transport = httpx.ASGITransport(app=create_preview_app(stack))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000") as page:
            assert "Send the score, then the comment" in (await page.get("/demo/pendo")).text
            form = {"visitor": JANE, "score": "2", "comment": "Exports keep timing out"}
            sent = await page.post("/demo/pendo/answer", data=form)
            assert sent.status_code == 303 and sent.headers["location"].endswith("sent=200%2C+200")

            def posted() -> list[dict[str, Any]]:
                return stack.slack.by_method("chat.postMessage")

            await stack.slack.wait_for(posted, timeout=10)  # the comment came: posted at once, not in 60 s
            (post,) = posted()
            assert post["channel"] == CHANNEL and "Exports keep timing out" in message_text(post)
            await queue.idle(10)
            assert len(posted()) == 1
    finally:
        await stack.aclose()


def test_both_shapes_of_the_answer_are_read() -> None:
    """`nps.rating`/`nps.reason` (the tech note's example); `pollResponse` (Pendo's pollEvents name)."""
    example = nps_submitted("Webhook Visitor", 9, "Keep up the great work!")
    answer = parse_answer(json.dumps(example).encode())
    assert isinstance(answer, PendoAnswer)
    assert (answer.score, answer.comment, answer.guide_name) == (
        9,
        "Keep up the great work!",
        "Quarterly NPS",
    )
    as_row = nps_submitted("v", 0)
    del as_row["properties"]["nps"]
    as_row["properties"]["pollResponse"] = "6"
    parsed = parse_answer(json.dumps(as_row).encode())
    assert isinstance(parsed, PendoAnswer) and (parsed.score, parsed.comment) == (6, None)
    empty = nps_submitted("v", 10, "")  # a live payload's empty reason: no comment
    parsed = parse_answer(json.dumps(empty).encode())
    assert isinstance(parsed, PendoAnswer) and parsed.comment is None
    rating_poll = poll_submitted("v", "4")  # a number in a poll: not taken for a comment
    assert parse_answer(json.dumps(rating_poll).encode()) == "no answer"
