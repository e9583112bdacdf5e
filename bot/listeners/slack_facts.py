"""What Slack says about the person behind a request, read once per request and cached across them.

`team_of` (the team a payload names), `slack_user` (what the bot uses of `users.info`: zone, home team,
name; cached for TZ_TTL, one call serves all three), `slack_timezone` and `slack_name` (its parts, a
failure logged and left out), and the agent's preferences as they shape an answer: `agent_choices`
(their choices over the workspace's, with their Slack zone as the default) and `unfurls_my_links`.

A handler reads each of these once and passes the value on; none is read again for the same request.
When Slack does not say an agent's zone, day lines stay at UTC midnight (one log line), and Slack is not
asked again for TZ_RETRY.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.listeners.replies import slack_error
from bot.preferences.model import Choices

log = logging.getLogger(__name__)
TZ_TTL = 6 * 3600.0  # a Slack profile's zone, reused for this long
TZ_RETRY = 300.0  # after users.info failed, UTC day lines for this long before asking again
_USER = TypeAdapter(dict[str, str])  # what a shared "slack-user" entry must be (see `slack_user`)


def team_of(body: dict[str, Any]) -> str:
    """The Slack team of a command, an action, a view or an event payload ("" when none says)."""
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    if body.get("team_id"):
        return str(body["team_id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    return ""


async def slack_user(deps: Deps, client: AsyncWebClient, user: str) -> dict[str, str]:
    """What the bot uses of `users.info`, cached for TZ_TTL (one call serves them all): `tz` (an IANA zone,
    or ""), `team` (the user's home workspace), `name` (the profile's display name, else the real name).
    Raises what the call raises (SlackApiError, network errors)."""

    async def load() -> dict[str, str]:
        response = await client.users_info(user=user)
        found = response.get("user") or {}
        profile = found.get("profile") or {}
        tz = found.get("tz")
        try:
            zone = str(ZoneInfo(tz).key) if isinstance(tz, str) and tz else ""
        except (ZoneInfoNotFoundError, ValueError):
            zone = ""
        names = (profile.get("display_name"), profile.get("real_name"), found.get("real_name"))
        name = next((str(n).strip() for n in names if isinstance(n, str) and n.strip()), "")
        return {"tz": zone, "team": str(found.get("team_id") or ""), "name": name}

    facts: dict[str, str] = await deps.memo.get_or_load(("slack-user", user), TZ_TTL, load, expect=_USER)
    return facts


async def slack_timezone(deps: Deps, client: AsyncWebClient, user: str) -> str | None:
    """The agent's Slack profile zone (`users.info` → `user.tz`), cached; None when Slack does not say."""
    if not user or deps.memo.get(("slack-tz-failed", user)):
        return None
    try:
        zone = (await slack_user(deps, client, user)).get("tz", "")
    except Exception as exc:  # SlackApiError (missing_scope, user_not_found), Slack unreachable
        deps.memo.put(("slack-tz-failed", user), True, TZ_RETRY)
        error = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("users.info failed: day lines at UTC midnight for now", extra={"error": error})
        return None
    return zone or None


async def slack_name(deps: Deps, client: AsyncWebClient, user: str) -> str | None:
    """The agent's name as Slack shows it (profile display name, else real name), or None."""
    if not user:
        return None
    try:
        return (await slack_user(deps, client, user)).get("name") or None
    except Exception as exc:  # SlackApiError, Slack unreachable: the caller says "an agent"
        error = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("users.info failed: the agent's name is not known", extra={"error": error})
        return None


async def agent_choices(deps: Deps, client: AsyncWebClient, team: str, user: str) -> Choices:
    """What only this agent sees is shaped by: their preferences over the workspace's (one store read,
    and Slack's zone only when they chose none)."""
    prefs = await deps.preferences.load(team, user)
    tz = None if prefs.timezone else await slack_timezone(deps, client, user)
    return Choices.of(prefs, Choices.workspace(deps.settings), tz)


async def unfurls_my_links(deps: Deps, team: str, user: str) -> bool | None:
    """The poster's "unfurl Zendesk links I post" (on unless they turned it off); None when the store did
    not answer, so nobody knows (the workspace default would ignore an "off" it cannot see)."""
    prefs = await deps.preferences.load_known(team, user)
    return None if prefs is None else prefs.unfurl_my_links is not False
