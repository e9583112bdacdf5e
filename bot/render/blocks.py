"""Block Kit primitives: sections, context, buttons, links, escaping, all within Slack's limits.

A message is `{"text": fallback, "blocks": [...]}`. User data is escaped for mrkdwn (`esc`, `typed`,
`link`); `fit` cuts mrkdwn without splitting a link or an entity. Every other renderer builds on these.
Pure; imports only `bot.render.format`.
"""

from __future__ import annotations

from typing import Any

from bot.render.format import esc as esc  # callers import it from here
from bot.render.format import truncate

Block = dict[str, Any]
Message = dict[str, Any]

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000

_MARKUP = frozenset("*_~`\n\r")


def typed(text: object, limit: int = 200) -> str:
    """Words someone typed, quoted in a sentence: bold when they are plain; otherwise in a code span,
    where Slack applies no bold, italics or strike-through, so `a*b_c` shows as typed (its backticks
    and line breaks, which would end the span, shown as look-alikes)."""
    value = truncate(str(text), limit)
    if not _MARKUP.intersection(value):
        return f"*{esc(value)}*"
    shown = esc(value).replace("`", "ˋ").replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ↵ ")
    return f"`{shown}`"


def link(url: str, label: str, limit: int = 80) -> str:
    """A mrkdwn link; long labels are shortened so a list of links stays within Slack's limits."""
    return f"<{url}|{esc(truncate(label, limit)).replace('|', '¦')}>"


def fit(text: str, limit: int) -> str:
    """Cut mrkdwn to `limit` characters without splitting a <link>, <!date> or &entity;."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    return cut + "…"


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> dict[str, str]:
    return {"type": "mrkdwn", "text": fit(text, limit)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context_block(*texts: str) -> Block:
    """Up to 10 elements: any beyond the ninth are joined into the last one rather than dropped."""
    elements = list(texts[:9]) + (["\n".join(texts[9:])] if texts[9:] else [])
    return {"type": "context", "elements": [mrkdwn(t, FIELD_LIMIT) for t in elements]}


def button(
    text: str, action_id: str, *, url: str | None = None, value: str | None = None, style: str | None = None
) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": plain(text, 75), "action_id": action_id}
    if url:
        button["url"] = url
    if value is not None:
        button["value"] = value
    if style:
        button["style"] = style
    return button


def actions(*elements: dict[str, Any] | None) -> Block:
    return {"type": "actions", "elements": [e for e in elements if e is not None]}
