"""The generated docs are not stale: docs/what-agents-see.md's examples and the Block Kit behind the README's
picture (docs/generated/*.json) are what the renderers make today. Re-rendered from the sample workspace at
the docs' fixed time and compared as Block Kit and text, never as pixels; no browser. `make docs` fixes it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.render import tickets as ticket_blocks
from tests.support import docs_examples as gen

FIX = "stale: run `make docs` and commit docs/"


@pytest.fixture(scope="module")
def rendered() -> tuple[dict[str, Any], dict[str, Any]]:
    import asyncio

    return asyncio.run(gen.render_all())


def test_the_examples_in_what_agents_see_are_what_the_renderers_make(rendered: tuple[Any, Any]) -> None:
    examples, _ = rendered
    stored = json.loads(gen.EXAMPLES_JSON.read_text(encoding="utf-8"))
    assert stored == gen.stored(examples), FIX
    doc = gen.DOC.read_text(encoding="utf-8")
    assert gen.fill(doc, gen.regions(examples)) == doc, FIX


def test_every_example_is_in_the_doc_and_the_ticket_offers_add_to_ticket(rendered: tuple[Any, Any]) -> None:
    examples, _ = rendered
    doc = gen.DOC.read_text(encoding="utf-8")
    assert {m.group(1) for m in gen.REGION.finditer(doc)} == {*examples, "ticket-size"}
    assert "[Add to ticket]" in gen.doc_text(examples["ticket"])


def test_the_readme_picture_shows_what_the_renderers_make(rendered: tuple[Any, Any]) -> None:
    _, preview = rendered
    stored = json.loads(gen.PREVIEW_JSON.read_text(encoding="utf-8"))
    assert stored["anchor_ms"] == gen.ANCHOR_MS and stored["picture"] == "docs/preview.png"
    assert stored["messages"] == preview, FIX + " (with Chromium: `make docs` retakes docs/preview.png)"
    shown = gen.doc_text(preview["unfurl"])
    # the picture shows NPS, depth, what stands out, the friction and the replay
    assert "Detractor (NPS 3)" in shown and "27 of 34 features" in shown
    assert "😣 4 rage clicks on Billing settings" in shown and "[▶ Replay]" in shown


def test_a_changed_renderer_makes_the_check_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not vacuous: one changed word in a renderer, and neither stored output matches."""
    import asyncio

    header = ticket_blocks.ticket_header_blocks

    def changed(*args: Any, **kwargs: Any) -> list[Any]:
        blocks = header(*args, **kwargs)
        return [*blocks, {"type": "context", "elements": [{"type": "mrkdwn", "text": "changed"}]}]

    monkeypatch.setattr(ticket_blocks, "ticket_header_blocks", changed)
    examples, preview = asyncio.run(gen.render_all())
    assert json.loads(gen.EXAMPLES_JSON.read_text(encoding="utf-8")) != gen.stored(examples)
    doc = gen.DOC.read_text(encoding="utf-8")
    assert gen.fill(doc, gen.regions(examples)) != doc
    assert json.loads(gen.PREVIEW_JSON.read_text(encoding="utf-8"))["messages"] != preview


def test_the_help_line_names_every_subcommand() -> None:
    """`pendo-bot --help`'s description (bot/__main__.py's docstring) lists every subcommand, in order."""
    import argparse
    import re

    from bot.__main__ import build_parser

    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    named = re.search(r"`pendo-bot ([\w|-]+)`", parser.description or "")
    assert named and named.group(1).split("|") == list(subs.choices)
