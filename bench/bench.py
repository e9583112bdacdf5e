"""Benchmark: the whole bot over real loopback HTTP, with upstream round trips of a chosen latency.

    python -m bench.bench [--latency-ms 100] [--lookups 20]

Everything is local: the fake Pendo and Zendesk APIs (sample workspace), a fake Slack Web API and
response_url receiver, and the bot itself under uvicorn, each on 127.0.0.1. Every upstream request is
delayed by --latency-ms, so "(cold answer - cached answer) / latency" tells how many round trips sit on
the critical path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.app import build_app
from bot.deps import build_deps
from bot.sample import LoopbackServer, build_workspace, create_pendo_app, create_zendesk_app, sample_settings
from bot.sample import data as sample
from bot.sample.slack_api import FakeSlack, create_slack_app
from bot.settings import load_settings
from bot.web import create_web_app

SECRET = "bench-signing-secret"


def _signed(body: str, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body) or ""
    return {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": sig}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _row(name: str, values: list[float], unit: str = "ms") -> str:
    return (
        f"  {name:<38} p50 {statistics.median(values):7.1f} {unit}   p95 {_pct(values, 0.95):7.1f} {unit}"
        f"   max {max(values):7.1f} {unit}   (n={len(values)})"
    )


async def _wait(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer in time")
        await asyncio.sleep(0.002)


async def run(latency_ms: float, lookups: int) -> None:
    now = int(time.time() * 1000)
    ws = build_workspace(now)
    pendo_app, zendesk_app = create_pendo_app(ws), create_zendesk_app(ws)
    pendo_app.state.controls.latency = zendesk_app.state.controls.latency = latency_ms / 1000
    slack = FakeSlack()
    with (
        LoopbackServer(pendo_app) as pendo,
        LoopbackServer(zendesk_app) as zendesk,
        LoopbackServer(create_slack_app(slack)) as slack_server,
    ):
        settings = sample_settings(
            load_settings(
                slack_bot_token="xoxb-bench",
                slack_signing_secret=SECRET,
                slack_api_url=f"{slack_server.base_url}/api/",
                log_level="WARNING",
            ),
            pendo_base_url=pendo.base_url,
            zendesk_base_url=zendesk.base_url,
        )
        deps = build_deps(settings)
        web = create_web_app(build_app(settings, deps), deps)
        with LoopbackServer(web) as bot:
            async with httpx.AsyncClient(base_url=bot.base_url, timeout=30) as http:
                await _bench_unfurls(http, slack, latency_ms)
                deps.cache.clear()  # the unfurls warmed some visitors: start the lookups cold
                await _bench_commands(http, slack, slack_server.base_url, ws, pendo_app, lookups, latency_ms)


async def _command(
    http: httpx.AsyncClient, slack: FakeSlack, slack_url: str, text: str
) -> tuple[float, float]:
    rid = uuid.uuid4().hex
    body = urlencode(
        {
            "command": "/pendo",
            "text": text,
            "user_id": "U0BENCH",
            "channel_id": "C0BENCH",
            "team_id": "T0001",
            "response_url": f"{slack_url}/response/{rid}",
            "trigger_id": "1",
        }
    )
    start = time.monotonic()
    response = await http.post(
        "/slack/events", content=body, headers=_signed(body, "application/x-www-form-urlencoded")
    )
    ack = time.monotonic() - start
    assert response.status_code == 200, response.text
    await _wait(lambda: any(r.method == rid for r in slack.responses))
    return ack * 1000, (time.monotonic() - start) * 1000


async def _bench_commands(
    http: httpx.AsyncClient,
    slack: FakeSlack,
    slack_url: str,
    ws: Any,
    pendo_app: Any,
    lookups: int,
    latency: float,
) -> None:
    emails = [vid for vid in ws.visitors if "@" in vid and vid != sample.PRIVATE][:lookups]
    controls = pendo_app.state.controls
    await _command(http, slack, slack_url, sample.SOLO)  # warm the catalogs and schemas, as a running bot has
    acks, cold, warm, calls = [], [], [], []
    for email in emails:
        before = len(controls.requests)
        ack, total = await _command(http, slack, slack_url, email)
        acks.append(ack)
        cold.append(total)
        calls.append(len(controls.requests) - before)
    for email in emails:
        ack, total = await _command(http, slack, slack_url, email)
        acks.append(ack)
        warm.append(total)
    print(f"/pendo EMAIL over loopback HTTP, every Pendo request delayed {latency:.0f} ms")
    print(_row("ack (HTTP response to Slack)", acks))
    print(_row("answer posted, cold visitor", cold))
    print(_row("answer posted, same visitor again", warm))
    print(_row("Pendo requests per cold lookup", [float(c) for c in calls], "req"))
    upstream = statistics.median(cold) - statistics.median(warm)  # the rest is Slack and the bot itself
    print(f"  time waiting on Pendo: {upstream:.0f} ms = {upstream / latency:.1f} round trips (median)")


async def _bench_unfurls(http: httpx.AsyncClient, slack: FakeSlack, latency: float) -> None:
    tickets = [
        sample.TICKET_JANE,
        sample.TICKET_SAM,
        sample.TICKET_MULTI,
        sample.TICKET_AFTER_MIDNIGHT,
        sample.TICKET_OPS,
    ]
    header, full = [], []
    for i, ticket in enumerate(tickets * 2):
        url = f"https://sample-support.zendesk.com/agent/tickets/{ticket}"
        ts = f"1700000000.{i:06d}"
        channel = f"C0UNFURL{i}"
        unfurl_id = f"{channel}.{ts}"
        event = {
            "type": "link_shared",
            "channel": channel,
            "user": "U0BENCH",
            "message_ts": ts,
            "unfurl_id": unfurl_id,
            "source": "conversations_history",
            "links": [{"domain": "sample-support.zendesk.com", "url": url}],
        }
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0001",
                "api_app_id": "A1",
                "event": event,
                "event_id": f"Ev{i}",
                "event_time": 1,
            }
        )
        start = time.monotonic()
        response = await http.post("/slack/events", content=body, headers=_signed(body, "application/json"))
        assert response.status_code == 200

        def calls() -> list[dict[str, Any]]:
            return [b for b in slack.by_method("chat.unfurl") if b.get("unfurl_id") == unfurl_id]  # noqa: B023

        await _wait(lambda: len(calls()) >= 1)
        header.append((time.monotonic() - start) * 1000)
        await _wait(lambda: len(calls()) >= 2)
        full.append((time.monotonic() - start) * 1000)
    print(f"Zendesk ticket unfurl, every Zendesk and Pendo request delayed {latency:.0f} ms")
    n = len(tickets)
    print(_row("ticket header unfurled, first paste", header[:n]))
    print(_row("Pendo context unfurled, first paste", full[:n]))
    print(_row("Pendo context unfurled, pasted again", full[n:]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--lookups", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.latency_ms, args.lookups))


if __name__ == "__main__":
    main()
