"""The bot uses Bolt's and slack_sdk's public contract only (issue 25).

Nothing in bot/ imports a module of `slack_bolt` or `slack_sdk` whose path has a private part (`_x`) or an
`internal` one, nor a name starting with `_` from them, nor reaches for a known Bolt or slack_sdk private
attribute (`app._async_middleware_list`, `_build_message`, ...). One override is allowed because
slack_sdk documents it as the way to write a retry handler: see ALLOWED_OVERRIDES.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
SLACK_PACKAGES = ("slack_bolt", "slack_sdk")

# Private attributes of Bolt and slack_sdk objects the bot once used or could be tempted by: reading or
# setting any of them on any object is a finding (each name is Bolt's or slack_sdk's own, not ours).
KNOWN_PRIVATES = frozenset(
    {
        "_async_middleware_list",
        "_middleware_list",
        "_async_listeners",
        "_listeners",
        "_async_listener_runner",
        "_listener_runner",
        "_async_client",
        "_async_authorize",
        "_async_before_authorize",
        "_async_installation_store",
        "_init_context",
        "_framework_logger",
        "_base_logger",
        "_process_before_response",
        "_build_message",
        "_to_authorize_result",
        "_is_no_auth_required",
        "_build_user_facing_error_response",
        "_perform_http_request",
        "_perform_urllib_http_request",
        "_can_retry",
        "_can_retry_async",
    }
)

# Methods a subclass may define although their name is private, because the library documents
# overriding them. slack_sdk's Web API guide ("Retries", docs.slack.dev/tools/python-slack-sdk/web):
# "create one on your own by defining a new class that inherits `slack_sdk.http_retry RetryHandler`
# (`AsyncRetryHandler` for asyncio apps) and implements required methods (internals of `can_retry` /
# `prepare_for_next_retry`)", with an example overriding `_can_retry`.
ALLOWED_OVERRIDES = {("bot/slack/app.py", "CappedRateLimitRetry", "_can_retry_async")}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str


def _private_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] in SLACK_PACKAGES and any(p.startswith("_") or "internal" in p for p in parts[1:])


def _from_slack(module: str) -> bool:
    return module.split(".")[0] in SLACK_PACKAGES


def _slack_classes(tree: ast.AST) -> dict[str, type]:
    """The classes bound by `from slack_bolt/slack_sdk... import X` in this module, by local name (a
    subclass of one of them redefining one of its private methods is a finding unless allowed)."""
    classes: dict[str, type] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _from_slack(node.module):
            try:
                module = importlib.import_module(node.module)
            except ImportError:
                continue
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if isinstance(value, type):
                    classes[alias.asname or alias.name] = value
    return classes


def findings(source: str, path: str) -> list[Finding]:
    tree = ast.parse(source, filename=path)
    found: list[Finding] = []
    slack_names = _slack_classes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _private_module(alias.name):
                    found.append(Finding(path, node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.module and _from_slack(node.module):
            if _private_module(node.module):
                found.append(Finding(path, node.lineno, f"from {node.module} import ..."))
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(Finding(path, node.lineno, f"from {node.module} import {alias.name}"))
        elif isinstance(node, ast.Attribute) and node.attr in KNOWN_PRIVATES:
            owner = node.value.id if isinstance(node.value, ast.Name) else "?"
            found.append(Finding(path, node.lineno, f"{owner}.{node.attr}"))
        elif isinstance(node, ast.ClassDef):
            bases = [slack_names[b.id] for b in node.bases if isinstance(b, ast.Name) and b.id in slack_names]
            for item in node.body:
                if (
                    isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    and item.name.startswith("_")
                    and not item.name.startswith("__")
                    and any(hasattr(base, item.name) for base in bases)
                    and (path, node.name, item.name) not in ALLOWED_OVERRIDES
                ):
                    found.append(Finding(path, item.lineno, f"{node.name} overrides {item.name}"))
    return found


def test_bot_uses_only_bolts_and_slack_sdks_public_contract() -> None:
    found: list[Finding] = []
    for file in sorted(BOT.rglob("*.py")):
        rel = file.relative_to(BOT.parent).as_posix()
        found += findings(file.read_text(encoding="utf-8"), rel)
    assert found == []


def test_the_documented_retry_override_is_still_there_and_still_allowed() -> None:
    """The allowance is for a method that exists: if the override goes, so must the allowance."""
    source = (BOT / "slack" / "app.py").read_text(encoding="utf-8")
    assert "async def _can_retry_async(" in source
    assert findings(source, "bot/slack/app.py") == []


BAD = """
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.web.internal_utils import get_user_agent
from slack_bolt.middleware.authorization.async_internals import _is_no_auth_required
import slack_sdk._private_thing
from slack_bolt import _hidden
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler


def start(app: AsyncApp) -> None:
    for m in app._async_middleware_list:
        pass
    message = respond_internals._build_message(text="x")


class Sneaky(AsyncApp):
    def _init_context(self, req):
        pass


class Retry(AsyncRetryHandler):
    async def _can_retry_async(self, **kwargs):
        return True

    def _own_helper(self):  # not the library's: fine
        return None
"""


def test_the_checker_catches_each_kind_of_private_use() -> None:
    found = {f.what for f in findings(BAD, "bot/bad.py")}
    assert found == {
        "from slack_bolt.context.respond.internals import ...",
        "from slack_bolt.context.respond.internals import _build_message",
        "from slack_sdk.web.internal_utils import ...",
        "from slack_bolt.middleware.authorization.async_internals import ...",
        "from slack_bolt.middleware.authorization.async_internals import _is_no_auth_required",
        "import slack_sdk._private_thing",
        "from slack_bolt import _hidden",
        "app._async_middleware_list",
        "respond_internals._build_message",
        "Sneaky overrides _init_context",
        "Retry overrides _can_retry_async",  # allowed only for CappedRateLimitRetry in bot/slack/app.py
    }


def test_the_checker_leaves_public_use_alone() -> None:
    good = """
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient


class Mine:
    def __init__(self) -> None:
        self._cache = {}

    def _helper(self) -> None:
        pass


async def start(app: AsyncApp) -> None:
    app.client.session = None
    await app.client.auth_test()
"""
    assert findings(good, "bot/good.py") == []
