"""build_app: the Bolt AsyncApp from the settings and the deps, with every listener registered.

Also the Slack Web API client (429s retried only while Slack's Retry-After stays short) and the start-up
work (`start`: auth.test before the first request, not inside it, and the one aiohttp session for the
Web API client).

Only Bolt's and slack_sdk's public contract is used (tests/test_bolt_contract.py checks it): the app runs
on Bolt's default runtime (each listener a task, its `ack()` awaited by Bolt), and the bot's identity
reaches Bolt through the documented `authorize=` argument (`BotIdentity.authorize`, answering from the
auth.test result `start` got), not by reaching into Bolt's own single-workspace authorization.
Layer: wiring; imports listeners, deps, settings.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.deps import Deps
from bot.listeners import register_listeners
from bot.listeners.replies import slack_error
from bot.settings import Settings
from bot.slack.runtime import SlackHTTP, shared_session

log = logging.getLogger(__name__)
OAUTH_VARS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
SLACK_RETRY_AFTER_CAP = 5.0  # seconds; Slack asking for a longer wait means "give up now, say so"
SLACK_RATE_LIMIT_RETRIES = 2


class CappedRateLimitRetry(AsyncRetryHandler):
    """Retries a 429 after Slack's Retry-After, but only when that is at most `cap` seconds.

    slack_sdk's own handler sleeps for whatever Slack says (41 s was seen), long after the agent gave up;
    a refusal now, with a sentence, is better than an answer nobody waits for.

    Written the way slack_sdk documents custom retry handlers ("Retries" in its Web API guide,
    docs.slack.dev/tools/python-slack-sdk/web): inherit `AsyncRetryHandler` and implement the internals
    of `can_retry` (`_can_retry_async`, the documented extension point) and `prepare_for_next_attempt`.
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


def slack_client(settings: Settings, *, with_token: bool = True) -> AsyncWebClient:
    """The Web API client. The app's own is built `with_token=False`: Bolt then takes the token from
    `authorize` (given a token as well, it would drop it with a warning)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token and with_token else None
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=10)
    client.retry_handlers.append(CappedRateLimitRetry())
    return client


class BotIdentity:
    """The bot's identity in its one workspace: auth.test's answer for the bot token, asked once.

    `authorize` is the function Bolt is given (`AsyncApp(authorize=...)`, Bolt's documented way to supply
    a request's token and bot identity). It answers from the result `start` got before the first request;
    only if Slack could not be reached then does it call auth.test itself (once, whoever asks first).
    """

    def __init__(self, token: str) -> None:
        self._token = token
        self.answer: AsyncSlackResponse | None = None
        self._lock = asyncio.Lock()

    async def sign_in(self, client: AsyncWebClient) -> AsyncSlackResponse:
        """auth.test for the bot token (once; later calls return the first answer). Raises as slack_sdk
        does: SlackApiError when Slack refuses the token."""
        async with self._lock:
            if self.answer is None:
                self.answer = await client.auth_test(token=self._token)
            return self.answer

    async def authorize(
        self, client: AsyncWebClient, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        """What Bolt's single-workspace authorization derived from auth.test: the bot token, the bot's
        ids, the workspace, and the requesting user left as the request named them."""
        try:
            answer = self.answer or await self.sign_in(client)
        except SlackApiError as exc:  # Bolt answers with its "installation no longer available" sentence
            log.error("Slack refused the bot token", extra={"error": slack_error(exc)})
            raise
        return AuthorizeResult(
            enterprise_id=answer.get("enterprise_id"),
            team_id=answer.get("team_id"),
            bot_id=answer.get("bot_id"),
            bot_user_id=answer.get("user_id"),
            bot_token=self._token,
            bot_scopes=answer.headers.get("x-oauth-scopes"),
            user_id=user_id,
        )

    def for_bolt(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """`authorize` as a plain function: Bolt passes an authorize function the arguments it names, and
        would take a bound method's `self` for one more."""

        async def authorize(
            client: AsyncWebClient, enterprise_id: str | None, team_id: str | None, user_id: str | None
        ) -> AuthorizeResult:
            return await self.authorize(client, enterprise_id, team_id, user_id)

        return authorize


@dataclass(frozen=True)
class SlackSide:
    """What `start` prepares for an app `build_app` made."""

    identity: BotIdentity
    http: SlackHTTP


_BUILT: weakref.WeakKeyDictionary[AsyncApp, SlackSide] = weakref.WeakKeyDictionary()


async def start(app: AsyncApp, deps: Deps | None = None) -> None:
    """Start-up work, before the first request: the shared Web API session and the bot's identity.

    Without it, auth.test would run inside the first request from Slack, which then misses Slack's 3 s
    ack deadline when Slack is slow. If Slack cannot be reached now, the first request tries again
    (`BotIdentity.authorize`).
    """
    side = _BUILT.get(app)
    if side is None:
        log.warning("not an app from build_app: auth.test runs on the first request")
        return
    app.client.session = side.http.session()  # Bolt copies it into each request's client
    try:
        identity = await side.identity.sign_in(app.client)
    except SlackApiError as exc:
        log.error("Slack refused the bot token at start-up", extra={"error": slack_error(exc)})
        return
    except Exception as exc:
        log.warning("Slack did not answer auth.test at start-up", extra={"error": type(exc).__name__})
        return
    if deps is not None:  # Slack-side keys follow the install, not the token
        deps.slack_installed(identity.get("team_id"), identity.get("bot_id"))
    log.info("signed in to Slack", extra={"team_id": identity.get("team_id"), "bot": identity.get("user_id")})


def build_app(settings: Settings, deps: Deps) -> AsyncApp:
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is required to run the Slack bot")
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    identity = BotIdentity(settings.slack_bot_token.get_secret_value())
    with _without_oauth_env():
        app = AsyncApp(
            client=slack_client(settings, with_token=False),
            authorize=identity.for_bolt(),
            signing_secret=secret or "socket-mode-does-not-verify-signatures",
            request_verification_enabled=secret is not None,
            name="pendo-context",
        )
    slack_http = SlackHTTP()  # one session for every Slack call (bot.slack.runtime says why)
    deps.closers.append(slack_http.aclose)
    _BUILT[app] = SlackSide(identity, slack_http)
    app.middleware(shared_session(slack_http))
    register_listeners(app, deps)
    return app
