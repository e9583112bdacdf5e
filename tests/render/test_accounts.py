"""The account messages within Slack's limits, whatever the data: long names, many fields, markup in
values; compact first, the detail on Show more; a choice; not found; opted out."""

from __future__ import annotations

import json

from bot.domain.models import (
    AccountChoice,
    AccountFacts,
    AccountFigures,
    AccountNotFound,
    AccountSummary,
    AccountVisitor,
    Gap,
    MetadataField,
    TopItem,
    Trend,
)
from bot.http.errors import Unavailable
from bot.render import accounts as ac
from bot.render import blocks as block_kit
from bot.render import buttons as button_kit
from tests.render.visible import visible_text
from tests.support.blockkit import validate_message

NOW = 1_795_000_000_000
LONG = "<!channel> *Acme* & " + "Very Long Name " * 40


def extreme(n_visitors: int = 5) -> AccountFacts:
    visitors = [
        AccountVisitor(
            id=f"visitor-{i}-" + "x" * 200,
            name=LONG if i % 2 else None,
            email=f"user{i}@acme.example" if i % 3 else None,
            last_visit_ms=NOW - i * 3_600_000 if i % 4 else None,
            events=1000 - i,
            minutes=500 - i,
            days_active=20,
            opted_out=i == 3,
        )
        for i in range(n_visitors)
    ]
    items = [
        TopItem(id=str(i), name=LONG, events=100 - i, minutes=10, url=f"https://app.pendo.io/x/{i}")
        for i in range(5)
    ]
    figures = AccountFigures(
        active_visitors=Trend(12, 10),
        days_active=Trend(20, 25),
        events=Trend(9_876, 0),
        minutes=Trend(0, 0),
        daily_events=[i * 13 for i in range(30)],
        top_visitors=visitors,
        top_features=items,
        top_pages=items,
    )
    return AccountFacts(
        id="acme/" + "y" * 300,
        name=LONG,
        url="https://app.pendo.io/account/acme",
        generated_at_ms=NOW,
        fields=[MetadataField(label=LONG, value=LONG) for _ in range(12)],
        first_visit_ms=NOW - 400 * 86_400_000,
        last_visit_ms=NOW - 60_000,
        figures=figures,
        gaps=[Gap("Usage figures", Unavailable("Pendo", "overall deadline", timeout=8))],
    )


def action_ids(message: block_kit.Message) -> list[str]:
    found = []
    for block in message["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                found.append(element["action_id"])
    return found


def test_compact_then_full_within_slack_limits() -> None:
    ctx = extreme()
    compact = ac.account_message(ctx)
    validate_message(compact["blocks"], compact["text"])
    assert len(compact["blocks"]) <= 8
    mrkdwn = [b for b in compact["blocks"] if b["type"] != "header"]  # a header is plain text: never parsed
    assert "<!channel>" not in json.dumps(mrkdwn) + compact["text"]  # user data escaped in mrkdwn
    assert action_ids(compact) == ["account_view:more", "open_link:account"]
    full = ac.account_message(ctx, full=True)
    validate_message(full["blocks"], full["text"])
    assert len(visible_text(full["blocks"])) > len(visible_text(compact["blocks"]))
    ids = action_ids(full)
    assert ids.count("message_view:pick") == 4  # every top visitor but the opted-out one opens their summary
    assert ids[-2:] == ["account_view:less", "open_link:account"]
    assert "Events per day, last 30 days" in json.dumps(full) and "new activity" in json.dumps(full)


def test_the_buttons_carry_the_account_and_the_view() -> None:
    ctx = extreme(1)
    more = next(
        e
        for b in ac.account_message(ctx)["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == "account_view:more"
    )
    assert button_kit.AccountRef.decode(more["value"]) == button_kit.AccountRef(ctx.id, full=True)
    assert (
        button_kit.AccountRef.decode("not json") is None and button_kit.AccountRef.decode('{"k": ""}') is None
    )


def test_opted_out_choice_and_not_found() -> None:
    opted = ac.account_message(
        AccountFacts(
            id="stark",
            name="Stark",
            url="https://app.pendo.io/account/stark",
            generated_at_ms=NOW,
            opted_out=True,
        )
    )
    validate_message(opted["blocks"], opted["text"])
    assert "opted out" in opted["text"] and action_ids(opted) == ["open_link:account"]
    summaries = [
        AccountSummary(
            id=f"a{i}",
            name=LONG,
            url="https://app.pendo.io/account/a",
            fields=[MetadataField("Plan", "Gold")],
        )
        for i in range(25)
    ]
    choice = ac.account_choice_message(AccountChoice(query=LONG, accounts=summaries))
    validate_message(choice["blocks"], choice["text"])
    assert action_ids(choice).count("account_view:pick") == 20 and "and 5 more" in json.dumps(choice)
    missing = ac.account_not_found_message(AccountNotFound(query="<@U123>"))
    validate_message(missing["blocks"], missing["text"])
    assert "<@U123>" not in json.dumps(missing)
