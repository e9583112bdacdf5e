"""Where the bot's Slack runtime differs from Bolt's defaults, and why: one long-lived aiohttp session.

slack_sdk opens a new aiohttp session for each Web API call, and Bolt's `respond` builds a new webhook
client, with its own session, for each reply. A new session means a new connection: against Slack that is
a TCP and a TLS handshake to slack.com or hooks.slack.com (at least two round trips) before every call
and every answer an agent waits for. Measured with `make bench` on loopback,
where there is no TLS (so the real saving is larger): `/pendo` cold, 10 at once, answered at p50 in 538 ms
with a session per reply and in 378 ms with the shared one (366 ms before the bot left its own ack
runtime: see docs/development.md, "Speed").

Both go through one session, on Bolt's and slack_sdk's public contract only:
- the Web API client takes it through its public `session` attribute, set on `app.client` at start-up
  (Bolt copies `session` into the client it builds for each request);
- `respond` is `SessionRespond`, put in Bolt's context by one plain middleware (`shared_session`): the
  same call as Bolt's `respond`, sent with slack_sdk's public `AsyncWebhookClient(url, session=...)`.

Everything else is Bolt's default runtime: each listener runs as a task and Bolt awaits its `ack()`
(an ack is judged against Slack's 3 seconds; milliseconds there are nobody's concern).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

TIMEOUT_SECONDS = 10.0
MAX_CONNECTIONS = 100


class SlackHTTP:
    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The shared session (a new one if there was none or it was closed); call it inside the loop."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=30, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class SessionRespond:
    """Bolt's `respond` (same arguments: a text or a message dict, plus `blocks`, `response_type`,
    `replace_original`, …), posted through the shared session."""

    def __init__(self, response_url: str, session: aiohttp.ClientSession) -> None:
        self.response_url = response_url
        self._client = AsyncWebhookClient(response_url, timeout=int(TIMEOUT_SECONDS), session=session)

    async def __call__(self, text: str | dict[str, Any] = "", **kwargs: Any) -> WebhookResponse:
        if isinstance(text, dict):
            return await self._client.send_dict(text)
        return await self._client.send(text=text, **kwargs)


def shared_session(slack: SlackHTTP) -> Callable[..., Awaitable[None]]:
    """The middleware that puts `SessionRespond` in the context of every request with a response_url."""

    async def shared_session(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        if context.response_url is not None:
            context["respond"] = SessionRespond(context.response_url, slack.session())
        await next()

    return shared_session
