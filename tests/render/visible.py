"""What a reader sees of a Block Kit message, as plain text: the measure for "compact" and docs/what-agents-see.md.

Links show their label, `<!date^…|fallback>` its fallback, mentions as @user / #channel, entities
decoded, bold/italic markers dropped; buttons show as [Label]. Dividers are a rule.
"""

from __future__ import annotations

import re
from typing import Any

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]+\|([^>]*)>")
_USER = re.compile(r"<@([A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>")


def visible(mrkdwn: str) -> str:
    text = _LINK.sub(r"\2", mrkdwn)
    text = _DATE.sub(r"\1", text)
    text = _USER.sub(r"@\1", text)
    text = _CHANNEL.sub(r"#\1", text)
    text = re.sub(r"(?<![\w])[*_](?=\S)|(?<=\S)[*_](?![\w])", "", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any) -> str:
    if not isinstance(obj, dict):
        return ""
    raw = str(obj.get("text", ""))
    return visible(raw) if obj.get("type") == "mrkdwn" else raw


def block_lines(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "divider":
        return ["─" * 20]
    if kind == "header":
        return [_text(block.get("text")).upper()]
    if kind == "context":
        return [" ".join(_text(e) for e in block.get("elements", []))]
    if kind == "actions":
        return [" ".join(f"[{_text(e.get('text'))}]" for e in block.get("elements", []))]
    lines: list[str] = []
    if kind == "section":
        if "text" in block:
            lines += _text(block["text"]).split("\n")
        for field in block.get("fields", []):
            lines += _text(field).split("\n")
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") == "button":
            lines[-1:] = [f"{lines[-1] if lines else ''}  [{_text(accessory.get('text'))}]"]
    return lines


def visible_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(line for block in blocks for line in block_lines(block))
