"""One sentence per cause: every failure kind reads the same on every surface that shows it.

`bot.render.words.failure_sentence` writes the sentence; each surface (the whole-answer failure of
/pendo, a gap in a visitor answer, the ticket unfurl, the Zendesk note, the work-object panel, the
terminal) is rendered here and the sentence is read back out of what it drew. A new kind is one row.
"""

from __future__ import annotations

import ast
import html
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import answers
from bot.domain.models import Gap, Missing, VisitorFacts
from bot.domain.tickets import TicketFacts
from bot.http.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    NotFound,
    RateLimited,
    Unavailable,
    UpstreamError,
)
from bot.http.ratelimit import BudgetExhausted
from bot.pendo.client import PendoBadRequest, PendoKeyOrRegionRejected, PendoKeyRefused
from bot.render import note as note_render
from bot.render import summary as summary_blocks
from bot.render import text as terminal_text
from bot.render import tickets as ticket_blocks
from bot.render import words
from bot.render import work_objects as wo
from bot.render.buttons import ViewRef
from bot.zendesk.client import (
    TicketConflict,
    TicketNotFound,
    TicketUnwritable,
    ZendeskAuthError,
    ZendeskForbidden,
)
from tests.render.test_messages import NOW, all_text, extreme_bundle, extreme_context

TZ = ZoneInfo("UTC")
PART = "Usage figures"

# (id, the error, the sentence agents read): the sentence is spelled out, so a change of words shows here
KINDS: list[tuple[str, UpstreamError, str]] = [
    (
        "pendo-401",
        PendoKeyRefused("Pendo", "HTTP 401 from x", status=401, setting="PENDO_INTEGRATION_KEY"),
        "Pendo refused the bot's integration key: a setup problem (often a key from another Pendo region), "
        "not a passing outage, so trying again will not help. Tell whoever runs the bot.",
    ),
    (
        "pendo-403",
        PendoKeyRefused("Pendo", "HTTP 403 from x", status=403, setting="PENDO_INTEGRATION_KEY"),
        "Pendo refused the bot's integration key: a setup problem (often a key from another Pendo region), "
        "not a passing outage, so trying again will not help. Tell whoever runs the bot.",
    ),
    (
        "pendo-400-key-check",
        PendoKeyOrRegionRejected("Pendo", "HTTP 400", status=400, setting="PENDO_INTEGRATION_KEY"),
        "Pendo refused the bot's key: the key or the Pendo region is likely wrong. Ask your Pendo admin to "
        "check the bot's Pendo settings.",
    ),
    (
        "pendo-400",
        PendoBadRequest("Pendo", "HTTP 400 from x", status=400),
        "Pendo refused a request from the bot. If this happens on every lookup, the bot's Pendo key or "
        "region is likely wrong: tell whoever runs the bot (the details are in its log).",
    ),
    (
        "auth-generic",
        AuthError("Pendo", "HTTP 401 from x", status=401, setting="PENDO_INTEGRATION_KEY"),
        "Pendo rejected the bot's credentials. Tell whoever runs the bot.",
    ),
    (
        "zendesk-401",
        ZendeskAuthError("HTTP 401 from x"),
        "Zendesk rejected the bot's credentials. Tell whoever runs the bot.",
    ),
    (
        "zendesk-403-ticket",
        ZendeskForbidden(7, "HTTP 403 from x"),
        "The bot's Zendesk user cannot see ticket #7. Ask your Zendesk admin to give it access to the "
        "ticket's group or brand.",
    ),
    (
        "zendesk-403",
        ZendeskForbidden(None, "HTTP 403 from x"),
        "The bot's Zendesk user is not allowed to read these tickets. Ask your Zendesk admin to check its "
        "role (or the OAuth token's scopes).",
    ),
    (
        "not-found-ticket",
        TicketNotFound(7, "HTTP 404 from x"),
        "Ticket #7 was not found in Zendesk (it may have been deleted, or the link is for another account).",
    ),
    (
        "not-found-visitor",
        NotFound("Pendo", "HTTP 404 from x", status=404),
        "Pendo has no such record.",
    ),
    (
        "rate-limited-30",
        RateLimited("Pendo", "HTTP 429", retry_after=30),
        "Pendo is busy with too many requests from the bot. Try again in 30 s.",
    ),
    (
        "rate-limited",
        RateLimited("Zendesk", "HTTP 429"),
        "Zendesk is busy with too many requests from the bot. Try again in a minute.",
    ),
    (
        "pacing",
        BudgetExhausted("Pendo", "rate budget", retry_after=1.2),
        "The bot is pacing its requests to Pendo so as not to overload it, and this one would have waited "
        "too long. Try again in 2 s.",
    ),
    (
        "unavailable-503",
        Unavailable("Pendo", "HTTP 503 from x", status=503),
        "Pendo is unavailable right now. Try again in a minute.",
    ),
    (
        "unavailable-connection",
        Unavailable("Zendesk", "connection error (ConnectError)"),
        "Zendesk is unavailable right now. Try again in a minute.",
    ),
    (
        "timeout",
        Unavailable("Pendo", "overall deadline", timeout=8),
        "Pendo did not answer in 8 s. Try again in a minute.",
    ),
    (
        "bad-request",
        BadRequest("Zendesk", "HTTP 400 from x", status=400),
        "Zendesk refused a request from the bot. If it keeps happening, tell whoever runs the bot (the "
        "details are in its log).",
    ),
    (
        "bad-response",
        BadResponse("Pendo", "non-JSON body"),
        "Pendo sent an answer the bot could not read. Try again; if it persists, tell whoever runs the bot "
        "(the details are in its log).",
    ),
    (
        "conflict",
        TicketConflict("Zendesk", "HTTP 409", status=409),
        "The ticket changed while the bot was writing to it. Try again.",
    ),
    (
        "unwritable",
        TicketUnwritable("Zendesk", "HTTP 422", status=422),
        "Zendesk did not accept a note on this ticket (it may be closed). Nothing was added.",
    ),
    (
        "generic",
        UpstreamError("Pendo", "HTTP 418 from x", status=418),
        "Pendo returned an unexpected error. Try again in a minute.",
    ),
]


def _one(pattern: str, text: str) -> str:
    found = re.findall(pattern, text)
    assert len(found) == 1, (pattern, text[:2000])
    return str(found[0])


def _visitor(error: UpstreamError) -> VisitorFacts:
    return replace(extreme_context(accounts=0), gaps=[Gap.of(PART, error)])


def whole_answer(error: UpstreamError) -> str:
    text = answers.error_answer(error, "r1").message["text"]
    return _one(r"^(.*) \(ref r1\)$", text)


def summary_gap(error: UpstreamError) -> str:
    ctx = _visitor(error)
    text = all_text(summary_blocks.visitor_message(ctx, view=ViewRef(ctx.profile.id, full=True)))
    return _one(r"⚠️ Usage figures could not be loaded: ([^\n]*)", text)


def ticket_unfurl_gap(error: UpstreamError) -> str:
    """The Pendo part of a ticket unfurl, when Pendo failed for the requester."""
    bundle = extreme_bundle()
    unfurl = ticket_blocks.ticket_unfurl(bundle, NOW, TicketFacts(bundle, reason=Gap.of("Pendo data", error)))
    return _one(r"ℹ️ Pendo data unavailable: ([^\n]*)", all_text(unfurl))


def ticket_unfurl_failure(error: UpstreamError) -> str:
    """The unfurl of a ticket Zendesk would not give."""
    return _one(r"⚠️ ([^\n]*)", all_text(ticket_blocks.ticket_failure_unfurl(7, error)))


def note_gap(error: UpstreamError) -> str:
    tc = TicketFacts(extreme_bundle(), pendo=_visitor(error))
    note = note_render.note_for(tc, TZ, visitor_url=lambda v: f"https://pendo.example/{v}")
    assert note is not None
    return html.unescape(_one(r"<p>⚠️ Usage figures could not be loaded: (.*?)</p>", note.html_body))


def panel_gap(error: UpstreamError) -> str:
    tc = TicketFacts(extreme_bundle(), pendo=_visitor(error))
    return _one(r"Usage figures could not be loaded: ([^\"]*)", json.dumps(wo.pendo_fields(tc)))


def panel_failure(error: UpstreamError) -> str:
    return str(wo.refusal(words.failure_sentence(error))["custom_message"])


def terminal_gap(error: UpstreamError) -> str:
    return _one(r"! Usage figures unavailable: ([^\n]*)", terminal_text.render_visitor(_visitor(error), TZ))


def terminal_ticket(error: UpstreamError) -> str:
    tc = TicketFacts(extreme_bundle(), reason=Gap.of("Pendo data", error))
    return _one(r"Pendo data unavailable: ([^\n]*)", terminal_text.render_ticket(tc, TZ))


SURFACES: dict[str, Callable[[UpstreamError], str]] = {
    "whole answer (/pendo)": whole_answer,
    "gap in a visitor answer": summary_gap,
    "ticket unfurl, Pendo part": ticket_unfurl_gap,
    "ticket unfurl, Zendesk failed": ticket_unfurl_failure,
    "ticket note": note_gap,
    "work-object panel": panel_gap,
    "work-object refusal": panel_failure,
    "terminal, lookup": terminal_gap,
    "terminal, ticket": terminal_ticket,
}


@pytest.mark.parametrize(("error", "sentence"), [k[1:] for k in KINDS], ids=[k[0] for k in KINDS])
def test_every_failure_reads_the_same_on_every_surface(error: UpstreamError, sentence: str) -> None:
    assert words.failure_sentence(error) == sentence
    said = {name: draw(error) for name, draw in SURFACES.items()}
    assert said == dict.fromkeys(SURFACES, sentence)


@pytest.mark.parametrize(("error", "sentence"), [k[1:] for k in KINDS], ids=[k[0] for k in KINDS])
def test_agents_never_read_statuses_or_settings(error: UpstreamError, sentence: str) -> None:
    assert not re.search(r"\bHTTP\b|\b[45]\d\d\b|[A-Z]{3,}_|/api/|Error\b", sentence), sentence
    assert sentence.endswith(".") and sentence[:1].isupper()


@pytest.mark.parametrize(
    ("error", "admin"),
    [
        (
            AuthError("Pendo", "x", status=401, setting="PENDO_INTEGRATION_KEY"),
            "Pendo rejected the bot's credentials (HTTP 401). Ask your Pendo admin to check "
            "PENDO_INTEGRATION_KEY.",
        ),
        (
            PendoKeyOrRegionRejected("Pendo", "x", status=400, setting="PENDO_INTEGRATION_KEY"),
            "Pendo refused the bot's key (HTTP 400): the key or the Pendo region is likely wrong. Ask your "
            "Pendo admin to check the bot's Pendo settings.",
        ),
        (
            Unavailable("Pendo", "HTTP 503 from x", status=503),
            "Pendo is unavailable right now (HTTP 503). Try again in a minute.",
        ),
        (
            Unavailable("Pendo", "connection error (ConnectError)"),
            "Pendo is unavailable right now (connection error (ConnectError)). Try again in a minute.",
        ),
        (Unavailable("Pendo", "deadline", timeout=8), "Pendo did not answer in 8 s. Try again in a minute."),
        (
            PendoKeyRefused("Pendo", "x", status=403, setting="PENDO_INTEGRATION_KEY"),
            words.failure_sentence(PendoKeyRefused("Pendo", "x", status=403)),
        ),
    ],
)
def test_whoever_runs_the_bot_reads_the_status_and_the_setting(error: UpstreamError, admin: str) -> None:
    assert words.admin_sentence(error) == admin


def test_the_admin_line_adds_what_to_fix() -> None:
    error = PendoKeyRefused("Pendo", "x", status=401, hint="check PENDO_REGION")
    assert words.admin_line(error) == f"{words.admin_sentence(error)} (check PENDO_REGION)"
    assert words.admin_line(RateLimited("Pendo", "x")) == words.admin_sentence(RateLimited("Pendo", "x"))


def test_what_is_missing_has_its_words_too() -> None:
    gap = Gap(None, Missing.NOT_IN_PENDO, account="Beta")
    assert words.gap_sentences([gap]) == ["Account Beta: not found in Pendo."]
    assert words.gap_line(gap) == "Account Beta: not found in Pendo"
    assert words.ticket_missing(7) == (
        "Ticket #7 was not found in Zendesk, or the bot's Zendesk user cannot see it."
    )


def test_a_gap_holds_the_failure_and_logs_facts_not_words() -> None:
    error = Unavailable("Pendo", "HTTP 503 from GET /api/v1/x", status=503)
    gap = Gap.of(PART, error).for_account("Acme")
    assert gap.cause is error
    assert str(gap) == (
        "Account Acme: Usage figures unavailable: Unavailable: Pendo: HTTP 503 from GET /api/v1/x"
    )


# --- one place for every sentence: listeners and answers hold none --------------------------------------
BOT = Path(__file__).resolve().parents[2] / "bot"
SENTENCE_FREE = sorted([*(BOT / "listeners").glob("*.py"), BOT / "inflight.py", BOT / "answers.py"])
LOGGERS = {"log", "logger", "logging"}


def _text(node: ast.expr) -> str | None:
    """A string literal as an agent would read it (an f-string's fields as `{}`), None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def sentences(source: str) -> list[str]:
    """String literals that read as a sentence for agents (≥ 4 words, a capital first, '.', '!' or '?'
    last), leaving out docstrings and what goes to the log."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and _text(first.value) is not None:
                skip.add(id(first.value))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in LOGGERS
            and node.args
        ):
            skip.update(id(sub) for sub in ast.walk(node.args[0]))
        if isinstance(node, ast.JoinedStr):  # its pieces are read with the whole f-string
            skip.update(id(value) for value in node.values)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.expr) or id(node) in skip:
            continue
        text = _text(node)
        if text is None:
            continue
        text = text.strip()
        if len(text.split()) >= 4 and text[:1].isupper() and text.endswith((".", "!", "?")):
            found.append(text)
    return found


def test_the_sentence_check_finds_a_sentence() -> None:
    snippet = '''
"""A module docstring. It is not read by agents."""
import logging
log = logging.getLogger(__name__)
NOTICE = "This button is out of date. Run it again."
def f(n):
    """A docstring is not a sentence for agents."""
    log.warning("The store did not answer in time.")
    log.info(f"Gave up after {n} tries.")
    return f"Ticket #{n} could not be found here."
LABEL = "ticket #"
'''
    assert sentences(snippet) == [
        "This button is out of date. Run it again.",
        "Ticket #{} could not be found here.",
    ]


@pytest.mark.parametrize("path", SENTENCE_FREE, ids=lambda p: str(p.relative_to(BOT)))
def test_listeners_and_answers_leave_sentences_to_words(path: Path) -> None:
    """Every sentence an agent reads is written in bot/render/words.py (or another renderer)."""
    assert sentences(path.read_text(encoding="utf-8")) == []
