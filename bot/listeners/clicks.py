"""A button's machinery: the click's facts, the gate every button passes first, where its answer goes.

Where an answer goes: a button on the agent's own private message replaces that message in place
(through its response_url); a button on a public message (an unfurl, a shared summary) answers with a
private message to whoever clicked, after the same access check as `/pendo` (`bot.gates.decide_ask`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import Outcome
from bot.deps import Deps
from bot.gates import Refusal, Surface
from bot.listeners import access_facts
from bot.listeners.replies import deliver, post_ephemeral
from bot.listeners.slack_facts import team_of
from bot.render import blocks as block_kit
from bot.render import messages as message_blocks
from bot.render import notices

Result = tuple[Outcome, str]  # how an action ended, and the detail written after it in the audit line


@dataclass(frozen=True)
class Click:
    user: str
    channel: str
    message_ts: str
    thread_ts: str | None
    private: bool  # the button is on the clicker's own ephemeral message: answer in place
    team: str = ""  # the clicker's Slack team (their preferences are kept by team and user)

    @classmethod
    def of(cls, body: dict[str, Any]) -> Click:
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        return cls(
            user=str((body.get("user") or {}).get("id", "")),
            channel=str(channel),
            message_ts=str(container.get("message_ts", "")),
            thread_ts=container.get("thread_ts"),
            private=bool(container.get("is_ephemeral")),
            team=team_of(body),
        )


async def answer_privately(
    click: Click,
    message: block_kit.Message,
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    replace: bool = True,
) -> bool:
    """In place on the clicker's own private message; as a new private message under a public one."""
    if click.private:
        return await deliver(respond, message, replace=replace)
    return await post_ephemeral(client, click.channel, click.user, click.thread_ts, message)


async def click_refusal(
    deps: Deps,
    client: AsyncWebClient,
    respond: AsyncRespond,
    click: Click,
    *,
    stale: bool,
    sharing: bool = False,
) -> Result | None:
    """The gate every button passes first; None to go on, else the audit outcome, the clicker told why.

    A stale button (its value no longer decodes), the access lists, then the channel: a public click in a
    channel shared with another organisation gets no customer data, not even privately (its members may be
    outside the company). With `sharing`, the channel must also allow a visible share (`gates.may_share`).
    """

    async def tell(text: str, icon: str = "⚠️", *, replace: bool = False) -> None:
        await answer_privately(
            click, message_blocks.notice_message(text, icon=icon), respond, client, replace=replace
        )

    refusal, facts = await access_facts.ask(
        deps,
        client,
        Surface.CLICK,
        user=click.user,
        channel=click.channel,
        stale=stale,
        public=not click.private,
        sharing=sharing,
    )
    if refusal is None:
        return None
    if refusal is Refusal.STALE:
        await tell(notices.SHARE_STALE)
        return Outcome.STALE, ""
    if refusal is Refusal.ACCESS:
        await tell(facts.access_refusal or "", "🔒")
        return Outcome.REFUSED, "access"
    if sharing:
        external = refusal is Refusal.EXTERNAL
        await tell(notices.SHARE_EXTERNAL if external else notices.SHARE_NOT_HERE, "🔒")
        return Outcome.REFUSED, "external" if external else "channel"
    await tell(notices.DETAILS_EXTERNAL, "🔒", replace=True)
    return Outcome.REFUSED, "external"


async def on_click(
    ack: AsyncAck,
    body: dict[str, Any],
    deps: Deps,
    action: str,
    target: str,
    run: Callable[[Click], Awaitable[Result]],
) -> None:
    """A button's head: ack, the click's facts, one audit line whose outcome `run` returns."""
    await ack()
    click = Click.of(body)
    with deps.auditor.audit(action, user=click.user, channel=click.channel, target=target) as entry:
        entry.set(*await run(click))
