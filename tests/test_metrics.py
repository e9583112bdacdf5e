"""Metric labels stay bounded: kinds, status classes and cache families come from the code's own names,
never from an email, an ID or a ticket number."""

from __future__ import annotations

import pytest

from bot import metrics


@pytest.mark.parametrize(
    ("action", "targets", "kind"),
    [
        ("lookup", ["jane@acme.example"], "/pendo"),
        ("lookup", ["ticket #1001"], "ticket"),
        ("lookup", [], "/pendo"),
        ("account", ["Acme Corp"], "account"),
        ("unfurl", ["ticket:1", "ticket:2"], "unfurl"),
        ("work_object", ["ticket:1"], "unfurl_details"),
        ("shortcut:message", [], "shortcut"),
        ("shortcut:lookup", ["jane@acme.example"], "shortcut"),
        ("mention", [], "mention"),
        ("note:add", ["ticket:1"], "note"),
        ("share", ["jane@acme.example"], "button"),
        ("anything-new", ["x"], "button"),
    ],
)
def test_the_kind_of_an_answer(action: str, targets: list[str], kind: str) -> None:
    assert metrics.answer_kind(action, targets) == kind


def test_status_classes() -> None:
    got = [metrics.status_class(s) for s in (200, 204, 302, 400, 401, 403, 404, 409, 429, 500, 503, 99, 999)]
    assert got == ["2xx", "2xx", "3xx", "400", "401", "403", "404", "4xx", "429", "5xx", "5xx", "1xx", "5xx"]


@pytest.mark.parametrize(
    ("key", "family"),
    [
        (("pendo", "GET", "/api/v1/visitor/jane%40acme.example", "[]", "None"), "pendo"),
        (("zendesk-ticket", 1001), "zendesk-ticket"),
        (("event", "Ev123"), "event"),
        (("jane@acme.example",), "other"),
        (("1001", "x"), "other"),
        ("readyz", "readyz"),
        ((), "other"),
        ((42,), "other"),
    ],
)
def test_cache_families_never_carry_the_key(key: object, family: str) -> None:
    assert metrics.cache_family(key) == family


def test_answers_count_every_target_and_time_the_answer_once() -> None:
    before = metrics.ANSWERS.labels("unfurl", "full")._value.get()
    count = metrics.ANSWER_SECONDS.labels("unfurl")
    observed = sum(b.get() for b in count._buckets)
    metrics.answered("unfurl", ["ticket:1", "ticket:2"], "full", 0.3)
    assert metrics.ANSWERS.labels("unfurl", "full")._value.get() == before + 2
    assert sum(b.get() for b in count._buckets) == observed + 1
    text = metrics.exposition().decode()
    assert 'pendo_bot_answers_total{kind="unfurl",outcome="full"}' in text and "ticket:1" not in text
