"""`make bench`: the bot as its own process under load, measured from outside.

    python -m bench.bench [--latency-ms 100] [--levels 1,10,20,50,100] [--soak 10000] [--profile] [--no-floor]

Three processes on 127.0.0.1:
- the upstreams (`bench.fakes`): the sample Pendo and Zendesk APIs, every request delayed by
  --latency-ms and logged with its arrival time;
- the bot: `pendo-bot serve --http`, configured only through its settings (PENDO_BASE_URL,
  ZENDESK_BASE_URL, SLACK_API_URL), restarted for every row so each row starts cold;
- this driver: sends real signed slash commands and `link_shared` events (built and signed before a
  burst starts, each written whole on a kept-alive connection: see "Slack requests" below), and is the
  fake Slack Web API and `response_url` receiver, so it sees when each answer arrives.

Then (--floor, the default) the driver's own floor: the same requests at the same levels against a
trivial app under uvicorn configured like the bot's (bench/floor.py, its own process).

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
from typing import Any, cast
from urllib.parse import urlencode

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
    return await ready(proc, f"http://127.0.0.1:{port}", "the bot")


async def ready(proc: subprocess.Popen[bytes], url: str, what: str) -> BotProcess:
    """`proc` once its server answers GET /healthz."""
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as http:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{url}/healthz", timeout=1)).status_code == 200:
                    break
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{what} did not start")
            await asyncio.sleep(0.05)
    return BotProcess(proc, url)


async def start_floor() -> BotProcess:
    """The trivial app of `bench.floor`, under uvicorn configured like the bot's, in its own process."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.floor", "--port", str(port)], cwd=HERE.parent, stdin=subprocess.DEVNULL
    )
    return await ready(proc, f"http://127.0.0.1:{port}", "the floor's server")


def stop_bot(bot: BotProcess) -> None:
    bot.proc.send_signal(signal.SIGTERM)
    try:
        bot.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        bot.proc.kill()
        bot.proc.wait()


# --- Slack requests ---------------------------------------------------------------------------------
# Slack's side of the wire, as light as it can be so that the ack times measure the bot, not the driver:
# every request of a burst is built and signed before the burst's clock starts; firing one is a single
# transport.write of its bytes on a kept-alive connection, and its ack time runs from that write (or from
# the start of its connect(), when it needs a new connection) to the moment its whole response was read.
class Exchange:
    """One request on the wire: its bytes, when they were handed over, and the response it got."""

    __slots__ = ("body", "done", "finished", "payload", "resent", "started", "status")

    def __init__(self, payload: bytes, done: asyncio.Future[None]) -> None:
        self.payload = payload
        self.done = done  # resolved when the whole response has been read (or the exchange failed)
        self.started = 0.0
        self.finished = 0.0
        self.status = 0
        self.body = b""
        self.resent = False

    @property
    def ack_ms(self) -> float:
        return (self.finished - self.started) * 1000


def parse_response(buffer: bytes | bytearray) -> tuple[int, bytes, int, bool] | None:
    """(status, body, bytes consumed, keep-alive) of the HTTP/1.1 response at the start of `buffer`, or
    None while it is incomplete. The body is framed by Content-Length or chunked transfer encoding; a
    response framed only by the connection's close is refused (uvicorn always frames its responses)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    keep_alive = headers.get("connection") != "close"
    start = end + 4
    if "content-length" in headers:
        stop = start + int(headers["content-length"])
        return (status, bytes(buffer[start:stop]), stop, keep_alive) if len(buffer) >= stop else None
    if headers.get("transfer-encoding") != "chunked":
        raise ValueError(f"HTTP {status} response with neither Content-Length nor chunked encoding")
    body, at = bytearray(), start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        if size == 0:  # the last chunk, then trailer fields (none, usually) and an empty line
            if buffer[line_end + 2 : line_end + 4] == b"\r\n":
                return status, bytes(body), line_end + 4, keep_alive
            trailers_end = buffer.find(b"\r\n\r\n", line_end)
            return None if trailers_end < 0 else (status, bytes(body), trailers_end + 4, keep_alive)
        if len(buffer) < line_end + 2 + size + 2:
            return None
        body += buffer[line_end + 2 : line_end + 2 + size]
        at = line_end + 2 + size + 2


class Connection(asyncio.Protocol):
    """One kept-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, pool: Connections, first: Exchange) -> None:
        self.pool = pool
        self.current: Exchange | None = first  # written as soon as the connection is made
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport, self.open = cast(asyncio.Transport, transport), True  # uvloop's is not a subclass
        if self.current is not None:
            self.transport.write(self.current.payload)

    def send(self, exchange: Exchange) -> None:
        assert self.transport is not None
        self.current = exchange
        exchange.started = time.monotonic()
        self.transport.write(exchange.payload)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buffer += data
        exchange = self.current
        try:
            parsed = parse_response(self.buffer)
        except ValueError as exc:
            self._fail(exc)
            return
        if parsed is None or exchange is None:
            return
        exchange.status, exchange.body, consumed, keep_alive = parsed
        exchange.finished = now
        self.current = None
        del self.buffer[:consumed]
        if keep_alive:
            self.pool.idle.append(self)
        else:
            self.open = False
            assert self.transport is not None
            self.transport.close()
        if not exchange.done.done():
            exchange.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        with contextlib.suppress(ValueError):
            self.pool.idle.remove(self)
        exchange, self.current = self.current, None
        if exchange is not None:
            self.pool.lost(exchange)

    def _fail(self, exc: Exception) -> None:
        exchange, self.current, self.open = self.current, None, False
        if self.transport is not None:
            self.transport.close()
        if exchange is not None and not exchange.done.done():
            exchange.done.set_exception(exc)


class Connections:
    """The driver's kept-alive connections to one server (one pool per bot process): a burst of N takes
    N of them, opening the missing ones as part of the timed requests, as Slack's own would."""

    def __init__(self, base_url: str) -> None:
        host, _, port = base_url.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.idle: list[Connection] = []
        self.transport_errors = 0  # a kept-alive connection the server closed under a request: resent once
        self.tasks: set[asyncio.Task[None]] = set()

    def request(self, body: bytes, content_type: str) -> bytes:
        """A whole signed HTTP/1.1 request to /slack/events, ready to be written."""
        ts = str(int(time.time()))
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body.decode()) or ""
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {signature}\r\n\r\n"
        )
        return head.encode() + body

    def fire(self, payloads: list[bytes]) -> list[Exchange]:
        """Write every request now, each on its own connection (kept-alive ones first)."""
        loop = asyncio.get_running_loop()
        exchanges = []
        for payload in payloads:
            exchange = Exchange(payload, loop.create_future())
            exchanges.append(exchange)
            connection = self._take_idle()
            if connection is not None:
                connection.send(exchange)
            else:
                self._connect(exchange)
        return exchanges

    async def exchange(self, payloads: list[bytes]) -> list[Exchange]:
        exchanges = self.fire(payloads)
        try:
            await asyncio.wait_for(asyncio.gather(*(e.done for e in exchanges)), WAIT_S)
        except TimeoutError:
            missing = sum(1 for e in exchanges if not e.done.done())
            raise RuntimeError(
                f"{missing} of {len(exchanges)} requests got no response in {WAIT_S:.0f} s"
            ) from None
        return exchanges

    def lost(self, exchange: Exchange) -> None:
        """The server closed the connection before answering (a kept-alive connection it had just
        timed out): resend once on a new connection, the clock still running from the first write."""
        if exchange.resent or exchange.done.done():
            if not exchange.done.done():
                exchange.done.set_exception(ConnectionError("the server closed the connection twice"))
            return
        exchange.resent = True
        self.transport_errors += 1
        self._connect(exchange)

    def close(self) -> None:
        for connection in self.idle:
            if connection.transport is not None:
                connection.transport.close()
        self.idle.clear()

    def _take_idle(self) -> Connection | None:
        while self.idle:
            connection = self.idle.pop()
            if connection.open and connection.transport is not None and not connection.transport.is_closing():
                return connection
        return None

    def _connect(self, exchange: Exchange) -> None:
        task = asyncio.get_running_loop().create_task(self._open(exchange))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _open(self, exchange: Exchange) -> None:
        if not exchange.resent:
            exchange.started = time.monotonic()
        try:
            await asyncio.get_running_loop().create_connection(
                lambda: Connection(self, exchange), self.host, self.port
            )
        except OSError as exc:
            if not exchange.done.done():
                exchange.done.set_exception(exc)


@dataclass
class Sample:
    ack_ms: float
    final_ms: float | None  # None: no answer within WAIT_S


@dataclass
class Outgoing:
    payload: bytes  # the whole signed request
    key: str  # what the fake Slack sees when the answer arrives
    answered: asyncio.Future[float]


FORM = "application/x-www-form-urlencoded"


def command_body(text: str, response_url: str) -> bytes:
    fields = {
        "command": "/pendo",
        "text": text,
        "user_id": "U0BENCH",
        "channel_id": "C0BENCH",
        "team_id": "T0001",
        "response_url": response_url,
        "trigger_id": "1",
    }
    return urlencode(fields).encode()


class Driver:
    def __init__(self, slack: SlackReceiver, slack_url: str) -> None:
        self.slack = slack
        self.slack_url = slack_url
        self.serial = 0

    def command(self, http: Connections, text: str) -> Outgoing:
        rid = uuid.uuid4().hex
        body = command_body(text, f"{self.slack_url}/response/{rid}")
        return Outgoing(http.request(body, FORM), rid, self.slack.expect(rid, 1))

    def unfurl(self, http: Connections, ticket: int) -> Outgoing:
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
        ).encode()
        answered = self.slack.expect(unfurl_id, 2)  # the header first, then the Pendo part
        return Outgoing(http.request(body, "application/json"), unfurl_id, answered)

    async def send(self, http: Connections, outgoing: list[Outgoing]) -> list[Sample]:
        """Fire requests built beforehand, all at once; their acks, then their answers."""
        try:
            exchanges = await http.exchange([o.payload for o in outgoing])
            for exchange in exchanges:
                if exchange.status != 200:
                    raise RuntimeError(f"the bot answered HTTP {exchange.status}: {exchange.body[:200]!r}")
            await asyncio.wait([o.answered for o in outgoing], timeout=WAIT_S)
            return [
                Sample(e.ack_ms, (o.answered.result() - e.started) * 1000 if o.answered.done() else None)
                for o, e in zip(outgoing, exchanges, strict=True)
            ]
        finally:
            for o in outgoing:
                self.slack.waiting.pop(o.key, None)
                self.slack.seen.pop(o.key, None)


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
    phase: str  # cold | warm | known (cold visitors of accounts already known, see Bench.known_accounts)
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
    # CPU the bot is charged per second while it does nothing (measured just before the row): on some
    # VMs a sleeping process is charged ~10 ms a second, which a lookup one at a time (0.3 s of waiting
    # on upstreams) carries as several ms. `net_cpu_ms` is `cpu_ms` less that charge over the burst's
    # wall time: a lower estimate, as `cpu_ms` is an upper one.
    idle_cpu_ms_per_s: float = 0.0
    net_cpu_ms: float = 0.0


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
    idle_cpu_per_s: float = 0.0,
    wall_s: float = 0.0,
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
        idle_cpu_ms_per_s=round(idle_cpu_per_s * 1000, 1),
        net_cpu_ms=max(0.0, cpu_s - idle_cpu_per_s * wall_s) * 1000 / n,
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
        self.transport_errors = 0

    @contextlib.asynccontextmanager
    async def bot(self) -> Any:
        bot = await start_bot(self.fakes, self.slack_url, self.extra_env)
        try:
            http = Connections(bot.url)
            try:
                yield bot, http
            finally:
                http.close()
                self.transport_errors += http.transport_errors
        finally:
            stop_bot(bot)

    def prepare(self, kind: str, http: Connections, target: Any) -> Outgoing:
        if kind == "/pendo":
            return self.driver.command(http, target)
        return self.driver.unfurl(http, target)

    async def send(self, kind: str, http: Connections, target: Any) -> Sample:
        return (await self.driver.send(http, [self.prepare(kind, http, target)]))[0]

    async def burst(self, kind: str, http: Connections, targets: list[Any], concurrency: int) -> list[Sample]:
        if concurrency == 1:
            return [await self.send(kind, http, t) for t in targets]
        # every request built and signed before the first is written
        return await self.driver.send(http, [self.prepare(kind, http, t) for t in targets])

    async def warm_up(self, http: Connections, kind: str) -> None:
        """What a running bot already has: catalogs, schemas, connections."""
        await self.send("/pendo", http, self.warmup_email)
        if kind == "unfurl":
            await self.send("unfurl", http, self.warmup_ticket)

    async def measured(
        self, bot: BotProcess, http: Connections, kind: str, targets: list[Any], concurrency: int
    ) -> tuple[list[Sample], list[tuple[float, str, str]], float, float, float]:
        """Samples, upstream hits, bot CPU, fakes CPU (s) and the wall time the bot's CPU was read over."""
        mark, cpu0, fcpu0 = await self.upstreams.mark(), cpu_seconds(bot.pid), cpu_seconds(self.fakes_pid)
        started = time.monotonic()
        samples = await self.burst(kind, http, targets, concurrency)
        await asyncio.sleep(0.2)  # let trailing post-answer work finish before reading the CPU
        cpu, wall = cpu_seconds(bot.pid) - cpu0, time.monotonic() - started
        hits = await self.upstreams.since(mark)
        return samples, hits, cpu, cpu_seconds(self.fakes_pid) - fcpu0, wall

    @staticmethod
    async def idle_charge(bot: BotProcess, seconds: float = 1.0) -> float:
        """CPU seconds per second the bot is charged while nothing is asked of it."""
        cpu0, started = cpu_seconds(bot.pid), time.monotonic()
        await asyncio.sleep(seconds)
        return (cpu_seconds(bot.pid) - cpu0) / (time.monotonic() - started)

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
            idle = await self.idle_charge(bot)
            for phase in ("cold", "warm"):
                samples, hits, cpu, fakes_cpu, wall = await self.measured(
                    bot, http, kind, targets, concurrency
                )
                rows.append(
                    make_row(
                        kind,
                        concurrency,
                        phase,
                        samples,
                        hits,
                        cpu,
                        rss_mb(bot.pid),
                        lower,
                        fakes_cpu,
                        idle,
                        wall,
                    )
                )
            if profiler is not None:
                self.profiles[kind] = profile.stop(profiler)
        if kind == "/pendo" and concurrency == self.args.known_accounts_level:
            rows.append(await self.known_accounts(pool, targets, concurrency))
        return rows

    async def known_accounts(self, pool: list[Any], targets: list[Any], concurrency: int) -> Row:
        """Cold visitors of accounts the bot already knows (their records cached, as after another
        lookup in the last hour): the case the 2-round-trip bound describes. A visitor whose accounts are
        new needs 3 (the records, whose opt-out flag must be known before any activity is asked for,
        then the figures), as most of the plain cold rows do. A fresh bot looks up the sample visitors
        the clones copy (one per account), then the same burst as the cold row."""
        async with self.bot() as (bot, http):
            await self.warm_up(http, "/pendo")
            for base in self.fakes["visitors_by_accounts"].get("1", []):
                await self.send("/pendo", http, base)
            mark = await self.upstreams.mark()
            await self.send("/pendo", http, pool[-1])  # a lone one: its round trips are the bound
            lower = round_trips([h[0] for h in await self.upstreams.since(mark)], self.latency_s)
            idle = await self.idle_charge(bot)
            samples, hits, cpu, fakes_cpu, wall = await self.measured(
                bot, http, "/pendo", targets, concurrency
            )
            return make_row(
                "/pendo",
                concurrency,
                "known",
                samples,
                hits,
                cpu,
                rss_mb(bot.pid),
                lower * self.args.latency_ms,
                fakes_cpu,
                idle,
                wall,
            )

    async def floor(self, levels: list[int]) -> list[dict[str, Any]]:
        """The driver's own floor: the same requests, at the same levels, cold (new connections, but the
        warm-up's) then warm (kept alive), answered at once by a trivial app under uvicorn (`bench.floor`)."""
        server = await start_floor()
        rows: list[dict[str, Any]] = []
        try:
            for concurrency in levels:
                n = max(concurrency, self.args.sequential if concurrency == 1 else 0)
                http = Connections(server.url)
                try:
                    await http.exchange([self._floor_request(http, 0)])  # as a bot's warm-up
                    for phase in ("cold", "warm"):
                        payloads = [self._floor_request(http, i) for i in range(n)]
                        if concurrency == 1:
                            exchanges = [(await http.exchange([p]))[0] for p in payloads]
                        else:
                            exchanges = await http.exchange(payloads)
                        if bad := [e.status for e in exchanges if e.status != 200]:
                            raise RuntimeError(f"the floor's server answered HTTP {bad[0]}")
                        acks = [e.ack_ms for e in exchanges]
                        rows.append(
                            {
                                "concurrency": concurrency,
                                "phase": phase,
                                "n": n,
                                "ack_p50": round(statistics.median(acks), 2),
                                "ack_p99": round(pct(acks, 0.99), 2),
                            }
                        )
                finally:
                    http.close()
                    self.transport_errors += http.transport_errors
        finally:
            stop_bot(server)
        return rows

    def _floor_request(self, http: Connections, i: int) -> bytes:
        body = command_body(f"floor{i}@bench.example", f"{self.slack_url}/response/floor{i}")
        return http.request(body, FORM)

    async def calls_by_accounts(self) -> dict[str, Any]:
        """Upstream calls for one cold /pendo of a visitor with 1 account and of the one with the most."""
        by_count = {int(k): v for k, v in self.fakes["visitors_by_accounts"].items() if int(k) > 0}
        picks = {1: by_count[1][-1], max(by_count): by_count[max(by_count)][0]}
        out: dict[str, Any] = {}
        async with self.bot() as (_, http):
            await self.warm_up(http, "/pendo")
            for accounts, email in picks.items():
                mark = await self.upstreams.mark()
                sample = await self.send("/pendo", http, email)
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
                    sample = await self.send("/pendo", http, queue.get_nowait())
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
    f"{'p99':>7} {'bound':>6} {'ratio':>6} {'calls':>6} {'CPU ms':>7} {'net':>5} {'idle/s':>6} {'RSS MB':>7} "
    f"{'late':>4} {'load':>5} {'fakes':>6}"
)


def format_row(r: Row) -> str:
    return (
        f"{r.kind:<7} {r.concurrency:>4} {r.phase:<5} {r.n:>4} {r.ack_p50:>8.1f} {r.ack_p99:>8.1f} "
        f"{r.p50:>7.0f} {r.p95:>7.0f} {r.p99:>7.0f} {r.lower_bound_ms:>6.0f} {r.ratio:>5.2f}x "
        f"{r.upstream_calls:>6.1f} {r.cpu_ms:>7.1f} {r.net_cpu_ms:>5.1f} {r.idle_cpu_ms_per_s:>6.1f} {r.rss_mb:>7.1f} "
        f"{r.late:>4} {r.load:>5.1f} {r.fakes_cpu_ms:>6.1f}"
    )


def format_floor(floor: list[dict[str, Any]]) -> str:
    levels = sorted({f["concurrency"] for f in floor})
    by = {(f["concurrency"], f["phase"]): f for f in floor}
    parts = [
        f"{c}: "
        + ", ".join(f"{p} {by[c, p]['ack_p50']:.1f} / {by[c, p]['ack_p99']:.1f}" for p in ("cold", "warm"))
        for c in levels
    ]
    return (
        "driver floor (the same driver and requests against a trivial app under uvicorn configured like the "
        "bot's; ack p50 / p99 ms, at once): " + "; ".join(parts)
    )


def report(results: dict[str, Any]) -> str:
    lines = [
        f"Bot as its own process; every upstream request delayed {results['latency_ms']:.0f} ms; "
        "times in ms; bound = sequential upstream round trips of one lookup x latency "
        f"({', '.join(f'{k}: {v}' for k, v in results['round_trips'].items())}); ratio = p50 / bound; "
        "calls = upstream calls and CPU = bot CPU, per lookup; net = CPU less what the bot is charged while "
        "idle (idle/s: ms per second, measured before the row) over the burst's wall time; "
        "late = past the 8 s deadline or unanswered; "
        "load = the machine's load average (2 cores shared with other work); fakes = CPU ms per lookup of "
        "the fake upstreams (one process: when it nears the wall time, the fakes set the pace).",
        HEADER,
    ]
    lines += [format_row(Row(**r)) for r in results["rows"]]
    if floor := results.get("floor"):
        lines.append(format_floor(floor))
    if errors := results.get("transport_errors"):
        lines.append(
            f"{errors} request(s) resent on a new connection (the server had closed a kept-alive one)"
        )
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
            "transport_errors": bench.transport_errors,
            "profile_level": args.profile_level,
        }
        if args.floor:
            results["floor"] = await bench.floor(sorted(levels))
            print(format_floor(results["floor"]), flush=True)
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
    parser.add_argument(
        "--known-accounts-level",
        type=int,
        default=20,
        help="also measure /pendo cold at this level for visitors of accounts already known (0: skip)",
    )
    parser.add_argument(
        "--floor",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the driver's own floor: the same acks from a trivial app (bench.floor)",
    )
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
    try:
        import uvloop
    except ImportError:
        results = asyncio.run(run(args))
    else:  # the driver's own CPU per request is part of every ack it measures: the faster loop
        results = uvloop.run(run(args))
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
