"""Pendo's edge cases, against the sample workspace's fake Pendo (shared/reference/pendo-api.md §10, §11):
a refused key, a 429 without Retry-After, a key suffix the bot does not know, and a subscription whose
time zone an admin changes while the bot runs."""

from __future__ import annotations

import argparse
import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import answers
from bot.__main__ import _check, build_parser
from bot.domain.models import Email, VisitorFacts
from bot.pendo.client import DAY_OFFSET_KEY
from bot.sample import JANE, POWER_USER, SOLO
from bot.settings import load_settings
from bot.slack.server import startup_warnings
from tests.support.factories import DepsFactory
from tests.support.fixtures import SAMPLE_NOW, sample_workspace


class Sleeps:
    """The retry waits the bot asked for, recorded instead of slept."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def check_args() -> argparse.Namespace:
    args = build_parser().parse_args(["check", "--no-slack"])  # Pendo only: Slack has its own tests
    args.sample = False  # as `main` sets it when a key is configured
    return args


def visitor_calls(requests: list[Any]) -> int:
    return sum(1 for r in requests if r.path.startswith("/api/v1/visitor/") and "/history" not in r.path)


# --- 401 / 403: the key is refused --------------------------------------------------------------------
@pytest.mark.parametrize("status", [401, 403])
async def test_a_refused_key_is_a_setup_problem_in_words_an_agent_understands(
    sample_deps: DepsFactory, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    made = sample_deps()
    made.controls.fail(r"^/api/v1/", status)
    with caplog.at_level(logging.WARNING):
        answer = await answers.email_answer(made.deps.customers, Email(JANE), "ref7")
    text = answer.message["text"]
    assert "Pendo refused the bot's integration key" in text
    assert "not a passing outage" in text and "trying again will not help" in text
    assert "Tell whoever runs the bot" in text and "ref7" in text
    assert str(status) not in text and "PENDO_" not in text and "right now" not in text
    assert answer.outcome == "error:PendoKeyRefused"
    assert visitor_calls(made.requests) == 1  # a refused key is not retried
    # the log says what to fix: the region first, then the key
    logged = " ".join(r.getMessage() + str(getattr(r, "error", "")) for r in caplog.records)
    assert f"HTTP {status}" in logged and "another region" in logged and "PENDO_REGION" in logged


async def test_the_fake_refuses_a_wrong_key_with_403_and_check_says_what_to_fix(
    sample_deps: DepsFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made = sample_deps(pendo_app_key="the-key-pendo-knows")  # the bot sends the sample key: refused
    monkeypatch.setattr("bot.__main__.open_deps", lambda settings, sample: made.deps)
    assert await _check(made.settings, check_args()) == 1
    out = capsys.readouterr().out
    assert "FAIL Pendo refused the key: Pendo refused the bot's integration key" in out
    assert "HTTP 403" in out and "another region" in out and "PENDO_INTEGRATION_KEY" in out
    assert [r.headers["x-pendo-integration-key"] for r in made.requests] == [made.settings.pendo_key]


# --- 429 without Retry-After ----------------------------------------------------------------------------
async def test_a_429_without_retry_after_waits_at_least_a_second_then_answers(
    sample_deps: DepsFactory,
) -> None:
    sleeps = Sleeps()
    made = sample_deps(sleep=sleeps)
    made.controls.fail(r"^/api/v1/visitor/[^/]+$", 429, times=1)  # no Retry-After, as Pendo sends none
    result = await made.deps.customers.lookup(JANE)
    assert isinstance(result, VisitorFacts) and result.profile.id == JANE
    assert len(sleeps.delays) == 1 and sleeps.delays[0] >= 1.0
    assert visitor_calls(made.requests) == 2


async def test_a_429_without_retry_after_near_the_deadline_gives_up_with_try_again_in_a_minute(
    sample_deps: DepsFactory,
) -> None:
    sleeps = Sleeps()
    made = sample_deps(sleep=sleeps, lookup_deadline_seconds=0.9)  # less than the one-second wait
    made.controls.fail(r"^/api/v1/visitor/[^/]+$", 429)
    answer = await answers.email_answer(made.deps.customers, Email(JANE), "ref8")
    assert "Try again in a minute." in answer.message["text"] and "rate" not in answer.message["text"]
    assert answer.outcome == "error:RateLimited"
    assert sleeps.delays == [] and visitor_calls(made.requests) == 1  # no retry too soon, none too late


# --- an unknown key suffix -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "region", "warned"),
    [
        ("0123-abcd.xx", None, True),  # unknown: the US host would be used silently
        ("0123-abcd.EU", None, False),  # known, any case
        ("0123-abcd", None, False),  # no suffix: US
        ("0123-abcd.xx", "eu", False),  # PENDO_REGION decides: the suffix does not matter
    ],
)
def test_an_unknown_key_suffix_is_warned_about_at_start_up(
    key: str, region: str | None, warned: bool
) -> None:
    settings = load_settings(pendo_integration_key=key, pendo_region=region)
    warning = settings.pendo_key_suffix_warning
    assert (warning is not None) is warned
    if warning:
        assert ".xx" in warning and "app.pendo.io" in warning and "PENDO_REGION" in warning
        assert "0123-abcd" not in warning  # never the key itself
        assert settings.pendo_effective_region == "us"


async def test_start_up_and_check_warn_about_an_unknown_key_suffix(
    sample_deps: DepsFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made = sample_deps(pendo_app_key="sample-key-0000")
    settings = load_settings(pendo_integration_key="sample-key-0000.zz")
    deps = made.deps
    deps.settings = settings
    assert startup_warnings(deps) == [settings.pendo_key_suffix_warning]
    monkeypatch.setattr("bot.__main__.open_deps", lambda settings, sample: deps)
    await _check(settings, check_args())
    out = capsys.readouterr().out
    assert "WARN PENDO_INTEGRATION_KEY ends in a region suffix the bot does not know (.zz" in out
    assert "sample-key-0000" not in out


# --- the subscription's time zone changes -----------------------------------------------------------------
def offset_ms(zone: str, at_ms: int) -> int:
    moment = datetime.fromtimestamp(at_ms / 1000, ZoneInfo(zone))
    utc_offset = moment.utcoffset()
    assert utc_offset is not None
    return -int(utc_offset.total_seconds() * 1000) % 86_400_000


def daily_events(visitor: str, zone: str) -> list[int]:
    """Events per local day in `zone`, the 30 days ending with today, from the raw sample events."""
    tz = ZoneInfo(zone)
    today = datetime.fromtimestamp(SAMPLE_NOW / 1000, tz).date()
    first = today - timedelta(days=29)
    start = int(datetime.combine(first, time(0), tz).timestamp() * 1000)
    counts = [0] * 30
    for e in sample_workspace().events:
        if (
            e.visitor_id == visitor
            and start <= e.ts <= SAMPLE_NOW
            and e.kind in ("page", "feature", "untagged")
        ):
            counts[(datetime.fromtimestamp(e.ts / 1000, tz).date() - first).days] += 1
    return counts


async def test_a_time_zone_change_is_learned_from_the_next_fresh_answer_and_never_undone_by_the_cache(
    sample_deps: DepsFactory,
) -> None:
    made = sample_deps()
    assert made.pendo_app is not None
    pendo = made.deps.pendo
    before = await made.deps.customers.lookup(JANE)
    assert isinstance(before, VisitorFacts) and before.usage is not None
    assert pendo.day_offset() == offset_ms("America/Chicago", SAMPLE_NOW)
    assert before.usage.daily_events == daily_events(JANE, "America/Chicago")

    made.pendo_app.state.set_timezone("Asia/Tokyo")  # an admin changes the subscription's zone
    after = await made.deps.customers.lookup(POWER_USER)  # a cold lookup: Pendo answers in Tokyo's days
    assert isinstance(after, VisitorFacts) and after.usage is not None
    assert pendo.day_offset() == offset_ms("Asia/Tokyo", SAMPLE_NOW)
    assert after.usage.daily_events == daily_events(POWER_USER, "Asia/Tokyo")

    again = await made.deps.customers.lookup(JANE)  # Jane's answers still come from the cache (Chicago)
    assert isinstance(again, VisitorFacts) and again.usage == before.usage
    assert pendo.day_offset() == offset_ms("Asia/Tokyo", SAMPLE_NOW)  # not put back by the cached rows

    solo = await made.deps.customers.lookup(SOLO)
    assert isinstance(solo, VisitorFacts) and solo.usage is not None
    assert solo.usage.daily_events == daily_events(SOLO, "Asia/Tokyo")
    assert made.deps.cache.get(DAY_OFFSET_KEY) == offset_ms("Asia/Tokyo", SAMPLE_NOW)
