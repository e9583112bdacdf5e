"""The alert message, pure: the reason in the signals' own words (each rule), the header, the stand-out
line, the three buttons; Slack's limits hold with extreme data. Every expected phrase is the shared
wording (`bot.render.friction`, `bot.render.nps`) applied to the hand-built facts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.alerts.rules import FieldMatch, Route, Rules
from bot.domain import signals
from bot.render import alerts
from bot.render import friction as words
from bot.render.buttons import ViewRef
from bot.render.friction_blocks import at_day
from tests.render.test_friction_slack import CREATED, DAY, bundle, facts
from tests.render.test_messages import EVIL, check_message, extreme_bundle, extreme_context


def message(rules: list[str], key: str | None = None, **changes: Any) -> dict[str, Any]:
    ctx = facts(**changes)
    made = alerts.alert_message(bundle(), ctx, rules, signals.every_signal(ctx), key)
    check_message(made)
    return made


def test_each_rules_reason_in_the_signals_words() -> None:
    ctx = facts()
    found = {s.kind.value: s for s in signals.every_signal(ctx)}
    assert set(found) == {"detractor", "friction", "usage_drop", "renewal"}
    listed = list(found.values())
    reason = {rule: alerts.reason_words(rule, listed, None) for rule in found}
    assert reason["detractor"] == "Detractor (NPS 3, 12 days before the ticket)"
    assert reason["friction"] == "Struggling customer (friction before filing)"
    assert reason["usage_drop"] == "Customer with usage down by half or more (30 d)"
    said = words.signal_words(found["renewal"], at_day, ticket=True)  # "Acme Corp renews 3 weeks … (date)"
    head, _, day = said.rpartition(" (")
    assert reason["renewal"] == f"Renewing customer ({head}, {day[:-1]})"
    assert alerts.reason_words("key_account", listed, "Acme <Corp>") == "Key account (Acme &lt;Corp&gt;)"
    new = facts(profile=replace(facts().profile, first_visit_ms=CREATED - 3 * DAY))
    first = [s for s in signals.every_signal(new) if s.kind is signals.SignalKind.NEW_USER]
    assert (
        alerts.reason_words("new_user", first, None) == f"New user (first visit {at_day(CREATED - 3 * DAY)})"
    )


def test_the_message_reason_header_stand_out_and_buttons() -> None:
    made = message(["detractor", "friction", "key_account"], key="Acme Corp")
    b = bundle()
    assert (
        made["text"]
        == "Detractor (NPS 3, 12 days before the ticket) filed #1001: Can't update our credit card"
    )
    top = made["blocks"][0]["text"]["text"].splitlines()
    assert top[0] == (
        "🔔 *Detractor (NPS 3, 12 days before the ticket)* filed "
        f"*<{b.agent_url}|#1001: Can't update our credit card>*"
    )
    assert top[2] == "Requester *Jane Doe (Acme Corp)* · Assignee Alex Rivera · Group Tier 1"
    lines = made["blocks"][1]["text"]["text"].splitlines()
    assert lines[0].startswith("🚩 Detractor (NPS 3) · Friction before filing") and lines[0].endswith(
        " · Key account (Acme Corp)"
    )
    assert lines[1].startswith("⚠️ NPS comment, 12 days before the ticket: “Updating our card")
    assert lines[2].startswith("😣 4 rage clicks and 2 error clicks on ")
    elements = made["blocks"][-1]["elements"]
    assert [e["text"]["text"] for e in elements] == [
        "Details (only you see them)",
        "Open ticket",
        "Open in Pendo",
    ]
    assert elements[0]["action_id"] == "message_view:detail"  # the click handler every view button has
    assert ViewRef.decode(elements[0]["value"]) == ViewRef(
        "jane", anchor_ms=CREATED, ticket_id=1001, ticket_ms=CREATED, full=True
    )
    assert elements[1]["url"] == b.agent_url and elements[2]["url"] == "https://app.pendo.io/visitor/jane"


def test_a_key_account_first_says_so_and_nothing_else_stands_out() -> None:
    made = message(["key_account"], key="Acme Corp", nps=None, recent_nps=None, friction=None, usage=None)
    assert made["text"].startswith("Key account (Acme Corp) filed #1001")


@pytest.mark.parametrize("rule", ["detractor", "friction", "key_account"])
def test_extreme_data_stays_within_slacks_limits(rule: str) -> None:
    ctx = extreme_context()
    made = alerts.alert_message(extreme_bundle(), ctx, [rule], signals.every_signal(ctx), EVIL * 50)
    check_message(made)


def test_rules_route_by_rule_then_account_field_else_the_alerts_channel() -> None:
    rules = Rules(
        enabled=("detractor", "friction", "key_account"),
        key_ids=frozenset({"acme"}),
        key_matches=(FieldMatch("salesforce", "tier", "Strategic"),),
        routes=(Route.parse("key_account>CKEY"), Route.parse("custom/planlevel=Enterprise>CENT")),
        default_channel="CALL",
    )
    enterprise = {"custom": {"planlevel": "enterprise"}}
    assert rules.key_account({"globex": {}, "acme": {}}) == "acme"
    assert rules.key_account({"initech": {"salesforce": {"tier": "strategic"}}}) == "initech"
    assert rules.channel_for(["detractor", "key_account"], {}) == "CKEY"
    assert rules.channel_for(["friction"], {"umbrella": enterprise}) == "CENT"
    assert rules.channel_for(["friction"], {"globex": {}}) == "CALL"
    assert rules.reads_accounts
