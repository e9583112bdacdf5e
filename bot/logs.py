"""Logging set-up: text or JSON lines, with every configured secret redacted wherever it appears."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Replaces secret values in the message and in extra fields, as a last line of defence."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, "[redacted]")
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg = self._clean(record.getMessage())
            record.args = None
            for key, value in list(record.__dict__.items()):
                if key not in _STANDARD:
                    setattr(record, key, self._clean(value))
        return True


# The Pendo webhook's secret is its URL path's last part (POST /pendo/webhook/<PENDO_WEBHOOK_TOKEN>).
WEBHOOK_PATH = re.compile(r"(/pendo/webhook/)[^\s\"'?#/]+")
# where a request's path is named: a server's access and error lines, httpx's "HTTP Request: POST <url>"
PATH_LOGGERS = ("uvicorn.access", "uvicorn.error", "httpx")


def redact_path(text: str) -> str:
    """`text` with the token of every Pendo webhook path in it replaced: "/pendo/webhook/[redacted]"."""
    return WEBHOOK_PATH.sub(r"\1[redacted]", text) if "/pendo/webhook/" in text else text


class PathTokenFilter(logging.Filter):
    """Cuts the token out of Pendo webhook paths in a record (uvicorn's access line names the path, httpx's
    request line the URL), right or wrong, configured or not: put on those loggers themselves
    (`redact_server_paths`), so no handler ever sees the token (pytest's neither), and on the bot's handler.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        if isinstance(record.args, tuple):  # kept a tuple: uvicorn's access formatter unpacks it
            record.args = tuple(redact_path(a) if isinstance(a, str) else a for a in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging itself reports it
            return True
        if "/pendo/webhook/" in message:  # a path inside a non-string argument
            record.msg, record.args = redact_path(message), None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str) and "/pendo/webhook/" in value:
                setattr(record, key, redact_path(value))
        return True


def redact_server_paths() -> None:
    """Put `PathTokenFilter` on the loggers that name request paths (once; safe to call again)."""
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PathTokenFilter) for f in logger.filters):
            logger.addFilter(PathTokenFilter())


# Bolt logs through "slack_bolt.*" and through loggers named after the app ("pendo-context:…").
_SLACK_LOGGERS = ("slack_bolt", "slack_sdk", "pendo-context")
_PAYLOAD_MARKERS = ("body:", "body=", "{'", '{"', "payload")


class SlackPayloadFilter(logging.Filter):
    """Slack's libraries put request bodies in some messages (a refused signature, an unhandled request,
    a DEBUG trace): such a line keeps its first words and loses the rest. Customer emails and
    `response_url`s travel in those bodies."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(_SLACK_LOGGERS):
            return True
        message = record.getMessage()
        cut = min((i for i in (message.find(m) for m in _PAYLOAD_MARKERS) if i >= 0), default=-1)
        if cut >= 0:
            record.msg = message[:cut].rstrip(" (:,") + " [request body not logged]"
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        return base + ("  " + " ".join(f"{k}={v}" for k, v in extra.items()) if extra else "")


# The loggers slack_sdk's Web API and response_url clients use (their module names).
SLACK_CLIENT_LOGGERS = ("slack_sdk.web.async_base_client", "slack_sdk.webhook.async_client")


def setup_logging(level: str, fmt: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(SlackPayloadFilter())
    handler.addFilter(PathTokenFilter())
    handler.addFilter(RedactingFilter(secrets))
    redact_server_paths()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # slack_sdk logs whole request and response bodies (customer data) at DEBUG: never that low. It
    # decides by its loggers' own level (`logger.level <= DEBUG`, which an unset level passes), so the
    # loggers of the clients on the hot path get theirs too, or every call formats its body for nothing.
    for chatty in ("slack_sdk", "slack_bolt", *SLACK_CLIENT_LOGGERS):
        logging.getLogger(chatty).setLevel(max(logging.INFO, root.level))
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []  # through the root handler: same format, redaction
        logger.propagate = True
        logger.setLevel(logging.NOTSET)  # the root's level (uvicorn.run sets it again from LOG_LEVEL)
