"""The fake Slack's one ordered record of Web API calls and response_url posts, which the demo page reads."""

from __future__ import annotations

import httpx

from bot.sample.server import LoopbackServer
from bot.sample.slack_api import FakeSlack, SlackCall, create_slack_app


def test_calls_and_responses_in_one_sequence_with_what_the_fake_answered() -> None:
    state = FakeSlack(not_in_channels={"C0OUT"})
    with LoopbackServer(create_slack_app(state)) as server, httpx.Client(base_url=server.base_url) as http:
        auth = {"authorization": "Bearer xoxb-test"}
        http.post("/api/chat.postMessage", json={"channel": "C1", "text": "hi"}, headers=auth)
        http.post("/response/r1", json={"replace_original": True, "text": "done"})
        http.post("/api/chat.postMessage", json={"channel": "C0OUT", "text": "no"}, headers=auth)
        opened = http.post(
            "/api/views.open", json={"trigger_id": "t", "view": {"type": "modal"}}, headers=auth
        )
        mark = state.last_seq
        http.post("/response/r2", json={"text": "later"})
    log = state.since(0)
    assert [(i["seq"], i["kind"], i["method"]) for i in log] == [
        (1, "api", "chat.postMessage"),
        (2, "response", "r1"),
        (3, "api", "chat.postMessage"),
        (4, "api", "views.open"),
        (5, "response", "r2"),
    ]
    assert log[0]["result"]["ok"] is True and log[0]["result"]["ts"]
    assert log[2]["result"] == {"ok": False, "error": "not_in_channel"}
    assert log[1]["result"] is None and log[1]["body"] == {"replace_original": True, "text": "done"}
    view = opened.json()["view"]
    assert view["type"] == "modal" and view["id"] == log[3]["result"]["view"]["id"]
    assert [i["method"] for i in state.since(mark)] == ["r2"]
    assert len(state.calls) == 3 and len(state.responses) == 2  # the lists the e2e tests read are unchanged


def test_a_call_still_waiting_for_its_answer_is_not_read_nor_skipped() -> None:
    """The demo page once read a views.publish recorded but not yet answered (result None), drew it as
    a failure and moved past it for good; the reader now stops before it and gets it once answered."""
    state = FakeSlack()
    first = state.record(state.calls, SlackCall("chat.postMessage", {"channel": "C1"}))
    first.result = {"ok": True}
    pending = state.record(state.calls, SlackCall("views.publish", {"user_id": "U1"}))
    state.record(state.responses, SlackCall("r1", {"text": "after"}))
    assert [i["method"] for i in state.since(0)] == ["chat.postMessage"]
    pending.result = {"ok": True}
    assert [(i["method"], i["result"]) for i in state.since(first.seq)] == [
        ("views.publish", {"ok": True}),
        ("r1", None),
    ]
