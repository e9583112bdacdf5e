"""A burst of new tickets at once: does every one get exactly one Pendo note, within Zendesk's limits?

    python -m bench.notes_burst [--tickets 200] [--duplicates 0.25] [--latency-ms 50] [--zendesk-rate 3]
                                [--tags-and-fields] [--stale-stamps] [--out FILE]

Real HTTP on 127.0.0.1 all the way: the sample Pendo and Zendesk APIs each in a loopback server (every
request delayed by --latency-ms; the Zendesk one enforces 30 updates per ticket per 10 minutes and 100
Update Ticket calls per minute with 429 + Retry-After); the bot (its deps and its webhook listener, as in
Socket Mode) with the default settings unless told otherwise. `pendo-bot zendesk-setup` points the
fake's trigger at the bot; then --tickets tickets are filed at once, the fake Zendesk sends one signed
webhook each, and a share of them (--duplicates) is delivered a second time, as Zendesk's retries do.

The trigger sends `TRIGGER_BODY` (the ticket id, the requester's email, its times); the sample renders
the time placeholders to the second, or with --stale-stamps to the minute (Zendesk's documented example),
which makes the bot read each ticket. --tags-and-fields turns on ZENDESK_TICKET_TAGS and ZENDESK_FIELD_MAP.

Prints and writes bench/notes_burst.json: notes written, tickets with no note and with two, 429s
answered by Zendesk, requests the bot's own budget held back, Zendesk requests (per note too) and the
busiest minute, notes per minute, and the time from the first filing to the last note.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.bench import free_port
from bot.deps import build_deps
from bot.notes.endpoint import webhook_server
from bot.sample import (
    NOBODY,
    PRIVATE,
    LoopbackServer,
    build_workspace,
    create_pendo_app,
    create_zendesk_app,
    sample_settings,
)
from bot.sample.helpdesk import Helpdesk
from bot.settings import load_settings
from bot.zendesk.setup import setup

HERE = Path(__file__).resolve().parent
SECRET = "bench-webhook-secret"


class Arrivals:
    """ASGI wrapper: the arrival time and method of every request (for the busiest minute)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[float, str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append((time.monotonic(), scope["method"], scope["path"]))
        await self.app(scope, receive, send)


def busiest_minute(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] < t - 60:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(args: argparse.Namespace) -> dict[str, Any]:
    ws = build_workspace(int(time.time() * 1000))
    pendo_app = create_pendo_app(ws)
    zendesk_app = create_zendesk_app(ws)
    helpdesk: Helpdesk = zendesk_app.state.helpdesk
    helpdesk.placeholder_seconds = not args.stale_stamps
    pendo_app.state.controls.latency = zendesk_app.state.controls.latency = args.latency_ms / 1000
    arrivals = Arrivals(zendesk_app)
    # every requester the bot writes a note for: found in Pendo (one visitor, or a choice), not opted out
    left_out = {NOBODY, PRIVATE, "bruce@wayne.example"}  # not in Pendo, opted out, not in Pendo
    requesters = [
        u["id"]
        for u in ws.zendesk_users.values()
        if u.get("email") and u.get("role") == "end-user" and u["email"] not in left_out
    ]
    with LoopbackServer(pendo_app) as pendo, LoopbackServer(arrivals) as zendesk:
        overrides: dict[str, Any] = {"zendesk_webhook_secret": SECRET, "pendo_email_field": "agent/email"}
        if args.zendesk_rate is not None:
            overrides["zendesk_rate_per_second"] = args.zendesk_rate
        if args.tags_and_fields:
            overrides |= {"zendesk_ticket_tags": True, "zendesk_field_map": "custom/planlevel:360001234"}
        settings = sample_settings(
            load_settings(**overrides), pendo_base_url=pendo.base_url, zendesk_base_url=zendesk.base_url
        )
        deps = build_deps(settings)
        assert deps.tickets is not None and deps.note_queue is not None
        port = free_port()
        url = f"http://127.0.0.1:{port}/zendesk/webhook"
        try:
            async with webhook_server(deps, port, host="127.0.0.1"):
                await setup(deps.tickets.zendesk, url, dry_run=False, say=lambda _: None)
                [webhook_id] = helpdesk.webhooks
                helpdesk.secrets_by_webhook[webhook_id] = SECRET
                started = time.monotonic()
                async with httpx.AsyncClient(base_url=zendesk.base_url, timeout=60) as client:
                    auth = deps.tickets.zendesk._headers()

                    async def file(n: int) -> int:
                        body = {
                            "ticket": {
                                "subject": f"Burst ticket {n}",
                                "requester_id": requesters[n % len(requesters)],
                                "comment": {"body": "Something is broken"},
                            }
                        }
                        answer = await client.post("/api/v2/tickets.json", json=body, headers=auth)
                        return int(answer.json()["ticket"]["id"])

                    ids = await asyncio.gather(*(file(n) for n in range(args.tickets)))
                # wait for the fake's webhook deliveries (they run on its own thread's loop)
                while len(helpdesk.deliveries) < len(ids):
                    await asyncio.sleep(0.05)
                again = random.Random(7).sample(ids, int(len(ids) * args.duplicates))
                sent = {d.ticket_id: d.body for d in helpdesk.deliveries}
                for ticket_id in again:  # Zendesk retrying: the same invocation's body sent again
                    await helpdesk.deliver(webhook_id, ticket_id, sent[ticket_id])
                await deps.note_queue.idle(timeout=1800)  # retries wait 30 s and more
                elapsed = time.monotonic() - started
        finally:
            await deps.aclose()
    notes = Counter(len(helpdesk.notes(t)) for t in ids)
    bot_requests = [t for t, method, path in arrivals.seen if t >= started and path != "/api/v2/tickets.json"]
    updates = [t for t, method, path in arrivals.seen if method == "PUT"]
    statuses = Counter(d.status for d in helpdesk.deliveries)
    written = sum(n * c for n, c in notes.items())
    return {
        "trigger_stamps": "minutes (stale)" if args.stale_stamps else "seconds",
        "tags_and_fields": args.tags_and_fields,
        "tickets": len(ids),
        "webhooks_delivered": len(helpdesk.deliveries),
        "webhook_answers": {str(k): v for k, v in statuses.items()},
        "duplicate_deliveries": len(again),
        "notes_written": written,
        "tickets_with_one_note": notes.get(1, 0),
        "tickets_without_note": notes.get(0, 0),
        "tickets_with_two_or_more": sum(c for n, c in notes.items() if n > 1),
        "zendesk_429s": helpdesk.updates_429,
        "queue": dict(deps.note_queue.counts),
        "zendesk_requests_by_the_bot": len(bot_requests),
        "zendesk_requests_per_note": round(len(bot_requests) / max(1, written), 2),
        "notes_per_minute": round(written / elapsed * 60, 1),
        "busiest_minute_requests": busiest_minute(bot_requests),
        "busiest_minute_updates": busiest_minute(updates),
        "zendesk_rate_per_second": settings.zendesk_rate_per_second,
        "zendesk_rate_burst": settings.zendesk_rate_burst,
        "latency_ms": args.latency_ms,
        "seconds": round(elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--duplicates", type=float, default=0.25, help="share of webhooks delivered twice")
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument(
        "--zendesk-rate", type=float, default=None, help="ZENDESK_RATE_PER_SECOND (default 3)"
    )
    parser.add_argument(
        "--tags-and-fields", action="store_true", help="ZENDESK_TICKET_TAGS=on and a ZENDESK_FIELD_MAP"
    )
    parser.add_argument(
        "--stale-stamps", action="store_true", help="the trigger's times to the minute (Zendesk's example)"
    )
    parser.add_argument("--out", default=str(HERE / "notes_burst.json"))
    args = parser.parse_args()
    result = asyncio.run(run(args))
    for key, value in result.items():
        print(f"{key:32} {value}")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
