"""Prometheus metrics: what a dashboard or an alert reads from `GET /metrics` (docs/operations.md).

Every label value comes from a short list written in the code (a kind of answer, an outcome, an upstream,
a route template, a status class, a cache family): never an email, a visitor or account ID, a ticket
number or a channel. The metrics live in one registry of their own (the prometheus-client idiom: metric
objects are module-level, created once at import), with the process's CPU, memory and file descriptors.

Callers record through the small functions below, so the names and labels are decided here only.
Layer: with the settings; imports nothing from the bot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # process_cpu_seconds_total, process_resident_memory_bytes, ...
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Slack wants an ack within 3 s; the bot's own goal is well under 50 ms.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0)
# LOOKUP_DEADLINE_SECONDS is 8 s by default: buckets around it, so "slower than the deadline" is a query.
_ANSWER_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 30.0)
_UPSTREAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

ANSWERS = Counter(
    "pendo_bot_answers",
    "Answers (one per audited action and target) by kind and outcome",
    ["kind", "outcome"],
    registry=REGISTRY,
)
ANSWER_SECONDS = Histogram(
    "pendo_bot_answer_seconds",
    "Time from the start of an action to its final answer, by kind",
    ["kind"],
    buckets=_ANSWER_BUCKETS,
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "pendo_bot_ack_seconds",
    "Time from a Slack request's arrival to the bot's acknowledgement, by kind of request",
    ["request"],
    buckets=_ACK_BUCKETS,
    registry=REGISTRY,
)
UPSTREAM_REQUESTS = Counter(
    "pendo_bot_upstream_requests",
    "Requests sent to Pendo and Zendesk (every attempt), by endpoint and status class",
    ["upstream", "endpoint", "status"],
    registry=REGISTRY,
)
UPSTREAM_SECONDS = Histogram(
    "pendo_bot_upstream_request_seconds",
    "Latency of one request to Pendo or Zendesk (one attempt), by endpoint",
    ["upstream", "endpoint"],
    buckets=_UPSTREAM_BUCKETS,
    registry=REGISTRY,
)
UPSTREAM_RETRIES = Counter(
    "pendo_bot_upstream_retries",
    "Retries of requests to Pendo and Zendesk, by the status class that caused them",
    ["upstream", "status"],
    registry=REGISTRY,
)
UPSTREAM_IN_FLIGHT = Gauge(
    "pendo_bot_upstream_in_flight",
    "Requests to Pendo and Zendesk under way right now",
    ["upstream"],
    registry=REGISTRY,
)
BUDGET_WAITS = Counter(
    "pendo_bot_rate_budget_waits",
    "Requests that waited for the bot's own rate budget before leaving",
    ["upstream"],
    registry=REGISTRY,
)
BUDGET_WAIT_SECONDS = Counter(
    "pendo_bot_rate_budget_wait_seconds",
    "Seconds requests spent waiting for the bot's own rate budget",
    ["upstream"],
    registry=REGISTRY,
)
BUDGET_REFUSALS = Counter(
    "pendo_bot_rate_budget_refusals",
    "Requests refused by the bot's own budget (rate spent, or too many in flight)",
    ["upstream", "reason"],
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "pendo_bot_cache_lookups",
    "Cache reads by cache and family of entry; result hit, miss or stale (a stale value stood in)",
    ["cache", "family", "result"],
    registry=REGISTRY,
)
REDIS_FALLBACKS = Counter(
    "pendo_bot_redis_fallbacks",
    "Redis operations answered from this instance's memory because Redis was down or failed",
    registry=REGISTRY,
)
DUPLICATES = Counter(
    "pendo_bot_duplicates_dropped",
    "Slack deliveries seen before and dropped: event (same event ID), replay (same signed request)",
    ["what"],
    registry=REGISTRY,
)
CUT_SHORT = Counter(
    "pendo_bot_cut_short",
    "Answers still running at the end of a shutdown's grace period, answered 'cut short'",
    registry=REGISTRY,
)
WORK_IN_FLIGHT = Gauge(
    "pendo_bot_answers_in_flight",
    "Answers under way after their ack",
    registry=REGISTRY,
)
NOTES = Counter(
    "pendo_bot_notes",
    "Pendo notes the Zendesk webhook asked for, by how each attempt ended (written, already, skipped, "
    "failed, retry, gave_up)",
    ["outcome"],
    registry=REGISTRY,
)
NOTE_QUEUE_DEPTH = Gauge(
    "pendo_bot_note_queue_depth",
    "Note jobs waiting or being written (the whole store: every instance's)",
    registry=REGISTRY,
)
NOTE_QUEUE_OLDEST = Gauge(
    "pendo_bot_note_queue_oldest_seconds",
    "Age of the oldest note job still waiting or being written (0 when none)",
    registry=REGISTRY,
)
ALERTS = Counter(
    "pendo_bot_alerts",
    "Ticket alerts: sent (by the strongest rule that fired) or not sent (by reason: duplicate, opted_out, "
    "ambiguous, not_in_pendo, no_rule, channel_refused, stale, slack_error, zendesk_error)",
    ["result", "rule", "reason"],
    registry=REGISTRY,
)
PENDO_WEBHOOK = Counter(
    "pendo_bot_pendo_webhook",
    "Pendo webhook requests by outcome (queued, duplicate, ignored, not_detractor, token, size, slow, body, "
    "full, unavailable, shutting_down)",
    ["outcome"],
    registry=REGISTRY,
)
NPS_ALERTS = Counter(
    "pendo_bot_nps_alerts",
    "NPS answers by how their alert ended: sent, updated (a later comment), and not sent by reason "
    "(duplicate, opted_out, not_found, no_channel, channel_refused, stale, slack_error); paced: put off to a "
    "later minute by the cap",
    ["outcome"],
    registry=REGISTRY,
)
WEBHOOK_REFUSED = Counter(
    "pendo_bot_webhook_refused",
    "Zendesk webhook requests not queued, by reason (size, slow, signature, body, replay, full, unavailable, "
    "shutting_down)",
    ["reason"],
    registry=REGISTRY,
)

# --- kinds -------------------------------------------------------------------------------------------
_ACTION_KINDS = {
    "lookup": "/pendo",
    "account": "account",
    "unfurl": "unfurl",
    "work_object": "unfurl_details",
    "mention": "mention",
}
_FAMILY = re.compile(r"^[a-z][a-z-]{0,30}$")


def answer_kind(action: str, targets: list[str]) -> str:
    """The `kind` label of an audited action: /pendo, ticket, account, unfurl, shortcut, mention, note,
    button (every click), unfurl_details (a Work Object's panel)."""
    if action == "lookup" and any(t.startswith("ticket") for t in targets):
        return "ticket"
    if action.startswith("shortcut"):
        return "shortcut"
    if action.startswith("note"):
        return "note"
    return _ACTION_KINDS.get(action, "button")


def status_class(status: int) -> str:
    """2xx, 3xx, 4xx, 5xx; the statuses an alert needs on their own (refused key, not found, rate
    limit) exactly: 400, 401, 403, 404, 429."""
    if status in (400, 401, 403, 404, 429):
        return str(status)
    return f"{min(max(status // 100, 1), 5)}xx"


_FAMILIES: dict[str, str] = {}  # head of a key → its family, for the heads seen (a few dozen names)
MAX_REMEMBERED = 512


def cache_family(key: Hashable) -> str:
    """The family of a cache key: its first element when that is one of the code's own names
    (`pendo`, `pendo-catalog`, `zendesk-ticket`, `event`, ...), else `other`; never the rest of the key."""
    head = key[0] if isinstance(key, tuple) and key else key
    if not isinstance(head, str):
        return "other"
    family = _FAMILIES.get(head)
    if family is None:
        family = head if _FAMILY.match(head) else "other"
        if len(_FAMILIES) < MAX_REMEMBERED:
            _FAMILIES[head] = family
    return family


# --- recording -------------------------------------------------------------------------------------------
# The labelled child of each metric, kept once made: `labels()` checks and joins its values on every call,
# and the hot paths (every upstream request, every cache read) record several times per lookup. Label
# values are bounded (see above), so this stays small.
_CHILDREN: dict[tuple[Any, ...], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    key = (metric, *labels)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*labels)
    return child


def answered(action: str, targets: list[str], outcome: str, seconds: float) -> None:
    kind = answer_kind(action, targets)
    _child(ANSWERS, kind, outcome).inc(max(1, len(targets)))
    _child(ANSWER_SECONDS, kind).observe(seconds)


def acked(request: str, seconds: float) -> None:
    _child(ACK_SECONDS, request).observe(seconds)


def upstream_answered(upstream: str, route: str, status: str, seconds: float) -> None:
    _child(UPSTREAM_REQUESTS, upstream, route, status).inc()
    _child(UPSTREAM_SECONDS, upstream, route).observe(seconds)


def upstream_in_flight(upstream: str, change: int) -> None:
    _child(UPSTREAM_IN_FLIGHT, upstream).inc(change)


def cache_read(cache: str, key: Hashable, result: str) -> None:
    _child(CACHE_LOOKUPS, cache, cache_family(key), result).inc()


# --- read at scrape time --------------------------------------------------------------------------------
class _Probes(Collector):
    """Gauges computed when scraped, from callbacks the lower layers register (e.g. stuck upstreams)."""

    def __init__(self) -> None:
        self.stuck: Callable[[], dict[str, bool]] = dict

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stuck = GaugeMetricFamily(
            "pendo_bot_upstream_stuck",
            "1 while an upstream has a request past all its own timeouts (a connection pool that stopped "
            "finishing requests; /healthz fails too), else 0",
            labels=["upstream"],
        )
        for name, is_stuck in sorted(self.stuck().items()):
            stuck.add_metric([name], 1.0 if is_stuck else 0.0)
        yield stuck


PROBES = _Probes()
REGISTRY.register(PROBES)


def exposition() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)


# --- alerts ---------------------------------------------------------------------------------------------
ALERT_NOT_SENT = (
    "duplicate",
    "opted_out",
    "ambiguous",
    "not_in_pendo",
    "no_rule",
    "channel_refused",
    "stale",
    "slack_error",
    "zendesk_error",
)


def alert_sent(rule: str) -> None:
    """An alert posted, labelled with the strongest rule that fired (one of ALERT_RULES)."""
    _child(ALERTS, "sent", rule, "").inc()


def alert_not_sent(reason: str) -> None:
    """An alert not posted (this attempt), by one of `ALERT_NOT_SENT`."""
    _child(ALERTS, "not_sent", "", reason if reason in ALERT_NOT_SENT else "other").inc()
