"""A webhook answered 200 ends in a note, whatever happens to the process: SIGTERM mid-burst, a restart
while Pendo is down, SIGKILL mid-write. The bot is a real `pendo-bot serve --http` process; every test runs
on both stores of the notes' queue.

- The fake Pendo and Zendesk run in this process on loopback (`LoopbackServer`), with clones of a sample
  ticket (`bench.fakes.extend`: one distinct ticket and requester per webhook) and some latency, so a
  burst takes a while. Notes are counted in the fake Zendesk's comments (`Helpdesk.notes`).
- The bot is its own process, configured only by its environment (as `bench.bench.start_bot` starts
  it), cwd in tmp_path, its log in tmp_path/bot-N.log.
- The store: a SQLite file in tmp_path (NOTES_DB), or a real redis-server (REDIS_URL). Redis keeps no
  persistence here and stays up: only the bot restarts.
- The fake Zendesk's account limit and the bot's rate budgets are lifted (ZENDESK_UPDATES_PER_MINUTE=0
  and the like): durability is tested here, not politeness.
- With Redis, the per-ticket note locks a killed process left last NOTES_LEASE_SECONDS, like its leases:
  the jobs taken over are written as soon as the leases run out.

`test_harness_sanity_notes_go_missing_when_the_restart_cannot_see_the_store` checks the harness, not the
bot: the first test's SIGTERM and restart, with the restarted bot on ANOTHER store, must leave tickets
without a note, so the durability tests cannot pass vacuously.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.bench import free_port, ready
from bench.fakes import extend
from bot.sample import (
    SAMPLE_PENDO_KEY,
    SAMPLE_ZENDESK_EMAIL,
    SAMPLE_ZENDESK_SUBDOMAIN,
    SAMPLE_ZENDESK_TOKEN,
    FakeControls,
    LoopbackServer,
    Workspace,
    build_workspace,
    create_pendo_app,
    create_zendesk_app,
)
from bot.sample.helpdesk import Helpdesk, iso
from bot.sample.slack_api import FakeSlack
from bot.zendesk.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.redis.conftest import redis_server, redis_url  # noqa: F401 (fixtures)

SECRET = "durable-webhook-secret"
ROOT = Path(__file__).resolve().parents[2]
TICKETS = 200  # the burst: 200 webhooks, 200 distinct tickets
FIRST_NOTES = 20  # the "after 20 notes"
PENDO_DOWN_TICKETS = 20  # each failed attempt takes LOOKUP_DEADLINE_SECONDS, 4 workers
LATENCY = 0.005  # every fake Pendo and Zendesk request, seconds
LEASE = 2.0  # NOTES_LEASE_SECONDS: a killed process's jobs are taken over after this
GRACE = 1.0  # SHUTDOWN_GRACE_SECONDS
FIRST_RETRY = 0.2  # NOTES_RETRY_FIRST_SECONDS: then 0.4, 0.8, 2, 4, 6, 12, 24 s


# --- the upstreams, in this process ---------------------------------------------------------------------
class HoldPuts:
    """ASGI wrapper over the fake Zendesk's Update Ticket (the note's write).

    `closed`: updates wait before they are applied (a burst is answered in full before notes are
    written). `hold`: an update is applied at once but its answer is held back that many seconds (a bot
    killed meanwhile wrote the note without learning it did)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.closed = False
        self.hold = 0.0
        self.holding: set[str] = set()  # the paths of the updates applied, their answers not sent yet

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "PUT":
            await self.app(scope, receive, send)
            return
        while self.closed:
            await asyncio.sleep(0.005)
        if self.hold <= 0:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def held(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.holding.add(path)
                try:
                    await asyncio.sleep(self.hold)
                finally:
                    self.holding.discard(path)
            await send(message)

        await self.app(scope, receive, held)


@dataclass
class Upstreams:
    pendo_url: str
    zendesk_url: str
    pendo: FakeControls
    zendesk: FakeControls
    helpdesk: Helpdesk
    puts: HoldPuts
    tickets: list[int]

    def notes(self, ticket_id: int) -> int:
        return len(self.helpdesk.notes(ticket_id))

    def written(self, tickets: list[int] | None = None) -> int:
        """How many of `tickets` (default: all) have a note."""
        return sum(1 for t in tickets or self.tickets if self.helpdesk.notes(t))

    def counts(self, tickets: list[int] | None = None) -> dict[int, int]:
        """Tickets by their number of notes: {1: 200} is every ticket with one note."""
        return dict(Counter(self.notes(t) for t in tickets or self.tickets))

    def updates(self) -> Counter[int]:
        """Update Ticket calls per ticket."""
        out: Counter[int] = Counter()
        for r in list(self.zendesk.requests):
            if r.method == "PUT" and r.path.startswith("/api/v2/tickets/"):
                out[int(r.path.removeprefix("/api/v2/tickets/").removesuffix(".json"))] += 1
        return out


@pytest.fixture(scope="module")
def workspace() -> tuple[Workspace, list[int]]:
    """The sample workspace with a clone ticket (and requester) per webhook; the fakes copy what they
    change, so the tests share it."""
    ws, _, tickets = extend(build_workspace(int(time.time() * 1000)), TICKETS)
    return ws, tickets


@pytest.fixture
def upstreams(workspace: tuple[Workspace, list[int]]) -> Iterator[Upstreams]:
    ws, tickets = workspace
    pendo, zendesk = create_pendo_app(ws), create_zendesk_app(ws)
    helpdesk: Helpdesk = zendesk.state.helpdesk
    helpdesk.per_account = (1_000_000, 60.0)  # durability, not Zendesk's account limit, is tested here
    pendo.state.controls.latency = zendesk.state.controls.latency = LATENCY
    puts = HoldPuts(zendesk)
    with LoopbackServer(pendo) as p, LoopbackServer(puts) as z:
        yield Upstreams(
            p.base_url, z.base_url, pendo.state.controls, zendesk.state.controls, helpdesk, puts, tickets
        )


# --- the store, both kinds -------------------------------------------------------------------------------
@dataclass
class Store:
    kind: str
    env: dict[str, str]
    elsewhere: dict[str, str]  # another store of the same kind (the harness's sanity test)

    def jobs(self) -> dict[int, tuple[int, float]]:
        """The jobs waiting or leased, read from outside the bot: ticket -> (attempts, due)."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.env["NOTES_DB"], timeout=5)
            try:
                rows = conn.execute("SELECT ticket_id, attempts, due FROM jobs WHERE state = 'waiting'")
                return {int(t): (int(a), float(d)) for t, a, d in rows.fetchall()}
            finally:
                conn.close()
        client = redis_sync.Redis.from_url(self.env["REDIS_URL"], decode_responses=True)
        try:
            out = {}
            for key in client.scan_iter(match="*notes:*:job:note:*", count=1000):
                job = client.hgetall(key)
                if job:
                    out[int(job["ticket_id"])] = (int(job["attempts"]), float(job["due"]))
            return out
        finally:
            client.close()

    def given_up(self) -> int:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.env["NOTES_DB"], timeout=5)
            try:
                return int(conn.execute("SELECT COUNT(*) FROM jobs WHERE state = 'given_up'").fetchone()[0])
            finally:
                conn.close()
        client = redis_sync.Redis.from_url(self.env["REDIS_URL"], decode_responses=True)
        try:
            return sum(int(client.hlen(k)) for k in client.scan_iter(match="*notes:*:given_up", count=1000))
        finally:
            client.close()


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "sqlite":
        return Store(
            "sqlite",
            {"NOTES_DB": str(tmp_path / "notes.sqlite3")},
            {"NOTES_DB": str(tmp_path / "other.sqlite3")},
        )
    url: str = request.getfixturevalue("redis_url")  # the session's server, emptied (every db)
    assert url.endswith("/0")
    return Store("redis", {"REDIS_URL": url}, {"REDIS_URL": url.removesuffix("/0") + "/1"})


# --- the bot, a real process -----------------------------------------------------------------------------
@dataclass
class Bot:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path


@dataclass
class Bots:
    """Starts `pendo-bot serve --http` processes; any still running at the end is killed."""

    tmp_path: Path
    slack_url: str
    upstreams: Upstreams
    started: list[Bot] = field(default_factory=list)

    async def start(self, store_env: dict[str, str], **extra: str) -> Bot:
        port = free_port()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "HOME": os.environ.get("HOME", "/tmp"),
            "PENDO_INTEGRATION_KEY": SAMPLE_PENDO_KEY,
            "PENDO_BASE_URL": self.upstreams.pendo_url,
            "ZENDESK_SUBDOMAIN": SAMPLE_ZENDESK_SUBDOMAIN,
            "ZENDESK_EMAIL": SAMPLE_ZENDESK_EMAIL,
            "ZENDESK_API_TOKEN": SAMPLE_ZENDESK_TOKEN,
            "ZENDESK_BASE_URL": self.upstreams.zendesk_url,
            "SLACK_API_URL": f"{self.slack_url}/api/",
            "SLACK_BOT_TOKEN": "xoxb-durable-test",
            "SLACK_SIGNING_SECRET": "durable-slack-secret",
            "ZENDESK_WEBHOOK_SECRET": SECRET,
            "LOG_LEVEL": "INFO",
            # no rate budget in the way: durability is tested, not politeness
            "PENDO_RATE_PER_SECOND": "0",
            "PENDO_MAX_IN_FLIGHT": "0",
            "ZENDESK_RATE_PER_SECOND": "0",
            "ZENDESK_MAX_IN_FLIGHT": "0",
            "ZENDESK_UPDATES_PER_MINUTE": "0",
            "SHUTDOWN_GRACE_SECONDS": str(GRACE),
            "NOTES_RETRY_FIRST_SECONDS": str(FIRST_RETRY),
            "NOTES_LEASE_SECONDS": str(LEASE),
            **store_env,
            **extra,
        }
        log = self.tmp_path / f"bot-{len(self.started)}.log"
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("pendo-bot")), "serve", "--http", "--port", str(port)],
            env=env,
            cwd=self.tmp_path,  # no stray .env; the default files land here
            stdin=subprocess.DEVNULL,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        bot = Bot(proc, f"http://127.0.0.1:{port}", log)
        self.started.append(bot)
        await ready(proc, bot.url, "the bot")
        return bot

    def close(self) -> None:
        for bot in self.started:
            if bot.proc.poll() is None:
                bot.proc.kill()
                bot.proc.wait()


@pytest.fixture
def bots(tmp_path: Path, slack_server: tuple[FakeSlack, str], upstreams: Upstreams) -> Iterator[Bots]:
    made = Bots(tmp_path, slack_server[1], upstreams)
    yield made
    made.close()


def webhook(ticket_id: int) -> tuple[bytes, dict[str, str]]:
    """Zendesk's "ticket created" delivery for `ticket_id`, signed."""
    body = json.dumps({"ticket_id": str(ticket_id)}).encode()
    stamp = iso(int(time.time() * 1000))
    headers = {
        "content-type": "application/json",
        SIGNATURE_HEADER: sign(SECRET, stamp, body),
        TIMESTAMP_HEADER: stamp,
    }
    return body, headers


async def burst(bot: Bot, tickets: list[int]) -> list[httpx.Response]:
    """One webhook per ticket, all at once."""
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=bot.url, timeout=30, limits=limits) as http:

        async def one(ticket_id: int) -> httpx.Response:
            body, headers = webhook(ticket_id)
            return await http.post("/zendesk/webhook", content=body, headers=headers)

        return await asyncio.gather(*(one(t) for t in tickets))


def all_queued(answers: list[httpx.Response]) -> bool:
    return all(a.status_code == 200 and a.json() == {"ok": True, "queued": True} for a in answers)


async def wait_for(what: Callable[[], bool], timeout: float, why: str) -> None:
    until = time.monotonic() + timeout
    while not what():
        if time.monotonic() > until:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {why}")
        await asyncio.sleep(0.02)


async def exited(bot: Bot, timeout: float = 20.0) -> int:
    """The process's exit status, once it exited (the event loop stays free for the fakes' clients)."""
    until = time.monotonic() + timeout
    while bot.proc.poll() is None:
        if time.monotonic() > until:
            raise AssertionError(f"the bot did not exit within {timeout:g} s")
        await asyncio.sleep(0.02)
    return bot.proc.returncode


async def sigterm(bot: Bot) -> None:
    bot.proc.send_signal(signal.SIGTERM)
    assert await exited(bot) in (0, -signal.SIGTERM)  # uvicorn may re-raise the signal


async def settle(seconds: float = 0.5) -> None:
    """A while for a second note, if any were coming (the waits end at every ticket's first note)."""
    await asyncio.sleep(seconds)


# --- 1. SIGTERM once 20 notes are written, then a restart ---------------------------------------------------
async def sigterm_after_first_notes_then_restart(
    bots: Bots, upstreams: Upstreams, first: dict[str, str], second: dict[str, str], wait: float
) -> tuple[int, float]:
    """The burst, SIGTERM after FIRST_NOTES notes, a new bot on `second`: (notes at SIGTERM, seconds from
    SIGTERM to every note, or to `wait` s after the restart without)."""
    bot = await bots.start(first)
    upstreams.puts.closed = True  # every webhook answered before the first note
    answers = await burst(bot, upstreams.tickets)
    assert all_queued(answers), Counter(a.status_code for a in answers)
    upstreams.puts.closed = False
    await wait_for(lambda: upstreams.written() >= FIRST_NOTES, 20, f"{FIRST_NOTES} notes")
    stopped, at_signal = time.monotonic(), upstreams.written()
    await sigterm(bot)
    at_stop = upstreams.written()
    print(f"\n{at_signal} notes at SIGTERM, {at_stop} when the process had exited")
    assert at_stop < TICKETS, "every note was written before SIGTERM: the burst proves nothing"
    await bots.start(second)
    with contextlib.suppress(AssertionError):  # the caller asserts what it expects
        await wait_for(lambda: upstreams.written() == TICKETS, wait, "every note after the restart")
    took = time.monotonic() - stopped
    await settle()
    return at_stop, took


async def test_sigterm_after_20_notes_then_a_restart_writes_every_note_once(
    bots: Bots, upstreams: Upstreams, store: Store
) -> None:
    at_stop, took = await sigterm_after_first_notes_then_restart(bots, upstreams, store.env, store.env, 20)
    print(
        f"{store.kind}: {TICKETS - at_stop} notes left to the restart, all written {took:.1f} s after SIGTERM"
    )
    assert upstreams.counts() == {1: TICKETS}
    assert store.jobs() == {} and store.given_up() == 0


async def test_harness_sanity_notes_go_missing_when_the_restart_cannot_see_the_store(
    bots: Bots, upstreams: Upstreams, store: Store
) -> None:
    """NOT a test of the bot: of this harness. The restarted bot is pointed at another store (another
    NOTES_DB file, another Redis database), as if the queue had not been durable. Notes must then go
    missing, so the tests above would catch a queue that loses jobs at a restart."""
    # 5 s: the real test's restarted bot writes every note within about 3 s
    at_stop, _ = await sigterm_after_first_notes_then_restart(bots, upstreams, store.env, store.elsewhere, 5)
    counts = upstreams.counts()
    assert counts.get(0, 0) == TICKETS - at_stop > 0, counts
    assert counts.get(2, 0) == 0
    # still in the first store, where nobody looks (and a few whose write a stop cut short: released)
    assert len(store.jobs()) >= TICKETS - at_stop


# --- 2. Pendo down across a restart -------------------------------------------------------------------------
async def test_pendo_down_across_a_restart_every_note_is_written_once_when_it_is_back(
    bots: Bots, upstreams: Upstreams, store: Store
) -> None:
    tickets = upstreams.tickets[:PENDO_DOWN_TICKETS]
    upstreams.pendo.fail(r".", 503)  # every Pendo request
    fast = {"LOOKUP_DEADLINE_SECONDS": "0.3", "PENDO_TIMEOUT_SECONDS": "0.3"}  # a failed attempt ends soon
    bot = await bots.start(store.env, **fast)
    assert all_queued(await burst(bot, tickets))

    def tried_twice() -> bool:
        jobs = store.jobs()
        return len(jobs) == len(tickets) and all(a >= 2 for a, _ in jobs.values())

    await wait_for(tried_twice, 10, "two failed attempts of every note")
    await sigterm(bot)
    left = store.jobs()
    assert sorted(left) == sorted(tickets) and upstreams.written(tickets) == 0
    assert all(due > time.time() - 5 for _, due in left.values())
    # Pendo still down: the new process takes the jobs over, attempts counted on and due times kept.
    watched: dict[int, tuple[int, float]] = dict(left)
    early: list[tuple[int, float, float]] = []  # (ticket, seen at, due): an attempt before its due time
    await bots.start(store.env, **fast)
    until = time.monotonic() + 3
    while time.monotonic() < until:
        now = time.time()
        for ticket, (attempts, due) in store.jobs().items():
            before, due_before = watched[ticket]
            assert attempts >= before, "a job's attempts went back: it was not the stored job"
            if attempts > before and now < due_before - 0.05:
                early.append((ticket, now, due_before))
            watched[ticket] = (attempts, due)
        await asyncio.sleep(0.02)
    assert not early, f"retried before their due time: {early[:5]}"
    assert sum(a for a, _ in watched.values()) > sum(a for a, _ in left.values()), "no retry after restart"
    assert upstreams.written(tickets) == 0 and store.given_up() == 0
    print(
        f"\n{store.kind}: attempts at SIGTERM {Counter(a for a, _ in left.values())}, "
        f"3 s after the restart {Counter(a for a, _ in watched.values())}"
    )
    back = time.monotonic()
    upstreams.pendo.clear()
    upstreams.pendo.latency = LATENCY
    await wait_for(lambda: upstreams.written(tickets) == len(tickets), 15, "every note once Pendo is back")
    print(f"every note {time.monotonic() - back:.1f} s after Pendo came back")
    await settle()
    assert upstreams.counts(tickets) == {1: len(tickets)}
    assert store.jobs() == {} and store.given_up() == 0


# --- 3. SIGKILL mid-burst ----------------------------------------------------------------------------------
async def test_sigkill_mid_burst_then_a_restart_loses_no_note_and_doubles_none(
    bots: Bots, upstreams: Upstreams, store: Store
) -> None:
    upstreams.puts.hold = 1.0  # a note written, its answer held: a kill now hides a write that went through
    bot = await bots.start(store.env)
    upstreams.puts.closed = True  # every webhook answered before the first note
    assert all_queued(await burst(bot, upstreams.tickets))
    upstreams.puts.closed = False
    await wait_for(
        lambda: upstreams.written() >= FIRST_NOTES and len(upstreams.puts.holding) >= 2,
        20,
        f"{FIRST_NOTES} notes and writes under way",
    )
    unanswered = {int(path.rsplit("/", 1)[1].removesuffix(".json")) for path in upstreams.puts.holding}
    bot.proc.kill()
    await exited(bot)
    killed = time.monotonic()
    at_kill = upstreams.written()
    upstreams.puts.hold = 0.0
    assert at_kill < TICKETS
    leased = store.jobs()
    assert len(leased) >= TICKETS - at_kill
    assert unanswered <= set(leased) and upstreams.written(sorted(unanswered)) == len(unanswered)
    # Nothing is cleaned up by hand: the leases and (with Redis) the per-ticket locks run out by themselves.
    await bots.start(store.env)
    await wait_for(lambda: upstreams.written() == TICKETS, 20, "every note after the restart")
    took = time.monotonic() - killed
    await settle(LEASE)  # the killed process's leases have run out: a double would come now
    print(
        f"\n{store.kind}: {at_kill} notes at SIGKILL, {len(unanswered)} written unanswered, "
        f"every note {took:.1f} s after the kill"
    )
    assert upstreams.counts() == {1: TICKETS}
    assert all(n == 1 for n in upstreams.updates().values())  # the marker found them: not written again
    assert store.jobs() == {} and store.given_up() == 0


# --- 4. a webhook during the drain -------------------------------------------------------------------------
async def test_a_webhook_during_the_sigterm_drain_is_refused_never_accepted_and_lost(
    bots: Bots, upstreams: Upstreams, store: Store
) -> None:
    """During the drain (writes under way finishing, GRACE seconds) a new webhook gets 503 + Retry-After or
    a refused connection. A 200 answered around the signal must still end in a note."""
    upstreams.puts.hold = GRACE * 3  # the writes under way outlast the grace: the drain takes all of it
    bot = await bots.start(store.env)
    first = upstreams.tickets[:20]
    assert all_queued(await burst(bot, first))
    await wait_for(lambda: len(upstreams.puts.holding) >= 1, 10, "a write under way")
    probes = upstreams.tickets[20:]
    outcomes: list[tuple[int, str, bool]] = []  # (ticket, "200" / "503" / "refused", bot still running)
    bot.proc.send_signal(signal.SIGTERM)
    async with httpx.AsyncClient(base_url=bot.url, timeout=10) as http:
        for ticket in probes:
            if bot.proc.poll() is not None:
                break
            body, headers = webhook(ticket)
            try:
                answer = await http.post("/zendesk/webhook", content=body, headers=headers)
            except httpx.TransportError:
                outcomes.append((ticket, "refused", bot.proc.poll() is None))
            else:
                if answer.status_code == 503:
                    assert int(answer.headers["retry-after"]) > 0
                    outcomes.append((ticket, "503", bot.proc.poll() is None))
                else:
                    assert answer.status_code == 200 and answer.json()["queued"] is True, answer.text
                    outcomes.append((ticket, "200", bot.proc.poll() is None))
            await asyncio.sleep(0.02)
    assert await exited(bot) in (0, -signal.SIGTERM)
    upstreams.puts.hold = 0.0
    kinds = [kind for _, kind, _ in outcomes]
    refused_alive = [t for t, kind, alive in outcomes if kind != "200" and alive]
    assert refused_alive, f"no webhook was refused while the bot drained: {Counter(kinds)}"
    first_refusal = next(i for i, kind in enumerate(kinds) if kind != "200")
    assert "200" not in kinds[first_refusal:], f"a webhook accepted after one was refused: {kinds}"
    accepted = [t for t, kind, _ in outcomes if kind == "200"]
    print(f"\n{store.kind}: during the drain {Counter(kinds)}")
    await bots.start(store.env)
    wanted = [*first, *accepted]
    await wait_for(lambda: upstreams.written(wanted) == len(wanted), 15, "the accepted notes")
    await settle()
    assert upstreams.counts(wanted) == {1: len(wanted)}
