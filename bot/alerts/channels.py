"""The alert channels as Slack sees them: at start-up (`pendo-bot serve`) and in `pendo-bot check`.

Each channel of ALERTS_CHANNEL and ALERT_ROUTES is asked about once (`conversations.info`): a Slack
Connect channel stops start-up naming the variable (alerts carry customer data; UNFURL_CHANNELS is
checked with the other settings, `bot.settings`); a channel the bot is not in (`is_member` false, or
`channel_not_found`: a private channel it was not invited to) is named by `pendo-bot check` and warned
about at start-up: the bot posts with `chat:write` only, so it must be invited. Before each post the
channel is checked again (`bot.alerts.post.AlertPoster.check`): a channel can become shared later.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.gates import external_channel
from bot.settings import Settings


@dataclass(frozen=True)
class AlertChannel:
    variable: str  # ALERTS_CHANNEL or ALERT_ROUTES: where the channel was named
    channel: str
    found: bool = True  # False: channel_not_found (gone, or private without the bot)
    shared: bool = False  # Slack Connect
    member: bool = False  # the bot is in it

    @property
    def problem(self) -> str | None:
        """What stops alerts reaching it, in words (None: nothing)."""
        if not self.found:
            return (
                "Slack does not find it: check the id, and invite the bot if it is private "
                "(/invite @<the app> in the channel)"
            )
        if self.shared:
            return (
                "it is a Slack Connect channel: alerts carry customer data and never go to a channel "
                "shared outside your organisation"
            )
        if not self.member:
            return "the bot is not a member: invite it (/invite @<the app> in the channel)"
        return None


def named_channels(settings: Settings) -> list[tuple[str, str]]:
    """(variable, channel) for each alert channel, each channel once (its first mention)."""
    found = [(v, c) for v, c in [("ALERTS_CHANNEL", settings.alerts_channel or "")] if c]
    found += [("ALERT_ROUTES", r.partition(">")[2].strip()) for r in settings.alert_routes]
    seen: set[str] = set()
    out = []
    for variable, channel in found:
        if channel not in seen:
            seen.add(channel)
            out.append((variable, channel))
    return out


async def alert_channels(client: AsyncWebClient, settings: Settings) -> list[AlertChannel]:
    """What Slack says of each alert channel. Raises SlackApiError (other than channel_not_found) and
    the client's connection errors: the caller says Slack could not be asked."""
    out = []
    for variable, channel in named_channels(settings):
        try:
            info = (await client.conversations_info(channel=channel)).get("channel")
        except SlackApiError as exc:
            if str(exc.response.get("error")) != "channel_not_found":
                raise
            out.append(AlertChannel(variable, channel, found=False))
            continue
        member = isinstance(info, dict) and bool(info.get("is_member"))
        out.append(AlertChannel(variable, channel, shared=external_channel(info), member=member))
    return out


def startup_error(channels: list[AlertChannel]) -> str | None:
    """The configuration error that stops start-up: the first Slack Connect alert channel."""
    for c in channels:
        if c.found and c.shared:
            return f"{c.variable}: channel {c.channel}: {c.problem}"
    return None
