"""Check Block Kit payloads against Slack's limits before sending, with a message naming the broken part.

slack_sdk's model classes check most per-block limits (`Block.parse(...).to_dict()` validates
recursively) but miss some that Slack enforces: the number of blocks in a message, section field length,
header text type, context element text length. Those are checked here on the raw dicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

Surface = Literal["message", "home", "unfurl"]

MAX_BLOCKS: dict[str, int] = {"message": 50, "home": 100, "unfurl": 50}
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000  # not documented; the section field limit, to be safe
MAX_BUTTON_TEXT = 75


def validate_message(
    blocks: list[dict[str, Any]], text: str | None = None, surface: Surface = "message"
) -> None:
    """Raise ValueError if Slack would reject (or silently mangle) these blocks on `surface`.

    A message (`surface="message"`) also needs a non-empty `text` fallback of at most 40,000 characters,
    used in notifications and by screen readers. `"home"` is an App Home view (up to 100 blocks);
    `"unfurl"` is the blocks of one chat.unfurl entry (no fallback text; the message limit of 50 assumed).
    """
    if surface not in MAX_BLOCKS:
        raise ValueError(f"unknown surface {surface!r}; expected one of {sorted(MAX_BLOCKS)}")
    if not isinstance(blocks, list):
        raise ValueError(f"blocks must be a list, got {type(blocks).__name__}")
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        raise ValueError(f"{len(blocks)} blocks: a {surface} allows at most {limit}")
    if surface == "message":
        _check_fallback_text(text)
    for index, raw in enumerate(blocks):
        _check_block(index, raw)


def _check_fallback_text(text: str | None) -> None:
    if text is None or not text.strip():
        raise ValueError("a message needs a non-empty text fallback (shown in notifications)")
    if len(text) > MAX_MESSAGE_TEXT:
        raise ValueError(f"message text is {len(text)} characters: at most {MAX_MESSAGE_TEXT}")


def _check_block(index: int, raw: Any) -> None:
    if not isinstance(raw, dict):
        raise ValueError(f"block[{index}]: must be a dict, got {type(raw).__name__}")
    kind = raw.get("type")
    where = f"block[{index}] ({kind})"
    try:
        parsed = Block.parse(raw)
        if parsed is None:
            raise ValueError(f"block[{index}]: unknown block type {kind!r}")
        parsed.to_dict()
    except SlackObjectFormationError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"{where}: malformed block ({type(exc).__name__}: {exc})") from exc

    if kind == "section":
        _check_section(where, raw)
    elif kind == "header":
        _check_header(where, raw)
    elif kind == "context":
        _check_context(where, raw)
    for path, button in _buttons(raw, ""):
        label = _text_of(button.get("text"))
        if len(label) > MAX_BUTTON_TEXT:
            raise ValueError(
                f"{where}{path}: button text is {len(label)} characters, at most {MAX_BUTTON_TEXT}"
            )


def _check_section(where: str, raw: dict[str, Any]) -> None:
    if "text" in raw and not isinstance(raw["text"], dict):
        raise ValueError(f"{where}: text must be a text object like {{'type': 'mrkdwn', 'text': ...}}")
    if any(not isinstance(field, dict) for field in raw.get("fields") or []):
        raise ValueError(f"{where}: every field must be a text object")
    text = _text_of(raw.get("text"))
    if len(text) > MAX_SECTION_TEXT:
        raise ValueError(f"{where}: text is {len(text)} characters, at most {MAX_SECTION_TEXT}")
    fields = raw.get("fields") or []
    if len(fields) > MAX_SECTION_FIELDS:
        raise ValueError(f"{where}: {len(fields)} fields, at most {MAX_SECTION_FIELDS}")
    for i, field in enumerate(fields):
        length = len(_text_of(field))
        if length > MAX_FIELD_TEXT:
            raise ValueError(f"{where}: fields[{i}] is {length} characters, at most {MAX_FIELD_TEXT}")


def _check_header(where: str, raw: dict[str, Any]) -> None:
    text = raw.get("text")
    if not isinstance(text, dict) or text.get("type") != "plain_text":
        raise ValueError(f"{where}: header text must be a plain_text object")
    length = len(_text_of(text))
    if length > MAX_HEADER_TEXT:
        raise ValueError(f"{where}: header text is {length} characters, at most {MAX_HEADER_TEXT}")


def _check_context(where: str, raw: dict[str, Any]) -> None:
    elements = raw.get("elements") or []
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        raise ValueError(f"{where}: {len(elements)} elements, at most {MAX_CONTEXT_ELEMENTS}")
    for i, element in enumerate(elements):
        length = len(_text_of(element))
        if length > MAX_CONTEXT_TEXT:
            raise ValueError(
                f"{where}: elements[{i}] text is {length} characters, at most {MAX_CONTEXT_TEXT}"
            )


def _text_of(obj: Any) -> str:
    """The `text` of a text object (or a bare string); "" for anything else, e.g. an image element."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return str(obj["text"])
    return ""


def _buttons(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every button object anywhere inside a block (actions elements, section accessory, ...)."""
    if isinstance(node, dict):
        if node.get("type") == "button" and path:
            yield path, node
        for key, value in node.items():
            yield from _buttons(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _buttons(value, f"{path}[{i}]")
