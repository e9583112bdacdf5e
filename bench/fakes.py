"""The benchmark's upstreams in their own process: the sample Pendo and Zendesk APIs on loopback.

    python -m bench.fakes --latency-ms 100 --clones 100

Prints one JSON line (the base URLs, the cloned visitors and tickets, the visitors by account count)
and serves until stdin closes. Every request is delayed by the latency and logged with its arrival
time (`GET {control}/requests?since=N`), so the driver counts calls per lookup by endpoint and the
round trips on the critical path. The servers use uvloop and httptools when installed, so the fakes
take as little CPU as they can from the cores the bot runs on (their CPU is reported with each row).

Cold lookups need many distinct visitors and tickets; the sample workspace has a few dozen, so it is
extended with clones: each clone copies a one-account visitor (its metadata and its events) under a new
email, and a clone ticket copies a sample ticket with a requester who has that email.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import dataclasses
import json
import socket
import sys
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.sample import TICKET_JANE, Workspace, build_workspace, create_pendo_app, create_zendesk_app
from bot.sample.controls import read_body
from bot.slack.web import replaying

FAST = True  # httptools (and uvloop, below) when installed: the fakes take less CPU from the bot
CLONE_TICKET_BASE = 9_000_000
CLONE_USER_BASE = 4_900_000_000_000


@dataclasses.dataclass
class Hit:
    at: float  # time.monotonic() at arrival: CLOCK_MONOTONIC, comparable across processes on Linux
    upstream: str
    endpoint: str


def endpoint(upstream: str, method: str, path: str, body: bytes) -> str:
    """A request's route template, and an aggregation's request id (what it asks for)."""
    if upstream == "zendesk":
        if "show_many" in path:
            return "GET tickets/show_many"
        return "GET tickets/{id}" if path.startswith("/api/v2/tickets/") else f"{method} {path}"
    parts = path.removeprefix("/api/v1/").split("/")
    if parts[0] == "aggregation":
        try:
            name = str(json.loads(body)["request"].get("requestId", "?"))
        except (ValueError, KeyError, TypeError, AttributeError):
            name = "?"
        return f"POST aggregation[{name.removeprefix('pendo-slack-')}]"
    if parts[0] == "visitor":
        if parts[1] == "metadata":
            return "GET visitor/metadata/{group}/{field}/{value}"
        return "GET visitor/{id}/history" if parts[-1] == "history" and len(parts) > 2 else "GET visitor/{id}"
    if parts[0] == "account":
        return "GET account/{id}"
    if parts[0] == "metadata":
        return f"GET metadata/schema/{parts[-1]}"
    return f"GET {parts[0]} (catalog)"


class HitLog:
    """Outermost middleware: records each request's arrival before the fake's own latency."""

    def __init__(self, app: ASGIApp, upstream: str, hits: list[Hit]) -> None:
        self.app, self.upstream, self.hits = app, upstream, hits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        at = time.monotonic()
        body = await read_body(receive)
        self.hits.append(
            Hit(at, self.upstream, endpoint(self.upstream, scope["method"], scope["path"], body))
        )
        await self.app(scope, replaying(body, receive), send)


def _clone_email(k: int, base: str) -> str:
    return f"bench{k:03d}.{base}"


def extend(ws: Workspace, clones: int) -> tuple[Workspace, list[str], list[int]]:
    """`ws` plus `clones` one-account visitors (fresh emails, copied events) and one ticket for each."""
    bases = [
        vid
        for vid, v in ws.visitors.items()
        if "@" in vid
        and len(v.get("accountIds") or []) == 1
        and not (v.get("metadata", {}).get("pendo", {}) or {}).get("donotprocess")
    ]
    events_by: dict[str, list[Any]] = {}
    for e in ws.events:
        events_by.setdefault(e.visitor_id, []).append(e)
    bases = [b for b in bases if events_by.get(b)]
    visitors, users, tickets = dict(ws.visitors), dict(ws.zendesk_users), dict(ws.tickets)
    new_events: list[Any] = []
    emails: list[str] = []
    ticket_ids: list[int] = []
    template = ws.tickets[TICKET_JANE]
    requester = ws.zendesk_users[template["requester_id"]]
    for k in range(clones):
        base = bases[k % len(bases)]
        email = _clone_email(k, base)
        v = copy.deepcopy(ws.visitors[base])
        v["id"] = email
        meta = v.setdefault("metadata", {})
        meta.setdefault("auto", {})["id"] = email
        if isinstance(meta.get("agent"), dict):
            meta["agent"]["email"] = email
        visitors[email] = v
        new_events += [dataclasses.replace(e, visitor_id=email) for e in events_by[base]]
        emails.append(email)
        uid, tid = CLONE_USER_BASE + k, CLONE_TICKET_BASE + k
        users[uid] = {**copy.deepcopy(requester), "id": uid, "email": email, "name": f"Bench {k}"}
        t = copy.deepcopy(template)
        t.update(id=tid, requester_id=uid, submitter_id=uid, url=t["url"].replace(str(TICKET_JANE), str(tid)))
        tickets[tid] = t
        ticket_ids.append(tid)
    events = sorted([*ws.events, *new_events], key=lambda e: (e.ts, e.visitor_id))
    extended = dataclasses.replace(ws, visitors=visitors, events=events, zendesk_users=users, tickets=tickets)
    return extended, emails, ticket_ids


def _socket() -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on such sockets (and the connections they
    # accept). Without it, a kept-alive client waits ~40 ms per response (Nagle vs delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def serve(latency_ms: float, clones: int) -> None:
    ws, emails, ticket_ids = extend(build_workspace(int(time.time() * 1000)), clones)
    hits: list[Hit] = []
    pendo, zendesk = create_pendo_app(ws), create_zendesk_app(ws)
    pendo.state.bucket_everything()  # answers slice prepared rows: the fakes' CPU stays off the bot's cores
    pendo.state.controls.latency = zendesk.state.controls.latency = latency_ms / 1000

    async def requests(request: Request) -> Response:
        since = int(request.query_params.get("since", "0"))
        return JSONResponse(
            {"total": len(hits), "hits": [[h.at, h.upstream, h.endpoint] for h in hits[since:]]}
        )

    async def latency(request: Request) -> Response:
        value = float((await request.json())["latency_ms"]) / 1000
        pendo.state.controls.latency = zendesk.state.controls.latency = value
        return JSONResponse({"latency_ms": value * 1000})

    control = Starlette(routes=[Route("/requests", requests), Route("/latency", latency, methods=["POST"])])
    apps: dict[str, ASGIApp] = {
        "pendo": HitLog(pendo, "pendo", hits),
        "zendesk": HitLog(zendesk, "zendesk", hits),
        "control": control,
    }
    servers, tasks, urls = [], [], {}
    for name, app in apps.items():
        sock = _socket()
        config = uvicorn.Config(
            app,
            http="httptools" if FAST else "h11",
            lifespan="off",
            log_level="warning",
            access_log=False,
            backlog=4096,
        )
        server = uvicorn.Server(config)
        servers.append(server)
        tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
        urls[name] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    while not all(s.started for s in servers):
        await asyncio.sleep(0.01)
    by_accounts: dict[int, list[str]] = {}
    for vid, v in ws.visitors.items():
        if "@" in vid and not vid.startswith("bench"):
            by_accounts.setdefault(len(v.get("accountIds") or []), []).append(vid)
    print(
        json.dumps(
            {
                **urls,
                "emails": emails,
                "tickets": ticket_ids,
                "visitors_by_accounts": by_accounts,
                "sample_tickets": sorted(t for t in ws.tickets if t < CLONE_TICKET_BASE),
            }
        ),
        flush=True,
    )
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the driver goes
    for s in servers:
        s.should_exit = True
    await asyncio.gather(*tasks)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--clones", type=int, default=100)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(serve(args.latency_ms, args.clones))
    except ImportError:
        asyncio.run(serve(args.latency_ms, args.clones))


if __name__ == "__main__":
    main()
