"""The facts `bot.gates` decides access on, gathered for one request, Slack asked only when the decision
needs it.

Who may see customer data here (the access lists), where it may go (is the channel shared with another
organisation), who may share it: the rules are `gates.decide_ask` and `gates.may_share`; this module
only looks the facts up (`AccessLists`, `ChannelKinds`, both cached) and hands them over.
"""

from __future__ import annotations

from dataclasses import replace

from slack_sdk.web.async_client import AsyncWebClient

from bot import gates
from bot.deps import Deps
from bot.gates import AskFacts, ChannelKind, Refusal, Surface, UnfurlRules
from bot.listeners.access import AccessLists
from bot.listeners.channels import ChannelKinds


async def _channel_kind(deps: Deps, client: AsyncWebClient, channel: str) -> ChannelKind:
    external = await ChannelKinds.of(deps).is_external(client, channel)
    return ChannelKind.EXTERNAL if external else ChannelKind.INTERNAL


async def ask(
    deps: Deps,
    client: AsyncWebClient,
    surface: Surface,
    *,
    user: str,
    channel: str,
    stale: bool = False,
    public: bool = False,
    same_team: bool = True,
    sharing: bool = False,
) -> tuple[Refusal | None, AskFacts]:
    """May `user` have customer data here, this way? The refusal (None: go on) and the facts it rests on
    (`access_refusal` is the access lists' own sentence)."""
    facts = AskFacts(channel, stale=stale, public=public, same_team=same_team, sharing=sharing)
    if gates.access_needed(facts):
        facts = replace(facts, access_refusal=await AccessLists.of(deps).refusal(client, user, channel))
    if gates.channel_kind_needed(facts, surface):
        facts = replace(facts, channel_kind=await _channel_kind(deps, client, channel))
    return gates.decide_ask(facts, UnfurlRules.from_settings(deps.settings), surface), facts


async def share_allowed(deps: Deps, client: AsyncWebClient, channel: str) -> bool:
    """Whether a summary in `channel` gets Share buttons (`gates.may_share`)."""
    rules = UnfurlRules.from_settings(deps.settings)
    kind = ChannelKind.UNKNOWN
    if gates.share_needs_channel_kind(channel, rules):
        kind = await _channel_kind(deps, client, channel)
    return gates.may_share(channel, kind, rules)
