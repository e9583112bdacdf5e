"""Where `GET /metrics` is served (the metrics themselves are in `bot.metrics`).

- `METRICS_PORT`: a small listener of its own (aiohttp, in the bot's event loop), off the public port,
  in Socket Mode and in HTTP mode alike. No token: keep the port private (a cluster network, a sidecar).
- `METRICS_TOKEN`: HTTP mode also answers `GET /metrics` on the main port, for `Authorization: Bearer
  <token>` only (401 otherwise); without the token the main port has no /metrics at all (404).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot import metrics

log = logging.getLogger(__name__)
Closer = Callable[[], Awaitable[None]]


def authorized(header: str, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time."""
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def token_route(token: str) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint for /metrics on the main port, behind `token`."""

    async def metrics_on_main_port(request: Request) -> Response:
        if not authorized(request.headers.get("authorization", ""), token):
            return PlainTextResponse(
                "unauthorized", status_code=401, headers={"www-authenticate": 'Bearer realm="metrics"'}
            )
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    return metrics_on_main_port


async def start_listener(host: str, port: int) -> Closer | None:
    """Serve /metrics on `host:port` from this event loop; how to stop it, or None when the port cannot
    be opened (logged: the bot runs on without metrics rather than not at all)."""

    async def scrape(_: web.Request) -> web.Response:
        body = metrics.exposition()
        return web.Response(body=body, headers={"content-type": metrics.CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        log.error("metrics listener could not start", extra={"port": port, "error": type(exc).__name__})
        return None
    log.info(f"metrics on {host}:{port}/metrics")
    return runner.cleanup
