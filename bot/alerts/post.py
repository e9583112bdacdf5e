"""Posting an alert: the channel checked again, the ticket claimed once, posts paced per channel.

`AlertPoster` posts with the bot token (`chat:write`: the bot must be a member of each alert channel).
Before each post the channel is checked with conversations.info (a channel can become shared later):
never a Slack Connect channel, never one outside UNFURL_CHANNELS when that is set. A claim (`JobStore.mark`,
in the queue's store: Redis, or the NOTES_DB file shared by the processes of one host) is taken before
posting and released on a Slack error, so one ticket gets one alert across instances and webhook retries.
Posts to one channel are at least `PACE_SECONDS` apart in this process (Slack's chat.postMessage allows
about one message a second per channel).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.gates import external_channel
from bot.notes.jobs import JobStore
from bot.settings import Settings

log = logging.getLogger(__name__)
PACE_SECONDS = 1.1


class ChannelRefused(Exception):
    """The channel may not receive customer data (Slack Connect, or outside UNFURL_CHANNELS)."""


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


class AlertPoster:
    def __init__(
        self,
        client: AsyncWebClient,
        jobs: JobStore,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        pace: float = PACE_SECONDS,
    ) -> None:
        self.client = client
        self.jobs = jobs
        self.allowed = frozenset(settings.unfurl_channels)
        self._clock = clock
        self._pace = pace
        self._last: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, channel: str) -> str | None:
        """None when customer data may go to `channel`, else why not (a few words, for the log and the
        metric): "outside UNFURL_CHANNELS", "Slack Connect", "not found". Raises SlackApiError when Slack
        cannot say (the caller retries)."""
        if self.allowed and channel not in self.allowed:
            return "outside UNFURL_CHANNELS"
        try:
            info = (await self.client.conversations_info(channel=channel)).get("channel")
        except SlackApiError as exc:
            if str(exc.response.get("error")) == "channel_not_found":
                return "not found"
            raise
        return "Slack Connect" if external_channel(info) else None

    async def claim(self, key: str, hold: float) -> bool:
        """True when this caller may post for `key` (held `hold` seconds, or until `release`)."""
        now = self._clock()
        return await self.jobs.mark(f"alert-claim:{key}", now=now, until=now + hold)

    async def release(self, key: str) -> None:
        await self.jobs.unmark(f"alert-claim:{key}")

    async def post(self, channel: str, message: dict[str, Any]) -> Posted:
        """chat.postMessage, paced per channel; raises SlackApiError."""
        async with self._paced(channel):
            answer = await self.client.chat_postMessage(
                channel=channel,
                text=message.get("text", ""),
                blocks=message.get("blocks"),
                unfurl_links=False,
            )
        return Posted(str(answer.get("channel") or channel), str(answer.get("ts")))

    async def update(self, posted: Posted, message: dict[str, Any]) -> None:
        """chat.update of an alert already posted (a comment that came later); raises SlackApiError."""
        async with self._paced(posted.channel):
            await self.client.chat_update(
                channel=posted.channel,
                ts=posted.ts,
                text=message.get("text", ""),
                blocks=message.get("blocks"),
            )

    @contextlib.asynccontextmanager
    async def _paced(self, channel: str) -> AsyncIterator[None]:
        """One post at a time per channel, at least `pace` seconds after the channel's last one (the lock
        is let go however the post ends, a cancel included)."""
        async with self._locks.setdefault(channel, asyncio.Lock()):
            wait = self._last.get(channel, 0.0) + self._pace - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last[channel] = time.monotonic()
