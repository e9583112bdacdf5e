"""The ruler's own floor: a trivial ASGI app under uvicorn, configured like the bot's server.

    python -m bench.floor --port 8123

`make bench` (bench/bench.py, `--floor`, on by default) starts it in its own process and sends it the
same pre-signed requests with the same driver, at the same levels, as the bot: what the acks take when
the server does nothing at all is what the driver and the machine alone cost.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.types import Receive, Scope, Send

EMPTY = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"0")]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """200 with an empty body at once, whatever was asked (the request's body is left unread)."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": EMPTY})
    await send({"type": "http.response.body", "body": b""})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # as bot/slack/server.py runs the bot: uvicorn's defaults (httptools and uvloop when installed, the
    # default backlog and keep-alive), the same proxy headers and graceful shutdown
    uvicorn.run(
        app,
        host="0.0.0.0",
        port=args.port,
        proxy_headers=True,
        forwarded_allow_ips="*",
        timeout_graceful_shutdown=5,
        log_config=None,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
