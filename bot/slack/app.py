"""build_app: the Bolt AsyncApp from the settings and the deps, with every listener registered.

Also the Slack Web API client (429s retried only while Slack's Retry-After stays short) and the start-up
work (`start`: auth.test before the first request, not inside it).
Layer: wiring; imports listeners, deps, settings.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.listeners import register_listeners
from bot.listeners.replies import slack_error
from bot.settings import Settings
from bot.slack.http import SlackHTTP, install

log = logging.getLogger(__name__)
OAUTH_VARS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
SLACK_RETRY_AFTER_CAP = 5.0  # seconds; Slack asking for a longer wait means "give up now, say so"
SLACK_RATE_LIMIT_RETRIES = 2


class CappedRateLimitRetry(AsyncRetryHandler):
    """Retries a 429 after Slack's Retry-After, but only when that is at most `cap` seconds.

    slack_sdk's own handler sleeps for whatever Slack says (41 s was seen), long after the agent gave up;
    a refusal now, with a sentence, is better than an answer nobody waits for.
    """

    def __init__(
        self,
        max_retry_count: int = SLACK_RATE_LIMIT_RETRIES,
        *,
        cap: float = SLACK_RETRY_AFTER_CAP,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.cap = cap
        self.sleep = sleep

    @staticmethod
    def retry_after(response: HttpResponse) -> float | None:
        """Slack's Retry-After in seconds; None when absent or not a finite non-negative number."""
        for name, value in response.headers.items():
            if name.lower() == "retry-after":
                raw = value[0] if isinstance(value, list) else value
                try:
                    seconds = float(raw)
                except (TypeError, ValueError):
                    return None
                return seconds if math.isfinite(seconds) and seconds >= 0 else None
        return 1.0  # Slack always sends it; without it, a short wait

    def _wait(self, response: HttpResponse | None) -> float | None:
        if response is None or response.status_code != 429:
            return None
        seconds = self.retry_after(response)
        return seconds if seconds is not None and seconds <= self.cap else None

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return self._wait(response) is not None

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = self._wait(response) or 0.0
        state.next_attempt_requested = True
        await self.sleep(min(self.cap, wait + random.random() * 0.5))
        state.increment_current_attempt()


@contextmanager
def _without_oauth_env() -> Iterator[None]:
    """Bolt silently switches to OAuth (and drops the bot token) when both variables are set.

    This bot serves one workspace with a bot token, so they are hidden while the app is built.
    """
    saved = {name: os.environ.pop(name) for name in OAUTH_VARS if name in os.environ}
    if len(saved) == len(OAUTH_VARS):
        log.warning(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set but ignored: this bot uses SLACK_BOT_TOKEN"
        )
    try:
        yield
    finally:
        os.environ.update(saved)


def slack_client(settings: Settings) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=10)
    client.retry_handlers.append(CappedRateLimitRetry())
    return client


async def start(app: AsyncApp, deps: Deps | None = None) -> None:
    """Start-up work, before the first request: the bot's identity (auth.test).

    Bolt's async app otherwise calls auth.test inside the first request from Slack, which then misses
    Slack's 3 s ack deadline when Slack is slow. If Slack cannot be reached now, Bolt still tries on the
    first request, as before.
    """
    authorizations = [m for m in app._async_middleware_list if isinstance(m, AsyncSingleTeamAuthorization)]
    if not authorizations:
        log.warning("no single-workspace authorization to prepare: auth.test runs on the first request")
        return
    try:
        identity = await app.client.auth_test()
    except SlackApiError as exc:
        log.error("Slack refused the bot token at start-up", extra={"error": slack_error(exc)})
        return
    except Exception as exc:
        log.warning("Slack did not answer auth.test at start-up", extra={"error": type(exc).__name__})
        return
    for authorization in authorizations:
        authorization.auth_test_result = identity
    if deps is not None:  # Slack-side keys follow the install, not the token
        deps.slack_installed(identity.get("team_id"), identity.get("bot_id"))
    log.info("signed in to Slack", extra={"team_id": identity.get("team_id"), "bot": identity.get("user_id")})


def build_app(settings: Settings, deps: Deps) -> AsyncApp:
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is required to run the Slack bot")
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    with _without_oauth_env():
        app = AsyncApp(
            client=slack_client(settings),
            signing_secret=secret or "socket-mode-does-not-verify-signatures",
            request_verification_enabled=secret is not None,
            name="pendo-context",
            # Answer Slack when the listener returns, not by polling for its ack every 10 ms: every
            # listener returns right after its ack (bot.listeners.routes.acked_early).
            process_before_response=True,
        )
    slack_http = SlackHTTP()  # one session for every Slack call (speed: no TLS context per call)
    install(app, slack_http)
    deps.closers.append(slack_http.aclose)
    register_listeners(app, deps)
    return app
