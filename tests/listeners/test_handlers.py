"""Listeners called directly, as plain functions: the deps as an argument (Bolt passes them from its
context, where the middleware put them), a real AsyncWebClient talks to the fake Slack on loopback, ack
and respond are recorders.

Every exit of an action writes exactly one audit line, the early ones included.
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

import pytest
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners import MODULES, all_routes
from bot.listeners.actions import earlier_version
from bot.listeners.commands import pendo_command
from bot.listeners.message_actions import share_in_channel, show_view
from bot.listeners.middleware import deps_of
from bot.listeners.routes import Route
from bot.listeners.unfurls import link_shared
from bot.render import buttons as button_kit
from bot.render import notices
from bot.sample import JANE
from bot.sample.slack_api import FakeSlack
from tests.support.factories import DepsFactory

HOST = "sample-support.zendesk.com"


class Recorder:
    """Stands in for Bolt's ack / respond: records every call's keyword arguments."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, text: str | None = None, **kwargs: Any) -> None:
        self.calls.append({"text": text, **kwargs} if text is not None else kwargs)


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (str(getattr(r, "action", "")), str(getattr(r, "outcome", "")))
        for r in caplog.records
        if r.name == "bot.audit"
    ]


@pytest.fixture
def client(slack_server: tuple[FakeSlack, str], fake_slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-unit", base_url=f"{slack_server[1]}/api/")


def button(action_id: str, value: str, channel: str = "C0SUPPORT") -> tuple[dict[str, Any], dict[str, Any]]:
    body = {"user": {"id": "U0AGENT"}, "channel": {"id": channel}}
    return body, {"action_id": action_id, "value": value}


@pytest.mark.parametrize(
    ("action_id", "value", "audited"),
    [
        ("share_summary", json.dumps({"v": JANE}), "share"),
        ("share_summary", "{not json", "share"),
        ("pick_visitor", JANE, "pick"),
    ],
)
async def test_a_button_from_an_earlier_version_says_run_pendo_again(
    sample_deps: DepsFactory,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    action_id: str,
    value: str,
    audited: str,
) -> None:
    made = sample_deps()
    ack, respond = Recorder(), Recorder()
    body, action = button(action_id, value)
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        await earlier_version(cast(AsyncAck, ack), body, action, cast(AsyncRespond, respond), made.deps)
    assert ack.calls == [{}]
    assert len(respond.calls) == 1 and respond.calls[0]["replace_original"] is False
    assert notices.EARLIER_VERSION in json.dumps(respond.calls[0])
    assert (
        made.requests == [] and fake_slack.by_method("chat.postMessage") == []
    )  # nothing looked up or posted
    assert audit_lines(caplog) == [(audited, "stale")]


async def test_a_share_refused_in_slack_connect_is_audited(
    sample_deps: DepsFactory,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deps = sample_deps().deps
    fake_slack.shared_channels.add("C0CONNECT")
    body, action = button("message_share", str(button_kit.ViewRef(JANE).encode()), channel="C0CONNECT")
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        await share_in_channel(
            cast(AsyncAck, Recorder()), body, action, cast(AsyncRespond, Recorder()), client, deps
        )
    told = json.dumps(fake_slack.by_method("chat.postEphemeral"))
    assert "Slack Connect" in told
    assert fake_slack.by_method("chat.postMessage") == []
    assert audit_lines(caplog) == [("share", "refused:external")]


async def test_a_picked_visitor_refused_by_the_access_lists_is_audited(
    sample_deps: DepsFactory, client: AsyncWebClient, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    made = sample_deps(allowed_users="U0SOMEONE")
    body, action = button("message_view:pick", str(button_kit.ViewRef(JANE).encode()))
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        await show_view(
            cast(AsyncAck, Recorder()), body, action, cast(AsyncRespond, Recorder()), client, made.deps
        )
    assert "don't have access" in json.dumps(fake_slack.by_method("chat.postEphemeral"))
    assert made.requests == []
    assert audit_lines(caplog) == [("view:pick", "refused:access")]


async def test_the_earlier_version_buttons_are_routed_to_that_answer() -> None:
    routed = {r.key: r.handler for r in all_routes() if r.kind == "action" and isinstance(r.key, str)}
    assert routed["share_summary"] is earlier_version and routed["pick_visitor"] is earlier_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [("help", []), ("jane", [("lookup", "invalid")]), (JANE, [("lookup", "found")])],
)
async def test_the_command_audits_every_lookup_and_never_help(
    sample_deps: DepsFactory,
    client: AsyncWebClient,
    caplog: pytest.LogCaptureFixture,
    text: str,
    expected: list[tuple[str, str]],
) -> None:
    deps = sample_deps().deps
    ack, respond = Recorder(), Recorder()
    command = {"text": text, "user_id": "U0AGENT", "channel_id": "C0SUPPORT", "command": "/pendo"}
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        await pendo_command(cast(AsyncAck, ack), command, cast(AsyncRespond, respond), client, deps)
    assert len(ack.calls) == 1
    assert audit_lines(caplog) == expected


async def test_a_ticket_question_without_zendesk_is_audited(
    sample_deps: DepsFactory, client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    deps = sample_deps(zendesk=False).deps
    ack = Recorder()
    command = {"text": "#1001", "user_id": "U0AGENT", "channel_id": "C0SUPPORT"}
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        await pendo_command(cast(AsyncAck, ack), command, cast(AsyncRespond, Recorder()), client, deps)
    assert "Zendesk isn't connected" in json.dumps(ack.calls)
    assert audit_lines(caplog) == [("lookup", "not_connected")]


def link_event(user: str = "U0AGENT", channel: str = "C0SUPPORT", ticket: int = 1001) -> dict[str, Any]:
    return {
        "type": "link_shared",
        "channel": channel,
        "user": user,
        "message_ts": "1700000000.000100",
        "unfurl_id": f"{channel}.{user}.{ticket}",
        "source": "conversations_history",
        "links": [{"domain": HOST, "url": f"https://{HOST}/agent/tickets/{ticket}"}],
    }


async def test_an_unfurl_by_a_poster_outside_the_access_lists_shows_nothing(
    sample_deps: DepsFactory,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    made = sample_deps(allowed_usergroups="S0SUPPORT")
    fake_slack.usergroups["S0SUPPORT"] = ["U0MEMBER"]
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        await link_shared(link_event(user="U0OUTSIDER"), {}, client, AsyncBoltContext(), made.deps)
        await link_shared(link_event(user="U0MEMBER", ticket=1002), {}, client, AsyncBoltContext(), made.deps)
    assert made.zendesk_controls.requests and all(
        "1002" in r.path for r in made.zendesk_controls.requests
    )  # nothing was fetched for the outsider's link
    unfurled = [list(call["unfurls"]) for call in fake_slack.by_method("chat.unfurl")]
    assert unfurled and all(urls == [f"https://{HOST}/agent/tickets/1002"] for urls in unfurled)
    assert audit_lines(caplog) == [("unfurl", "refused:poster_not_allowed"), ("unfurl", "full")]


def test_services_come_only_from_the_context_the_middleware_filled() -> None:
    with pytest.raises(RuntimeError, match="register_listeners"):
        deps_of(AsyncBoltContext())


def test_every_listener_module_declares_its_routes() -> None:
    declared = all_routes()
    assert {r.kind for r in declared} == {"command", "action", "event", "view", "shortcut"}
    assert {str(r.key) for r in declared if r.kind == "event"} == {
        "app_home_opened",
        "app_mention",
        "link_shared",
        "entity_details_requested",
    }
    assert len(declared) == sum(len(m.ROUTES) for m in MODULES)
    assert all(isinstance(r, Route) for r in declared)


async def test_an_unfurl_whose_poster_slack_cannot_vouch_for_shows_nothing(
    sample_deps: DepsFactory,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    made = sample_deps(allowed_usergroups="S0SUPPORT")
    fake_slack.method_errors["usergroups.users.list"] = "missing_scope"  # fail closed
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        await link_shared(link_event(user="U0MEMBER"), {}, client, AsyncBoltContext(), made.deps)
    assert fake_slack.by_method("chat.unfurl") == [] and made.zendesk_controls.requests == []
    assert audit_lines(caplog) == [("unfurl", "refused:poster_not_allowed")]
