"""Where customer data may go: pure decisions from facts, no I/O (an unfurl, a mention's answer, a click,
a lookup, a share, a Work Object panel, a response_url). Listeners gather the facts
(`bot.listeners.access_facts` for clicks and lookups) and act on the answer.

The `link_shared` listener gathers the facts (where the link was posted, whether the channel is shared
with another organisation, whether the poster passes the access lists) and posts what this decides.

The rules, first match wins:
0. The poster turned off "unfurl Zendesk links I post" (their preferences): nothing, for their links
   only; everyone else's still unfurl. When their choice cannot be read (the preferences store is not
   answering), the rules below apply but stop at the ticket header: no Pendo data on a guess.
1. The poster must pass ALLOWED_USERS / ALLOWED_USERGROUPS (when set): otherwise nothing.
2. A composer preview (the message is not posted yet, so its channel is unknown) shows the ticket
   number only; it travels with the message wherever it is posted.
3. The channel must be in ALLOWED_CHANNELS (when set): otherwise nothing.
4. A Slack Connect channel (or one the bot cannot prove internal) gets nothing, or the number only
   with UNFURL_SHARED_CHANNELS=ticket_number.
5. With UNFURL_CHANNELS set, the Pendo part only in those channels; elsewhere the ticket header.
6. Otherwise the header and the requester's Pendo activity.

So ALLOWED_* decide whether a ticket link unfurls at all (for the poster and the channel, as they
decide who may run `/pendo` where); UNFURL_CHANNELS narrows, among those, where Pendo data appears.

Layer: pure, like render; imports only the settings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum, auto
from typing import Literal
from urllib.parse import urlsplit

from bot.settings import Settings


class Source(Enum):
    COMPOSER = auto()  # Slack's preview while the message is being written
    MESSAGE = auto()  # a posted message (Slack's `conversations_history`)


class ChannelKind(Enum):
    INTERNAL = auto()
    EXTERNAL = auto()  # Slack Connect, or not provably internal (the lookup failed)
    UNKNOWN = auto()  # not posted yet (composer)


class Preview(Enum):
    NOTHING = auto()
    NUMBER_ONLY = auto()
    HEADER = auto()  # the Zendesk ticket header, no Pendo data
    FULL = auto()  # the header, then the requester's Pendo activity


class Reason(Enum):
    POSTER_OPTED_OUT = auto()  # the poster's own preference
    POSTER_UNKNOWN = auto()  # the poster's preference could not be read: the header, no Pendo data
    POSTER_NOT_ALLOWED = auto()
    COMPOSER = auto()
    CHANNEL_NOT_ALLOWED = auto()
    EXTERNAL = auto()
    NO_PENDO_HERE = auto()  # UNFURL_CHANNELS does not list the channel
    ALLOWED = auto()


@dataclass(frozen=True)
class UnfurlFacts:
    source: Source
    channel: str
    channel_kind: ChannelKind
    poster_allowed: bool  # passes ALLOWED_USERS / ALLOWED_USERGROUPS (True when neither is set)
    poster_unfurls: bool | None = True  # the poster's "unfurl Zendesk links I post"; None: unknown


@dataclass(frozen=True)
class UnfurlRules:
    allowed_channels: frozenset[str] = frozenset()  # ALLOWED_CHANNELS; empty: every channel
    pendo_channels: frozenset[str] = frozenset()  # UNFURL_CHANNELS; empty: every channel
    shared_channels: Literal["none", "ticket_number"] = "none"  # UNFURL_SHARED_CHANNELS

    @classmethod
    def from_settings(cls, settings: Settings) -> UnfurlRules:
        return cls(
            allowed_channels=frozenset(settings.allowed_channels),
            pendo_channels=frozenset(settings.unfurl_channels),
            shared_channels=settings.unfurl_shared_channels,
        )


@dataclass(frozen=True)
class Decision:
    preview: Preview
    reason: Reason


def decide_unfurl(facts: UnfurlFacts, rules: UnfurlRules) -> Decision:
    if facts.poster_unfurls is False:
        return Decision(Preview.NOTHING, Reason.POSTER_OPTED_OUT)
    if not facts.poster_allowed:
        return Decision(Preview.NOTHING, Reason.POSTER_NOT_ALLOWED)
    if facts.source is Source.COMPOSER:
        return Decision(Preview.NUMBER_ONLY, Reason.COMPOSER)
    if rules.allowed_channels and facts.channel not in rules.allowed_channels:
        return Decision(Preview.NOTHING, Reason.CHANNEL_NOT_ALLOWED)
    if facts.channel_kind is not ChannelKind.INTERNAL:
        number = rules.shared_channels == "ticket_number"
        return Decision(Preview.NUMBER_ONLY if number else Preview.NOTHING, Reason.EXTERNAL)
    if rules.pendo_channels and facts.channel not in rules.pendo_channels:
        return Decision(Preview.HEADER, Reason.NO_PENDO_HERE)
    if facts.poster_unfurls is None:
        return Decision(Preview.HEADER, Reason.POSTER_UNKNOWN)
    return Decision(Preview.FULL, Reason.ALLOWED)


# --- `@Pendo jane@acme.com`: where the answer goes ---------------------------------------------------------
class Reply(Enum):
    THREAD = auto()  # in the thread, for the channel
    PRIVATE = auto()  # chat.postEphemeral to the mentioner, in the thread
    REFUSE = auto()  # a private sentence, no customer data


@dataclass(frozen=True)
class MentionFacts:
    channel: str
    channel_kind: ChannelKind  # INTERNAL or EXTERNAL (Slack Connect, or not provably internal)
    refusal: str | None  # the access lists' sentence (ALLOWED_USERS / _USERGROUPS / _CHANNELS), if any
    same_team: bool  # the mentioner belongs to the workspace the bot is installed in


def decide_mention(facts: MentionFacts, rules: UnfurlRules) -> Reply:
    """Access lists first (nothing for someone without access); in a Slack Connect channel only a member
    of this workspace gets an answer, and only privately; outside UNFURL_CHANNELS privately too."""
    if facts.refusal is not None:
        return Reply.REFUSE
    if facts.channel_kind is not ChannelKind.INTERNAL:
        return Reply.PRIVATE if facts.same_team else Reply.REFUSE
    if rules.pendo_channels and facts.channel not in rules.pendo_channels:
        return Reply.PRIVATE
    return Reply.THREAD


# --- someone asks for customer data: a button, the message shortcut, the lookup modal ----------------------
class Surface(Enum):
    CLICK = auto()  # a button; on a public message (an unfurl, a shared summary) it answers privately
    LOOKUP = auto()  # the message shortcut and the lookup modal: always private to whoever asked


class Refusal(Enum):
    STALE = auto()  # the button's value no longer decodes (an old or tampered button)
    ACCESS = auto()  # the access lists (ALLOWED_USERS / _USERGROUPS / _CHANNELS); their sentence says why
    EXTERNAL = auto()  # a Slack Connect channel, or one the bot cannot prove internal
    NOT_HERE = auto()  # a share outside UNFURL_CHANNELS
    OTHER_WORKSPACE = auto()  # a lookup in a Slack Connect channel by someone from another organisation


@dataclass(frozen=True)
class AskFacts:
    """What the listener knows about one request for customer data. The channel's kind costs a Slack call:
    it is UNKNOWN until `channel_kind_needed` says the decision needs it."""

    channel: str
    access_refusal: str | None = None  # the access lists' sentence; None: they let the person through
    channel_kind: ChannelKind = ChannelKind.UNKNOWN
    stale: bool = False
    public: bool = False  # a click on a public message
    same_team: bool = True  # the person belongs to the workspace the bot is installed in
    sharing: bool = False  # a visible post in the channel (Share in channel, Share with a note)


def access_needed(facts: AskFacts) -> bool:
    """A stale button is refused before anyone's access is looked up."""
    return not facts.stale


def channel_kind_needed(facts: AskFacts, surface: Surface) -> bool:
    if facts.stale or facts.access_refusal is not None:
        return False
    if surface is Surface.CLICK:
        return facts.sharing or facts.public
    return bool(facts.channel) and not facts.same_team  # a lookup


def decide_ask(facts: AskFacts, rules: UnfurlRules, surface: Surface) -> Refusal | None:
    """None: go on. The rules, first match wins:
    1. a stale button is refused; 2. the access lists; 3. a share needs an internal channel that
    UNFURL_CHANNELS (when set) lists; 4. a public click shows nothing in a Slack Connect channel (its
    members may be outside the company), not even privately; 5. a lookup there is only for members of
    this workspace (privately).
    """
    if facts.stale:
        return Refusal.STALE
    if facts.access_refusal is not None:
        return Refusal.ACCESS
    external = facts.channel_kind is ChannelKind.EXTERNAL
    if surface is Surface.CLICK and facts.sharing:
        if external:
            return Refusal.EXTERNAL
        return None if may_share(facts.channel, facts.channel_kind, rules) else Refusal.NOT_HERE
    if not external or not channel_kind_needed(facts, surface):  # a private click, a colleague's lookup
        return None
    return Refusal.OTHER_WORKSPACE if surface is Surface.LOOKUP else Refusal.EXTERNAL


def share_needs_channel_kind(channel: str, rules: UnfurlRules) -> bool:
    """Outside UNFURL_CHANNELS the answer is no whatever the channel is: Slack is not asked."""
    return not rules.pendo_channels or channel in rules.pendo_channels


def may_share(channel: str, channel_kind: ChannelKind, rules: UnfurlRules) -> bool:
    """A summary may be posted visibly only in an internal channel, and inside UNFURL_CHANNELS when set."""
    if rules.pendo_channels and channel not in rules.pendo_channels:
        return False
    return channel_kind is ChannelKind.INTERNAL


# --- a Work Object's flexpane (`entity_details_requested`): whether it may carry customer data ---------------
class Panel(Enum):
    SHOW = auto()  # the ticket and the requester's Pendo context, for this person only
    REFUSE_ACCESS = auto()  # the access lists' sentence
    REFUSE_NO_CHANNEL = auto()  # the event names no conversation: nothing to check, so nothing shown
    REFUSE_EXTERNAL = auto()  # Slack Connect (or not provably internal), or a user from another workspace


@dataclass(frozen=True)
class PanelFacts:
    channel: str  # "" when the event names none
    channel_kind: ChannelKind  # UNKNOWN when not looked up (no channel, or refused before)
    refusal: str | None  # the access lists' sentence, if any
    foreign_user: (
        bool  # the user is not known to be of the bot's workspace (another team, or Slack can't say)
    )


def decide_panel(facts: PanelFacts) -> Panel:
    """Fail closed: access lists first, then a conversation must be named, the user must not be known to
    belong to another workspace (as mentions check), and the conversation must be provably internal."""
    if facts.refusal is not None:
        return Panel.REFUSE_ACCESS
    if not facts.channel:
        return Panel.REFUSE_NO_CHANNEL
    if facts.foreign_user or facts.channel_kind is not ChannelKind.INTERNAL:
        return Panel.REFUSE_EXTERNAL
    return Panel.SHOW


# --- response_url: where a reply may be posted -------------------------------------------------------------
SLACK_HOOK_HOSTS = frozenset(
    {"hooks.slack.com", "hooks.slack-gov.com"}
)  # Slack, and GovSlack (slack-gov.com)
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL without credentials in it; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def response_url_allowed(url: object, settings: Settings) -> bool:
    """A `response_url` the bot may post to: Slack's hooks hosts over https (hooks.slack.com, and
    hooks.slack-gov.com for GovSlack), or, when SLACK_API_URL is overridden (a proxy, the tests, the
    sample), that URL's scheme, host and port. Anything else (a private address, another port, http)
    would make the bot send an answer somewhere Slack never pointed it."""
    if not isinstance(url, str) or not url.isascii() or url.split() != [url]:  # no whitespace in it
        return False
    origin = _origin(url)
    if origin is None:
        return False
    if origin[0] == "https" and origin[1] in SLACK_HOOK_HOSTS and origin[2] == 443:
        return True
    return origin == _overridden_api_origin(settings.slack_api_url)


@functools.lru_cache(maxsize=8)
def _overridden_api_origin(api: str) -> tuple[str, str, int] | None:
    """SLACK_API_URL's origin when it is overridden, else None (read once per setting, not per request)."""
    return None if api.rstrip("/") == DEFAULT_SLACK_API_URL.rstrip("/") else _origin(api)


def external_channel(info: object) -> bool:
    """Is the channel conversations.info described shared outside the organisation (Slack Connect)?
    True for anything that does not prove it internal (`channel: null`, no id). `is_shared` alone also
    covers channels shared between workspaces of one Enterprise Grid org: those are internal."""
    if not isinstance(info, dict) or not info.get("id"):
        return True
    shared_outside_org = info.get("is_shared") and not info.get("is_org_shared")
    return bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared") or shared_outside_org)
