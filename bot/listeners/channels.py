"""Is a conversation shared with another organisation (Slack Connect)? Customer data never goes there."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.gates import external_channel
from bot.http.cache import TTLCache

log = logging.getLogger(__name__)
CHANNEL_TTL = 300.0  # a channel that becomes shared is noticed within five minutes


class ChannelKinds:
    def __init__(self, cache: TTLCache) -> None:
        self._cache = cache

    @classmethod
    def of(cls, deps: Deps) -> ChannelKinds:
        return cls(deps.memo)

    async def is_external(self, client: AsyncWebClient, channel: str, *, hint: bool = False) -> bool:
        """True for Slack Connect channels, and for channels the bot cannot inspect (not provably internal).

        `hint` is the event envelope's `is_ext_shared_channel`, when Slack sent one.
        """
        if hint:
            return True
        known = self._cache.get(("external", channel))
        if known is not None:
            return bool(known)
        try:
            info = (await client.conversations_info(channel=channel)).get("channel")
        except Exception as exc:  # not cached: a passing Slack error must not stick for minutes
            log.warning("conversations.info failed", extra={"channel": channel, "error": str(exc)})
            return True
        if not isinstance(info, dict) or not info.get("id"):  # `channel: null`: unknown is external
            log.warning("conversations.info described no channel", extra={"channel": channel})
            return True
        external = external_channel(info)
        self._cache.put(("external", channel), external, CHANNEL_TTL)
        return external
