"""`pendo-bot check`'s Slack part: what `serve` needs from Slack, checked before it is needed.

The bot token is set and Slack accepts it (`auth.test`); the token was granted every scope the app's
manifest asks for (Slack names the granted ones in the `x-oauth-scopes` header of each Web API answer);
the token `serve` needs for its mode (SLACK_APP_TOKEN for Socket Mode, SLACK_SIGNING_SECRET for HTTP) is
set; each alert channel (ALERTS_CHANNEL, ALERT_ROUTES) is one the bot is a member of and not a Slack
Connect channel (`bot.alerts.channels`). Each line starts OK, WARN or FAIL; the check fails when any line
does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.alerts.channels import alert_channels, named_channels
from bot.settings import Settings
from bot.slack.app import slack_client

# manifest.yml's oauth_config.scopes.bot, in its order (tests/test_cli_checks.py keeps the two equal).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "links:read",
    "links:write",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
    "usergroups:read",
    "app_mentions:read",
    "users:read",
)


def granted_scopes(headers: Mapping[str, Any]) -> set[str]:
    """The scopes Slack says the token has: its `x-oauth-scopes` header (any case), comma separated."""
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list | tuple) and value else value
            return {s.strip() for s in str(text).split(",") if s.strip()}
    return set()


async def slack_lines(settings: Settings) -> tuple[bool, list[str]]:
    """(all good, the lines to print)."""
    token = settings.slack_bot_token
    if token is None:
        return False, [
            "FAIL Slack: SLACK_BOT_TOKEN is not set, and `pendo-bot serve` needs it (xoxb-…, from the app's "
            "OAuth & Permissions page). Use `pendo-bot check --no-slack` to check only what the command line "
            "uses."
        ]
    lines: list[str] = []
    ok = True
    client = slack_client(settings)  # the bot's own Web API client: same base URL, timeout, retries
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        code = exc.response.get("error") if exc.response is not None else None
        return False, [
            f"FAIL Slack refused SLACK_BOT_TOKEN ({code or 'unknown error'}): copy the Bot User OAuth Token "
            "(xoxb-…) from the app's OAuth & Permissions page, and reinstall the app if it was revoked."
        ]
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return False, [
            f"FAIL The bot cannot reach Slack at {settings.slack_api_url} ({type(exc).__name__}): no "
            "connection was made. Check this machine's network, DNS, proxy (HTTPS_PROXY) and TLS."
        ]
    else:
        channel_lines = await _alert_channel_lines(client, settings)
    finally:
        session = getattr(client, "session", None)
        if session is not None:
            await session.close()
    lines.append(
        f"OK   Slack accepted SLACK_BOT_TOKEN (workspace {answer.get('team')}, bot {answer.get('user')})."
    )
    granted = granted_scopes(answer.headers)
    missing = [s for s in BOT_SCOPES if s not in granted]
    if not granted:
        lines.append("WARN Slack did not say which scopes the token has (no x-oauth-scopes header).")
    elif missing:
        ok = False
        lines.append(
            f"FAIL The bot token lacks {', '.join(missing)} (manifest.yml asks for "
            f"{'it' if len(missing) == 1 else 'them'}): add {'it' if len(missing) == 1 else 'them'} under "
            "OAuth & Permissions → Bot Token Scopes and reinstall the app."
        )
    else:
        lines.append(f"OK   The bot token has the {len(BOT_SCOPES)} scopes manifest.yml asks for.")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        ok = False
        lines.append(
            "FAIL `pendo-bot serve` needs SLACK_APP_TOKEN (xapp-…, Socket Mode) or SLACK_SIGNING_SECRET "
            "(HTTP mode): both are on the app's Basic Information page."
        )
    lines += channel_lines
    return ok and not any(line.startswith("FAIL") for line in channel_lines), lines


async def _alert_channel_lines(client: Any, settings: Settings) -> list[str]:
    """One line per alert channel: the bot is in it (OK), or what stops alerts reaching it (FAIL)."""
    if not named_channels(settings):
        return []
    try:
        channels = await alert_channels(client, settings)
    except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        code = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        return [f"WARN Slack could not say whether the bot is in the alert channels ({code})."]
    lines = []
    for c in channels:
        problem = c.problem
        where = f"Alert channel {c.channel} ({c.variable})"
        lines.append(f"FAIL {where}: {problem}." if problem else f"OK   {where}: the bot is a member.")
    return lines
