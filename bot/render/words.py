"""Words for agents, not admins: Zendesk values, failures and "not found" as plain sentences.

Setting names, exception names and HTTP details belong in the log and in `pendo-bot check`; an agent
reads what happened and what to do next. One failing upstream is said once, however many parts it broke.
"""

from __future__ import annotations

import re

from bot.domain.models import Frequency, Gap, NotFoundInPendo
from bot.domain.tickets import NoPendo
from bot.http.errors import AuthError, BadResponse, NotFound, RateLimited, Unavailable, UpstreamError

# Zendesk's status categories. With custom statuses, `status` is the category; its agent label would
# come from the `custom_statuses` sideload.
STATUS = {
    "new": "New",
    "open": "Open",
    "pending": "Pending (waiting on the customer)",
    "hold": "On hold",
    "solved": "Solved",
    "closed": "Closed",
}
# `via.channel` values Zendesk uses for tickets, as an agent would name the channel.
CHANNEL = {
    "web": "Web form",
    "web_form": "Web form",
    "email": "Email",
    "mail": "Email",
    "chat": "Chat",
    "native_messaging": "Messaging",
    "messaging": "Messaging",
    "web_widget": "Web widget",
    "mobile_sdk": "Mobile app",
    "voice": "Phone call",
    "sms": "Text message",
    "api": "API",
    "rule": "Trigger or automation",
    "sample_ticket": "Sample ticket",
    "closed_ticket": "Follow-up of a closed ticket",
    "help_center": "Help Center",
    "any_channel": "Connected app",
    "whatsapp": "WhatsApp",
    "facebook": "Facebook",
    "twitter": "X (Twitter)",
    "instagram_dm": "Instagram",
}
FREQUENCY = {
    Frequency.DAILY: "Daily",
    Frequency.WEEKLY: "Weekly",
    Frequency.MONTHLY: "Monthly",
    Frequency.INACTIVE: "Inactive",
}
NOT_FOUND = "No Pendo visitor has this email. Check for typos; they may never have signed in."
NOT_FOUND_ID = "No Pendo visitor has this ID any more. Run the lookup again with their email."


def _words(value: str) -> str:
    """`escalated_custom` → "Escalated": a value nobody mapped still reads as words, never as a code."""
    text = re.sub(r"[_\-]+", " ", value).strip()
    text = re.sub(r"\s+custom$", "", text, flags=re.IGNORECASE)
    return text[:1].upper() + text[1:] if text else "—"


def ticket_status(status: str | None) -> str:
    if not status:
        return "—"
    return STATUS.get(status.lower(), _words(status))


def ticket_status_label(status: str | None, label: str) -> str:
    """The status as agents see it: a custom status's own label verbatim, else the status in words."""
    return label if label and label != status else ticket_status(status)


def ticket_channel(channel: str | None) -> str | None:
    """The channel a ticket came in by; None when Zendesk did not say (or gave only a numeric via id)."""
    if not channel or channel.isdigit():
        return None
    return CHANNEL.get(channel.lower(), _words(channel))


def ticket_priority(priority: str | None) -> str | None:
    return f"{_words(priority)} priority" if priority else None


def activity(frequency: Frequency, days_active: int, window: int = 30) -> str:
    """ "Daily · 14 of 30 days": how often, then the count it comes from."""
    return f"{FREQUENCY[frequency]} · {days_active} of {window} days"


def not_found(result: NotFoundInPendo) -> str:
    return NOT_FOUND_ID if result.searched == "visitor ID" and "@" not in result.email else NOT_FOUND


def upstream_sentence(exc: UpstreamError) -> str:
    """What an agent reads when Pendo or Zendesk failed: what happened and what to do, nothing technical."""
    who = exc.upstream
    if exc.agent_facing:
        return exc.user_message
    if isinstance(exc, NotFound) or (isinstance(exc, AuthError) and exc.status == 403 and who != "Pendo"):
        return exc.user_message  # Zendesk's own sentences name the ticket and who can grant access
    if isinstance(exc, AuthError):
        return f"{who} isn't accepting the bot's connection right now. Tell whoever runs the bot."
    if isinstance(exc, RateLimited):
        wait = f"in {round(exc.retry_after)} s" if exc.retry_after else "in a minute"
        return f"{who} is busy with too many requests from the bot. Try again {wait}."
    if isinstance(exc, Unavailable) and exc.timeout is not None:
        return f"{who} did not answer in {exc.timeout:g} s. Try again in a minute."
    if isinstance(exc, BadResponse):
        return f"{who} sent an answer the bot couldn't read. Try again; if it keeps happening, tell whoever runs the bot."
    return f"{who} isn't answering right now. Try again in a minute."


def ago(seconds: float) -> str:
    """ "12 minutes ago", "3 hours ago": how old cached data is."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "less than a minute ago"
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    return f"{round(minutes / 60)} hours ago"


def stale_sentence(who: str, age_s: float) -> str:
    return f"⚠️ {who} did not answer just now, so this shows what the bot saw {ago(age_s)}."


# --- gaps: parts of a summary that failed ------------------------------------------------------------
def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def gap_sentences(gaps: list[Gap]) -> list[str]:
    """One sentence per cause: "Usage figures, recent activity and 2 accounts' figures could not be loaded: …"."""
    order: list[str] = []
    parts: dict[str, list[str]] = {}
    for gap in gaps:
        if gap.part is None:  # the thing itself is missing: said as it is
            what = f"Account {gap.account}: {gap.agent_sentence}" if gap.account else gap.agent_sentence
            why, part = _sentence(what), ""
        else:
            why, part = gap.agent_sentence, "an account's figures" if gap.account else gap.part.lower()
        if why not in parts:
            order.append(why)
            parts[why] = []
        if part:
            parts[why].append(part)
    out = []
    for why in order:
        named = _count_accounts(parts[why])
        if not named:
            out.append(why)
            continue
        subject = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
        out.append(f"{subject[:1].upper()}{subject[1:]} could not be loaded: {why}")
    return out


def _count_accounts(parts: list[str]) -> list[str]:
    accounts = parts.count("an account's figures")
    named = list(dict.fromkeys(p for p in parts if p != "an account's figures"))
    if accounts == 1:
        named.append("an account's figures")
    elif accounts > 1:
        named.append(f"{accounts} accounts' figures")
    return named


NO_PENDO_DATA = "No Pendo data for this requester."


def no_pendo(reason: NoPendo | Gap | None, channel: str | None, *, for_agents: bool = True) -> str:
    """Why a ticket has no Pendo part. `channel` is how the ticket came in, as the surface names it.
    `for_agents`: HTTP statuses and setting names are left to the log (off: the terminal shows them)."""
    if isinstance(reason, Gap):
        return f"{reason.part} unavailable: {reason.agent_sentence}" if for_agents else str(reason)
    if reason is NoPendo.NO_EMAIL:
        via = f" (a {channel} ticket)" if channel else ""
        return f"The requester has no email address in Zendesk{via}, so there is no Pendo visitor to show."
    if reason is None:
        return NO_PENDO_DATA
    return f"{reason.value[:1].upper()}{reason.value[1:]}."


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


HISTORY_KIND_WORDS = {
    "page": "page view",
    "feature": "feature click",
    "trackType": "track event",
    "guide": "guide event",
}


def history_kind(kind: str) -> str:
    """One history row of a kind, in words: "track event" (for "3 track events hidden")."""
    return HISTORY_KIND_WORDS.get(kind, f"{kind} event")
