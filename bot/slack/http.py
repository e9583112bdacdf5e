"""One long-lived aiohttp session for every call to Slack: Web API methods and `response_url` posts.

Without it, slack_sdk opens a new aiohttp session (with a new TLS context and new connections) for each
Web API call, and Bolt's `respond` builds a new webhook client for each reply. The session is created on
first use inside the running event loop (aiohttp requires one) and closed with the deps. A reply is one
POST on it (`SlackHTTP.post_json`), as slack_sdk's webhook client would send it, without that client's
per-reply set-up (its user agent, retry state and request records cost about as much CPU as the post).

`install(app, slack)` adds one Bolt middleware that hands the session to the request's Web API client
and replaces `respond` with one that posts through the same session.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.web.internal_utils import get_user_agent
from slack_sdk.webhook.webhook_response import WebhookResponse

from bot.listeners.middleware import DirectMiddleware

TIMEOUT_SECONDS = 10.0
MAX_CONNECTIONS = 100
JSON_HEADERS = {"Content-Type": "application/json;charset=utf-8", "User-Agent": get_user_agent()}
# slack_sdk's webhook client retries once, 0.5 s plus up to 1 s of jitter later, when the connection
# failed (e.g. a kept-alive connection Slack had closed); so does `post_json`.
RETRIED_ERRORS = (aiohttp.ServerConnectionError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)
RETRY_AFTER_SECONDS = 0.5


class SlackHTTP:
    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=30, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        return self._session

    async def post_json(self, url: str, body: bytes) -> WebhookResponse:
        """POST a JSON body (a response_url reply) on the shared session; Slack's answer, whatever its
        status. A failed connection is tried once more (see RETRIED_ERRORS); other errors raise."""
        retried = False
        while True:
            try:
                async with self.session().post(url, data=body, headers=JSON_HEADERS) as res:
                    text = await res.text()
                    return WebhookResponse(
                        url=url, status_code=res.status, body=text, headers=dict(res.headers)
                    )
            except RETRIED_ERRORS:
                if retried:
                    raise
                retried = True
                await asyncio.sleep(RETRY_AFTER_SECONDS + random.random())

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class SessionRespond(AsyncRespond):
    """Bolt's `respond`, posting through the shared session instead of a new client per reply."""

    def __init__(self, response_url: str | None, slack: SlackHTTP) -> None:
        super().__init__(response_url=response_url)
        self._slack = slack

    async def __call__(self, text: str | dict[str, Any] = "", **kwargs: Any) -> WebhookResponse:  # type: ignore[override]
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message = _build_message(**text) if isinstance(text, dict) else _build_message(text=text, **kwargs)
        # What slack_sdk's webhook client would send: the message without its None fields, as JSON.
        body = orjson.dumps({k: v for k, v in message.items() if v is not None})
        return await self._slack.post_json(self.response_url, body)


def install(app: AsyncApp, slack: SlackHTTP) -> None:
    """Every Slack call of `app` (Web API and response_url) goes through `slack`'s session."""

    async def shared_session(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        session = slack.session()
        app.client.session = session
        if context.get("client") is not None:
            context["client"].session = session
        if context.response_url is not None:
            context["respond"] = SessionRespond(context.response_url, slack)
        await next()

    app.middleware(DirectMiddleware(shared_session))
