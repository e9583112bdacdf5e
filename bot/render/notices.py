"""What the bot tells an agent about their own request, one sentence per cause: sharing and its refusals,
access, a restart, "Add to ticket", unfurls, the preferences form. Failures of Pendo or Zendesk, values and
"not found" are worded in `bot.render.words`, which these sentences build on. Pure: no I/O.
"""

from __future__ import annotations

from bot.http.errors import UpstreamError
from bot.preferences.model import Preferences
from bot.render.words import failure_sentence

# --- sharing -------------------------------------------------------------------------------------------
SHARE_EXTERNAL = (
    "This conversation is shared with another organisation (Slack Connect), so I don't post customer "
    "data here. Share it in an internal channel instead."
)
DETAILS_EXTERNAL = (
    "This conversation is shared with another organisation (Slack Connect), so I don't show customer "
    "data here. Look the customer up with /pendo in an internal channel."
)
DETAILS_NO_CHANNEL = (
    "I can't tell which conversation this was opened from, so I don't show customer data here. Look the "
    "customer up with /pendo in an internal channel."
)
SHARE_NOT_HERE = (
    "Customer data isn't shared in this channel. Share it in one of your support channels instead."
)
SHARE_STALE = "This button is out of date: run the lookup again."
EARLIER_VERSION = "This button is from an earlier version of the bot. Run /pendo again."
# Slack errors that mean "the bot may not post here", with what the agent can do about it.
CANNOT_POST = {
    "not_in_channel": "I'm not a member of this channel: invite me with `/invite @pendo`, then share again.",
    "channel_not_found": "I can't see this conversation (a private channel or a DM I'm not in). Invite me "
    "first, or share from a channel I'm in.",
    "is_archived": "This channel is archived, so nothing can be posted in it.",
    "restricted_action": "Posting here is restricted by your workspace admins.",
    "restricted_action_read_only_channel": "This channel is read-only for apps.",
    "ekm_access_denied": "Your workspace's key management blocks apps from posting here.",
}
CANNOT_POST_OTHER = "Slack refused the post. Try again, or share from another channel."


# --- notices: what the bot tells an agent about their own request, one sentence per cause -------------
CUT_SHORT = "This was cut short by a restart of the bot. Try again in a moment."


def internal_error(ref: str) -> str:
    """A bug, said politely, with the reference to find it in the log."""
    return f"Something went wrong on my side. Try again; if it persists, tell whoever runs the bot (ref `{ref}`)."


# access lists
ACCESS_UNCHECKED = "I couldn't check your access just now (Slack didn't answer). Try again in a minute."


def channel_not_enabled(contact: str) -> str:
    return f"Pendo lookups aren't enabled in this channel. Try a channel where they are, or ask {contact} to add this one."


def no_access(contact: str) -> str:
    return f"You don't have access to Pendo lookups yet. Ask {contact} to add you."


NOT_YOUR_WORKSPACE = (
    "This channel is shared with another organisation, and Pendo lookups are only for members of this "
    "workspace."
)

# commands and mentions
ACCOUNT_MISSING = "Give an account ID or name, e.g. `/pendo account Acme Corp`."
MENTION_HELP = (
    "Mention me with a customer's email address or a Zendesk ticket link, e.g. `@pendo jane@acme.com`, "
    "or use `/pendo`."
)


def foreign_ticket(host: str, ours: str) -> str:
    """A ticket link on another Zendesk than the bot's (`host`, `ours`: already escaped for mrkdwn)."""
    return f"That ticket link is on {host}, which is not this bot's Zendesk ({ours})."


# sharing
SHARE_WITH_NOTE_UNAVAILABLE = "Use *Share in channel* for this one."


def already_shared(channel: str) -> str:
    return f"Already shared in <#{channel}> ✓"


def cannot_share(code: str | None) -> str:
    """Slack refused the share; what the agent can do about it."""
    return f"I couldn't share this here. {CANNOT_POST.get(code or '', CANNOT_POST_OTHER)}"


# "Add to ticket"
NOTE_SKIPPED = (
    "Nothing was added to ticket #{id}: the requester has opted out of processing in Pendo, or Pendo has "
    "no visitor with their email."
)
NOTE_FAILED = (
    "I couldn't add the note to ticket #{id}. Try again in a minute; if it keeps happening, tell whoever "
    "runs the bot."
)


def note_added(ticket_id: int) -> str:
    return f"Added to ticket #{ticket_id} ✓"


def note_already(ticket_id: int) -> str:
    return f"The Pendo note is already on ticket #{ticket_id} ✓"


def note_busy(ticket_id: int) -> str:
    return f"The Pendo note is being added to ticket #{ticket_id} right now ✓"


def note_skipped(ticket_id: int) -> str:
    return NOTE_SKIPPED.format(id=ticket_id)


def note_failure(ticket_id: int, exc: UpstreamError | None) -> str:
    """The note was not written: the upstream's sentence when one failed, else the general one."""
    if exc is not None:
        return f"I couldn't add the note to ticket #{ticket_id}. {failure_sentence(exc)}"
    return NOTE_FAILED.format(id=ticket_id)


# unfurls
UNFURL_FAILED = "The preview could not be completed. Open the ticket, or try /pendo with its number."
UNFURL_COMPOSER = "Details appear when the message is posted."
UNFURL_EXTERNAL = "Shared channel: ticket details are not shown here."
UNFURL_NUMBER_ONLY = "Ticket details are not shown here."


def links_not_previewed(count: int) -> str:
    return f"{count} more ticket link{'s' if count != 1 else ''} not previewed"


# work objects
NOT_A_TICKET = "This item is not a Zendesk ticket this bot knows."

# preferences
NO_MODAL = (
    "I couldn't open your preferences here. Open the bot's *Home* tab (click *pendo* in the sidebar): "
    "the same form is there."
)
SCHEMA_TIMEOUT = "Pendo did not answer in time. Open your preferences again in a minute."
UNFURL_CHOICE = "Choose whether links you post are unfurled."
STALE_CONTROL = "That control is from an older version of this form. Open it again."
STORE_REDIS = "the bot's shared Redis"
STORE_DATABASE = "the bot's database"


def fields_unreadable(problem: str | None) -> str:
    """A field list was changed while Pendo's list of fields could not be read: nothing was changed."""
    return f"Pendo's list of fields can't be read right now, so nothing was changed. {problem or ''}".strip()


def saved_words(before: Preferences, after: Preferences) -> str:
    """What a change of preferences did."""
    if after.is_default:
        return "Back to the workspace defaults."
    return "Saved. Your next answers use it." if after != before else "Nothing changed."
