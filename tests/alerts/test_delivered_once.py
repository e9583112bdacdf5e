"""One alert per ticket, never lost, never to a channel that may not have it: a retried webhook, two
queues on one store (a SQLite file, a real Redis), a Slack error, a stop before the post, a Slack Connect
channel, a channel the bot is not in (`pendo-bot check`, start-up)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.alerts.channels import alert_channels, startup_error
from bot.sample import data
from bot.settings import SettingsError, load_settings
from bot.slack.app import slack_client
from bot.slack.check import slack_lines
from bot.slack.server import alert_channel_error
from tests.alerts.conftest import ALERTS, SECRET, NewDesk, count
from tests.redis.conftest import redis_server, redis_url  # noqa: F401 (fixtures)


async def test_a_retried_webhook_gives_one_alert(new_desk: NewDesk) -> None:
    desk = await new_desk()
    ticket = await desk.file(data.JANE)
    duplicates = count("not_sent", "duplicate")
    assert (await desk.deliver(ticket)).status_code == 200
    await desk.settle()
    # Zendesk's retry: signed again a few seconds later (another signature: not a replay), jobs done
    assert (await desk.deliver(ticket, at=time.time() + 3)).status_code == 200
    await desk.settle()
    assert len(desk.posts()) == 1
    assert count("not_sent", "duplicate") == duplicates + 1


@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_two_queues_on_one_store_give_one_alert(
    new_desk: NewDesk, store: str, request: pytest.FixtureRequest
) -> None:
    shared: dict[str, Any] = {"store": "one"}
    if store == "redis":
        shared["redis_url"] = request.getfixturevalue("redis_url")
    first, second = await new_desk(**shared), await new_desk(**shared)
    ticket = await first.file(data.JANE)
    # both instances get the delivery at once (a retry landing on the other instance), then again
    answers = await asyncio.gather(first.deliver(ticket), second.deliver(ticket, at=time.time() + 2))
    assert [a.status_code for a in answers] == [200, 200]
    await asyncio.gather(first.settle(), second.settle())
    assert (await second.deliver(ticket, at=time.time() + 4)).status_code == 200
    await asyncio.gather(first.settle(), second.settle())
    assert len(first.posts(ALERTS)) == 1


async def test_a_slack_error_releases_the_claim_and_the_retry_posts_once(new_desk: NewDesk) -> None:
    desk = await new_desk()
    desk.slack.method_failures["chat.postMessage"] = ["internal_error"]
    errors, sent = count("not_sent", "slack_error"), count("sent", "detractor")
    ticket = await desk.file(data.JANE)
    await desk.deliver(ticket)
    await desk.settle()
    tries = [c for c in desk.slack.calls if c.method == "chat.postMessage"]
    assert [bool((c.result or {}).get("ok")) for c in tries] == [False, True]
    assert len(desk.posts()) == 1
    assert count("not_sent", "slack_error") == errors + 1 and count("sent", "detractor") == sent + 1


async def test_slack_rate_limiting_waits_its_retry_after(new_desk: NewDesk) -> None:
    desk = await new_desk()
    desk.slack.retry_after = 30  # longer than the client waits itself: the queue waits instead
    desk.slack.method_failures["chat.postMessage"] = ["ratelimited"]
    ticket = await desk.file(data.JANE)
    await desk.deliver(ticket)
    for _ in range(200):
        waiting = [j for j in await desk.queue.jobs.waiting() if j.kind == "alert"]
        if waiting and waiting[0].attempts == 1:
            break
        await asyncio.sleep(0.02)
    assert waiting[0].due >= time.time() + 25  # Slack's Retry-After, not the queue's 0.05 s
    assert desk.posts() == []


async def test_a_stop_before_the_post_loses_no_alert(new_desk: NewDesk) -> None:
    """SIGTERM while the alert is under way (its channel being checked): the job and the claim go back;
    the next start posts it once."""
    first = await new_desk(store="shared")
    first.slack.method_delays["conversations.info"] = 4.0  # past the stop's 2 s for idle workers
    ticket = await first.file(data.JANE)
    await first.deliver(ticket)
    await first.slack.wait_for(lambda: first.slack.by_method("conversations.info"))
    await first.queue.stop(grace=0)
    assert first.posts() == []
    first.slack.method_delays.clear()
    second = await new_desk(store="shared")
    await second.settle()
    assert len(second.posts()) == 1


async def test_a_slack_connect_channel_is_refused_before_posting(new_desk: NewDesk) -> None:
    desk = await new_desk()
    desk.slack.shared_channels = {ALERTS}
    refused = count("not_sent", "channel_refused")
    ticket = await desk.file(data.JANE)
    await desk.deliver(ticket)
    await desk.settle()
    assert desk.posts() == [] and desk.slack.by_method("chat.postMessage") == []
    assert count("not_sent", "channel_refused") == refused + 1
    gone = await desk.queue.jobs.given_up()
    assert [(g.kind, g.ticket_id) for g in gone] == [("alert", ticket)]  # listed by `pendo-bot notes`
    assert desk.ticket_reads(ticket) == 0


def test_start_up_refuses_a_slack_connect_alert_channel_naming_its_variable(
    clean_env: None, slack_server: tuple[Any, str], fake_slack: Any
) -> None:
    from bot.deps import build_deps
    from bot.sample import connect

    fake_slack.shared_channels = {"CSHARED01"}
    fake_slack.not_in_channels = {ALERTS}
    settings = load_settings(
        zendesk_webhook_secret=SECRET,
        alerts_channel=ALERTS,
        alert_routes="detractor>CSHARED01",
        slack_bot_token="xoxb-alerts-test",
        slack_api_url=f"{slack_server[1]}/api/",
    )
    wired = connect(settings)
    deps = build_deps(
        wired.settings,
        pendo_transport=wired.pendo,
        zendesk_transport=wired.zendesk,
        slack=slack_client(settings),
    )
    try:
        problem = alert_channel_error(deps)
    finally:
        asyncio.run(deps.aclose())
    assert problem is not None and problem.startswith(
        "ALERT_ROUTES: channel CSHARED01: it is a Slack Connect"
    )


async def test_check_names_an_alert_channel_the_bot_is_not_in(
    clean_env: None, slack_server: tuple[Any, str], fake_slack: Any
) -> None:
    fake_slack.not_in_channels = {"CNOTIN001"}
    settings = load_settings(
        zendesk_webhook_secret=SECRET,
        alerts_channel=ALERTS,
        alert_routes="key_account>CNOTIN001",
        slack_bot_token="xoxb-alerts-test",
        slack_signing_secret="alerts-signing-secret",
        slack_api_url=f"{slack_server[1]}/api/",
    )
    ok, lines = await slack_lines(settings)
    assert not ok
    assert f"OK   Alert channel {ALERTS} (ALERTS_CHANNEL): the bot is a member." in lines
    assert any(
        line.startswith("FAIL Alert channel CNOTIN001 (ALERT_ROUTES): the bot is not a member: invite it")
        for line in lines
    )
    channels = await alert_channels(slack_client(settings), settings)
    assert [(c.channel, c.member) for c in channels] == [(ALERTS, True), ("CNOTIN001", False)]
    assert startup_error(channels) is None  # not being in a channel is a warning at start-up


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"alerts_channel": ALERTS}, "ALERTS_CHANNEL is set but ZENDESK_WEBHOOK_SECRET is not"),
        (
            {"alert_routes": "detractor>C456", "zendesk_webhook_secret": "x"},
            "ALERT_ROUTES is set but ALERTS_CHANNEL",
        ),
        (
            {"alerts_channel": ALERTS, "zendesk_webhook_secret": "x", "unfurl_channels": "C999"},
            f"ALERTS_CHANNEL: channel {ALERTS} is not in UNFURL_CHANNELS",
        ),
        (
            {
                "alerts_channel": ALERTS,
                "zendesk_webhook_secret": "x",
                "unfurl_channels": ALERTS,
                "alert_routes": "key_account>C456",
            },
            "ALERT_ROUTES: channel C456 is not in UNFURL_CHANNELS",
        ),
        ({"alerts_channel": "#cs-alerts"}, "ALERTS_CHANNEL: must be a Slack channel id"),
        ({"alert_rules": "detractor,angry"}, "ALERT_RULES: unknown rule 'angry'"),
    ],
)
def test_alert_settings_that_stop_start_up_name_the_variable(
    clean_env: None, settings: dict[str, str], error: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(**settings)
    assert error in str(raised.value)
