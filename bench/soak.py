"""`make soak`: a real `pendo-bot serve --http` process under steady load with injected upstream faults.

Signed `/pendo` commands go to the bot at a fixed rate (default 50 per second for 300 s); the bot talks
real HTTP to the sample Pendo and Zendesk APIs on loopback, which fail a share of requests at random
(default 5%: 500, 502, 503, 429 with Retry-After, or a 2 s stall), and answers through a fake Slack
`response_url`. Printed at the end: sent, answered, lost (must be 0), the share of answers that are
errors or carry a gap against the injected fault rate, latency from request to final answer (p50/p99),
and the bot's RSS at the start and the end. Not part of `make test`: it takes minutes.

    python -m bench.soak [--seconds 300] [--rate 50] [--faults 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.bench import free_port, rss_mb
from bot.sample import (
    SAMPLE_PENDO_KEY,
    SAMPLE_ZENDESK_EMAIL,
    SAMPLE_ZENDESK_SUBDOMAIN,
    SAMPLE_ZENDESK_TOKEN,
    TICKET_JANE,
    TICKET_MULTI,
    TICKET_OPS,
    TICKET_SAM,
    LoopbackServer,
    build_workspace,
    create_pendo_app,
    create_zendesk_app,
)
from bot.sample.slack_api import FakeSlack, create_slack_app

SECRET = "soak-signing-secret"
ERROR_WORDS = ("did not answer", "is unavailable", "could not read", "rate-limiting", "Something went wrong")


class RandomFaults:
    """ASGI middleware: each request fails with probability `rate`, with one of the usual faults."""

    def __init__(self, app: ASGIApp, rate: float, rng: random.Random) -> None:
        self.app, self.rate, self.rng = app, rate, rng
        self.requests = 0
        self.faults = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        if self.rng.random() >= self.rate:
            await self.app(scope, receive, send)
            return
        self.faults += 1
        kind = self.rng.choice(["500", "502", "503", "429", "stall"])
        if kind == "stall":
            await asyncio.sleep(2.0)
            await self.app(scope, receive, send)
            return
        headers = [(b"content-type", b"application/json")]
        if kind == "429":
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": int(kind), "headers": headers})
        await send({"type": "http.response.body", "body": b'{"error": "injected"}'})


def lookups(ws: Any, rng: random.Random) -> list[str]:
    """What agents type: known visitors' emails mostly, some unknown emails, some ticket numbers."""
    known = [vid for vid in ws.visitors if "@" in vid]
    unknown = [f"someone{i}@unknown.example" for i in range(20)]
    tickets = [str(t) for t in (TICKET_JANE, TICKET_OPS, TICKET_SAM, TICKET_MULTI)]
    return known * 8 + unknown + tickets * 5


async def drive(
    args: argparse.Namespace, base: str, slack: FakeSlack, slack_url: str, pool: list[str]
) -> dict[str, Any]:
    sent: dict[str, float] = {}
    answered: dict[str, tuple[float, str]] = {}
    verifier = SignatureVerifier(SECRET)
    rng = random.Random(7)
    seen = 0

    async def watch() -> None:
        nonlocal seen
        while True:
            responses = slack.responses
            while seen < len(responses):
                call = responses[seen]
                seen += 1
                if call.method in sent and call.method not in answered:
                    answered[call.method] = (time.monotonic(), json.dumps(call.body))
            await asyncio.sleep(0.01)

    async def one(http: httpx.AsyncClient, n: int) -> None:
        rid = f"soak{n}"
        body = urlencode(
            {
                "command": "/pendo",
                "text": rng.choice(pool),
                "user_id": "U0AGENT",
                "channel_id": "C0SUPPORT",
                "team_id": "T0001",
                "response_url": f"{slack_url}/response/{rid}",
            }
        )
        ts = str(int(time.time()))
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": ts,
            "x-slack-signature": verifier.generate_signature(timestamp=ts, body=body) or "",
        }
        sent[rid] = time.monotonic()
        try:
            ack = await http.post("/slack/events", content=body, headers=headers)
            if ack.status_code != 200:
                answered[rid] = (time.monotonic(), f"ack HTTP {ack.status_code}")
        except httpx.HTTPError as exc:
            answered[rid] = (time.monotonic(), f"ack failed: {type(exc).__name__}")

    watcher = asyncio.create_task(watch())
    tasks: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as http:
        start = time.monotonic()
        n = 0
        while (elapsed := time.monotonic() - start) < args.seconds:
            due = int(elapsed * args.rate) + 1
            while n < due:
                task = asyncio.create_task(one(http, n))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            await asyncio.sleep(max(0.0, (n / args.rate) - (time.monotonic() - start)))
        await asyncio.gather(*tasks)
        drain_until = time.monotonic() + args.drain
        while len(answered) < len(sent) and time.monotonic() < drain_until:
            await asyncio.sleep(0.1)
    watcher.cancel()
    return {"sent": sent, "answered": answered, "seconds": time.monotonic() - start}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--rate", type=float, default=50.0, help="lookups per second")
    parser.add_argument("--faults", type=float, default=0.05, help="share of upstream requests that fail")
    parser.add_argument("--cache-ttl", type=int, default=5, help="CACHE_TTL_SECONDS for the bot")
    parser.add_argument("--drain", type=float, default=15.0, help="seconds to wait for the last answers")
    args = parser.parse_args()

    ws = build_workspace(int(time.time() * 1000))
    rng = random.Random(42)
    pendo = RandomFaults(create_pendo_app(ws), args.faults, rng)
    zendesk = RandomFaults(create_zendesk_app(ws), args.faults, rng)
    slack = FakeSlack()
    with (
        LoopbackServer(pendo) as pendo_server,
        LoopbackServer(zendesk) as zendesk_server,
        LoopbackServer(create_slack_app(slack)) as slack_server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PENDO_", "SLACK_", "ZENDESK_"))},
            "SLACK_BOT_TOKEN": "xoxb-soak",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{slack_server.base_url}/api/",
            "PENDO_INTEGRATION_KEY": SAMPLE_PENDO_KEY,
            "PENDO_BASE_URL": pendo_server.base_url,
            "ZENDESK_SUBDOMAIN": SAMPLE_ZENDESK_SUBDOMAIN,
            "ZENDESK_BASE_URL": zendesk_server.base_url,
            "ZENDESK_EMAIL": SAMPLE_ZENDESK_EMAIL,
            "ZENDESK_API_TOKEN": SAMPLE_ZENDESK_TOKEN,
            "CACHE_TTL_SECONDS": str(args.cache_ttl),
            "LOG_LEVEL": "WARNING",
        }
        log_path = Path(tmp) / "serve.log"
        with log_path.open("wb") as log:
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--http", "--port", str(port)],
                env=env,
                cwd=tmp,
                stdout=log,
                stderr=log,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or bot.poll() is not None:
                    print(log_path.read_text(), file=sys.stderr)
                    return 1
                time.sleep(0.1)
            rss_start = rss_mb(bot.pid)
            print(
                f"soak: {args.rate:g}/s for {args.seconds:g} s, {args.faults:.0%} injected faults …",
                flush=True,
            )
            result = asyncio.run(drive(args, base, slack, slack_server.base_url, lookups(ws, rng)))
            rss_end = rss_mb(bot.pid)
            alive = httpx.get(f"{base}/healthz").status_code
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                bot.kill()
    sent, answered = result["sent"], result["answered"]
    latencies = sorted(answered[r][0] - sent[r] for r in answered)
    texts = [text for _, text in answered.values()]
    is_error = [any(w in t for w in ERROR_WORDS) and "unavailable:" not in t for t in texts]
    errors = sum(is_error)
    gaps = sum("unavailable:" in t for t in texts)
    upstream_requests = pendo.requests + zendesk.requests
    injected = (pendo.faults + zendesk.faults) / upstream_requests if upstream_requests else 0.0
    lost = len(sent) - len(answered)
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [float("nan")] * 99
    print(f"duration        {result['seconds']:.0f} s")
    print(f"sent            {len(sent)}")
    print(f"answered        {len(answered)}")
    print(f"lost            {lost}")
    print(
        f"error answers   {errors} ({errors / max(1, len(answered)):.2%}); answers with a labelled gap: {gaps}"
    )
    print(
        f"injected        {pendo.faults + zendesk.faults} of {upstream_requests} upstream requests ({injected:.2%})"
    )
    print(
        f"latency         p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    print(f"bot RSS         start {rss_start:.0f} MB, end {rss_end:.0f} MB")
    print(f"/healthz after  {alive}")
    return 0 if lost == 0 and alive == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
