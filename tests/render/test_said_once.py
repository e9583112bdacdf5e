"""Nothing said twice on one screen: every first screen and Details view of the sample's visitors, the
ticket answers and unfurls, and the account views are checked for one fact stated twice (the events a
story line names listed again below it, when someone was last active said twice, the same line twice, a
label of the "what stands out" line said again; on a first screen, the detractor's score said again
below "Detractor (NPS 3)"). "Friction before filing" and the 😣 line below it are two facts: that there
was friction, and where and when."""

from __future__ import annotations

import re
from typing import Any

from bot import answers
from bot.domain.models import AccountFacts, InvalidInput, VisitorFacts
from bot.render import accounts as account_blocks
from bot.render import summary as summary_blocks
from bot.render import tickets as ticket_blocks
from bot.render.buttons import ViewRef
from bot.render.format import KIND_ICON
from bot.render.friction import STAND_OUT_ICON
from bot.sample import Workspace
from bot.sample.data import RENEWAL_FIELD
from tests.render.test_messages import NOW, mrkdwn_texts

DATE = re.compile(r"<!date\^(\d+)\^[^|>]*\|[^>]*>")
LINK = re.compile(r"<[^|>]+\|([^>]*)>")
LAST = re.compile(r"\blast (?:seen|active|activity|visit)\b\W*<!date\^(\d+)\^", re.IGNORECASE)
STORY = re.compile(r"^\*(?:Last session \(\d+ min\)|\d+ min before filing):\* (.*)$")
OLD_ACTIVITY = re.compile(r"\b(?:Daily|Weekly|Monthly|Inactive) · \d+ of \d+ days\b")
ICONS = (*KIND_ICON.values(), "•")
STAND_OUT = f"{STAND_OUT_ICON} "
DETRACTOR = re.compile(r"^Detractor \((NPS \d+)\)$")


def _plain(line: str) -> str:
    """A line as a fact: date tokens as their instant, links as their label, no emphasis, no icons."""
    line = DATE.sub(lambda m: f"@{m.group(1)}", line)
    line = LINK.sub(lambda m: m.group(1), line)
    line = re.sub(r"[*_`~]", "", line)
    line = "".join(ch for ch in line if ch.isalnum() or ch in " @.,:;()%/-'")
    return " ".join(line.split()).casefold()


def _names(story: str) -> set[str]:
    """The names a story line gives: "Save report ×2, Add chart and 3 more" → {save report, add chart}."""
    story = re.sub(r" and \d+ more$", "", story)
    return {_plain(re.sub(r" ×\d+$", "", part)) for part in story.split(", ") if part}


def _entry_name(line: str) -> str | None:
    """The event an entry line names ("🖱️ Export CSV ×3 · 2 min before ticket"), else None."""
    if not line.startswith(ICONS):
        return None
    body = line.split(" ", 1)[1] if " " in line else ""
    name = body.rsplit(" · ", 1)[0]
    return _plain(re.sub(r" ×\d+$", "", name))


def _lines(text: str) -> list[str]:
    """A text's lines; a field's ("*Events (30 d)*\n0 · no change") and an account's each keep their
    head: "0" under Events and "0" under Minutes, one plan on two accounts, are two facts."""
    lines = [line for line in text.split("\n") if line.strip()]
    label = len(lines) > 1 and (re.fullmatch(r"\*[^*]+\*", lines[0]) or lines[0].startswith("🏢"))
    return [f"{lines[0]} {line}" for line in lines[1:]] if label else lines


def stand_out_repeats(lines: list[str], *, first: bool) -> list[str]:
    """A label of the stand-out line ("🚩 Detractor (NPS 3) · Friction before filing · …") said again by
    another line; on a first screen (`first`), also the detractor's score ("NPS 3") in any other line: the
    NPS comment line below it gives the comment and when, not the score again. Details keeps the whole NPS
    answer (its score with it) as the full view of every figure."""
    found: list[str] = []
    for i, line in enumerate(lines):
        text = LINK.sub(lambda m: m.group(1), line)
        if not text.startswith(STAND_OUT):
            continue
        others = [_plain(other) for j, other in enumerate(lines) if j != i]
        for label in text.removeprefix(STAND_OUT).split(" · "):
            fact = _plain(label)
            found += [f"stand-out label said again: {fact}" for other in others if fact in other]
            score = DETRACTOR.match(label)
            if first and score is not None:
                said = re.compile(rf"\b{score.group(1)}\b", re.IGNORECASE)
                found += [f"detractor's score said again: {o}" for o in others if said.search(o)]
    return found


def said_twice(blocks: list[dict[str, Any]], *, first: bool = False) -> list[str]:
    """Each fact this screen states more than once, in words (empty: everything said once). `first`: a
    first screen (an answer, an unfurl), where the stand-out line's labels stand for their detail."""
    texts = [text for _, text in mrkdwn_texts(blocks)]
    lines = [line for text in texts for line in text.split("\n") if line.strip()]
    found: list[str] = []
    seen: dict[str, int] = {}
    for line in (fact for text in texts for fact in _lines(text)):
        fact = _plain(line)
        if len(fact) >= 12:  # "Top features", a day label: too short to be a fact said twice
            seen[fact] = seen.get(fact, 0) + 1
    found += [f"line twice: {fact}" for fact, n in seen.items() if n > 1]
    for i, line in enumerate(lines):
        story = STORY.match(line)
        if story is None:
            continue
        named = _names(story.group(1))
        listed = {n for later in lines[i + 1 : i + 8] if (n := _entry_name(later))}
        if named & listed:
            found.append(f"story names listed again: {sorted(named & listed)}")
    instants = [m.group(1) for text in texts for m in LAST.finditer(text)]
    found += [f"last active said twice: {t}" for t in sorted(set(instants)) if instants.count(t) > 1]
    found += [f"reads as a contradiction: {m.group(0)}" for t in texts for m in OLD_ACTIVITY.finditer(t)]
    found += stand_out_repeats(lines, first=first)
    return found


def test_the_check_fails_on_crafted_duplicates() -> None:
    at = NOW // 1000
    token = f"<!date^{at}^{{date_short_pretty}} at {{time}}|2026-11-18 12:39 UTC>"
    story = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Jane · 🏢 Acme"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Last session (4 min):* Save report, Add chart ×2\n"
                f"{KIND_ICON['feature']} <https://x|Save report> · {token}\n"
                f"{KIND_ICON['feature']} Add chart ×2 · {token}",
            },
        },
    ]
    assert said_twice(story) == ["story names listed again: ['add chart', 'save report']"]
    last = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Last seen {token}\nx. Last active {token}."}}
    ]
    assert said_twice(last) == [f"last active said twice: {at}"]
    line = "Updating our card fails every time"
    twice = [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"*{line}*"}, {"type": "mrkdwn", "text": line}],
        }
    ]
    assert said_twice(twice) == [f"line twice: {line.casefold()}"]
    assert said_twice([{"type": "section", "text": {"type": "mrkdwn", "text": "*Daily · 14 of 30 days*"}}])
    # and nothing on a screen that says each thing once
    once = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Last session (4 min):* Save report\nLast seen {token}"},
        }
    ]
    assert said_twice(once) == []


def test_the_check_fails_on_a_stand_out_label_said_again() -> None:
    def screen(*lines: str) -> list[dict[str, Any]]:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]

    stand_out = "🚩 Detractor (NPS 3) · Friction before filing"
    score = "⚠️ *NPS 3 (detractor)* · 12 days before the ticket: “Card fails”"
    comment = "⚠️ NPS comment, 12 days before the ticket: “Card fails”"
    friction = "😣 4 rage clicks on <https://x|Billing settings>, 6 min before filing"
    assert said_twice(screen(stand_out, score), first=True) == [
        "detractor's score said again: nps 3 (detractor) 12 days before the ticket: card fails"
    ]
    assert said_twice(screen(stand_out, score)) == []  # Details: the whole NPS answer, score and all
    assert said_twice(screen(stand_out, comment, friction), first=True) == []  # two facts each
    assert said_twice(screen(stand_out, "Friction before filing: 4 rage clicks"), first=True) == [
        "stand-out label said again: friction before filing"
    ]
    assert said_twice(screen(stand_out, "NPS 30 days ago: none"), first=True) == []  # not the score


async def test_no_screen_of_the_sample_says_one_fact_twice(make_deps: Any, ws: Workspace) -> None:
    deps, _ = make_deps(
        pendo_email_field="agent/email",
        pendo_subscription_id="5629499534213120",  # the replays and their ▶ Replay button
        pendo_renewal_field=RENEWAL_FIELD,  # the renewal signal
    )
    screens: dict[str, list[dict[str, Any]]] = {}
    for visitor in sorted(ws.visitors):
        try:
            result = await deps.customers.lookup(visitor)
        except InvalidInput:
            continue  # an ID with a slash: looked up by its email elsewhere
        if not isinstance(result, VisitorFacts):
            continue
        screens[f"{visitor} first screen"] = answers.render_result(result, NOW).message["blocks"]
        full = summary_blocks.visitor_message(result, view=ViewRef(result.profile.id, full=True))
        screens[f"{visitor} Details"] = full["blocks"]
    for ticket_id in sorted(ws.tickets):
        try:
            bundle = await deps.tickets.ticket(ticket_id)
        except Exception:
            continue  # a ticket the bot may not see: no screen of facts
        answer = await answers.ticket_answer(deps.tickets, ticket_id, "r1")
        screens[f"ticket {ticket_id} answer"] = answer.message["blocks"]
        tc = await deps.tickets.requester_facts(bundle)
        screens[f"ticket {ticket_id} unfurl"] = ticket_blocks.ticket_unfurl(bundle, NOW, tc)["blocks"]
        if isinstance(tc.pendo, VisitorFacts):
            view = ticket_blocks.ticket_view(bundle, tc.pendo.profile.id).but(full=True)
            header = ticket_blocks.ticket_header_blocks(bundle, NOW)
            details = summary_blocks.visitor_message(tc.pendo, view=view, header_blocks=header)
            screens[f"ticket {ticket_id} Details"] = details["blocks"]
    for account in sorted(ws.accounts):
        facts = await deps.customers.account(account)
        if isinstance(facts, AccountFacts):
            screens[f"account {account}"] = account_blocks.account_message(facts)["blocks"]
            screens[f"account {account} full"] = account_blocks.account_message(facts, full=True)["blocks"]
    assert len(screens) > 40
    first = ("first screen", "answer", "unfurl")
    problems = {
        name: found
        for name, blocks in screens.items()
        if (found := said_twice(blocks, first=name.endswith(first)))
    }
    assert problems == {}
    stand_outs = [name for name, blocks in screens.items() if STAND_OUT in str(blocks)]
    assert any(name.endswith("first screen") for name in stand_outs)  # the check above is not vacuous
    assert any(name.endswith("answer") for name in stand_outs)


def test_fields_read_like_the_rest_of_the_answer() -> None:
    from bot.domain.models import FieldKind, MetadataField
    from bot.domain.usage import metadata_fields
    from bot.pendo.models import FieldSchema
    from bot.render.fields import field_value

    renewal = 1_800_000_000_000  # Jan 15, 2027 (UTC)
    schema = {
        "custom": {
            "renewal": FieldSchema(Type="time", DisplayName="Renewal"),
            "vip": FieldSchema(Type="boolean"),
        },
        "agent": {"language": FieldSchema(Type="string", DisplayName="Language")},
    }
    meta: dict[str, dict[str, Any]] = {
        "custom": {"renewal": renewal, "vip": True},
        "agent": {"language": "en_US"},
    }
    got = metadata_fields(meta, ["custom/renewal", "custom/vip", "agent/language"], schema)
    assert [f.kind for f in got] == [FieldKind.DATE, FieldKind.BOOLEAN, FieldKind.LOCALE]
    assert [f.value for f in got] == ["2027-01-15", "yes", "en_US"]  # the note's plain form is unchanged
    assert [field_value(f) for f in got] == [
        f"<!date^{renewal // 1000}^{{date_short}}|Jan 15, 2027>",
        "Yes",
        "English (US)",
    ]
    odd = MetadataField("Language", "xx_YY", FieldKind.LOCALE, "xx_YY")
    assert field_value(odd) == "xx (YY)"


def test_the_field_picker_hides_pendo_internals_and_offers_each_field_once() -> None:
    from bot.pendo.models import FieldSchema
    from bot.render.preferences import offered_paths
    from bot.sample.data import VISITOR_SCHEMA

    schema = {g: {n: FieldSchema.model_validate(v) for n, v in f.items()} for g, f in VISITOR_SCHEMA.items()}
    offered = offered_paths(schema)
    for internal in ("auto/idhash", "auto/lastservername", "pendo/donotprocess", "auto/accountids"):
        assert (
            internal in {f"{g}/{n}" for g, f in VISITOR_SCHEMA.items() for n in f} and internal not in offered
        )
    assert "agent/language" in offered and "custom/planlevel" in offered
    twice = dict(schema, extra={"plan": FieldSchema(Type="string", DisplayName="Plan Level")})
    labels = [p for p in offered_paths(twice) if p.endswith("plan") or p.endswith("planlevel")]
    assert len(labels) == 1
