"""The rendered examples in docs/what-agents-see.md and the messages in the README's picture, made by
the real renderers from the sample workspace at a fixed time: `make docs` regenerates them.

`python -m tests.support.docs_examples` rewrites each region of docs/what-agents-see.md between
`<!-- generated: NAME -->` and `<!-- end -->` and stores the Block Kit and text each was made from in
docs/generated/what-agents-see.json; `tests/browser/screenshot.py` stores the Block Kit the picture shows
in docs/generated/preview.json. tests/test_docs_generated.py re-renders both and compares (no browser).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

from bot import answers
from bot.listeners.message_actions import draw
from bot.render import buttons as button_kit
from bot.render import summary as summary_blocks
from bot.render import tickets as ticket_blocks
from bot.sample import ACME, RENEWAL_FIELD, SAMPLE_SUBSCRIPTION_ID, TICKET_JANE
from tests.render.test_compact import MAX_COMPACT_BLOCKS, MAX_COMPACT_CHARS
from tests.render.visible import block_lines, visible
from tests.support.factories import DepsFactory, SampleDeps, deps_factory
from tests.support.fixtures import SAMPLE_NOW, sample_workspace

ROOT = Path(__file__).resolve().parent.parent.parent
DOC = ROOT / "docs" / "what-agents-see.md"
GENERATED = ROOT / "docs" / "generated"
EXAMPLES_JSON = GENERATED / "what-agents-see.json"
PREVIEW_JSON = GENERATED / "preview.json"

ANCHOR_MS = SAMPLE_NOW  # the sample workspace's "now" for every example and the picture (as tests pin it)
EMAIL_FIELD = "agent/email"  # as the demo reads emails
REGION = re.compile(r"<!-- generated: ([\w-]+) -->(.*?)<!-- end -->", re.DOTALL)
BUTTON_COLUMN = 92  # a section's button stands at the right of its first line, as Slack shows it

Json = dict[str, Any]


def _field_lines(fields: list[Json]) -> list[str]:
    """Fields as Slack lays them out in two columns, here one a line: the label, then its value(s)."""
    pairs = []
    for field in fields:
        label, *values = visible(str(field.get("text", ""))).split("\n")
        pairs.append((label, ", ".join(values)))
    width = max(len(label) for label, _ in pairs) + 2
    return [f"{label:<{width}}{value}".rstrip() for label, value in pairs]


def doc_text(blocks: list[Json]) -> str:
    """What a reader sees (tests/render/visible.py): a section's button at the right of its first line,
    its fields one a line, label then value."""
    lines: list[str] = []
    for block in blocks:
        if block.get("type") != "section":
            lines += block_lines(block)
            continue
        accessory = block.get("accessory")
        bare = block_lines({k: v for k, v in block.items() if k not in ("accessory", "fields")})
        if block.get("fields"):
            bare += _field_lines(block["fields"])
        if isinstance(accessory, dict) and accessory.get("type") == "button" and bare:
            label = f"[{accessory['text']['text']}]"
            bare[0] = bare[0].ljust(BUTTON_COLUMN - len(label)) + label
        lines += bare
    return "\n".join(lines)


def _button_value(blocks: list[Json], label: str) -> str:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["text"]["text"] == label:
                return str(element["value"])
    raise LookupError(f"no {label!r} button")


def make_sample(make: DepsFactory) -> SampleDeps:
    """As `make demo` runs: with the sample's subscription id (replay links) and renewal field."""
    return make(
        pendo_email_field=EMAIL_FIELD,
        pendo_subscription_id=SAMPLE_SUBSCRIPTION_ID,
        pendo_renewal_field=RENEWAL_FIELD,
    )


# --- the README's picture -------------------------------------------------------------------------------
PREVIEW_ACCOUNT = ACME  # `/pendo account acme`: the account's NPS score and depth
PREVIEW_TICKET = TICKET_JANE  # the ticket link pasted: a detractor's NPS and depth, unfurled


async def preview_messages(sample: SampleDeps) -> dict[str, list[Json]]:
    """The Block Kit of the messages the picture shows, top to bottom, rendered as the bot renders them."""
    account = await answers.account_answer(sample.deps.customers, PREVIEW_ACCOUNT, "docs")
    bundle = await sample.tickets.ticket(PREVIEW_TICKET)
    unfurl = ticket_blocks.ticket_unfurl(bundle, ANCHOR_MS, await sample.tickets.requester_facts(bundle))
    return {"account": account.message["blocks"], "unfurl": unfurl["blocks"]}


# --- docs/what-agents-see.md ------------------------------------------------------------------------------
async def example_blocks(sample: SampleDeps) -> dict[str, list[Json]]:
    """Each example's Block Kit: `/pendo 1001`, its Show more, and `/pendo account acme`."""
    ticket = await answers.ticket_answer(sample.tickets, TICKET_JANE, "docs")
    ref = button_kit.ViewRef.decode(_button_value(ticket.message["blocks"], "Show more"))
    assert ref is not None
    drawn = await draw(sample.deps, ref)
    more = drawn.message(ref, summary_blocks.Sharing(ticket_note="offer"))
    account = await answers.account_answer(sample.deps.customers, ACME, "docs")
    return {
        "ticket": ticket.message["blocks"],
        "ticket-more": more["blocks"],
        "account": account.message["blocks"],
    }


def regions(examples: dict[str, list[Json]]) -> dict[str, str]:
    """Each marker region's content: the examples as text in a fence, and the first screen's size."""
    out = {name: f"\n```\n{doc_text(blocks)}\n```\n" for name, blocks in examples.items()}
    ticket = examples["ticket"]
    chars = len("\n".join(line for block in ticket for line in block_lines(block)))
    out["ticket-size"] = (
        f"The first screen is {len(ticket)} blocks and about {round(chars, -1):,} characters of visible text "
        f"(tests keep every first screen within {MAX_COMPACT_BLOCKS} blocks and {MAX_COMPACT_CHARS:,} characters)"
    )
    return out


def fill(markdown: str, content: dict[str, str]) -> str:
    """`markdown` with each marker region's content replaced; a region nobody generates is an error."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in content:
            raise KeyError(f"no generated content named {name!r}")
        return f"<!-- generated: {name} -->{content[name]}<!-- end -->"

    return REGION.sub(one, markdown)


async def render_all() -> tuple[dict[str, list[Json]], dict[str, list[Json]]]:
    """(the examples, the picture's messages), from a fresh sample at ANCHOR_MS."""
    async with deps_factory(sample_workspace(), ANCHOR_MS) as make:
        sample = make_sample(make)
        return await example_blocks(sample), await preview_messages(sample)


def stored(examples: dict[str, list[Json]]) -> Json:
    """What docs/generated/what-agents-see.json holds: each example's Block Kit and its text."""
    return {
        "anchor_ms": ANCHOR_MS,
        "examples": {name: {"blocks": blocks, "text": doc_text(blocks)} for name, blocks in examples.items()},
    }


def dump(data: Json) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> None:
    examples, _ = asyncio.run(render_all())
    GENERATED.mkdir(exist_ok=True)
    EXAMPLES_JSON.write_text(dump(stored(examples)), encoding="utf-8")
    DOC.write_text(fill(DOC.read_text(encoding="utf-8"), regions(examples)), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} and {EXAMPLES_JSON.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
