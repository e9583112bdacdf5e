"""/pendo through the real app: ack body and order, final blocks, errors, access, signatures."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from bot.sample import JANE, OPS, OPS_VISITOR_IDS, PRIVATE, TICKET_JANE, TICKET_NO_EMAIL
from bot.sample.slack_api import FakeSlack
from tests.e2e.conftest import BOT_TOKEN, SECRET, Bot, NewBot
from tests.support.blockkit import validate_message


def share_button(message: dict[str, Any]) -> dict[str, Any]:
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    button: dict[str, Any] = next(
        e for b in actions for e in b["elements"] if e["action_id"] == "message_share"
    )
    return button


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


async def test_lookup_acks_at_once_then_replaces_with_the_summary(bot: Bot) -> None:
    started = time.monotonic()
    response, rid = await bot.command("Jane.Doe@Acme.example")
    assert response.status_code == 200
    ack = response.json()
    assert ack["response_type"] == "ephemeral"
    assert "Looking up" in ack["text"] and "Jane.Doe@Acme.example" in ack["text"]
    final = await bot.final_response(rid)
    assert time.monotonic() - started < 5
    assert final["replace_original"] is True and final["response_type"] == "ephemeral"
    validate_message(final["blocks"], final["text"])
    assert final["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Jane Doe", "emoji": True},
    }
    body = texts(final)
    assert " of the last 30 days" in body and "Last session" in body and "Acme Corp" in body
    actions = next(b for b in final["blocks"] if b["type"] == "actions")["elements"]
    assert [a["text"]["text"] for a in actions] == [
        "Show more",
        "Open account",
        "Open in Pendo",
        "Share in channel",
        "Share with a note…",
    ]
    assert actions[2]["url"] == "https://app.pendo.io/visitor/jane.doe%40acme.example"
    assert json.loads(actions[1]["value"]) == {"k": "acme"} and actions[1]["action_id"] == "account_view:open"
    # the ack answered before the final message was posted
    assert len(bot.responses(rid)) == 1


async def test_help_and_empty_show_usage_without_upstream_calls(bot: Bot) -> None:
    for text in ("", "help"):
        response, _rid = await bot.command(text)
        assert "jane@acme.com" in response.json()["text"] or "jane@acme.com" in texts(response.json())
    assert bot.pendo.requests == [] and bot.zendesk.requests == []


@pytest.mark.parametrize(
    ("text", "why"), [("jane", "has no @"), ("jane@acme", "not a domain"), ("a b@c.com", "spaces")]
)
async def test_invalid_input_gets_a_specific_message_and_no_upstream_call(
    bot: Bot, text: str, why: str
) -> None:
    response, rid = await bot.command(text)
    body = response.json()
    assert why in body["text"] and "/pendo jane@acme.com" in body["text"]
    assert bot.pendo.requests == [] and bot.responses(rid) == []


async def test_ambiguous_email_offers_one_button_per_candidate(new_bot: NewBot) -> None:
    bot = await new_bot(pendo_email_field="agent/email")
    _, rid = await bot.command(OPS)
    final = await bot.final_response(rid)
    validate_message(final["blocks"], final["text"])
    buttons = [
        b["accessory"]
        for b in final["blocks"]
        if b.get("accessory", {}).get("action_id") == "message_view:pick"
    ]
    assert sorted(json.loads(b["value"])["v"] for b in buttons) == sorted(OPS_VISITOR_IDS)
    # picking one shows that visitor's summary in place
    _, rid2 = await bot.action("message_view:pick", buttons[0]["value"])
    final2 = await bot.final_response(rid2)
    assert final2["replace_original"] is True
    assert json.loads(buttons[0]["value"])["v"] in texts(final2)


async def test_not_found_says_what_was_searched(bot: Bot) -> None:
    _, rid = await bot.command("nobody-here@example.com")
    final = await bot.final_response(rid)
    assert "No Pendo visitor has this email. Check for typos; they may never have signed in." in texts(final)
    assert "PENDO_EMAIL_FIELD" not in texts(final) and "searched" not in texts(final)


async def test_opted_out_visitor_shows_no_activity(bot: Bot) -> None:
    _, rid = await bot.command(PRIVATE)
    final = await bot.final_response(rid)
    assert "opted out of processing" in texts(final) and "Recent activity" not in texts(final)


async def test_pendo_timeout_is_a_sentence_with_what_to_do(new_bot: NewBot) -> None:
    bot = await new_bot(lookup_deadline_seconds=1, pendo_timeout_seconds=0.5)
    bot.pendo.fail(r"/api/v1/visitor/", 200, delay=3)
    _, rid = await bot.command(JANE)
    final = await bot.final_response(rid)
    assert "Pendo did not answer in 1 s. Try again" in final["text"]
    assert "Traceback" not in final["text"]


async def test_rejected_key_names_the_setting_never_the_key(new_bot: NewBot) -> None:
    bot = await new_bot()
    bot.pendo.fail(r"/api/v1/visitor/", 403)
    _, rid = await bot.command(JANE)
    final = await bot.final_response(rid)
    # words for agents: the setting name goes to the log and to `pendo-bot check`, never to the agent
    assert "Tell whoever runs the bot" in final["text"] and "PENDO_INTEGRATION_KEY" not in json.dumps(final)
    for secret in (SECRET, BOT_TOKEN, bot.deps.settings.pendo_key):
        assert secret not in json.dumps(final)


async def test_share_posts_the_same_summary_visibly_with_who_shared(bot: Bot) -> None:
    _, rid = await bot.command(JANE)
    final = await bot.final_response(rid)
    share = share_button(final)
    response, _ = await bot.action("message_share", share["value"], user="U0SHARER")
    assert response.status_code == 200
    await bot.slack.wait_for(lambda: bot.slack.by_method("chat.postMessage"))
    posted = bot.slack.by_method("chat.postMessage")[0]
    assert posted["channel"] == "C0SUPPORT"
    validate_message(posted["blocks"], posted["text"])
    assert "Shared by <@U0SHARER>" in json.dumps(posted["blocks"])
    assert posted["blocks"][0] == final["blocks"][0]
    assert "message_share" not in json.dumps(posted["blocks"])  # no share button on the shared copy


async def test_share_refuses_politely_where_the_bot_cannot_post(bot: Bot) -> None:
    bot.slack.not_in_channels.add("C0PRIVATE")
    _, rid = await bot.command(JANE, channel="C0PRIVATE")
    final = await bot.final_response(rid)
    share = share_button(final)
    _, rid2 = await bot.action("message_share", share["value"], channel="C0PRIVATE")
    refusal = await bot.final_response(rid2)
    assert "/invite @pendo" in refusal["text"] and refusal["replace_original"] is False


async def test_allow_lists_refuse_politely_naming_the_contact(new_bot: NewBot) -> None:
    bot = await new_bot(allowed_usergroups="S0SUPPORT", access_contact="#support-ops")
    bot.slack.usergroups["S0SUPPORT"] = ["U0MEMBER"]
    refused, rid = await bot.command(JANE, user="U0OUTSIDER")
    assert "Looking up" in refused.json()["text"]  # the ack never waits for Slack's group lookup
    refusal = await bot.final_response(rid)
    assert "#support-ops" in refusal["text"] and refusal["replace_original"] is True
    assert bot.pendo.requests == []
    allowed, rid = await bot.command(JANE, user="U0MEMBER")
    assert "Looking up" in allowed.json()["text"]
    await bot.final_response(rid)


async def test_ticket_number_answers_privately_with_the_ticket_and_context(bot: Bot) -> None:
    _, rid = await bot.command(f"#{TICKET_JANE}")
    final = await bot.final_response(rid)
    validate_message(final["blocks"], final["text"])
    body = texts(final)
    assert f"#{TICKET_JANE}" in body and "Jane Doe" in body and "min before filing" in body
    _, rid2 = await bot.command(f"https://sample-support.zendesk.com/agent/tickets/{TICKET_JANE}")
    assert (await bot.final_response(rid2))["blocks"] == final["blocks"]


async def test_ticket_without_requester_email_gets_header_and_reason(bot: Bot) -> None:
    _, rid = await bot.command(str(TICKET_NO_EMAIL))
    final = await bot.final_response(rid)
    assert "no email address" in texts(final)


async def test_unknown_ticket_is_a_clear_message(bot: Bot) -> None:
    _, rid = await bot.command("999999")
    final = await bot.final_response(rid)
    assert "was not found in Zendesk" in final["text"]


async def test_bad_missing_or_stale_signatures_get_401_and_run_nothing(bot: Bot) -> None:
    body = "command=%2Fpendo&text=jane%40acme.example&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fx"
    base = {"content-type": "application/x-www-form-urlencoded"}
    forged = {**base, **bot.sign(body), "x-slack-signature": "v0=" + "0" * 64}
    stale = {**base, **bot.sign(body, ts=int(time.time()) - 301)}
    for headers in (forged, base, stale):
        response = await bot.http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 401
    assert bot.pendo.requests == [] and bot.slack.calls == []


async def test_health_and_readiness(bot: Bot) -> None:
    assert (await bot.http.get("/healthz")).text == "ok"
    ready = await bot.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["pendo"] == "ok"
    bot.deps.memo.clear()  # forget the last readiness answer (kept 30 s)
    bot.pendo.fail(r"/metadata/schema", 403)
    not_ready = await bot.http.get("/readyz")
    refused = not_ready.json()["pendo"]
    assert not_ready.status_code == 503 and "Pendo refused the bot's integration key" in refused
    assert "HTTP 403" in refused and "another region" in refused and "PENDO_INTEGRATION_KEY" in refused


async def test_app_home_shows_connection_status_without_secrets(bot: Bot) -> None:
    await bot.event(
        {"type": "app_home_opened", "user": "U0AGENT", "channel": "D1", "tab": "home", "event_ts": "1"}
    )
    await bot.slack.wait_for(lambda: bot.slack.by_method("views.publish"))
    view = bot.slack.by_method("views.publish")[0]["view"]
    validate_message(view["blocks"], surface="home")
    text = json.dumps(view)
    assert "region `us`" in text and "visitor ID is the email" in text
    assert "sample-support.zendesk.com" in text and "sample" not in text.replace("sample-support", "")
    assert BOT_TOKEN not in text and SECRET not in text


async def test_app_home_without_zendesk_says_not_connected(new_bot: NewBot) -> None:
    # A real Pendo key and no Zendesk account: the ticket features are off, and Home says so (it used
    # to call this "the embedded sample helpdesk").
    b = await new_bot(zendesk=False)
    await b.event(
        {"type": "app_home_opened", "user": "U0AGENT", "channel": "D1", "tab": "home", "event_ts": "1"}
    )
    await b.slack.wait_for(lambda: b.slack.by_method("views.publish"))
    text = json.dumps(b.slack.by_method("views.publish")[0]["view"])
    assert "*Zendesk:* not connected" in text and "sample" not in text


async def test_share_refuses_in_slack_connect_channels(bot: Bot) -> None:
    bot.slack.shared_channels.add("C0CONNECT")
    _, rid = await bot.command(JANE, channel="C0CONNECT")
    final = await bot.final_response(rid)
    assert "message_share" not in texts(final)  # no Share button where sharing would be refused
    _, rid0 = await bot.command(JANE, channel="C0SUPPORT")
    share = share_button(await bot.final_response(rid0))  # a button from elsewhere, clicked here
    _, rid2 = await bot.action("message_share", share["value"], channel="C0CONNECT")
    refusal = await bot.final_response(rid2)
    assert "Slack Connect" in refusal["text"] and refusal["replace_original"] is False
    assert bot.slack.by_method("chat.postMessage") == []


async def test_ticket_numbers_when_zendesk_is_not_connected(new_bot: NewBot) -> None:
    bot = await new_bot(zendesk=False)
    response, rid = await bot.command(str(TICKET_JANE))
    assert (
        "Zendesk isn't connected" in response.json()["text"]
        and "ZENDESK_SUBDOMAIN" not in response.json()["text"]
    )
    assert bot.zendesk.requests == [] and bot.responses(rid) == []


async def test_oauth_variables_do_not_switch_the_bot_to_oauth(
    new_bot: NewBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "123.456")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret-value")
    bot = await new_bot()
    _, rid = await bot.command(JANE)
    final = await bot.final_response(rid)
    assert final["blocks"][0]["text"]["text"] == "Jane Doe"
    assert all(c.method != "oauth.v2.access" for c in bot.slack.calls)


async def test_auth_test_runs_at_start_up_not_on_the_first_request(bot: Bot) -> None:
    assert [c.method for c in bot.startup_calls] == ["auth.test"]
    response, rid = await bot.command(JANE)
    assert response.status_code == 200
    await bot.final_response(rid)
    assert bot.slack.by_method("auth.test") == []  # the first request did not wait for Slack


async def test_a_token_refused_at_start_up_is_logged_by_name_never_by_value(
    new_bot: NewBot, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.method_errors["auth.test"] = "invalid_auth"
    with caplog.at_level(logging.INFO):
        bot = await new_bot()
    assert [c.method for c in bot.startup_calls] == ["auth.test"]
    refused = [r for r in caplog.records if "refused the bot token" in r.getMessage()]
    assert refused and getattr(refused[0], "error", None) == "invalid_auth"
    assert BOT_TOKEN not in "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
