"""Which alert rules a requester matches, and where the alert goes. Pure.

The rules are the stand-out signals (`bot.domain.signals`: one definition, not a second one) plus
`key_account`: an account of the visitor named in ALERT_KEY_ACCOUNTS by id, or matched by an account
field, `group/field=value` (`salesforce/tier=Strategic`). ALERT_ROUTES sends a rule or an account match to
its own channel (`key_account>C123,agent/planlevel=Enterprise>C789`): the first route that matches wins,
else ALERTS_CHANNEL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.signals import Signal
from bot.settings import Settings

KEY_ACCOUNT = "key_account"


@dataclass(frozen=True)
class FieldMatch:
    """`group/field=value`: an account's metadata field equal to the value (as text, ignoring case)."""

    group: str
    field: str
    value: str

    @classmethod
    def parse(cls, text: str) -> FieldMatch | None:
        path, eq, value = text.partition("=")
        group, slash, field = path.strip().partition("/")
        if not (eq and slash and group and field and value.strip()):
            return None
        return cls(group, field, value.strip())

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        found = (metadata.get(self.group) or {}).get(self.field)
        if found is None or isinstance(found, dict | list):
            return False
        text = ("true" if found else "false") if isinstance(found, bool) else str(found)
        return text.strip().casefold() == self.value.casefold()


@dataclass(frozen=True)
class Route:
    rule: str | None  # a rule's name, or None for an account field match
    match: FieldMatch | None
    channel: str

    @classmethod
    def parse(cls, text: str) -> Route:
        left, _, channel = text.partition(">")
        left = left.strip()
        match = FieldMatch.parse(left) if "=" in left else None
        return cls(None if match else left, match, channel.strip())


@dataclass(frozen=True)
class Rules:
    enabled: tuple[str, ...]
    key_ids: frozenset[str]
    key_matches: tuple[FieldMatch, ...]
    routes: tuple[Route, ...]
    default_channel: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        matches = [m for item in settings.alert_key_accounts if (m := FieldMatch.parse(item))]
        return cls(
            enabled=tuple(settings.alert_rules),
            key_ids=frozenset(i.strip() for i in settings.alert_key_accounts if "=" not in i),
            key_matches=tuple(matches),
            routes=tuple(Route.parse(r) for r in settings.alert_routes),
            default_channel=settings.alerts_channel,
        )

    @property
    def channels(self) -> list[str]:
        """Every channel an alert may go to: the routes' and ALERTS_CHANNEL."""
        found = [r.channel for r in self.routes]
        if self.default_channel:
            found.append(self.default_channel)
        return list(dict.fromkeys(found))

    @property
    def reads_accounts(self) -> bool:
        """Whether an account's metadata can decide a key account or a route (a field match)."""
        return bool(self.key_matches) or any(r.match is not None for r in self.routes)

    def key_account(self, accounts: Mapping[str, Mapping[str, Any]]) -> str | None:
        """The first of the visitor's accounts (id → metadata, opted-out ones left out by the caller)
        that is a key account."""
        for account_id, metadata in accounts.items():
            if account_id in self.key_ids or any(m.matches(metadata) for m in self.key_matches):
                return account_id
        return None

    def matched(self, found: Iterable[Signal], key_account: str | None) -> list[str]:
        """The enabled rules that fire, strongest first (the stand-out order, then key_account)."""
        names = [s.kind.value for s in found]
        if key_account is not None:
            names.append(KEY_ACCOUNT)
        return [n for n in names if n in self.enabled]

    def channel_for(self, rules: list[str], accounts: Mapping[str, Mapping[str, Any]]) -> str | None:
        """The first route whose rule fired or whose field match holds on one of the accounts; else
        ALERTS_CHANNEL."""
        for route in self.routes:
            if route.rule is not None and route.rule in rules:
                return route.channel
            if route.match is not None and any(route.match.matches(m) for m in accounts.values()):
                return route.channel
        return self.default_channel
