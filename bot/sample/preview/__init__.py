"""`pendo-bot demo`: the real bot on the sample workspace, driven by a local page that plays Slack.

stack = DemoStack(settings)            # fake Slack on loopback, sample workspace, the bot in HTTP mode
app = create_preview_app(stack)        # the page at /, the bot at /slack/events (one port)
run_demo(settings, host="127.0.0.1", port=3000)   # what the command line calls
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys

from bot.sample import sample_email_field
from bot.sample.preview.app import create_preview_app
from bot.sample.preview.stack import DemoStack
from bot.settings import Settings

__all__ = ["DemoStack", "create_preview_app", "demo_refusal", "is_loopback", "port_problem", "run_demo"]

REAL_SLACK = ("slack_bot_token", "slack_app_token", "slack_signing_secret")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_refusal(settings: Settings) -> str | None:
    """Why the demo must not start (real Slack credentials configured), or None."""
    found = [name.upper() for name in REAL_SLACK if getattr(settings, name) is not None]
    if not found:
        return None
    return (
        f"The demo plays Slack itself and will not run with real Slack credentials configured ({', '.join(found)}). "
        "Unset them (or run from a directory without that .env) and try again."
    )


def port_problem(host: str, port: int) -> str | None:
    """Why the page cannot be served on host:port, in one sentence (None when it can)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"Port {port} is already in use (another demo or program is listening on it): stop that, "
                    f"or give the demo another port with --port, e.g. `pendo-bot demo --port {port + 1}`."
                )
            if exc.errno == errno.EACCES:
                return f"Port {port} needs administrator rights on this machine: pick one above 1024 with --port."
            return f"The demo cannot listen on {host}:{port} ({exc.strerror or exc}): try another --host or --port."
    return None


def run_demo(settings: Settings, *, host: str = "127.0.0.1", port: int = 3000) -> int:
    refusal = demo_refusal(settings)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    if not is_loopback(host):
        print(
            f"WARNING: serving the demo on {host}, not only on this machine: anyone who can reach port {port} "
            "can drive the bot and read its sample answers.",
            file=sys.stderr,
        )
    if settings.pendo_configured:
        print("The demo answers from the sample workspace, not the configured Pendo.", file=sys.stderr)
    if busy := port_problem(host, port):
        print(busy, file=sys.stderr)
        return 2
    import uvicorn

    email_field = sample_email_field(settings)  # as the command line's sample (bot.sample.connect)
    app = create_preview_app(DemoStack(settings, email_field=email_field), host=host)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"Pendo context for Slack, demo: open http://{shown}:{port}/  (Ctrl-C to stop)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)
    return 0
