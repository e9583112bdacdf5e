"""`make bench`: the bot as its own process under load, measured from outside.

    python -m bench.bench [--latency-ms 100] [--levels 1,10,20,50,100] [--soak 10000] [--profile]

Three processes on 127.0.0.1:
- the upstreams (`bench.fakes`): the sample Pendo and Zendesk APIs, every request delayed by
  --latency-ms and logged with its arrival time;
- the bot: `pendo-bot serve --http`, configured only through its settings (PENDO_BASE_URL,
  ZENDESK_BASE_URL, SLACK_API_URL), restarted for every row so each row starts cold;
- this driver: sends real signed slash commands and `link_shared` events, and is the fake Slack Web API
  and `response_url` receiver, so it sees when each answer arrives.

For each concurrency level, a burst of distinct visitors (cold), then the same again (warm, within the
cache TTL). Bot CPU comes from the scheduler's per-thread run time in /proc, RSS from /proc/<pid>/status.
The lower bound of a row is the number of sequential upstream round trips of one lookup (measured at
concurrency 1 from the arrival times of its requests) times the latency. Prints one table, writes
bench/results.json (with the commit it measured) and bench/results.png (with matplotlib, `pip install -e
'.[bench]'`), and regenerates the speed table in the docs from it (bench/docs_table.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx
import uvicorn
from slack_sdk.signature import SignatureVerifier
from starlette.types import Receive, Scope, Send

from bench import docs_table, profile
from bot.sample.credentials import (
    SAMPLE_PENDO_KEY,
    SAMPLE_ZENDESK_EMAIL,
    SAMPLE_ZENDESK_SUBDOMAIN,
    SAMPLE_ZENDESK_TOKEN,
)
from bot.sample.slack_api import FakeSlack, create_slack_app

HERE = Path(__file__).resolve().parent
BOT_LOG = Path(tempfile.gettempdir()) / "pendo-bench-bot.log"
SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
DEADLINE_S = 8.0  # the bot's default LOOKUP_DEADLINE_SECONDS
WAIT_S = 30.0
TICKET_HOST = f"{SAMPLE_ZENDESK_SUBDOMAIN}.zendesk.com"


# --- the fake Slack, in this process ---------------------------------------------------------------
class SlackReceiver:
    """FakeSlack's app, plus a future per awaited answer so the driver wakes the moment it arrives."""

    def __init__(self) -> None:
        self.state = FakeSlack()
        self.app = create_slack_app(self.state)
        self.waiting: dict[str, tuple[int, asyncio.Future[float]]] = {}
        self.seen: Counter[str] = Counter()

    def expect(self, key: str, count: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[key] = (count, future)
        return future

    def _arrived(self, key: str) -> None:
        now = time.monotonic()
        self.seen[key] += 1
        wanted = self.waiting.get(key)
        if wanted and self.seen[key] >= wanted[0] and not wanted[1].done():
            wanted[1].set_result(now)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/response/"):
            self._arrived(path.removeprefix("/response/"))
        elif path == "/api/chat.unfurl" and self.state.calls:
            body = self.state.calls[-1].body
            self._arrived(str(body.get("unfurl_id") or ""))
        # keep memory flat over a long soak
        if len(self.state.calls) > 1000:
            del self.state.calls[:500]
        if len(self.state.responses) > 1000:
            del self.state.responses[:500]


# --- processes ----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """On-CPU time of every thread of `pid`, from /proc/<pid>/task/*/schedstat (nanoseconds)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class BotProcess:
    proc: subprocess.Popen[bytes]
    url: str

    @property
    def pid(self) -> int:
        return self.proc.pid


async def start_bot(fakes: dict[str, Any], slack_url: str, extra_env: dict[str, str]) -> BotProcess:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(HERE.parent),  # the bot runs from the same tree as this driver
        "HOME": os.environ.get("HOME", "/tmp"),
        "PENDO_INTEGRATION_KEY": SAMPLE_PENDO_KEY,
        "PENDO_BASE_URL": fakes["pendo"],
        "ZENDESK_SUBDOMAIN": SAMPLE_ZENDESK_SUBDOMAIN,
        "ZENDESK_EMAIL": SAMPLE_ZENDESK_EMAIL,
        "ZENDESK_API_TOKEN": SAMPLE_ZENDESK_TOKEN,
        "ZENDESK_BASE_URL": fakes["zendesk"],
        "SLACK_API_URL": f"{slack_url}/api/",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        # the benchmark measures the bot, not its politeness: no rate budget in the way
        "PENDO_RATE_PER_SECOND": "0",
        "PENDO_MAX_IN_FLIGHT": "0",
        "ZENDESK_RATE_PER_SECOND": "0",
        "ZENDESK_MAX_IN_FLIGHT": "0",
        **extra_env,
    }
    exe = Path(sys.executable).with_name("pendo-bot")
    proc = subprocess.Popen(
        [str(exe), "serve", "--http", "--port", str(port)],
        env=env,
        cwd=tempfile.gettempdir(),  # no stray .env
        stdin=subprocess.DEVNULL,
        stderr=BOT_LOG.open("ab"),  # the bot's own warnings (deadlines passed under load) go here
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as http:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the bot exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{url}/healthz", timeout=1)).status_code == 200:
                    break
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the bot did not start")
            await asyncio.sleep(0.05)
    return BotProcess(proc, url)


def stop_bot(bot: BotProcess) -> None:
    bot.proc.send_signal(signal.SIGTERM)
    try:
        bot.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        bot.proc.kill()
        bot.proc.wait()


# --- Slack requests ---------------------------------------------------------------------------------
class SlackSender:
    """Slack's side of the wire: signed POSTs to /slack/events over one aiohttp session (light on CPU,
    so the driver takes as little as it can from the cores the bot runs on)."""

    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}/slack/events"
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SlackSender:
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=3)  # under uvicorn's 5 s idle close
        self.session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=WAIT_S))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.session is not None
        await self.session.close()

    async def post(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        assert self.session is not None
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()


def _signed(body: str, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body) or ""
    return {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": sig}


@dataclass
class Sample:
    ack_ms: float
    final_ms: float | None  # None: no answer within WAIT_S


class Driver:
    def __init__(self, slack: SlackReceiver, slack_url: str) -> None:
        self.slack = slack
        self.slack_url = slack_url
        self.serial = 0
        self.transport_errors = 0

    async def command(self, http: SlackSender, text: str) -> Sample:
        rid = uuid.uuid4().hex
        body = urlencode(
            {
                "command": "/pendo",
                "text": text,
                "user_id": "U0BENCH",
                "channel_id": "C0BENCH",
                "team_id": "T0001",
                "response_url": f"{self.slack_url}/response/{rid}",
                "trigger_id": "1",
            }
        )
        answered = self.slack.expect(rid, 1)
        return await self._send(http, body, "application/x-www-form-urlencoded", answered, rid)

    async def unfurl(self, http: SlackSender, ticket: int) -> Sample:
        self.serial += 1
        ts = f"1700000000.{self.serial:06d}"
        channel = f"C0BENCH{self.serial}"
        unfurl_id = f"{channel}.{ts}"
        url = f"https://{TICKET_HOST}/agent/tickets/{ticket}"
        event = {
            "type": "link_shared",
            "channel": channel,
            "user": "U0BENCH",
            "message_ts": ts,
            "unfurl_id": unfurl_id,
            "source": "conversations_history",
            "links": [{"domain": TICKET_HOST, "url": url}],
        }
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0001",
                "api_app_id": "A1",
                "event": event,
                "event_id": f"Ev{uuid.uuid4().hex[:12]}",
                "event_time": 1,
            }
        )
        answered = self.slack.expect(unfurl_id, 2)  # the header first, then the Pendo part
        return await self._send(http, body, "application/json", answered, unfurl_id)

    async def _send(
        self, http: SlackSender, body: str, ctype: str, answered: asyncio.Future[float], key: str
    ) -> Sample:
        start = time.monotonic()
        try:
            status, text = await http.post(body, _signed(body, ctype))
        except aiohttp.ClientError:  # a kept-alive connection closed under us: Slack would retry too
            self.transport_errors += 1
            status, text = await http.post(body, _signed(body, ctype))
        ack = (time.monotonic() - start) * 1000
        if status != 200:
            raise RuntimeError(f"the bot answered HTTP {status}: {text[:200]}")
        try:
            done = await asyncio.wait_for(answered, WAIT_S)
            final: float | None = (done - start) * 1000
        except TimeoutError:
            final = None
        self.slack.waiting.pop(key, None)
        self.slack.seen.pop(key, None)
        return Sample(ack, final)


# --- upstream request log ---------------------------------------------------------------------------
class Upstreams:
    def __init__(self, control_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=control_url, timeout=30)

    async def mark(self) -> int:
        return int((await self.http.get("/requests", params={"since": 1 << 40})).json()["total"])

    async def since(self, mark: int) -> list[tuple[float, str, str]]:
        return [tuple(h) for h in (await self.http.get("/requests", params={"since": mark})).json()["hits"]]


def round_trips(arrivals: list[float], latency_s: float) -> int:
    """Sequential upstream round trips of one lookup: requests arriving within half a latency of the
    first request of a wave belong to that wave."""
    waves, start = 0, None
    for at in sorted(arrivals):
        if start is None or at >= start + latency_s / 2:
            waves, start = waves + 1, at
    return waves


# --- rows ----------------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


@dataclass
class Row:
    kind: str  # "/pendo" or "unfurl"
    concurrency: int
    phase: str  # cold | warm
    n: int
    ack_p50: float
    ack_p99: float
    p50: float
    p95: float
    p99: float
    lower_bound_ms: float
    ratio: float
    upstream_calls: float  # per lookup
    cpu_ms: float  # bot CPU per lookup
    rss_mb: float
    late: int  # answers past the lookup deadline, or none at all
    load: float = 0.0  # the machine's 1-minute load average after the row (other processes compete)
    fakes_cpu_ms: float = 0.0  # CPU of the fake upstreams per lookup: when high, they set the pace
    calls_by_endpoint: dict[str, float] = field(default_factory=dict)


def make_row(
    kind: str,
    concurrency: int,
    phase: str,
    samples: list[Sample],
    hits: list[tuple[float, str, str]],
    cpu_s: float,
    rss: float,
    lower_bound: float,
    fakes_cpu_s: float = 0.0,
) -> Row:
    n = len(samples)
    finals = [s.final_ms for s in samples if s.final_ms is not None]
    acks = [s.ack_ms for s in samples]
    by_endpoint = Counter(f"{h[1]} {h[2]}" for h in hits)
    p50 = statistics.median(finals) if finals else float("nan")
    return Row(
        kind=kind,
        concurrency=concurrency,
        phase=phase,
        n=n,
        ack_p50=statistics.median(acks),
        ack_p99=pct(acks, 0.99),
        p50=p50,
        p95=pct(finals, 0.95),
        p99=pct(finals, 0.99),
        lower_bound_ms=lower_bound,
        ratio=p50 / lower_bound if lower_bound else float("nan"),
        upstream_calls=len(hits) / n,
        cpu_ms=cpu_s * 1000 / n,
        rss_mb=rss,
        late=sum(1 for s in samples if s.final_ms is None or s.final_ms > DEADLINE_S * 1000),
        load=round(os.getloadavg()[0], 1),
        fakes_cpu_ms=round(fakes_cpu_s * 1000 / n, 1),
        calls_by_endpoint={k: v / n for k, v in sorted(by_endpoint.items())},
    )


class Bench:
    def __init__(
        self,
        args: argparse.Namespace,
        fakes: dict[str, Any],
        slack: SlackReceiver,
        slack_url: str,
        fakes_pid: int,
    ):
        self.args = args
        self.fakes_pid = fakes_pid
        self.latency_s = args.latency_ms / 1000
        self.fakes = fakes
        self.slack = slack
        self.slack_url = slack_url
        self.driver = Driver(slack, slack_url)
        self.upstreams = Upstreams(fakes["control"])
        self.extra_env = dict(kv.split("=", 1) for kv in args.env)
        singles = fakes["visitors_by_accounts"].get("1", [])
        self.warmup_email = singles[0]
        self.warmup_ticket = min(fakes["sample_tickets"])
        self.round_trips: dict[str, int] = {}
        self.profiles: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def bot(self) -> Any:
        bot = await start_bot(self.fakes, self.slack_url, self.extra_env)
        try:
            async with SlackSender(bot.url) as http:
                yield bot, http
        finally:
            stop_bot(bot)

    async def send(self, kind: str, http: SlackSender, target: Any) -> Sample:
        if kind == "/pendo":
            return await self.driver.command(http, target)
        return await self.driver.unfurl(http, target)

    async def burst(self, kind: str, http: SlackSender, targets: list[Any], concurrency: int) -> list[Sample]:
        if concurrency == 1:
            return [await self.send(kind, http, t) for t in targets]
        return list(await asyncio.gather(*(self.send(kind, http, t) for t in targets)))

    async def warm_up(self, http: SlackSender, kind: str) -> None:
        """What a running bot already has: catalogs, schemas, connections."""
        await self.driver.command(http, self.warmup_email)
        if kind == "unfurl":
            await self.driver.unfurl(http, self.warmup_ticket)

    async def measured(
        self, bot: BotProcess, http: SlackSender, kind: str, targets: list[Any], concurrency: int
    ) -> tuple[list[Sample], list[tuple[float, str, str]], float, float]:
        mark, cpu0, fcpu0 = await self.upstreams.mark(), cpu_seconds(bot.pid), cpu_seconds(self.fakes_pid)
        samples = await self.burst(kind, http, targets, concurrency)
        await asyncio.sleep(0.2)  # let trailing post-answer work finish before reading the CPU
        hits = await self.upstreams.since(mark)
        return samples, hits, cpu_seconds(bot.pid) - cpu0, cpu_seconds(self.fakes_pid) - fcpu0

    async def level(self, kind: str, concurrency: int) -> list[Row]:
        pool = self.fakes["emails"] if kind == "/pendo" else self.fakes["tickets"]
        targets = pool[: max(concurrency, self.args.sequential if concurrency == 1 else 0)]
        rows = []
        async with self.bot() as (bot, http):
            await self.warm_up(http, kind)
            if concurrency == 1:
                # The critical path of a lookup, from the arrival times of its requests: the fewest
                # sequential round trips over a few cold lookups, one at a time (the lower bound).
                waves = []
                for target in pool[-3:]:
                    mark = await self.upstreams.mark()
                    await self.send(kind, http, target)
                    arrivals = [h[0] for h in await self.upstreams.since(mark)]
                    waves.append(round_trips(arrivals, self.latency_s))
                self.round_trips[kind] = min(waves)
            lower = self.round_trips.get(kind, 0) * self.args.latency_ms
            profiler = None
            if self.args.profile and concurrency == self.args.profile_level:
                profiler = profile.start(bot.pid, HERE / f"profile-{kind.strip('/')}.txt")
            for phase in ("cold", "warm"):
                samples, hits, cpu, fakes_cpu = await self.measured(bot, http, kind, targets, concurrency)
                rows.append(
                    make_row(kind, concurrency, phase, samples, hits, cpu, rss_mb(bot.pid), lower, fakes_cpu)
                )
            if profiler is not None:
                self.profiles[kind] = profile.stop(profiler)
        return rows

    async def calls_by_accounts(self) -> dict[str, Any]:
        """Upstream calls for one cold /pendo of a visitor with 1 account and of the one with the most."""
        by_count = {int(k): v for k, v in self.fakes["visitors_by_accounts"].items() if int(k) > 0}
        picks = {1: by_count[1][-1], max(by_count): by_count[max(by_count)][0]}
        out: dict[str, Any] = {}
        async with self.bot() as (_, http):
            await self.warm_up(http, "/pendo")
            for accounts, email in picks.items():
                mark = await self.upstreams.mark()
                sample = await self.driver.command(http, email)
                hits = await self.upstreams.since(mark)
                out[str(accounts)] = {
                    "accounts": accounts,
                    "calls": len(hits),
                    "pendo_calls": sum(1 for h in hits if h[1] == "pendo"),
                    "round_trips": round_trips([h[0] for h in hits], self.latency_s),
                    "answer_ms": sample.final_ms,
                    "by_endpoint": dict(sorted(Counter(f"{h[1]} {h[2]}" for h in hits).items())),
                }
        return out

    async def soak(self, lookups: int) -> dict[str, Any]:
        """RSS before and after many lookups: known visitors (warm after the first pass) and distinct
        unknown emails (new cache keys every time), 50 at a time."""
        emails = self.fakes["emails"]
        async with self.bot() as (bot, http):
            await self.warm_up(http, "/pendo")
            await self.burst("/pendo", http, emails[:50], 50)
            before, cpu0, t0 = rss_mb(bot.pid), cpu_seconds(bot.pid), time.monotonic()
            queue: asyncio.Queue[str] = asyncio.Queue()
            for i in range(lookups):
                queue.put_nowait(emails[i % len(emails)] if i % 2 else f"nobody{i}@soak.example")
            late = 0

            async def worker() -> None:
                nonlocal late
                while not queue.empty():
                    sample = await self.driver.command(http, queue.get_nowait())
                    late += sample.final_ms is None or sample.final_ms > DEADLINE_S * 1000

            await asyncio.gather(*(worker() for _ in range(50)))
            return {
                "lookups": lookups,
                "rss_before_mb": round(before, 1),
                "rss_after_mb": round(rss_mb(bot.pid), 1),
                "cpu_ms_per_lookup": round((cpu_seconds(bot.pid) - cpu0) * 1000 / lookups, 2),
                "seconds": round(time.monotonic() - t0, 1),
                "late": late,
            }


# --- output ----------------------------------------------------------------------------------------------
HEADER = (
    f"{'lookup':<7} {'conc':>4} {'phase':<5} {'n':>4} {'ack p50':>8} {'ack p99':>8} {'p50':>7} {'p95':>7} "
    f"{'p99':>7} {'bound':>6} {'ratio':>6} {'calls':>6} {'CPU ms':>7} {'RSS MB':>7} {'late':>4} {'load':>5} {'fakes':>6}"
)


def format_row(r: Row) -> str:
    return (
        f"{r.kind:<7} {r.concurrency:>4} {r.phase:<5} {r.n:>4} {r.ack_p50:>8.1f} {r.ack_p99:>8.1f} "
        f"{r.p50:>7.0f} {r.p95:>7.0f} {r.p99:>7.0f} {r.lower_bound_ms:>6.0f} {r.ratio:>5.2f}x "
        f"{r.upstream_calls:>6.1f} {r.cpu_ms:>7.1f} {r.rss_mb:>7.1f} {r.late:>4} {r.load:>5.1f} {r.fakes_cpu_ms:>6.1f}"
    )


def report(results: dict[str, Any]) -> str:
    lines = [
        f"Bot as its own process; every upstream request delayed {results['latency_ms']:.0f} ms; "
        "times in ms; bound = sequential upstream round trips of one lookup x latency "
        f"({', '.join(f'{k}: {v}' for k, v in results['round_trips'].items())}); ratio = p50 / bound; "
        "calls = upstream calls and CPU = bot CPU, per lookup; late = past the 8 s deadline or unanswered; "
        "load = the machine's load average (2 cores shared with other work); fakes = CPU ms per lookup of "
        "the fake upstreams (one process: when it nears the wall time, the fakes set the pace).",
        HEADER,
    ]
    lines += [format_row(Row(**r)) for r in results["rows"]]
    for accounts, c in results["calls_by_accounts"].items():
        lines.append(
            f"cold /pendo, visitor with {accounts} account(s): {c['pendo_calls']} Pendo calls "
            f"({c['round_trips']} round trips), by endpoint:"
        )
        lines += [f"    {n:>3}  {name}" for name, n in c["by_endpoint"].items()]
    if soak := results.get("soak"):
        lines.append(
            f"soak: {soak['lookups']} lookups in {soak['seconds']} s, RSS {soak['rss_before_mb']} MB → "
            f"{soak['rss_after_mb']} MB, {soak['cpu_ms_per_lookup']} ms CPU per lookup, {soak['late']} late"
        )
    for kind, summary in results.get("profiles", {}).items():
        lines.append(f"profile of {kind} at concurrency {results['profile_level']} (share of busy samples):")
        lines += [f"    {line}" for line in profile.format_summary(summary)]
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path, before: dict[str, Any] | None) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no chart: matplotlib is not installed; pip install -e '.[bench]')")
        return False
    fig, (lat, cpu) = plt.subplots(1, 2, figsize=(12, 4.5))
    series = [("after" if before else "now", results, "-")] + ([("before", before, ":")] if before else [])
    colors = {"/pendo": "tab:blue", "unfurl": "tab:orange"}
    for label, data, style in series:
        for kind in ("/pendo", "unfurl"):
            rows = [r for r in data["rows"] if r["kind"] == kind and r["phase"] == "cold"]
            if not rows:
                continue
            xs = [r["concurrency"] for r in rows]
            lat.plot(
                xs,
                [r["p50"] for r in rows],
                style,
                marker="o",
                color=colors[kind],
                label=f"{kind} cold p50 ({label})",
            )
            lat.plot(
                xs,
                [r["p95"] for r in rows],
                style,
                marker="x",
                color=colors[kind],
                alpha=0.5,
                label=f"{kind} cold p95 ({label})",
            )
            cpu.plot(
                xs,
                [r["cpu_ms"] for r in rows],
                style,
                marker="o",
                color=colors[kind],
                label=f"{kind} cold ({label})",
            )
            warm = [r for r in data["rows"] if r["kind"] == kind and r["phase"] == "warm"]
            cpu.plot(
                [r["concurrency"] for r in warm],
                [r["cpu_ms"] for r in warm],
                style,
                marker="s",
                color=colors[kind],
                alpha=0.5,
                label=f"{kind} warm ({label})",
            )
    bound = [r for r in results["rows"] if r["kind"] == "/pendo" and r["phase"] == "cold"]
    if bound:
        lat.axhline(bound[0]["lower_bound_ms"], color="grey", lw=0.8, label="/pendo lower bound")
    lat.set(
        xscale="log",
        xlabel="concurrent lookups",
        ylabel="answer posted (ms)",
        title="Latency to the final answer",
    )
    cpu.set(
        xscale="log", xlabel="concurrent lookups", ylabel="bot CPU ms per lookup", title="Bot CPU per lookup"
    )
    for ax in (lat, cpu):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"make bench: every upstream call delayed {results['latency_ms']:.0f} ms, bot in its own process"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --- main ------------------------------------------------------------------------------------------------
async def run(args: argparse.Namespace) -> dict[str, Any]:
    slack = SlackReceiver()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY: see fakes
    sock.bind(("127.0.0.1", 0))
    slack_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(slack, lifespan="off", log_level="warning", access_log=False, backlog=4096)
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    levels = [int(x) for x in args.levels.split(",")]
    clones = max(max(levels), args.sequential, 60) + 3
    fakes_proc = subprocess.Popen(
        [
            args.fakes_python or sys.executable,
            "-m",
            "bench.fakes",
            "--latency-ms",
            str(args.latency_ms),
            "--clones",
            str(clones + 1),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=HERE.parent,
    )
    try:
        assert fakes_proc.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, fakes_proc.stdout.readline)
        fakes = json.loads(line)
        bench = Bench(args, fakes, slack, slack_url, fakes_proc.pid)
        rows: list[Row] = []
        kinds = ["/pendo", "unfurl"] if not args.only else [args.only]
        for kind in kinds:
            for concurrency in sorted(levels):
                level_rows = await bench.level(kind, concurrency)
                rows += level_rows
                for r in level_rows:
                    print(format_row(r), flush=True)
        results: dict[str, Any] = {
            **docs_table.commit_info(),
            "latency_ms": args.latency_ms,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "round_trips": bench.round_trips,
            "rows": [asdict(r) for r in rows],
            "calls_by_accounts": await bench.calls_by_accounts(),
            "profile_level": args.profile_level,
        }
        if args.soak:
            results["soak"] = await bench.soak(args.soak)
        if bench.profiles:
            results["profiles"] = bench.profiles
        return results
    finally:
        if fakes_proc.stdin:
            fakes_proc.stdin.close()
        try:
            fakes_proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fakes_proc.kill()
        server.should_exit = True
        await serving


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=float, default=100.0, help="delay of every upstream request")
    parser.add_argument("--levels", default="1,10,20,50,100", help="concurrency levels")
    parser.add_argument("--sequential", type=int, default=10, help="lookups one after another at level 1")
    parser.add_argument("--soak", type=int, default=10000, help="lookups for the memory check (0: skip)")
    parser.add_argument("--only", choices=["/pendo", "unfurl"], help="measure one kind of lookup only")
    parser.add_argument("--profile", action="store_true", help="py-spy profile of the bot at --profile-level")
    parser.add_argument("--profile-level", type=int, default=20)
    parser.add_argument("--env", action="append", default=[], help="extra NAME=VALUE for the bot")
    parser.add_argument("--out", default=str(HERE / "results.json"))
    parser.add_argument(
        "--fakes-python", help="the Python that runs the fakes (to compare two bots on the same fakes)"
    )
    parser.add_argument(
        "--before", default=str(HERE / "results-before.json"), help="drawn dotted in the chart"
    )
    args = parser.parse_args()
    BOT_LOG.write_bytes(b"")
    results = asyncio.run(run(args))
    print()
    print(report(results))
    out = Path(args.out)
    out.write_text(json.dumps(results, indent=1) + "\n")
    if out.resolve() == (HERE / "results.json").resolve():  # the results the docs describe
        for path in docs_table.update_docs(results):
            print(f"regenerated the speed table in {path.relative_to(HERE.parent)}")
    before_path = Path(args.before)
    before = json.loads(before_path.read_text()) if before_path.exists() and before_path != out else None
    if chart(results, out.with_suffix(".png"), before):
        print(f"wrote {out} and {out.with_suffix('.png')}; the bot's log: {BOT_LOG}")
    else:
        print(f"wrote {out}; the bot's log: {BOT_LOG}")


if __name__ == "__main__":
    main()
