"""The Zendesk note says what the Slack answer says: from ONE lookup of a ticket's requester (the
workspace's choices, as the note writer makes it), every line of the Slack Details view is in the note, in
the same words, and the figures (events, days active, depth, NPS, accounts and their fields; what stands
out, the friction before filing, its 30-day trend, each replay's start and length, each timeline entry's
friction, how far Pendo's figures go) are equal, with Pendo's data on time and 5 h late.

Generic on purpose: the Details lines are read from the Block Kit itself, so a line added to Details
later and not to the note fails here (`test_a_details_line_missing_from_the_note_is_reported`)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import pytest

from bot.domain.models import VisitorFacts
from bot.preferences.model import Choices
from bot.render import summary
from bot.render.note import note_for
from bot.render.tickets import ticket_view
from bot.sample import TICKET_AFTER_MIDNIGHT, TICKET_JANE, TICKET_MULTI, Workspace
from bot.sample.data import RENEWAL_FIELD, TICKET_RESELLER
from tests.domain.conftest import NOW
from tests.render.visible import visible
from tests.support.factories import DepsFactory, deps_factory

# Words only Slack has: they name its buttons (the note has none, it shows the whole window at once).
SLACK_ONLY = re.compile(
    r"◀ Earlier shows the rest|list shortened|[\d,]+ newer entr(y|ies) in this window: Later ▶"
)
NUMBER = re.compile(r"\d[\d,.:-]*\d|\d")
KINDS = r"(?:rage clicks?|error clicks?|dead clicks?|U-turns?)"
COUNTS = rf"[\d,]+ {KINDS}(?:, [\d,]+ {KINDS})*"  # `friction.short_counts`: "4 rage clicks, 2 error clicks"
SUBSCRIPTION = "5629499534213120"  # replay links need it: with it, Details and the note list the replays
LAGS = {"Pendo on time": 0, "Pendo 5 h late": 5}


def _normal(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def details_lines(blocks: list[dict[str, Any]]) -> list[str]:
    """Each line a reader sees in the Details view, buttons aside: a field as "Label: value"."""
    lines: list[str] = []
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            lines.append(block["text"]["text"])
        elif kind == "context":
            lines += [line for e in block["elements"] for line in visible(e["text"]).split("\n")]
        elif kind == "section":
            if "text" in block:
                lines += visible(block["text"]["text"]).split("\n")
            for field in block.get("fields", []):
                label, *values = visible(field["text"]).split("\n")
                lines += [f"{label}: {values[0]}"] if len(values) == 1 else [label, *values]
    kept = (" · ".join(p for p in line.split(" · ") if not SLACK_ONLY.fullmatch(p)) for line in lines)
    return [n for n in (_normal(line) for line in kept) if n]


def note_text(html_body: str) -> str:
    """The note as a reader sees it: tags stripped, entities decoded, one line per paragraph or item."""
    text = re.sub(r"<br>|</p>|</li>|<ul>|<blockquote>", "\n", html_body)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(_normal(line) for line in text.splitlines() if line.strip())


def missing_from(note: str, lines: list[str]) -> list[str]:
    flat = _normal(note)
    return [line for line in lines if line not in flat]


def figures(text: str) -> dict[str, set[Any]]:
    """The figures an agent reads, found in a Details view's lines or a note's text alike."""
    flat = _normal(text)
    comment = re.search(r"“(.*?)”", text, re.S)
    return {
        "events": set(re.findall(r"Events \(30 d\): ([\d,]+)", flat)),
        "days active": set(re.findall(r"Active: (\d+|none) of the last 30 days", flat)),
        "depth": set(re.findall(r"Features used \(30 d\): ([\d,]+) of ([\d,]+) \((\d+)%\)", flat)),
        "nps": set(re.findall(r"NPS (\d+) \((promoter|passive|detractor)\)", flat)),
        "comment": {_normal(comment.group(1))} if comment else set(),
        "accounts": _accounts(text),
        "numbers": set(NUMBER.findall(flat)),
        **friction_figures(text),
    }


def friction_figures(text: str) -> dict[str, set[Any]]:
    """What stands out (each signal's words), the strongest friction (counts, where, when), the 30-day
    line (each count and its change, where most was), each replay (start, length, its friction), each
    timeline entry's friction (name, counts, when), and up to when Pendo had data."""
    lines = [_normal(line) for line in text.splitlines()]
    strongest = (
        r"😣 (.+) on (.+?), ((?:[\w ]+ before filing|at filing|in the hour .+?))(?: \((Pendo has .+)\))?"
    )
    entry = rf"\S+ (.+?)(?: ×\d+)? · ({COUNTS}) · (.+ before ticket.*|at filing.*)"
    return {
        "stand out": {tuple(line[2:].split(" · ")) for line in lines if line.startswith("🚩 ")},
        "friction": {m.groups() for line in lines if (m := re.fullmatch(strongest, line))},
        "no friction": {line for line in lines if line.startswith(("No friction", "😣 No friction"))},
        "trend": {
            (tuple(re.findall(rf"([\d,]+ {KINDS})( \([^)]*\))?", line)), line.partition(" · most on ")[2])
            for line in lines
            if line.startswith("30 d: ")
        },
        "replays": {
            m.groups()
            for line in lines
            if (m := re.fullmatch(rf"▶ Replay (starts .+?) · (\d+) min(?: · ({COUNTS}))?", line))
        },
        "entry friction": {m.groups() for line in lines if (m := re.fullmatch(entry, line))},
        "data until": set(re.findall(r"Pendo has data until ([^)]+)\)", " ".join(lines))),
    }


def _accounts(text: str) -> set[tuple[str, ...]]:
    """(name, id, figures, each field) of every account: its head line "🏢 Acme Corp acme", then its
    lines of figures and fields."""
    out: set[tuple[str, ...]] = set()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        head = re.fullmatch(r"🏢 (.+) ([\w-]+)", line)
        if head is None:
            continue
        rest = []
        for after in lines[i + 1 :]:
            if after.startswith(("🏢", "and ", "⚠️")) or not (after.endswith(" in 30 d") or ": " in after):
                break
            rest += after.split(" · ") if ": " in after and not after.endswith(" in 30 d") else [after]
        out.add((head.group(1), head.group(2), *rest))
    return out


@pytest.fixture
async def make(ws: Workspace) -> AsyncIterator[DepsFactory]:
    async with deps_factory(ws, NOW) as factory:
        yield factory


async def _both(
    make: DepsFactory, ticket_id: int, *, lag_hours: int = 0, friction_fields: bool = True
) -> tuple[list[str], str]:
    """The Details view and the note, rendered from one lookup of the ticket's requester (replay links
    and the renewal signal on; Pendo's figures `lag_hours` late, or without friction counts)."""
    made = make(
        pendo_subscription_id=SUBSCRIPTION,
        pendo_renewal_field=RENEWAL_FIELD,
        pendo_options={"lag_hours": lag_hours, "friction_fields": friction_fields, "clock": lambda: NOW},
    )
    bundle = await made.tickets.ticket(ticket_id)
    tc = await made.tickets.requester_facts(bundle, Choices.workspace(made.settings))
    assert isinstance(tc.pendo, VisitorFacts)
    view = ticket_view(bundle, tc.pendo.profile.id).but(full=True)
    details = summary.visitor_message(tc.pendo, view=view)
    note = note_for(tc, UTC, visitor_url=lambda v: f"https://app.pendo.io/visitor/{v}")
    assert note is not None and note.kind == "found"
    return details_lines(details["blocks"]), note_text(note.html_body)


TICKETS = {
    "detractor, one account": TICKET_JANE,
    "passive, three accounts, a quiet window": TICKET_MULTI,
    "promoter, a busy window": TICKET_AFTER_MIDNIGHT,
    "twelve accounts, a window across midnight": TICKET_RESELLER,
}


@pytest.mark.parametrize("lag_hours", LAGS.values(), ids=LAGS.keys())
@pytest.mark.parametrize("ticket_id", TICKETS.values(), ids=TICKETS.keys())
async def test_every_details_line_is_in_the_note_in_the_same_words(
    make: DepsFactory, ticket_id: int, lag_hours: int
) -> None:
    lines, note = await _both(make, ticket_id, lag_hours=lag_hours)
    assert len(lines) > 20
    assert missing_from(note, lines) == []


@pytest.mark.parametrize("lag_hours", LAGS.values(), ids=LAGS.keys())
@pytest.mark.parametrize("ticket_id", TICKETS.values(), ids=TICKETS.keys())
async def test_the_notes_figures_equal_the_details_views(
    make: DepsFactory, ticket_id: int, lag_hours: int
) -> None:
    lines, note = await _both(make, ticket_id, lag_hours=lag_hours)
    in_details, in_note = figures("\n".join(lines)), figures(note)
    for name in ("events", "days active", "depth", "accounts"):
        assert in_details[name], name  # each sample requester has them: the comparison is not vacuous
    assert all(len(account) >= 5 for account in in_details["accounts"])  # figures and two fields each
    assert in_details["friction"] or in_details["no friction"]  # the 24 h before filing, said either way
    assert in_details["trend"]  # each sample requester has friction in the last 60 days
    assert in_details == in_note


async def test_the_friction_figures_are_compared_not_vacuous(make: DepsFactory) -> None:
    """The detractor's ticket: every kind of friction figure is there, so the comparison above holds
    something; 5 h late, the note says up to when Pendo had data instead of "no friction"."""
    lines, note = await _both(make, TICKET_JANE)
    on_time = figures("\n".join(lines))
    for name in ("stand out", "friction", "trend", "replays", "entry friction"):
        assert on_time[name], name
    (signals,) = on_time["stand out"]
    assert signals[:2] == ("Detractor (NPS 3)", "Friction before filing")
    assert any(s.startswith("Acme Corp renews ") for s in signals)
    assert not on_time["data until"] and not on_time["no friction"]
    assert figures(note)["replays"] == on_time["replays"]
    assert len(on_time["replays"]) <= 3
    lines, note = await _both(make, TICKET_JANE, lag_hours=5)
    late = figures("\n".join(lines))
    assert late["data until"] and late == figures(note)
    assert "No friction in the 24 h before filing." not in note  # never "none" while Pendo lags
    assert any(
        "Pendo has data until" in line for line in late["no friction"] | {str(f) for f in late["friction"]}
    )


@pytest.mark.parametrize("ticket_id", TICKETS.values(), ids=TICKETS.keys())
async def test_without_friction_fields_neither_says_friction(make: DepsFactory, ticket_id: int) -> None:
    lines, note = await _both(make, ticket_id, friction_fields=False)
    in_details, in_note = figures("\n".join(lines)), figures(note)
    assert in_details == in_note
    for name in ("friction", "no friction", "trend", "entry friction", "data until"):
        assert not in_note[name], name
    assert all("Friction" not in signal for found in in_note["stand out"] for signal in found)
    assert missing_from(note, lines) == []


async def test_the_note_carries_a_detractors_nps_and_every_account(make: DepsFactory) -> None:
    _, jane = await _both(make, TICKET_JANE)
    assert "⚠️ NPS 3 (detractor) · 12 days before the ticket" in jane
    assert "“Updating our card fails every time & the <invoice> page takes forever to load." in jane
    assert "Features used (30 d): 27 of 34 (79%) · ▲ 3 vs previous 30 d" in jane
    assert jane.splitlines()[1].startswith("🚩 Detractor (NPS 3) · Friction before filing")  # first
    _, reseller = await _both(make, TICKET_RESELLER)
    assert len(re.findall(r"^🏢 ", reseller, re.M)) == 10  # every account read, not three
    assert "Plan Level: Business · Renewal Date: Feb 19, 2027" in reseller
    assert "and 2 more accounts: see the visitor in Pendo" in reseller


async def test_a_details_line_missing_from_the_note_is_reported(make: DepsFactory) -> None:
    lines, note = await _both(make, TICKET_JANE)
    later = {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Seats used*\n41 of 50"}]}
    added = details_lines([later])
    assert added == ["Seats used: 41 of 50"]
    assert missing_from(note, lines + added) == added
    assert figures("\n".join(lines + added))["numbers"] != figures(note)["numbers"]
    replay = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "<https://x|▶ Replay> starts 2 min before filing · 4 min"},
    }
    assert figures("\n".join([*lines, *details_lines([replay])]))["replays"] != figures(note)["replays"]
