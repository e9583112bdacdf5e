"""The modals: "Share with a note" (what it carries, `NoteRequest`, in its private metadata) and the
global shortcut's lookup; their callback, block and input ids, which the listeners read back.
Pure; imports the render primitives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.render.blocks import Block, context_block, plain

NOTE_MODAL = "message_share_note_modal"

LOOKUP_MODAL = "pendo_lookup_modal"

# --- the note that goes with a share -----------------------------------------------------------------------
NOTE_BLOCK = "note"
NOTE_INPUT = "text"
NOTE_MAX = 1000


@dataclass(frozen=True)
class NoteRequest:
    """What the "Share with a note" modal carries (its `private_metadata`): what to share, where, and how
    to update the agent's copy once shared."""

    ref: str | None  # the Share button's value: a `ViewRef`, decoded when the note comes back
    response_url: str | None
    channel: str
    message_ts: str
    thread_ts: str | None
    private: bool  # the button was on the agent's own ephemeral message

    def encode(self) -> str:
        data = {
            "r": self.ref,
            "u": self.response_url,
            "c": self.channel,
            "m": self.message_ts,
            "t": self.thread_ts,
            "p": self.private,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | None) -> NoteRequest | None:
        """None when the metadata is not one of ours (not JSON, not an object)."""
        try:
            data = json.loads(raw or "{}")
            return cls(
                ref=data.get("r"),
                response_url=data.get("u"),
                channel=str(data.get("c") or ""),
                message_ts=str(data.get("m") or ""),
                thread_ts=data.get("t"),
                private=bool(data.get("p")),
            )
        except (ValueError, AttributeError):
            return None


def note_modal(request: NoteRequest) -> dict[str, Any] | None:
    """The "Share with a note" modal; None when what it must carry is over Slack's 3,000 characters."""
    metadata = request.encode()
    if len(metadata) > 3000:
        return None
    return {
        "type": "modal",
        "callback_id": NOTE_MODAL,
        "title": plain("Share in channel", 24),
        "submit": plain("Share", 24),
        "close": plain("Cancel", 24),
        "private_metadata": metadata,
        "blocks": [
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "optional": True,
                "label": plain("A note for the channel (optional)", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_INPUT,
                    "multiline": True,
                    "max_length": NOTE_MAX,
                    "placeholder": plain("For example: this is the customer from the escalation", 150),
                },
            },
            context_block("The summary is posted in this channel for everyone, with your name and note."),
        ],
    }


LOOKUP_BLOCK = "query"  # the lookup modal's field: its block and input ids (errors are keyed by the block)
LOOKUP_INPUT = "text"


def lookup_modal(channel_hint: bool = True) -> dict[str, Any]:
    """The global shortcut's modal: one field, and where to post the private answer."""
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": LOOKUP_BLOCK,
            "label": plain("Email, ticket number or account", 75),
            "element": {
                "type": "plain_text_input",
                "action_id": LOOKUP_INPUT,
                "placeholder": plain("jane@acme.com, 12345 or Acme Corp", 150),
            },
        },
    ]
    if channel_hint:
        blocks.append(
            {
                "type": "input",
                "block_id": "where",
                "label": plain("Show me the answer in", 75),
                "element": {
                    "type": "conversations_select",
                    "action_id": "channel",
                    "default_to_current_conversation": True,
                    "response_url_enabled": True,
                },
                "hint": plain("Only you will see it.", 150),
            }
        )
    return {
        "type": "modal",
        "callback_id": LOOKUP_MODAL,
        "title": plain("Pendo lookup", 24),
        "submit": plain("Look up", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }
