"""An agent's preferences as stored, the versioned row they are stored as, and the `Choices` an answer
is shaped by. Pure: no I/O.

`Preferences` holds only what the agent chose (None: "the workspace default"), so a change of a
workspace default reaches everyone who did not choose otherwise, and "Reset to the workspace defaults"
is deleting the row. `Choices` is the resolved set: the agent's `Choices.of(...)` for what only they see,
`Choices.workspace(settings)` for what a channel sees (an unfurl, a shared summary: one message, many
readers).

Nothing about customers is stored here: kinds, a view, a switch, metadata field paths, a time zone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal
from zoneinfo import available_timezones

from bot.settings import TIMELINE_KIND_NAMES, Settings

View = Literal["compact", "full"]
# The version of the JSON row written now. Version 1 is the first format: a row of any other version
# (older or newer) falls back to the defaults with one log line. A later format adds its step here (a
# function from the old row to the new, applied in `from_row` before the checks) with a test of that step.
ROW_VERSION = 1
KIND_LABELS: dict[str, str] = {
    "page": "Pages",
    "feature": "Features",
    "track": "Track events",
    "guide": "Guides",
    "untagged": "Untagged pages",
}
# The `type` of a Pendo history row for each kind an agent can pick.
HISTORY_TYPES: dict[str, str] = {
    "page": "page",
    "feature": "feature",
    "track": "trackType",
    "guide": "guide",
    "untagged": "untagged",
}
MAX_FIELDS = 10  # metadata fields an agent may pick per level (a summary shows at most 10 fields)
# The areas whose IANA zones the form offers (bot.render.preferences), with UTC: the only zones kept.
ZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
_FIELD_PATH = re.compile(r"^[A-Za-z0-9_]+/[A-Za-z0-9_]+$")


class PreferenceError(ValueError):
    """A choice the bot cannot keep; the message says why in words an agent understands."""


# --- one choice at a time: the same checks for the form and for a stored row ---------------------------
def parse_kinds(values: Iterable[str]) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(str(v).strip().lower() for v in values))
    unknown = [k for k in kinds if k not in KIND_LABELS]
    if unknown:
        raise PreferenceError(
            f"“{unknown[0]}” is not a kind of event the timeline knows. Pick from: "
            + ", ".join(KIND_LABELS.values())
            + "."
        )
    if not kinds:
        raise PreferenceError(
            "Pick at least one kind of event: a timeline with none would always be empty. "
            "To see the workspace's kinds again, use Reset."
        )
    return tuple(k for k in TIMELINE_KIND_NAMES if k in kinds)  # one order, whatever the click order


def parse_view(value: object) -> View:
    if value == "compact":
        return "compact"
    if value == "full":
        return "full"
    raise PreferenceError("Choose “Compact first” or “Everything first”.")


@cache
def offered_zones() -> frozenset[str]:
    """The zones the form offers, and so the only ones kept: UTC and the Area/Place zones of
    `ZONE_AREAS`. Never `right/…` or `posix/…` copies, `localtime`, `Factory`, or legacy names."""
    names = (z for z in available_timezones() if "/" in z and z.split("/", 1)[0] in ZONE_AREAS)
    return frozenset(["UTC", *names])


def parse_timezone(value: object) -> str:
    text = str(value or "").strip()
    if text not in offered_zones():
        raise PreferenceError(
            f"“{text[:60]}” is not a time zone the bot knows. Pick one from the list, or your Slack "
            "profile's."
        )
    return text


def parse_fields(values: Iterable[str], known: Iterable[str] | None = None) -> tuple[str, ...]:
    """Metadata field paths (`group/field`); with `known` (the schema's paths), only those."""
    fields = tuple(dict.fromkeys(str(v).strip() for v in values))
    bad = [f for f in fields if not _FIELD_PATH.match(f)]
    if bad:
        raise PreferenceError(f"“{bad[0][:60]}” is not a Pendo metadata field (they look like group/field).")
    if known is not None:
        gone = [f for f in fields if f not in set(known)]
        if gone:
            raise PreferenceError(
                f"Pendo no longer has the field {gone[0]}. Pick again from the list (it is read from Pendo)."
            )
    if len(fields) > MAX_FIELDS:
        raise PreferenceError(f"Pick at most {MAX_FIELDS} fields: a summary has room for {MAX_FIELDS}.")
    return fields


# --- what is stored -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preferences:
    """One agent's choices; None everywhere means "the workspace default"."""

    kinds: tuple[str, ...] | None = None
    view: View | None = None
    unfurl_my_links: bool | None = None
    visitor_fields: tuple[str, ...] | None = None
    account_fields: tuple[str, ...] | None = None
    timezone: str | None = None  # None: the agent's Slack profile zone

    @property
    def is_default(self) -> bool:
        return self == Preferences()

    def but(self, **changes: Any) -> Preferences:
        return replace(self, **changes)

    def to_row(self) -> str:
        """The stored JSON: the row version and only what was chosen."""
        data: dict[str, Any] = {"v": ROW_VERSION}
        if self.kinds is not None:
            data["kinds"] = list(self.kinds)
        if self.view is not None:
            data["view"] = self.view
        if self.unfurl_my_links is not None:
            data["unfurl"] = self.unfurl_my_links
        if self.visitor_fields is not None:
            data["visitor_fields"] = list(self.visitor_fields)
        if self.account_fields is not None:
            data["account_fields"] = list(self.account_fields)
        if self.timezone is not None:
            data["tz"] = self.timezone
        return json.dumps(data, separators=(",", ":"))


@dataclass(frozen=True)
class Loaded:
    """A row read back: the preferences kept, and what had to be dropped (for one log line)."""

    preferences: Preferences
    problems: list[str] = field(default_factory=list)


def from_row(raw: str | bytes | None) -> Loaded:
    """A stored row → preferences. Never raises: a row that cannot be read whole gives the defaults, a
    value that cannot be kept gives that choice's default; `problems` says which (no values in it)."""
    if raw is None:
        return Loaded(Preferences())
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return Loaded(Preferences(), ["the stored row is not JSON"])
    if not isinstance(data, dict):
        return Loaded(Preferences(), ["the stored row is not an object"])
    version = data.get("v")
    if not isinstance(version, int) or isinstance(version, bool):
        return Loaded(Preferences(), ["the stored row has no version"])
    if version != ROW_VERSION:
        newer = "a newer" if version > ROW_VERSION else "an older"
        return Loaded(
            Preferences(), [f"the row is version {version}, from {newer} bot (this one reads {ROW_VERSION})"]
        )
    problems: list[str] = []
    kept: dict[str, Any] = {}

    def take(key: str, name: str, parse: Callable[[Any], Any]) -> None:
        if key not in data:
            return
        try:
            kept[name] = parse(data[key])
        except (PreferenceError, TypeError):
            problems.append(f"{name} could not be read")

    take("kinds", "kinds", lambda v: parse_kinds(_strings(v)))
    take("view", "view", parse_view)
    take("unfurl", "unfurl_my_links", _boolean)
    take("visitor_fields", "visitor_fields", lambda v: parse_fields(_strings(v)))
    take("account_fields", "account_fields", lambda v: parse_fields(_strings(v)))
    take("tz", "timezone", parse_timezone)
    return Loaded(Preferences(**kept), problems)


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("not a list of strings")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


# --- what an answer is shaped by -------------------------------------------------------------------------
@dataclass(frozen=True)
class Choices:
    """Every choice resolved: the reader's own, else the workspace's."""

    kinds: frozenset[str]
    full_first: bool
    visitor_fields: tuple[str, ...]
    account_fields: tuple[str, ...]
    timezone: str  # where day lines are cut (IANA)
    unfurl_my_links: bool = True

    @classmethod
    def workspace(cls, settings: Settings) -> Choices:
        """For a channel (unfurls, shared summaries, thread answers) and when nobody chose: the settings;
        day lines at UTC midnight, since each reader has their own zone."""
        return cls(
            kinds=settings.default_timeline_kinds,
            full_first=settings.default_view == "full",
            visitor_fields=tuple(settings.pendo_visitor_fields),
            account_fields=tuple(settings.pendo_account_fields),
            timezone="UTC",
        )

    @classmethod
    def of(cls, prefs: Preferences, workspace: Choices, slack_tz: str | None = None) -> Choices:
        """One agent's: their preferences over the workspace's, their Slack profile's zone by default."""
        base = workspace
        return cls(
            kinds=frozenset(prefs.kinds) if prefs.kinds is not None else base.kinds,
            full_first=(prefs.view == "full") if prefs.view is not None else base.full_first,
            visitor_fields=prefs.visitor_fields if prefs.visitor_fields is not None else base.visitor_fields,
            account_fields=prefs.account_fields if prefs.account_fields is not None else base.account_fields,
            timezone=prefs.timezone or slack_tz or base.timezone,
            unfurl_my_links=prefs.unfurl_my_links if prefs.unfurl_my_links is not None else True,
        )

    @property
    def history_types(self) -> frozenset[str]:
        """The Pendo history row types these kinds show (`track` is Pendo's `trackType`)."""
        return frozenset(HISTORY_TYPES[k] for k in self.kinds)
