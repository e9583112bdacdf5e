"""Domain objects the customer lookup returns and the renderers draw. No I/O, no Slack."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NewType

from bot.domain.friction import AccountFriction, Counts, FrictionFacts
from bot.domain.gaps import Gap as Gap  # re-exported: the answers below carry gaps
from bot.domain.gaps import Missing as Missing

Email = NewType("Email", str)  # an address `resolver.parse_email` accepted: looked up without parsing again
HISTORY_RETENTION_DAYS = 180  # Pendo keeps visitor history for about 180 days
TICKET_MARKER = "Ticket submitted"  # the timeline's entry at a ticket's creation
BUTTON_VALUE_LIMIT = 2000  # Slack's limit on a button's value
MAX_TICKET_ID = 2**63 - 1  # Zendesk ticket ids are positive int64s


def is_ticket_id(value: object) -> bool:
    """A number Zendesk could have as a ticket id: an int (not a bool) from 1 to 2**63-1."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_TICKET_ID


class Frequency(StrEnum):
    """Pendo's activity buckets over the last 30 days."""

    DAILY = "daily"  # active 13+ days
    WEEKLY = "weekly"  # 5-12 days
    MONTHLY = "monthly"  # 1-4 days
    INACTIVE = "inactive"  # 0 days

    @classmethod
    def from_days_active(cls, days: int) -> Frequency:
        if days >= 13:
            return cls.DAILY
        if days >= 5:
            return cls.WEEKLY
        if days >= 1:
            return cls.MONTHLY
        return cls.INACTIVE


@dataclass(frozen=True)
class Target:
    """Something to look up: found in a message, typed in the lookup modal, carried by a Look up button."""

    kind: Literal["email", "ticket", "account"]
    value: str  # the email as written, the ticket id's digits, or the account's ID or name

    @property
    def email(self) -> Email:
        """An email target's address: every maker of one (`find_targets`, `parse_query`, `decode` of the
        bot's own button) holds an address `parse_email` accepted, so it is not parsed again."""
        if self.kind != "email":
            raise ValueError(f"a {self.kind} target has no email")
        return Email(self.value)

    @property
    def label(self) -> str:
        return {"email": self.value, "ticket": f"Zendesk ticket #{self.value}"}.get(
            self.kind, f"account {self.value}"
        )

    def encode(self) -> str | None:
        """The button value; None when the value makes it too long."""
        text = json.dumps({"k": self.kind, "v": self.value}, separators=(",", ":"))
        return text if len(text) <= BUTTON_VALUE_LIMIT else None

    @classmethod
    def decode(cls, raw: object) -> Target | None:
        """The target in a button value; None for anything else (an old or tampered button)."""
        try:
            data = json.loads(str(raw or ""))
            kind, value = str(data["k"]), str(data["v"])
        except (ValueError, KeyError, TypeError):
            return None
        if kind == "email" and value:
            return cls("email", value)
        if kind == "ticket" and value.isascii() and value.isdigit() and is_ticket_id(int(value)):
            return cls("ticket", str(int(value)))
        if kind == "account" and value:
            return cls("account", value)
        return None


class FieldKind(StrEnum):
    """What a metadata value is, so each surface can word it: a chat answer shows a date as Slack's date
    token, a boolean as Yes/No and a locale by name; the note and the terminal print `value`."""

    TEXT = "text"
    DATE = "date"  # `raw`: epoch ms
    BOOLEAN = "boolean"  # `raw`: the bool
    LOCALE = "locale"  # `raw`: the code, e.g. "en_US"


@dataclass(frozen=True)
class MetadataField:
    """One chosen metadata field: `value` is the plain text ("2027-01-21", "yes", "en_US"); `kind` and
    `raw` the typed value."""

    label: str
    value: str
    kind: FieldKind = FieldKind.TEXT
    raw: int | bool | str | None = None


@dataclass(frozen=True)
class TopItem:
    id: str
    name: str
    events: int
    minutes: int
    url: str


@dataclass(frozen=True)
class Trend:
    """Change of a figure against the previous period."""

    current: int
    previous: int

    @property
    def percent(self) -> int | None:
        """Rounded percent change; None when there is nothing to compare against."""
        if self.previous == 0:
            return None
        return round((self.current - self.previous) * 100 / self.previous)

    @property
    def label(self) -> str:
        if self.previous == 0:
            return "new activity" if self.current else "no change"
        pct = self.percent or 0
        if pct == 0:
            return "no change"
        return f"{'▲' if pct > 0 else '▼'} {abs(pct)}% vs previous 30 d"


@dataclass(frozen=True)
class Depth:
    """Depth of use: distinct features used (by id, so same-named features of different apps count
    apart) in the last 30 days, out of the subscription's tagged features across all apps."""

    used: int
    catalog: int | None  # tagged features in the catalog; None when the catalog could not be read
    previous: int | None = None  # distinct features used in the 30 days before; None: not compared

    @property
    def percent(self) -> int | None:
        if not self.catalog:
            return None
        return min(100, round(self.used * 100 / self.catalog))

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.used - self.previous


class NpsCategory(StrEnum):
    """Net Promoter categories of a 0-10 score."""

    PROMOTER = "promoter"  # 9-10
    PASSIVE = "passive"  # 7-8
    DETRACTOR = "detractor"  # 0-6

    @classmethod
    def from_score(cls, score: int) -> NpsCategory:
        if score >= 9:
            return cls.PROMOTER
        if score >= 7:
            return cls.PASSIVE
        return cls.DETRACTOR


@dataclass(frozen=True)
class NpsAnswer:
    """One answer to an NPS survey: the score, the text given with it (if any), when, by whom."""

    visitor_id: str
    account_id: str | None
    score: int
    ts_ms: int
    comment: str | None = None
    survey: str | None = None  # the guide's name
    who: str | None = None  # the visitor's name or email, where the bot knows it

    @property
    def category(self) -> NpsCategory:
        return NpsCategory.from_score(self.score)


@dataclass(frozen=True)
class AccountNps:
    """An account's NPS over the last 90 days, from each answering visitor's latest answer."""

    promoters: int
    passives: int
    detractors: int
    latest: list[NpsAnswer]  # the three most recent of those answers, newest first
    days: int = 90

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> int:
        """% promoters − % detractors, rounded half away from zero (12.5 → 13, −12.5 → −13; Python's
        round() would give 12): −100..100. Whole-number arithmetic, so no float lands just below .5."""
        if not self.responses:
            return 0
        share = (self.promoters - self.detractors) * 100
        whole, rest = divmod(abs(share), self.responses)
        rounded = whole + (1 if 2 * rest >= self.responses else 0)
        return rounded if share >= 0 else -rounded


@dataclass(frozen=True)
class VisitorUsage:
    days_active: int
    events: int
    minutes: int
    events_trend: Trend
    minutes_trend: Trend
    days_trend: Trend
    daily_events: list[int]  # 30 values, oldest first, today last
    top_features: list[TopItem]
    top_pages: list[TopItem]
    depth: Depth | None = None

    @property
    def frequency(self) -> Frequency:
        return Frequency.from_days_active(self.days_active)


@dataclass(frozen=True)
class AccountUsage:
    unique_visitors: int
    days_active: int
    events: int
    minutes: int

    @property
    def frequency(self) -> Frequency:
        return Frequency.from_days_active(self.days_active)


@dataclass(frozen=True)
class AccountSummary:
    id: str
    name: str
    url: str
    opted_out: bool = False
    usage: AccountUsage | None = None
    fields: list[MetadataField] = field(default_factory=list)
    gap: Gap | None = None  # what of this account is missing, and why
    renewal_ms: int | None = None  # the date in PENDO_RENEWAL_FIELD, when set and readable


@dataclass(frozen=True)
class TimelineEntry:
    ts_ms: int  # newest occurrence
    kind: str  # page | feature | trackType | guide | untagged | ticket
    name: str
    count: int = 1  # consecutive repeats collapsed into one entry
    url: str | None = None
    oldest_ms: int | None = field(default=None, compare=False)  # oldest occurrence (None: `ts_ms`)
    object_id: str | None = field(default=None, compare=False)  # the page's or feature's Pendo id
    friction: Counts | None = field(default=None, compare=False)  # a page row's, in one of its hours

    @property
    def first_ms(self) -> int:
        """When the first of its occurrences happened: where the page after this entry continues."""
        return self.ts_ms if self.oldest_ms is None else self.oldest_ms


@dataclass(frozen=True)
class TimelinePage:
    """Which part of the window to show: its newest entries (the default); those older than `before_ms`
    (◀ Earlier within the window); the oldest of those newer than `after_ms` (Later ▶ within it, or the
    start of the next window); `every`: all of them, no cap (`pendo-bot lookup --all`)."""

    before_ms: int | None = None
    after_ms: int | None = None
    every: bool = False


@dataclass(frozen=True)
class Timeline:
    start_ms: int
    anchor_ms: int
    entries: list[TimelineEntry]  # newest first, capped
    more: int = 0  # entries left out by the cap: older than those shown
    hidden_untagged: int = 0
    marker: str | None = None  # the synthetic entry at the anchor, e.g. "Ticket submitted"
    hidden_kinds: tuple[tuple[str, int], ...] = ()  # (history type, events) the reader's kinds leave out
    zone: str = "UTC"  # where the reader's days begin: day lines are cut at its midnights
    newer: int = 0  # entries of the window newer than those shown (a page further back in it)

    @property
    def hours(self) -> int:
        return round((self.anchor_ms - self.start_ms) / 3_600_000)


@dataclass(frozen=True)
class VisitorProfile:
    id: str
    name: str | None
    email: str | None
    account_ids: list[str]
    first_visit_ms: int | None
    last_visit_ms: int | None
    browser: str | None
    os: str | None
    fields: list[MetadataField]
    url: str
    opted_out: bool = False

    @property
    def title(self) -> str:
        return self.name or self.email or self.id


@dataclass(frozen=True)
class VisitorFacts:
    """Everything the bot knows about one visitor, at one anchor time."""

    profile: VisitorProfile
    generated_at_ms: int
    usage: VisitorUsage | None = None
    accounts: list[AccountSummary] = field(default_factory=list)
    timeline: Timeline | None = None
    gaps: list[Gap] = field(default_factory=list)  # parts that failed
    nps: NpsAnswer | None = None  # the latest NPS answer within 12 months
    anchor_ms: int | None = None  # the ticket's creation, when the answer is about one (else: now)
    recent_nps: NpsAnswer | None = None  # the latest answer at or before the anchor (the detractor signal)
    friction: FrictionFacts | None = None  # None: not collected by Pendo, opted out, or failed (a gap)


@dataclass(frozen=True)
class Candidate:
    visitor_id: str
    name: str | None
    email: str | None
    account_ids: list[str]
    last_visit_ms: int | None
    opted_out: bool = False  # nothing but the ID in Slack; only counted in a Zendesk note


@dataclass(frozen=True)
class Ambiguous:
    email: str
    candidates: list[Candidate]
    searched: str


@dataclass(frozen=True)
class NotFoundInPendo:
    email: str
    searched: str  # "visitor ID" or "metadata field agent/email"


class InvalidInput(ValueError):
    """The agent typed something we cannot look up; the message says why and what works."""


# --- one account: `/pendo account`, the Open account button ---------------------------------------------
@dataclass(frozen=True)
class AccountVisitor:
    """One of an account's most active visitors over the last 30 days."""

    id: str
    name: str | None
    email: str | None
    last_visit_ms: int | None
    events: int
    minutes: int
    days_active: int
    opted_out: bool = False

    @property
    def title(self) -> str:
        return self.name or self.email or self.id


@dataclass(frozen=True)
class AccountFigures:
    """The last 30 local days of one account against the 30 before."""

    active_visitors: Trend
    days_active: Trend
    events: Trend
    minutes: Trend
    daily_events: list[int]  # 30 values, oldest first, today last
    top_visitors: list[AccountVisitor]
    top_features: list[TopItem]
    top_pages: list[TopItem]
    depth: Depth | None = None
    feature_visitors: int | None = None  # active visitors who used any feature

    @property
    def frequency(self) -> Frequency:
        return Frequency.from_days_active(self.days_active.current)


@dataclass(frozen=True)
class AccountFacts:
    """Everything the bot shows about one account."""

    id: str
    name: str
    url: str
    generated_at_ms: int
    fields: list[MetadataField] = field(default_factory=list)
    first_visit_ms: int | None = None
    last_visit_ms: int | None = None
    opted_out: bool = False
    figures: AccountFigures | None = None
    gaps: list[Gap] = field(default_factory=list)
    nps: AccountNps | None = None
    friction: AccountFriction | None = None  # None: Pendo collects none, or nobody of it was active


@dataclass(frozen=True)
class AccountChoice:
    """Several accounts have the name that was asked for."""

    query: str
    accounts: list[AccountSummary]  # id, name, url and fields; no figures


@dataclass(frozen=True)
class AccountNotFound:
    query: str
