"""GET /metrics: counted against what the fake upstreams and the fake Slack saw, scraped through the real
server on METRICS_PORT (HTTP mode and Socket Mode), and on the main port only behind METRICS_TOKEN."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.signature import SignatureVerifier

from bot.sample import JANE, NOBODY, POWER_USER, TICKET_JANE
from bot.sample.slack_api import FakeSlack

from .conftest import Bot, NewBot
from .test_serve import SECRET, free_port, start, wait_until

TOKEN = "metrics-token-0123456789abcdef"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The bots a test started, stopped after it."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return total(after, name, **labels) - total(before, name, **labels)


async def scrape(bot: Bot) -> Samples:
    response = await bot.http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert "jane" not in response.text.lower() and "@" not in response.text  # no customer data in labels
    return parse(response.text)


async def settled(bot: Bot, floor: float | None = None) -> Samples:
    """A scrape once the upstream requests in flight in this process are down to `floor` (this test's
    work done), or, without one, once the count holds still: the registry is the process's, and another
    test's bot in this process may have requests that never end (a fake made to hang)."""
    previous = None
    for _ in range(200):
        samples = await scrape(bot)
        now = total(samples, "pendo_bot_upstream_in_flight")
        if (floor is not None and now <= floor) or (floor is None and now == previous):
            return samples
        previous = now
        await asyncio.sleep(0.05)
    raise AssertionError("upstream requests still in flight after 10 s")


async def answered(bot: Bot, before: Samples, answers: int) -> Samples:
    """A settled scrape once `answers` more answers are counted: an answer's counters are written when
    its work ends, a moment after its reply went out (the gauge of answers in flight is the process's,
    shared with other tests' bots, so it cannot say when this test's are done)."""
    for _ in range(100):
        after = await settled(bot, total(before, "pendo_bot_upstream_in_flight"))
        if delta(before, after, "pendo_bot_answer_seconds_count") >= answers:
            return after
        await asyncio.sleep(0.05)
    return after


async def test_the_counters_match_what_the_upstreams_and_slack_saw(new_bot: NewBot) -> None:
    """The registry is the process's: another test's bot still finishing in this process (its own fakes)
    can add to a counter between the two scrapes. Such a measurement is taken again, at most twice; a
    wrong counter fails every time."""
    bot = await new_bot(metrics_token=TOKEN)
    for attempt in range(3):
        bot.pendo.clear()
        bot.zendesk.clear()
        before = await settled(bot)
        for text in (JANE, JANE, NOBODY, f"#{TICKET_JANE}"):  # cold, warm (cache), not found, a ticket
            _, rid = await bot.command(text)
            await bot.final_response(rid)
        after = await answered(bot, before, 4)
        try:
            _check_counters(bot, before, after)
            return
        except AssertionError:
            if attempt == 2:
                raise


def _check_counters(bot: Bot, before: Samples, after: Samples) -> None:
    answers = "pendo_bot_answers_total"
    assert delta(before, after, answers, kind="/pendo", outcome="found") == 2
    assert delta(before, after, answers, kind="/pendo", outcome="not_found") == 1
    assert delta(before, after, answers, kind="ticket", outcome="found") == 1
    assert delta(before, after, "pendo_bot_answer_seconds_count", kind="/pendo") == 3
    assert delta(before, after, "pendo_bot_ack_seconds_count", request="command") == 4
    # every request the fake Pendo and the fake Zendesk received, counted once, by where it went
    requests = "pendo_bot_upstream_requests_total"
    assert delta(before, after, requests, upstream="Pendo") == len(bot.pendo.requests) > 0
    assert delta(before, after, requests, upstream="Zendesk") == len(bot.zendesk.requests) > 0
    aggregations = sum(1 for r in bot.pendo.requests if r.path == "/api/v1/aggregation")
    assert delta(before, after, requests, endpoint="POST /api/v1/aggregation", status="2xx") == aggregations
    assert delta(before, after, requests, upstream="Pendo", status="404") >= 1  # the unknown email
    assert delta(before, after, "pendo_bot_upstream_request_seconds_count", upstream="Pendo") == len(
        bot.pendo.requests
    )
    assert delta(before, after, "pendo_bot_cache_lookups_total", cache="cache", result="hit") > 0
    # none of this test's requests still in flight or stuck (another test's may be: the registry is shared)
    assert delta(before, after, "pendo_bot_upstream_in_flight", upstream="Pendo") <= 0
    assert delta(before, after, "pendo_bot_upstream_stuck", upstream="Pendo") <= 0
    assert total(after, "process_cpu_seconds_total") > 0


async def test_retries_and_duplicates_are_counted(new_bot: NewBot) -> None:
    bot = await new_bot(metrics_token=TOKEN)
    before = await scrape(bot)
    bot.pendo.fail(r"^/api/v1/visitor/[^/]+$", 503, times=1)
    _, rid = await bot.command(POWER_USER)
    await bot.final_response(rid)
    event = {"type": "app_home_opened", "user": "U0AGENT", "channel": "D1", "tab": "home", "event_ts": "1"}
    await bot.event(event, event_id="EvTwice1")
    await bot.event({**event, "event_ts": "2"}, event_id="EvTwice1", retry=1)  # Slack's retry, re-signed
    after = await scrape(bot)
    assert delta(before, after, "pendo_bot_upstream_retries_total", upstream="Pendo", status="5xx") == 1
    assert delta(before, after, "pendo_bot_upstream_requests_total", upstream="Pendo", status="5xx") == 1
    assert delta(before, after, "pendo_bot_duplicates_dropped_total", what="event") == 1
    assert delta(before, after, "pendo_bot_ack_seconds_count", request="event") == 2


async def test_the_main_port_answers_metrics_only_for_the_token(new_bot: NewBot) -> None:
    bot = await new_bot(metrics_token=TOKEN)
    for headers in ({}, {"authorization": "Bearer wrong-token-0123456789"}, {"authorization": TOKEN}):
        refused = await bot.http.get("/metrics", headers=headers)
        assert refused.status_code == 401 and "pendo_bot" not in refused.text
    plain = await new_bot()  # no METRICS_TOKEN: no /metrics on the main port at all
    assert (await plain.http.get("/metrics")).status_code == 404


def signed_command(text: str, response_url: str) -> tuple[str, dict[str, str]]:
    body = urlencode(
        {
            "command": "/pendo",
            "text": text,
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": "T0001",
            "response_url": response_url,
        }
    )
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body) or ""
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": signature,
    }
    return body, headers


def test_metrics_port_of_the_real_server_shows_the_counters_moving(
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
    tmp_path: Path,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    port, metrics_port = free_port(), free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{slack_server[1]}/api/",
        "METRICS_PORT": str(metrics_port),
        "METRICS_HOST": "127.0.0.1",
    }
    processes.append(start(["--http", "--port", str(port), "--sample"], env, tmp_path))
    base, scrape_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics"

    def up() -> bool:
        try:
            return httpx.get(scrape_url).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(up)
    scrapes = [parse(httpx.get(scrape_url).text)]
    for n in range(2):  # the same visitor twice: cold, then from the cache
        body, headers = signed_command(JANE, f"{slack_server[1]}/response/metrics{n}")
        assert httpx.post(f"{base}/slack/events", content=body, headers=headers).status_code == 200
        wait_until(lambda n=n: any(r.method == f"metrics{n}" for r in fake_slack.responses))
        wait_until(
            lambda n=n: delta(scrapes[n], parse(httpx.get(scrape_url).text), "pendo_bot_answers_total") == 1
        )
        scrapes.append(parse(httpx.get(scrape_url).text))
    first, second = (
        {
            name: delta(a, b, name)
            for name in ("pendo_bot_upstream_requests_total", "pendo_bot_cache_lookups_total")
        }
        for a, b in itertools.pairwise(scrapes)
    )
    assert first["pendo_bot_upstream_requests_total"] > 0  # cold: Pendo was asked
    assert second["pendo_bot_upstream_requests_total"] == 0 and second["pendo_bot_cache_lookups_total"] > 0
    assert total(scrapes[-1], "pendo_bot_answers_total", kind="/pendo", outcome="found") == 2
    assert total(scrapes[-1], "pendo_bot_ack_seconds_count", request="command") == 2
    assert httpx.get(f"{base}/metrics").status_code == 404  # off the public port
    log = (tmp_path / "serve.log").read_text()
    assert f"metrics on 127.0.0.1:{metrics_port}/metrics" in log


def test_metrics_port_in_socket_mode(
    slack_server: tuple[FakeSlack, str],
    fake_slack: FakeSlack,
    tmp_path: Path,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    metrics_port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_APP_TOKEN": "xapp-1-serve-test",
        "SLACK_API_URL": f"{slack_server[1]}/api/",
        "METRICS_PORT": str(metrics_port),
        "METRICS_HOST": "127.0.0.1",
    }
    processes.append(start(["--sample"], env, tmp_path))
    wait_until(lambda: fake_slack.by_method("apps.connections.open"))

    def scraped() -> str:
        try:
            return httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        except httpx.TransportError:
            return ""

    wait_until(lambda: "pendo_bot_answers_total" in scraped() or "pendo_bot_answers" in scraped())
    assert "process_cpu_seconds_total" in scraped()
