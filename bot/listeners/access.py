"""Who may use the bot: optional allow-lists of users, user groups and channels (ALLOWED_*).

They cover `/pendo`, the buttons and unfurls (for unfurls: the poster and the channel, see `bot.gates`).
The lists keep no state of their own (group members are cached in the deps' Slack cache), so a
listener builds them from the deps when it needs it.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.http.cache import TTLCache
from bot.http.shared import cacheable
from bot.render import notices
from bot.settings import Settings

log = logging.getLogger(__name__)
GROUP_TTL = 300.0
_MEMBERS = cacheable(frozenset[str])


class AccessLists:
    """Default: everyone. With user or group lists, the user must be in one; with a channel list, the
    command must come from one of those channels. Both apply when both are set."""

    def __init__(self, settings: Settings, cache: TTLCache) -> None:
        self._users = set(settings.allowed_users)
        self._groups = list(settings.allowed_usergroups)
        self._channels = set(settings.allowed_channels)
        self._contact = settings.access_contact
        self._cache = cache

    @classmethod
    def of(cls, deps: Deps) -> AccessLists:
        return cls(deps.settings, deps.memo)

    @property
    def restricted(self) -> bool:
        return bool(self._users or self._groups or self._channels)

    async def poster_allowed(self, client: AsyncWebClient, user_id: str) -> bool:
        """Does the user pass the user and group lists? False when Slack cannot tell (fail closed)."""
        if not (self._users or self._groups):
            return True
        try:
            return await self._user_allowed(client, user_id)
        except Exception as exc:
            log.warning("usergroup lookup failed", extra={"error": str(exc)})
            return False

    async def refusal(self, client: AsyncWebClient, user_id: str, channel_id: str) -> str | None:
        """None when allowed, else a polite sentence saying who can grant access."""
        if self._channels and channel_id not in self._channels:
            return notices.channel_not_enabled(self._contact)
        if self._users or self._groups:
            try:
                allowed = await self._user_allowed(client, user_id)
            except Exception as exc:
                log.warning("usergroup lookup failed", extra={"error": str(exc)})
                return notices.ACCESS_UNCHECKED
            if not allowed:
                return notices.no_access(self._contact)
        return None

    async def _user_allowed(self, client: AsyncWebClient, user_id: str) -> bool:
        if user_id in self._users:
            return True
        for group in self._groups:
            if user_id in await self._members(client, group):
                return True
        return False

    async def _members(self, client: AsyncWebClient, group: str) -> frozenset[str]:
        async def load() -> frozenset[str]:  # failures raise, so they are not cached
            response = await client.usergroups_users_list(usergroup=group)
            return frozenset(response.get("users") or [])

        members: frozenset[str] = await self._cache.get_or_load(
            ("usergroup", group), GROUP_TTL, load, expect=_MEMBERS
        )
        return members
