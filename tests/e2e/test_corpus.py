"""The bad-input corpus (tests/data/corpus/*.json) through the real app, one signed request per case.

`pendo_text.json`: what an agent may type after `/pendo`, with the answer it must get (the ack for help
and invalid input, the final reply for lookups) and whether any upstream may be asked: invalid input
never reaches Pendo or Zendesk. `links.json`: the `links` of a `link_shared` event, with the tickets that
must be previewed; links that are not our tickets get no preview, no upstream call and no error.
The expectations are written by hand in the data file, never computed by the bot's own parsers.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.sample.slack_api import FakeSlack
from tests.e2e.conftest import Bot, make_bot

CORPUS = Path(__file__).parent.parent / "data" / "corpus"
PENDO_TEXT: list[dict[str, Any]] = json.loads((CORPUS / "pendo_text.json").read_text())
LINKS: list[dict[str, Any]] = json.loads((CORPUS / "links.json").read_text())
SETTLE = 0.05  # post-ack work with nothing to do ends within a few event-loop turns


# One app for the whole corpus (building one per case costs more than the case); each case starts from
# empty request logs and caches.
in_module_loop = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared_bot(slack_server: tuple[FakeSlack, str]) -> AsyncIterator[Bot]:
    b = make_bot(slack_server[0], slack_server[1])
    yield b
    await b.http.aclose()
    await b.deps.aclose()


@pytest.fixture
def bot(shared_bot: Bot, fake_slack: FakeSlack) -> Bot:
    shared_bot.pendo.clear()
    shared_bot.zendesk.clear()
    shared_bot.deps.cache.clear()
    shared_bot.deps.memo.clear()
    return shared_bot


def case_id(case: dict[str, Any]) -> str:
    raw = case.get("text", json.dumps(case.get("urls", case.get("raw_links"))))
    return (raw[:40] or "(empty)").encode("unicode_escape").decode()


def test_the_corpus_is_large_enough_and_well_formed() -> None:
    assert len(PENDO_TEXT) >= 100 and len(LINKS) >= 100
    assert sum(not c["upstream"] for c in PENDO_TEXT) >= 50 and sum(not c["upstream"] for c in LINKS) >= 50
    for case in PENDO_TEXT:
        assert case["expect"] in {"help", "invalid", "email", "ticket"}
        assert case["upstream"] == (case["expect"] in {"email", "ticket"})


@in_module_loop
@pytest.mark.parametrize("case", PENDO_TEXT, ids=[case_id(c) for c in PENDO_TEXT])
async def test_pendo_text(bot: Bot, case: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    ack, rid = await bot.command(case["text"])
    assert ack.status_code == 200
    ack_text = ack.json()["text"]
    if not case["upstream"]:
        assert case["reply"] in ack_text
        await asyncio.sleep(SETTLE)
        assert bot.pendo.requests == [] and bot.zendesk.requests == []
        assert bot.responses(rid) == []
        return
    if case["expect"] == "email":
        # the fallback text drops mrkdwn's *; typed backticks show as look-alikes (blocks.typed)
        shown = html.escape(case["value"], quote=False).replace("*", "").replace("`", "ˋ")
        assert f"Looking up {shown} in Pendo" in ack_text.replace("*", "")
    else:
        assert f"Looking up ticket #{case['value']} in Zendesk and Pendo" in ack_text.replace("*", "")
    final = json.dumps(await bot.final_response(rid), ensure_ascii=False)
    assert "Something went wrong" not in final
    if case["final"]:
        assert case["final"] in final
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def link_event(case: dict[str, Any]) -> dict[str, Any]:
    ts = f"1700000000.{uuid.uuid4().int % 10**6:06d}"
    links = case["raw_links"] if "raw_links" in case else [{"domain": "x", "url": u} for u in case["urls"]]
    return {
        "type": "link_shared",
        "channel": "C0SUPPORT",
        "is_bot_user_member": True,
        "user": "U0AGENT",
        "message_ts": ts,
        "unfurl_id": f"C0SUPPORT.{ts}.{uuid.uuid4().hex}",
        "source": "conversations_history",
        "event_ts": ts,
        "links": links,
    }


@in_module_loop
@pytest.mark.parametrize("case", LINKS, ids=[case_id(c) for c in LINKS])
async def test_links(bot: Bot, case: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    response = await bot.event(link_event(case))
    assert response.status_code == 200
    if not case["expect"]:
        await asyncio.sleep(SETTLE)
        assert bot.slack.by_method("chat.unfurl") == []
        assert bot.pendo.requests == [] and bot.zendesk.requests == []
    else:
        await bot.slack.wait_for(
            lambda: any("Looking up" not in json.dumps(c) for c in bot.slack.by_method("chat.unfurl"))
        )
        final = bot.slack.by_method("chat.unfurl")[-1]["unfurls"]
        assert len(final) == len(case["expect"])
        text = json.dumps(final)
        for ticket_id in case["expect"]:
            assert f"#{ticket_id}" in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
