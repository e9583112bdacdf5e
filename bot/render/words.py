"""Every sentence the bot writes, once per cause: Zendesk values, failures, "not found", notices.

Every sentence about a failure is written here, once per cause, from the facts an error or a `Gap`
carries: `failure_sentence` for agents (the same in a whole-answer failure, a gap, an unfurl and a note),
`admin_sentence` for whoever runs the bot. Setting names, exception names and HTTP details belong in the
log and in `pendo-bot check`; an agent reads what happened and what to do next. One failing upstream is
said once, however many parts it broke. The notices and refusals the listeners send (access, sharing,
"Add to ticket", unfurls, preferences, a restart) are written beside this module, in
`bot.render.notices`, on these: listeners hold no sentence (tests/render/test_wording.py checks).
"""

from __future__ import annotations

import math
import re

from bot.domain.models import HISTORY_RETENTION_DAYS, Frequency, Gap, Missing, NotFoundInPendo
from bot.domain.tickets import NoPendo
from bot.http.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    Forbidden,
    NotFound,
    RateLimited,
    Reason,
    Unavailable,
    UpstreamError,
)

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


def activity(frequency: Frequency, days_active: int, window: int = 30, who: str = "user") -> str:
    """ "Active 14 of the last 30 days (Pendo: daily user)": the count first, then the name Pendo gives
    that much activity (`who`: "user", or "account" for an account); "Not active in the last 30 days"."""
    return (
        f"Active {active_days(frequency, days_active, window, who)}"
        if days_active
        else f"Not active in the last {window} days"
    )


def active_days(frequency: Frequency, days_active: int, window: int = 30, who: str = "user") -> str:
    """ "14 of the last 30 days (Pendo: daily user)": the value of a field whose label says "Active";
    "none of the last 30 days" (Pendo: inactive)."""
    if not days_active:
        return f"none of the last {window} days (Pendo: inactive)"
    return f"{days_active} of the last {window} days (Pendo: {FREQUENCY[frequency].lower()} {who})"


def not_found(result: NotFoundInPendo) -> str:
    return NOT_FOUND_ID if result.searched == "visitor ID" and "@" not in result.email else NOT_FOUND


# --- failures: one sentence per cause, the same on every surface -------------------------------------
def _wait(seconds: float | None, *, up: bool = False) -> str:
    if not seconds:
        return "in a minute"
    return f"in {math.ceil(seconds) if up else round(seconds)} s"


REASON_WORDS = {  # a failure whose cause is a `Reason`: what happened and what to do
    Reason.KEY_REFUSED: "{who} refused the bot's integration key: a setup problem (often a key from another "
    "{who} region), not a passing outage, so trying again will not help. Tell whoever runs the bot.",
    Reason.KEY_OR_REGION: "{who} refused the bot's key: the key or the {who} region is likely wrong. Ask "
    "your {who} admin to check the bot's {who} settings.",
    Reason.REGION_LIKELY: "{who} refused a request from the bot. If this happens on every lookup, the bot's "
    "{who} key or region is likely wrong: tell whoever runs the bot (the details are in its log).",
    Reason.PACING: "The bot is pacing its requests to {who} so as not to overload it, and this one would "
    "have waited too long. Try again {wait}.",
    Reason.HISTORY_EXPIRED: "{who} keeps history for about {days} days, and this moment is older than that.",
    Reason.TICKET_CHANGED: "The ticket changed while the bot was writing to it. Try again.",
    Reason.TICKET_UNWRITABLE: "{who} did not accept a note on this ticket (it may be closed). Nothing was "
    "added.",
}


def failure_sentence(exc: UpstreamError) -> str:
    """What an agent reads when Pendo or Zendesk failed, wherever it shows (a whole answer, a gap, an
    unfurl, a note): what happened and what to do, no HTTP status, no setting name."""
    who = exc.upstream
    if exc.reason is not None:
        wait = _wait(exc.retry_after, up=True) if isinstance(exc, RateLimited) else _wait(None)
        return REASON_WORDS[exc.reason].format(who=who, wait=wait, days=HISTORY_RETENTION_DAYS)
    if isinstance(exc, NotFound):
        if exc.ticket_id is not None:
            return (
                f"Ticket #{exc.ticket_id} was not found in {who} (it may have been deleted, or the link is "
                "for another account)."
            )
        return f"{who} has no such record."
    if isinstance(exc, Forbidden):
        if exc.ticket_id is not None:
            return (
                f"The bot's {who} user cannot see ticket #{exc.ticket_id}. Ask your {who} admin to give it "
                "access to the ticket's group or brand."
            )
        return (
            f"The bot's {who} user is not allowed to read these tickets. Ask your {who} admin to check its "
            "role (or the OAuth token's scopes)."
        )
    if isinstance(exc, AuthError):
        return f"{who} rejected the bot's credentials. Tell whoever runs the bot."
    if isinstance(exc, RateLimited):
        return f"{who} is busy with too many requests from the bot. Try again {_wait(exc.retry_after)}."
    if isinstance(exc, Unavailable):
        if exc.timeout is not None:
            return f"{who} did not answer in {exc.timeout:g} s. Try again in a minute."
        return f"{who} is unavailable right now. Try again in a minute."
    if isinstance(exc, BadRequest):
        return (
            f"{who} refused a request from the bot. If it keeps happening, tell whoever runs the bot (the "
            "details are in its log)."
        )
    if isinstance(exc, BadResponse):
        return (
            f"{who} sent an answer the bot could not read. Try again; if it persists, tell whoever runs the "
            "bot (the details are in its log)."
        )
    return f"{who} returned an unexpected error. Try again in a minute."


def admin_sentence(exc: UpstreamError) -> str:
    """The failure for whoever runs the bot (`pendo-bot`, `/readyz`): the agent's sentence, with the HTTP
    status and the setting to check where those say more."""
    who = exc.upstream
    if exc.reason is Reason.KEY_OR_REGION:
        return (
            f"{who} refused the bot's key (HTTP {exc.status or 400}): the key or the {who} region is likely "
            f"wrong. Ask your {who} admin to check the bot's {who} settings."
        )
    if isinstance(exc, AuthError) and not isinstance(exc, Forbidden) and exc.reason is None:
        status = f" (HTTP {exc.status})" if exc.status else ""
        fix = f"Ask your {who} admin to check {exc.setting}." if exc.setting else "Tell whoever runs the bot."
        return f"{who} rejected the bot's credentials{status}. {fix}"
    if isinstance(exc, Unavailable) and exc.unreachable:
        return (
            f"The bot cannot reach {who} ({exc.detail}): no connection was made. Check this machine's "
            f"network, DNS, proxy (HTTPS_PROXY) and TLS, and the {who} address in the settings."
        )
    if isinstance(exc, Unavailable) and exc.timeout is None:
        why = f"HTTP {exc.status}" if exc.status is not None else exc.detail
        return f"{who} is unavailable right now ({why}). Try again in a minute."
    return failure_sentence(exc)


def admin_line(exc: UpstreamError) -> str:
    """`admin_sentence` and what to fix (the hint), on one line: `/readyz`."""
    return f"{admin_sentence(exc)} ({exc.hint})" if exc.hint else admin_sentence(exc)


MISSING_WORDS = {Missing.NOT_IN_PENDO: "not found in Pendo"}


def ticket_missing(ticket_id: int) -> str:
    """A ticket Zendesk left out of a many-tickets answer: deleted, or the bot may not see it."""
    return f"Ticket #{ticket_id} was not found in Zendesk, or the bot's Zendesk user cannot see it."


def cause_sentence(gap: Gap) -> str:
    """Why a gap's part is missing: the failure's sentence, or what is missing."""
    if isinstance(gap.cause, Missing):
        return _sentence(MISSING_WORDS[gap.cause])
    return failure_sentence(gap.cause)


def gap_line(gap: Gap) -> str:
    """One gap on its own line (the terminal): "Account Acme: Details unavailable: …"."""
    why = MISSING_WORDS[gap.cause] if isinstance(gap.cause, Missing) else failure_sentence(gap.cause)
    what = f"{gap.part} unavailable: {why}" if gap.part is not None else why
    return f"Account {gap.account}: {what}" if gap.account is not None else what


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
            why, part = _sentence(gap_line(gap)), ""
        else:
            why, part = cause_sentence(gap), "an account's figures" if gap.account else gap.part.lower()
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


def no_pendo(reason: NoPendo | Gap | None, channel: str | None) -> str:
    """Why a ticket has no Pendo part. `channel` is how the ticket came in, as the surface names it."""
    if isinstance(reason, Gap):
        return gap_line(reason)
    if reason is NoPendo.NO_EMAIL:
        via = f" (a {channel} ticket)" if channel else ""
        return f"The requester has no email address in Zendesk{via}, so there is no Pendo visitor to show."
    if reason is None:
        return NO_PENDO_DATA
    return f"{reason.value[:1].upper()}{reason.value[1:]}."


HISTORY_KIND_WORDS = {
    "page": "page view",
    "feature": "feature click",
    "trackType": "track event",
    "guide": "guide event",
}


def history_kind(kind: str) -> str:
    """One history row of a kind, in words: "track event" (for "3 track events hidden")."""
    return HISTORY_KIND_WORDS.get(kind, f"{kind} event")


# --- metadata values --------------------------------------------------------------------------------
LANGUAGES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "sv": "Swedish",
    "da": "Danish",
    "nb": "Norwegian",
    "no": "Norwegian",
    "fi": "Finnish",
    "pl": "Polish",
    "cs": "Czech",
    "tr": "Turkish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "ja": "Japanese",
    "ko": "Korean",
    "zh": "Chinese",
    "ar": "Arabic",
    "he": "Hebrew",
    "hi": "Hindi",
}
REGIONS = {
    "US": "US",
    "GB": "UK",
    "DE": "Germany",
    "AT": "Austria",
    "CH": "Switzerland",
    "FR": "France",
    "BE": "Belgium",
    "CA": "Canada",
    "ES": "Spain",
    "MX": "Mexico",
    "BR": "Brazil",
    "PT": "Portugal",
    "IT": "Italy",
    "NL": "Netherlands",
    "JP": "Japan",
    "CN": "China",
    "TW": "Taiwan",
    "AU": "Australia",
    "NZ": "New Zealand",
    "IE": "Ireland",
    "IN": "India",
}


def locale_name(code: str) -> str:
    """ "en_US" → "English (US)", "ja_JP" → "Japanese (Japan)", "de" → "German"; a code nobody named
    still reads as language and region: "xx_YY" → "xx (YY)"."""
    language, _, region = code.replace("-", "_").partition("_")
    name = LANGUAGES.get(language.lower(), language)
    if not region:
        return name
    return f"{name} ({REGIONS.get(region.upper(), region.upper())})"


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"
