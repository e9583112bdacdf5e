"""The sample workspace: a deterministic, always-recent dataset behind the fake Pendo and Zendesk APIs.

`build_workspace(now_ms)` draws ~90 days of product usage for ~50 visitors from a fixed seed, with
every time relative to `now_ms`, so the data looks fresh whenever it is built. The raw events are the
single source of truth: the fake Pendo API derives every number it serves from `Workspace.events`, and
tests compute their expectations from the same list with plain loops.

Frustration signals and session replays (shared/reference/friction-replays-alerts.md F, R) are drawn by
a post-pass (`_signals`) with its own generator, so the events themselves (times, kinds, objects) are
exactly what they would be without it:

- `RawEvent.friction`: "rage", "dead" or "error" on a feature click (a rage click, a dead click, a click
  followed by a JavaScript error: F3), "uturn" or "dead" on a page load (a U-turn back to the page, a
  dead click on an untagged element of it). About 3% of the web app's feature clicks (mostly rage) and
  2% of its page loads; the other apps have none (the signals come from Pendo's web agent).
  Scripted: Jane's billing trouble before ticket 1001 has four rage clicks on Billing settings (three
  on "Update payment method", one on "Change plan") and two error clicks on the Invoices list
  ("Download invoice PDF", "Filter invoices"), each page load in the same local hour as its clicks; her
  other events of the last day have none. Three other Acme visitors hit friction on Reports in the last
  30 days (`ACME_FRICTION_PAGE`), so an account has a page with several visitors hitting friction.
- `RawEvent.recording`: the `recordingSessionId` of the replay the event belongs to (R1, R2). Session
  Replay is a paid add-on recorded for a few visitors only: every web session of POWER_USER (a session:
  consecutive events less than 30 minutes apart), Jane's session before ticket 1001
  (`JANE_BILLING_RECORDING`) and her session after the last midnight (`JANE_TODAY_RECORDING`), not her
  evening session yesterday; nobody else.

Accounts carry their renewal date in `RENEWAL_FIELD` ("custom/renewaldate", a "time" field: Pendo's type
for dates, epoch ms of a local midnight): Acme renews in 20 days, so its tickets stand out with it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.sample import surveys
from bot.sample.credentials import SAMPLE_ZENDESK_SUBDOMAIN

SEED = 20_240_615
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
HISTORY_DAYS = 90
DEFAULT_TIMEZONE = "America/Chicago"  # the subscription's time zone: not UTC, so every test sees local days
APP_ID = -323232  # the web app (Pendo's default app id)
MOBILE_APP_ID = 5_668_600_916_475_904  # an iOS app in the same subscription
EXTENSION_APP_ID = 6_192_051_302_465_536  # a browser extension in the same subscription
APP_HOST = "app.sample-saas.example"

# --- named entities (tests and docs rely on these exact values) ---------------------------------------
JANE = "jane.doe@acme.example"
POWER_USER = "power.user@acme.example"
MULTI = "multi@umbrella.example"
SOLO = "solo@freelance.example"
PRIVATE = "private@hooli.example"
DORMANT = "dormant@globex.example"
TONY = "tony@stark.example"
OPS = "ops@initech.example"
OPS_VISITOR_IDS = ("u-2001", "u-2002")
SAM = "Sam.Lee@Globex.example"  # as stored in Pendo's agent.email; Zendesk has it lower-cased
SAM_VISITOR_ID = "u-1001"
NOBODY = "nobody@unknown.example"  # a Zendesk requester unknown to Pendo

ACME, GLOBEX, INITECH, INITECH_LABS = "acme", "globex", "initech", "initech-labs"
UMBRELLA, UMBRELLA_EU, HOOLI, STARK = "umbrella", "umbrella-eu", "hooli", "stark"
MULTI_ACCOUNTS = (UMBRELLA, UMBRELLA_EU, ACME)

TICKET_JANE = 1001
TICKET_NO_EMAIL = 1002
TICKET_UNKNOWN_REQUESTER = 1003
TICKET_OPS = 1004
TICKET_SAM = 1005
TICKET_AFTER_MIDNIGHT = 1006
TICKET_PRIVATE = 1007
TICKET_MULTI = 1008
TICKET_FORBIDDEN = 1009
TICKET_RESELLER = 1010

# A reseller's admin who belongs to many accounts (the bot queries the first 10, whatever the count).
RESELLER = "reseller@partner.example"
_PARTNER_ACCOUNTS = [
    (
        f"partner-{i:02d}",
        f"Partner Client {i:02d}",
        f"client{i:02d}.partner.example",
        "Business",
        "Ines Moreau",
        30 + 7 * i,
        False,
    )
    for i in range(1, 10)
]
RESELLER_ACCOUNTS = (ACME, *(a[0] for a in _PARTNER_ACCOUNTS), GLOBEX, INITECH)
# A visitor ID a URL path cannot carry (an identity provider's "realm/user" form).
SLASH_VISITOR_ID = "okta/kim.park"
SLASH_EMAIL = "kim.park@acme.example"

EventKind = Literal["page", "feature", "trackType", "guide", "untagged"]
# RawEvent.friction: a rage, dead or error click (feature clicks; "dead" also on page loads), a U-turn back
# to a page (page loads only).
FRICTION_KINDS = ("rage", "dead", "error", "uturn")
JANE_BILLING_RECORDING = "rec-jane-billing"  # her recorded session before ticket 1001
JANE_TODAY_RECORDING = "rec-jane-today"  # her recorded session after the last midnight
ACME_FRICTION_PAGE = "page-reports"  # where three other Acme visitors hit friction in the last 30 days
RENEWAL_FIELD = "custom/renewaldate"  # account metadata, "time" (a date): PENDO_RENEWAL_FIELD in a sample run
Profile = Literal["daily", "weekly", "monthly", "inactive", "dormant", "heavy", "jane"]
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One event as the browser agent recorded it. `object_id` is None for untagged pages."""

    ts: int
    visitor_id: str
    account_id: str | None
    kind: EventKind
    object_id: str | None
    url: str | None
    app_id: int = APP_ID
    friction: str | None = None  # one of FRICTION_KINDS: this click or page load was a frustration signal
    recording: str | None = None  # the recordingSessionId of the recorded session holding the event


@dataclass
class Workspace:
    """Everything the fakes serve. Dicts are in wire format; the fakes index them at app creation."""

    now_ms: int
    timezone: str  # the subscription's IANA time zone: Pendo cuts days at its midnight
    events: list[RawEvent]  # ascending by ts
    visitors: dict[str, Json]  # id -> GET /api/v1/visitor/{id} body
    accounts: dict[str, Json]  # id -> GET /api/v1/account/{id} body
    pages: list[Json]
    features: list[Json]
    track_types: list[Json]
    guides: list[Json]
    visitor_schema: dict[str, dict[str, Json]]
    account_schema: dict[str, dict[str, Json]]
    poll_events: list[Json]  # pollEvents rows as Pendo's aggregation returns them (see surveys.py)
    zendesk_users: dict[int, Json]
    zendesk_organizations: dict[int, Json]
    zendesk_groups: dict[int, Json]
    zendesk_custom_statuses: dict[int, Json]  # the account has custom ticket statuses turned on
    tickets: dict[int, Json]
    forbidden_ticket_ids: frozenset[int]

    @property
    def last_midnight_ms(self) -> int:
        """The most recent midnight of the subscription's time zone at or before `now_ms`."""
        return local_midnight(self.now_ms, self.timezone)


def local_midnight(ts_ms: int, tz: str, days: int = 0) -> int:
    """Epoch ms of local midnight of the day containing `ts_ms` in `tz`, moved by `days` local days.

    Days are calendar days: 23 or 25 hours long across a daylight-saving change.
    """
    zone = ZoneInfo(tz)
    day: date = datetime.fromtimestamp(ts_ms / 1000, zone).date() + timedelta(days=days)
    return int(datetime.combine(day, time(0), zone).timestamp() * 1000)


def local_hour(ts_ms: int, tz: str) -> int:
    """Epoch ms of the start of the local hour containing `ts_ms` in `tz` (a UTC hour unless the zone's
    offset is not a whole number of hours)."""
    moment = datetime.fromtimestamp(ts_ms / 1000, ZoneInfo(tz))
    return int(moment.replace(minute=0, second=0, microsecond=0).timestamp() * 1000)


# --- catalog ------------------------------------------------------------------------------------------
# (slug, name, path, weight, features [(slug, name)])
# fmt: off
_PAGES: list[tuple[str, str, str, int, list[tuple[str, str]]]] = [
    ("dashboard", "Dashboard", "/dashboard", 30, [
        ("dashboard-date-filter", "Dashboard date filter"), ("add-widget", "Add widget"),
        ("refresh-dashboard", "Refresh dashboard")]),
    ("reports", "Reports", "/reports", 14, [("export-csv", "Export CSV"), ("schedule-report", "Schedule report")]),
    ("report-builder", "Report builder", "/reports/new", 6, [("save-report", "Save report"), ("add-chart", "Add chart")]),
    ("invoices", "Invoices list", "/billing/invoices", 5, [
        ("download-invoice-pdf", "Download invoice PDF"), ("filter-invoices", "Filter invoices")]),
    ("billing-settings", "Billing settings", "/settings/billing", 3, [
        ("update-payment-method", "Update payment method"), ("change-plan", "Change plan"),
        ("cancel-subscription", "Cancel subscription")]),
    ("team-members", "Team members", "/settings/team", 4, [
        ("invite-teammate", "Invite teammate"), ("change-role", "Change teammate role")]),
    ("user-profile", "User profile", "/settings/profile", 3, [
        ("upload-avatar", "Upload avatar"), ("change-password", "Change password")]),
    ("integrations", "Integrations", "/settings/integrations", 2, [
        ("connect-slack", "Connect Slack"), ("connect-salesforce", "Connect Salesforce")]),
    ("projects", "Projects list", "/projects", 16, [
        ("create-project", "Create project"), ("archive-project", "Archive project")]),
    ("project-detail", "Project overview", "/projects/{n}", 12, [("share-project", "Share project")]),
    ("task-board", "Task board", "/projects/{n}/board", 18, [("create-task", "Create task"), ("move-task", "Move task")]),
    ("calendar", "Calendar", "/calendar", 6, [("create-event", "Create calendar event")]),
    ("notification-settings", "Notification settings", "/settings/notifications", 2, [
        ("toggle-email-notifications", "Toggle email notifications")]),
    ("help-center", "Help center", "/help", 3, [
        ("search-help", "Search help articles"), ("contact-support", "Contact support")]),
    ("onboarding", "Onboarding checklist", "/welcome", 2, [("complete-onboarding-step", "Complete onboarding step")]),
]
# fmt: on
_TRACK_TYPES = [
    ("report-exported", "Report exported"),
    ("teammate-invited", "Teammate invited"),
    ("project-created", "Project created"),
    ("integration-connected", "Integration connected"),
    ("payment-method-updated", "Payment method updated"),
]
# A successful click on these features also sends a track event.
_TRACKED_FEATURES = {
    "export-csv": "report-exported",
    "invite-teammate": "teammate-invited",
    "create-project": "project-created",
    "connect-slack": "integration-connected",
    "connect-salesforce": "integration-connected",
}
_GUIDES = [
    ("welcome-tour", "Welcome tour"),
    ("report-builder-launch", "New report builder announcement"),
    ("nps-survey", "NPS survey"),
    ("nps-mobile", "NPS survey (mobile)"),
]
# The subscription's other apps, whose pages and features are named like the web app's: Pendo's own
# Zendesk app counts features by name (merging these), the bot counts them by id.
# (app id, URL prefix, [(page slug, name, [(feature slug, name)])])
# fmt: off
_OTHER_APPS: list[tuple[int, str, list[tuple[str, str, list[tuple[str, str]]]]]] = [
    (MOBILE_APP_ID, "https://m.sample-saas.example", [
        ("mobile-task-board", "Task board", [("mobile-create-task", "Create task"), ("mobile-move-task", "Move task")]),
        ("mobile-dashboard", "Dashboard", [("mobile-add-widget", "Add widget"),
                                           ("mobile-refresh-dashboard", "Refresh dashboard")]),
    ]),
    (EXTENSION_APP_ID, "https://extension.sample-saas.example", [
        ("extension-popup", "Quick capture", [("extension-create-task", "Create task"),
                                              ("extension-export-csv", "Export CSV")]),
    ]),
]
# fmt: on
_UNTAGGED_PATHS = [
    "/settings/billing/legacy",
    "/admin/debug?panel=cache",
    "/beta/ai-assistant",
    "/reports/export?format=xlsx",
]


_ID_PREFIX = {"page": "page", "feature": "feature", "trackType": "track", "guide": "guide"}


def page_id(slug: str) -> str:
    return f"page-{slug}"


def feature_id(slug: str) -> str:
    return f"feature-{slug}"


def track_type_id(slug: str) -> str:
    return f"track-{slug}"


def guide_id(slug: str) -> str:
    return f"guide-{slug}"


_FEATURE_PAGE = {f: p for p, _, _, _, feats in _PAGES for f, _ in feats}
# Feature id -> the id of the page it is on, in every app: a click's friction is also its page's.
FEATURE_PAGE_IDS: dict[str, str] = {feature_id(f): page_id(p) for f, p in _FEATURE_PAGE.items()} | {
    feature_id(f): page_id(p)
    for _, _, app_pages in _OTHER_APPS
    for p, _, feats in app_pages
    for f, _ in feats
}
_PAGE_PATH = {p: path for p, _, path, _, _ in _PAGES}


def _catalogs(created_ms: int) -> tuple[list[Json], list[Json], list[Json], list[Json]]:
    def item(ident: str, name: str, kind: str, **extra: Any) -> Json:
        return {
            "id": ident,
            "name": name,
            "appId": APP_ID,
            "kind": kind,
            "createdAt": created_ms,
            "lastUpdatedAt": created_ms,
            **extra,
        }

    pages = [
        item(page_id(p), name, "Page", rules=[f"//*{path.replace('{n}', '*')}"])
        for p, name, path, _, _ in _PAGES
    ]
    features = [
        item(feature_id(f), name, "Feature", pageId=page_id(p), appWide=False)
        for p, _, _, _, feats in _PAGES
        for f, name in feats
    ]
    for app, _, app_pages in _OTHER_APPS:
        pages += [item(page_id(p), name, "Page", appId=app) for p, name, _ in app_pages]
        features += [
            item(feature_id(f), name, "Feature", pageId=page_id(p), appWide=False, appId=app)
            for p, _, feats in app_pages
            for f, name in feats
        ]
    tracks = [item(track_type_id(t), name, "TrackType") for t, name in _TRACK_TYPES]
    guides = [
        item(
            guide_id(g),
            name,
            "Guide",
            state="public",
            polls=surveys.GUIDE_POLLS.get(guide_id(g), []),
            **({"appId": MOBILE_APP_ID} if g == "nps-mobile" else {}),
        )
        for g, name in _GUIDES
    ]
    return pages, features, tracks, guides


def _field(type_: str, name: str, hidden: bool = False) -> Json:
    return {"Type": type_, "DisplayName": name, "isHidden": hidden}


VISITOR_SCHEMA: dict[str, dict[str, Json]] = {
    "auto": {
        "id": _field("string", "Visitor ID"),
        "idhash": _field("integer", "ID Hash", hidden=True),
        "accountid": _field("string", "Account ID"),
        "accountids": _field("list", "Account IDs"),
        "firstvisit": _field("time", "First Visit"),
        "lastvisit": _field("time", "Last Visit"),
        "lastupdated": _field("time", "Last Updated", hidden=True),
        "lastbrowsername": _field("string", "Most recent browser name"),
        "lastbrowserversion": _field("string", "Most recent browser version"),
        "lastoperatingsystem": _field("string", "Most recent operating system"),
        "lastservername": _field("string", "Most recent server name"),
    },
    "agent": {
        "email": _field("string", "Email"),
        "name": _field("string", "Name"),
        "role": _field("string", "Role"),
        "language": _field("string", "Language"),
    },
    "custom": {"planlevel": _field("string", "Plan Level")},
    "pendo": {"donotprocess": _field("boolean", "Do Not Process", hidden=True)},
}
ACCOUNT_SCHEMA: dict[str, dict[str, Json]] = {
    "auto": {
        "id": _field("string", "Account ID"),
        "idhash": _field("integer", "ID Hash", hidden=True),
        "firstvisit": _field("time", "First Visit"),
        "lastvisit": _field("time", "Last Visit"),
        "lastupdated": _field("time", "Last Updated", hidden=True),
    },
    "agent": {"name": _field("string", "Name")},
    "custom": {
        "planlevel": _field("string", "Plan Level"),
        "renewaldate": _field("time", "Renewal Date"),
        "csm": _field("string", "Customer Success Manager"),
    },
    "pendo": {"donotprocess": _field("boolean", "Do Not Process", hidden=True)},
}

# --- accounts and visitors ----------------------------------------------------------------------------
# (id, name, email domain, plan, CSM, days until renewal, do not process)
_ACCOUNTS = [
    (ACME, "Acme Corp", "acme.example", "Enterprise", "Dana Whitaker", 20, False),
    (GLOBEX, "Globex Corporation", "globex.example", "Business", "Marcus Chen", 120, False),
    (INITECH, "Initech", "initech.example", "Business", "Marcus Chen", 200, False),
    (INITECH_LABS, "Initech Labs", "labs.initech.example", "Starter", "Marcus Chen", 20, False),
    (UMBRELLA, "Umbrella Corporation", "umbrella.example", "Enterprise", "Dana Whitaker", 300, False),
    (UMBRELLA_EU, "Umbrella Europe", "eu.umbrella.example", "Enterprise", "Ines Moreau", 300, False),
    (HOOLI, "Hooli", "hooli.example", "Enterprise", "Ines Moreau", 90, False),
    (STARK, "Stark Industries", "stark.example", "Enterprise", "Dana Whitaker", 150, True),
    ("wayne", "Wayne Enterprises", "wayne.example", "Business", "Ines Moreau", 60, False),
    ("soylent", "Soylent", "soylent.example", "Starter", "Marcus Chen", 10, False),
    ("cyberdyne", "Cyberdyne Systems", "cyberdyne.example", "Trial", "Dana Whitaker", 14, False),
]
# An account whose name differs from Acme's only in case (no visitors, no events): `/pendo account acme
# corp` finds both and offers a choice.
ACME_NAMESAKE = "acme-holdings"
_NAMESAKE_ACCOUNTS = [
    (ACME_NAMESAKE, "ACME CORP", "acme-holdings.example", "Starter", "Ines Moreau", 75, False)
]
# fmt: off
_BROWSERS = [("Chrome", "125.0.6422", "Mac OS X"), ("Firefox", "126.0", "Windows"), ("Safari", "17.4", "Mac OS X"),
             ("Edge", "124.0.2478", "Windows"), ("Chrome", "124.0.6367", "Linux")]
_FIRST = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kai", "Logan", "Mina",
          "Noor", "Omar", "Parker", "Quinn", "Riley", "Rowan", "Sage", "Taylor", "Uma", "Vera", "Wes", "Yara",
          "Zane", "Hugo", "Ivan", "Lena", "Maya"]
_LAST = ["Adams", "Baker", "Chavez", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Kowalski",
         "Larsen", "Moreno", "Novak", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka", "Varga", "Weber", "Young"]
# fmt: on
_ROLES = ["admin", "member", "member", "member", "billing", "viewer"]
_LANGUAGES = ["en_US", "en_US", "en_GB", "de_DE", "fr_FR", "ja_JP", "es_ES"]


@dataclass
class _Person:
    id: str
    email: str
    name: str
    accounts: list[str]
    profile: Profile
    role: str = "member"
    language: str = "en_US"
    donotprocess: bool = False
    browser: tuple[str, str, str] = _BROWSERS[0]
    work_start_hour: int = 8


def _people(rng: random.Random) -> list[_Person]:
    named = [
        _Person(JANE, JANE, "Jane Doe", [ACME], "jane", role="admin"),
        _Person(POWER_USER, POWER_USER, "Priya Natarajan", [ACME], "heavy", role="admin"),
        _Person(MULTI, MULTI, "Morgan Ellis", list(MULTI_ACCOUNTS), "weekly", language="en_GB"),
        _Person(SOLO, SOLO, "Sol Ortega", [], "monthly", language="es_ES"),
        _Person(PRIVATE, PRIVATE, "Pat Hendricks", [HOOLI], "weekly", donotprocess=True),
        _Person(DORMANT, DORMANT, "Dale Whitfield", [GLOBEX], "dormant"),
        _Person(TONY, TONY, "Tony Stark", [STARK], "weekly", role="admin"),
        _Person(OPS_VISITOR_IDS[0], OPS, "Initech Ops", [INITECH], "daily", role="admin"),
        _Person(OPS_VISITOR_IDS[1], OPS, "Initech Ops (Labs)", [INITECH_LABS], "weekly", role="admin"),
        _Person(SAM_VISITOR_ID, SAM, "Sam Lee", [GLOBEX], "daily", language="en_US"),
    ]
    mix: list[tuple[Profile, int]] = [("daily", 8), ("weekly", 14), ("monthly", 10), ("inactive", 8)]
    profiles = [profile for profile, n in mix for _ in range(n)]
    rng.shuffle(profiles)
    layouts = [True] * 18 + [False] * 22  # True: the visitor ID is the email
    rng.shuffle(layouts)
    filler_accounts = [a[0] for a in _ACCOUNTS if a[0] != STARK]
    domains = {a[0]: a[2] for a in _ACCOUNTS}
    names = rng.sample([(f, s) for f in _FIRST for s in _LAST], len(profiles))
    people = list(named)
    next_uid = 1002
    for i, (profile, email_id, (first, last)) in enumerate(zip(profiles, layouts, names, strict=True)):
        account = filler_accounts[i % len(filler_accounts)]
        email = f"{first}.{last}@{domains[account]}".lower()
        ident = email if email_id else f"u-{next_uid}"
        next_uid += 0 if email_id else 1
        people.append(
            _Person(
                ident,
                email,
                f"{first} {last}",
                [account],
                profile,
                role=rng.choice(_ROLES),
                language=rng.choice(_LANGUAGES),
            )
        )
    for person in people:
        person.browser = rng.choice(_BROWSERS)
        person.work_start_hour = rng.randint(6, 14)
    # Added after the random draws above, so the other visitors' data does not depend on it.
    people.append(
        _Person(RESELLER, RESELLER, "Rene Salazar", list(RESELLER_ACCOUNTS), "weekly", role="admin")
    )
    people.append(_Person(SLASH_VISITOR_ID, SLASH_EMAIL, "Kim Park", [ACME], "weekly"))
    return people


# --- activity -------------------------------------------------------------------------------------------
def _active_days(rng: random.Random, profile: Profile) -> list[int]:
    """Day offsets before today (0 = today) on which the visitor used the product."""
    recent = range(1, 30)
    earlier = range(30, HISTORY_DAYS)

    def some(days: Iterable[int], p: float) -> list[int]:
        return [d for d in days if rng.random() < p]

    match profile:
        case "heavy":
            return list(range(HISTORY_DAYS))
        case "daily":
            return (
                ([0] if rng.random() < 0.8 else [])
                + rng.sample(recent, rng.randint(16, 26))
                + some(earlier, 0.7)
            )
        case "weekly":
            return (
                ([0] if rng.random() < 0.3 else [])
                + rng.sample(recent, rng.randint(6, 11))
                + some(earlier, 0.35)
            )
        case "jane":  # today and yesterday are scripted
            return rng.sample(range(2, 30), 12) + some(earlier, 0.45)
        case "monthly":
            return rng.sample(recent, rng.randint(1, 3)) + some(earlier, 0.08)
        case "inactive":
            return rng.sample(range(35, HISTORY_DAYS), rng.randint(5, 20))
        case "dormant":
            return rng.sample(range(40, HISTORY_DAYS), 14)


_SESSIONS: dict[Profile, tuple[int, int]] = {
    "heavy": (5, 8),
    "daily": (2, 4),
    "jane": (1, 3),
    "weekly": (1, 3),
    "monthly": (1, 2),
    "inactive": (1, 2),
    "dormant": (1, 2),
}


class _Recorder:
    """Draws sessions: page loads, feature clicks on that page, track events, guides, untagged pages."""

    def __init__(self, rng: random.Random, now_ms: int) -> None:
        self.rng = rng
        self.now_ms = now_ms
        self.events: list[RawEvent] = []
        self._page_slugs = [p[0] for p in _PAGES]
        self._page_weights = list(itertools.accumulate(p[3] for p in _PAGES))
        self._features = {p[0]: [f for f, _ in p[4]] for p in _PAGES}

    def emit(
        self, ts: int, who: _Person, account: str | None, kind: EventKind, slug: str | None, path: str
    ) -> None:
        if ts >= self.now_ms:
            return
        object_id = f"{_ID_PREFIX[kind]}-{slug}" if kind != "untagged" else None
        if "{n}" in path:
            path = path.replace("{n}", str(1000 + hash_id(who.id) % 900))
        self.events.append(RawEvent(ts, who.id, account, kind, object_id, "https://" + APP_HOST + path))

    def session(self, who: _Person, start: int, pages: int) -> int:
        """One visit starting at `start`; returns the time of its last event."""
        rng, t = self.rng, start
        account = rng.choice(who.accounts) if who.accounts else None
        if rng.random() < 0.04:
            self.emit(
                t, who, account, "guide", rng.choice(["report-builder-launch", "nps-survey"]), "/dashboard"
            )
            t += rng.randint(5, 40) * 1000
        for _ in range(pages):
            if rng.random() < 0.05:
                self.emit(t, who, account, "untagged", None, rng.choice(_UNTAGGED_PATHS))
                t += rng.randint(20, 120) * 1000
                continue
            page = rng.choices(self._page_slugs, cum_weights=self._page_weights)[0]
            path = _PAGE_PATH[page]
            self.emit(t, who, account, "page", page, path)
            for _ in range(rng.choices(range(5), cum_weights=[3, 7, 10, 12, 13])[0]):
                t += rng.randint(3, 75) * 1000
                feature = rng.choice(self._features[page])
                self.emit(t, who, account, "feature", feature, path)
                if feature in _TRACKED_FEATURES and rng.random() < 0.8:
                    t += 1000
                    self.emit(t, who, account, "trackType", _TRACKED_FEATURES[feature], path)
            t += rng.randint(10, 150) * 1000
        return t

    def day(self, who: _Person, day_start: int) -> None:
        low, high = _SESSIONS[who.profile]
        t = day_start + who.work_start_hour * HOUR_MS + self.rng.randint(0, 59) * MINUTE_MS
        for _ in range(self.rng.randint(low, high)):
            if t >= day_start + DAY_MS:
                break
            pages = self.rng.randint(10, 18) if who.profile == "heavy" else self.rng.randint(2, 6)
            end = self.session(who, t, pages)
            t = end + self.rng.randint(15, 150) * MINUTE_MS

    def script(
        self,
        who: _Person,
        account: str | None,
        steps: list[tuple[EventKind, str]],
        lo: int,
        hi: int,
        path: str = "/dashboard",
    ) -> None:
        """Scripted steps ending just before `hi`, never before `lo`, at most 90 s apart."""
        spacing = max(1, min(90_000, (hi - lo) // (len(steps) + 1)))
        for i, (kind, slug) in enumerate(steps):
            ts = -(-(hi - spacing * (len(steps) - i)) // 1000) * 1000  # whole seconds, rounded up
            path = _PAGE_PATH[slug] if kind == "page" else path
            if lo <= ts < hi:
                if kind == "untagged":
                    self.emit(ts, who, account, kind, None, slug)
                else:
                    self.emit(ts, who, account, kind, slug, path)


def _other_app_events(
    rng: random.Random, people: list[_Person], now_ms: int, timezone: str
) -> list[RawEvent]:
    """Short sessions in the mobile app and the browser extension for a few visitors (never Jane), drawn
    from their own generator so that the web app's events stay as they were."""
    users = [p for p in people if p.profile in ("heavy", "daily", "weekly") and p.id != JANE][:12]
    out: list[RawEvent] = []
    for who in users:
        account = who.accounts[0] if who.accounts else None
        for offset in sorted(rng.sample(range(0, 60), rng.randint(3, 12))):
            t = local_midnight(now_ms, timezone, -offset) + 4 * HOUR_MS + rng.randint(0, 50) * MINUTE_MS
            app, prefix, app_pages = rng.choice(_OTHER_APPS)
            slug, _, feats = rng.choice(app_pages)
            out.append(RawEvent(t, who.id, account, "page", page_id(slug), f"{prefix}/{slug}", app))
            for _ in range(rng.randint(1, 3)):
                t += rng.randint(5, 60) * 1000
                feature, _ = rng.choice(feats)
                out.append(
                    RawEvent(t, who.id, account, "feature", feature_id(feature), f"{prefix}/{slug}", app)
                )
    return [e for e in out if e.ts < now_ms]


Stories = dict[str, list[RawEvent]]


def _scripted(
    rec: _Recorder, people: dict[str, _Person], now: int, midnight: int, ticket_1006_ms: int, tz: str
) -> Stories:
    """The stories the demo and tests tell: Jane's billing trouble, activity across local midnight.

    Returns Jane's scripted events by story ("evening", "billing", "today") for the signals post-pass.
    """
    jane, power = people[JANE], people[POWER_USER]
    stories: Stories = {}

    def told(name: str, start: int) -> None:
        stories[name] = stories.get(name, []) + rec.events[start:]

    # Jane, yesterday evening (inside the last 24 h, before the most recent midnight).
    start = len(rec.events)
    rec.script(
        jane,
        ACME,
        [
            ("page", "dashboard"),
            ("feature", "dashboard-date-filter"),
            ("page", "reports"),
            ("feature", "export-csv"),
            ("trackType", "report-exported"),
        ],
        max(now - DAY_MS + 1, midnight - 45 * MINUTE_MS),
        midnight,
    )
    told("evening", start)
    # Jane, the billing trouble just before ticket 1001 (created two hours ago), in two parts placed as one
    # script of 90 s steps: Billing settings and the Invoices list, then the help center. The first part
    # (page loads and their friction clicks, 7 min 50 s) ends earlier when a local hour would start inside
    # it, so each page load shares its hour row with its clicks whatever `now`.
    ticket = now - 2 * HOUR_MS
    lo, hi = ticket - 40 * MINUTE_MS, ticket - MINUTE_MS
    billing_hi = hi - 4 * 90_000
    first, last = billing_hi - 6 * 90_000, billing_hi - 90_000 + 20_000
    if (boundary := local_hour(last + 1_000, tz)) > first:  # (the script rounds times up to a second)
        billing_hi -= last + 1_000 - boundary + 2_000
    start = len(rec.events)
    rec.script(
        jane,
        ACME,
        [
            ("page", "billing-settings"),
            ("feature", "update-payment-method"),
            ("feature", "update-payment-method"),
            ("feature", "update-payment-method"),
            ("page", "invoices"),
            ("feature", "download-invoice-pdf"),
        ],
        lo,
        billing_hi,
    )
    # Two more clicks, not in the 90 s rhythm: "Change plan" 10 s after the last "Update payment method"
    # (a fourth rage click on the page) and "Filter invoices" 20 s after the PDF download (an error click).
    clicks = [e for e in rec.events[start:] if e.kind == "feature"]
    for after, slug, page, delay in [
        ("update-payment-method", "change-plan", "billing-settings", 10_000),
        ("download-invoice-pdf", "filter-invoices", "invoices", 20_000),
    ]:
        ts = max(e.ts for e in clicks if e.object_id == feature_id(after)) + delay
        rec.emit(ts, jane, ACME, "feature", slug, _PAGE_PATH[page])
    rec.script(
        jane,
        ACME,
        [
            ("untagged", "/settings/billing/legacy"),
            ("page", "help-center"),
            ("feature", "search-help"),
            ("feature", "contact-support"),
        ],
        lo,
        hi,
    )
    told("billing", start)
    # Jane, after the most recent midnight.
    start = len(rec.events)
    rec.script(
        jane,
        ACME,
        [
            ("page", "dashboard"),
            ("guide", "report-builder-launch"),
            ("page", "report-builder"),
            ("feature", "add-chart"),
            ("feature", "save-report"),
        ],
        midnight,
        now - min(20 * MINUTE_MS, (now - midnight) // 2),
    )
    told("today", start)
    # The heavy user exports a report on both sides of midnight, then files ticket 1006.
    export: list[tuple[EventKind, str]] = [
        ("page", "reports"),
        ("feature", "export-csv"),
        ("trackType", "report-exported"),
        ("feature", "export-csv"),
    ]
    rec.script(power, ACME, export, midnight - 30 * MINUTE_MS, midnight)
    rec.script(power, ACME, export, midnight, ticket_1006_ms)
    return stories


# --- frustration signals and session replays ------------------------------------------------------------
_SESSION_GAP_MS = 30 * MINUTE_MS
_JANE_FRICTION = {
    feature_id("update-payment-method"): "rage",
    feature_id("change-plan"): "rage",
    feature_id("download-invoice-pdf"): "error",
    feature_id("filter-invoices"): "error",
}


def _signals(events: list[RawEvent], stories: Stories, now: int, tz: str) -> list[RawEvent]:
    """`events` (ascending) with friction and recordings set (see the module docstring); drawn from a
    generator of their own, so every event keeps its time, kind and object."""
    rng = random.Random(SEED + 2)
    friction: dict[int, str | None] = {}
    recording: dict[int, str] = {}
    for i, e in enumerate(events):
        if e.app_id != APP_ID:
            continue
        if e.kind == "feature" and rng.random() < 0.03:
            friction[i] = rng.choices(("rage", "dead", "error"), weights=(6, 3, 2))[0]
        elif e.kind == "page" and rng.random() < 0.02:
            friction[i] = rng.choices(("uturn", "dead"), weights=(2, 1))[0]
    at = {id(e): i for i, e in enumerate(events)}
    # Jane's last day is scripted: no drawn friction, the billing trouble's clicks, two recordings.
    for name, story in stories.items():
        for e in story:
            i = at[id(e)]
            friction[i] = _JANE_FRICTION.get(e.object_id or "") if name == "billing" else None
            if name == "billing":
                recording[i] = JANE_BILLING_RECORDING
            elif name == "today":
                recording[i] = JANE_TODAY_RECORDING
    # Three other Acme visitors, on their last two visits to Reports in the last 30 days: a U-turn back to
    # the page, a rage click and a dead click on it.
    since = local_midnight(now, tz, -29)
    by_visitor: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        if e.app_id == APP_ID:
            by_visitor.setdefault(e.visitor_id, []).append(i)
    visits: dict[str, list[int]] = {}
    for visitor, indexes in by_visitor.items():
        if visitor in (JANE, POWER_USER):
            continue
        for n, i in enumerate(indexes):
            e = events[i]
            if (
                e.ts >= since
                and e.account_id == ACME
                and e.kind == "page"
                and e.object_id == ACME_FRICTION_PAGE
            ):
                visits.setdefault(visitor, []).append(n)
    chosen = sorted(visits, key=lambda v: (-len(visits[v]), v))[:3]
    for visitor in chosen:
        indexes = by_visitor[visitor]
        for n in visits[visitor][-2:]:
            friction[indexes[n]] = "uturn"
            following = itertools.takewhile(
                lambda i: events[i].kind in ("feature", "trackType"), indexes[n + 1 :]
            )
            clicks = [i for i in following if events[i].kind == "feature"]
            for i, kind in zip(clicks, ("rage", "dead"), strict=False):
                friction[i] = kind
    # Every web session of the heavy user is recorded.
    session_start: int | None = None
    last_ts = 0
    for i in by_visitor.get(POWER_USER, []):
        e = events[i]
        if session_start is None or e.ts - last_ts >= _SESSION_GAP_MS:
            session_start = e.ts
        last_ts = e.ts
        recording[i] = f"rec-{hash_id(f'{POWER_USER}:{session_start}'):08x}"
    return [
        replace(e, friction=friction.get(i), recording=recording.get(i))
        if friction.get(i) or i in recording
        else e
        for i, e in enumerate(events)
    ]


def _visitor_json(who: _Person, events: list[RawEvent], plans: dict[str, str]) -> Json:
    browser, version, os_name = who.browser
    auto: Json = {"id": who.id, "idhash": hash_id(who.id), "accountids": list(who.accounts)}
    if who.accounts:
        auto["accountid"] = who.accounts[0]
    if events:
        auto |= {"firstvisit": events[0].ts, "lastvisit": events[-1].ts, "lastupdated": events[-1].ts}
    auto |= {
        "lastbrowsername": browser,
        "lastbrowserversion": version,
        "lastoperatingsystem": os_name,
        "lastservername": APP_HOST,
    }
    return {
        "id": who.id,
        "accountIds": list(who.accounts),
        "displayName": who.name,
        "metadata": {
            "auto": auto,
            "agent": {"email": who.email, "name": who.name, "role": who.role, "language": who.language},
            "custom": {"planlevel": plans[who.accounts[0]] if who.accounts else "Free"},
            "pendo": {"donotprocess": who.donotprocess},
        },
    }


def hash_id(value: str) -> int:
    """A stable 32-bit hash (Python's `hash` is salted per process)."""
    h = 2166136261
    for byte in value.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def _account_json(
    spec: tuple[str, str, str, str, str, int, bool],
    events: list[RawEvent],
    midnight: int,
) -> Json:
    ident, name, _, plan, csm, renewal_days, donotprocess = spec
    auto: Json = {"id": ident, "idhash": hash_id(ident)}
    if events:
        auto |= {"firstvisit": events[0].ts, "lastvisit": events[-1].ts, "lastupdated": events[-1].ts}
    metadata: Json = {
        "auto": auto,
        "agent": {"name": name},
        "custom": {"planlevel": plan, "renewaldate": midnight + renewal_days * DAY_MS, "csm": csm},
        "pendo": {"donotprocess": donotprocess},
    }
    return {"id": ident, "metadata": metadata}


# --- Zendesk --------------------------------------------------------------------------------------------
ZENDESK_URL = f"https://{SAMPLE_ZENDESK_SUBDOMAIN}.zendesk.com/api/v2"


def iso(ms: int) -> str:
    """Zendesk's timestamp format: ISO-8601 UTC with a Z, whole seconds."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# With custom statuses on, a ticket's `status` is only the category; agents see the custom status's
# `agent_label`, matched on the ticket's `custom_status_id` (sideload `include=custom_statuses`).
# (id, status_category, agent_label, end_user_label, default for its category)
_CUSTOM_STATUSES = [
    (360000000001, "new", "New", "Open", True),
    (360000000002, "open", "Open", "Open", True),
    (360000000003, "pending", "Pending", "Awaiting your reply", True),
    (360000000004, "hold", "On-hold", "Open", True),
    (360000000005, "solved", "Solved", "Solved", True),
    (360000000009, "open", "Escalated to engineering", "In progress", False),
]
CUSTOM_STATUS_BY_CATEGORY = {cat: sid for sid, cat, _, _, default in _CUSTOM_STATUSES if default}
ESCALATED_STATUS_ID = 360000000009


def _custom_statuses(created: str) -> dict[int, Json]:
    return {
        sid: {
            "url": f"{ZENDESK_URL}/custom_statuses/{sid}.json",
            "id": sid,
            "status_category": category,
            "agent_label": agent_label,
            "end_user_label": end_user_label,
            "description": "",
            "end_user_description": "",
            "active": True,
            "default": default,
            "created_at": created,
            "updated_at": created,
        }
        for sid, category, agent_label, end_user_label, default in _CUSTOM_STATUSES
    }


def _zendesk(
    now: int, ticket_1006_ms: int
) -> tuple[dict[int, Json], dict[int, Json], dict[int, Json], dict[int, Json], dict[int, Json]]:
    created = iso(now - 400 * DAY_MS)
    groups = {
        gid: {
            "url": f"{ZENDESK_URL}/groups/{gid}.json",
            "id": gid,
            "is_public": True,
            "name": name,
            "description": desc,
            "default": gid == 360001,
            "deleted": False,
            "created_at": created,
            "updated_at": created,
        }
        for gid, name, desc in [(360001, "Tier 1", "First line support"), (360002, "Tier 2", "Escalations")]
    }
    orgs: dict[int, Json] = {
        oid: {
            "url": f"{ZENDESK_URL}/organizations/{oid}.json",
            "id": oid,
            "name": name,
            "shared_tickets": False,
            "shared_comments": False,
            "external_id": None,
            "created_at": created,
            "updated_at": created,
            "domain_names": [domain],
            "details": None,
            "notes": None,
            "group_id": None,
            "tags": [],
            "organization_fields": {},
        }
        for oid, name, domain in [
            (5100000001, "Acme Corp", "acme.example"),
            (5100000002, "Initech", "initech.example"),
            (5100000003, "Globex Corporation", "globex.example"),
            (5100000004, "Hooli", "hooli.example"),
            (5100000005, "Umbrella Corporation", "umbrella.example"),
        ]
    }
    acme, initech, globex, hooli, umbrella = orgs

    def user(uid: int, name: str, email: str | None, org: int | None, role: str = "end-user") -> Json:
        return {
            "id": uid,
            "url": f"{ZENDESK_URL}/users/{uid}.json",
            "name": name,
            "email": email,
            "created_at": created,
            "updated_at": created,
            "time_zone": "Eastern Time (US & Canada)",
            "iana_time_zone": "America/New_York",
            "phone": None if email else "+15550100142",
            "photo": None,
            "locale": "en-US",
            "organization_id": org,
            "role": role,
            "verified": email is not None,
            "external_id": None,
            "tags": [],
            "active": True,
            "suspended": False,
            "user_fields": {},
        }

    users = {
        u["id"]: u
        for u in [
            user(4100000000001, "Alex Rivera", "alex.rivera@sample-support.example", None, "agent"),
            user(4100000000002, "Kim Nguyen", "kim.nguyen@sample-support.example", None, "agent"),
            user(4100000001001, "Jane Doe", JANE, acme),
            user(4100000001002, "Caller +1 555-010-0142", None, None),
            user(4100000001003, "No Body", NOBODY, None),
            user(4100000001004, "Initech Ops", OPS, initech),
            user(4100000001005, "Sam Lee", SAM.lower(), globex),
            user(4100000001006, "Priya Natarajan", POWER_USER, acme),
            user(4100000001007, "Pat Hendricks", PRIVATE, hooli),
            user(4100000001008, "Morgan Ellis", MULTI, umbrella),
            user(4100000001009, "Bruce Wayne", "bruce@wayne.example", None),
            user(4100000001010, "Rene Salazar", RESELLER, None),
        ]
    }
    alex, kim = 4100000000001, 4100000000002
    tier1, tier2 = groups

    def ticket(
        tid: int,
        created_ms: int,
        subject: str,
        status: str,
        priority: str | None,
        type_: str | None,
        requester: int,
        *,
        submitter: int | None = None,
        assignee: int | None = alex,
        group: int | None = tier1,
        org: int | None = None,
        tags: list[str] | None = None,
        channel: str = "web",
        custom_status_id: int | None = None,
    ) -> Json:
        source: Json = {"from": {}, "to": {}, "rel": None}
        who = users[requester]
        if channel == "email":
            source = {
                "from": {"address": who["email"], "name": who["name"]},
                "to": {
                    "address": f"support@{SAMPLE_ZENDESK_SUBDOMAIN}.zendesk.com",
                    "name": "Sample Support",
                },
                "rel": None,
            }
        elif channel == "voice":
            source = {
                "from": {"formatted_phone": "+1 (555) 010-0142", "phone": "+15550100142"},
                "to": {"formatted_phone": "+1 (555) 010-0100", "phone": "+15550100100"},
                "rel": "inbound",
            }
        updated = min(now, created_ms + 17 * MINUTE_MS)
        return {
            "url": f"{ZENDESK_URL}/tickets/{tid}.json",
            "id": tid,
            "external_id": None,
            "via": {"channel": channel, "source": source},
            "created_at": iso(created_ms),
            "updated_at": iso(updated),
            "generated_timestamp": updated // 1000,
            "type": type_,
            "subject": subject,
            "raw_subject": subject,
            "description": f"{subject}\n\nSent from the sample helpdesk.",
            "priority": priority,
            "status": status,
            "recipient": None,
            "requester_id": requester,
            "submitter_id": submitter or requester,
            "assignee_id": assignee,
            "organization_id": org,
            "group_id": group,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "due_at": None,
            "tags": tags or [],
            "custom_fields": [],
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "custom_status_id": custom_status_id or CUSTOM_STATUS_BY_CATEGORY.get(status),
            "followup_ids": [],
            "ticket_form_id": 360000000100,
            "brand_id": 360000000200,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": channel == "native_messaging",
        }

    jane, caller, nobody, ops, sam, power, private, multi, bruce, reseller = range(
        4100000001001, 4100000001011
    )
    # fmt: off
    tickets = [
        ticket(TICKET_JANE, now - 2 * HOUR_MS, "Can't update our credit card", "open", "high", "question", jane,
               org=acme, tags=["billing", "enterprise"]),
        ticket(TICKET_NO_EMAIL, now - 5 * HOUR_MS, "Call from +1 555-010-0142", "new", None, None, caller,
               submitter=kim, assignee=None, channel="voice"),
        ticket(TICKET_UNKNOWN_REQUESTER, now - 27 * HOUR_MS, "Question about pricing", "pending", "normal",
               "question", nobody, assignee=kim, channel="email"),
        ticket(TICKET_OPS, now - 26 * HOUR_MS, "SSO login loop for our team", "open", "normal", "incident", ops,
               org=initech, group=tier2, tags=["sso"], channel="email"),
        ticket(TICKET_SAM, now - 3 * DAY_MS, "Dashboard widgets show no data", "hold", "low", "problem", sam,
               org=globex, assignee=kim, channel="api"),
        ticket(TICKET_AFTER_MIDNIGHT, ticket_1006_ms, "CSV export never finishes", "new", "normal", "incident", power,
               org=acme, assignee=None, tags=["export"], channel="web_widget"),
        ticket(TICKET_PRIVATE, now - 2 * DAY_MS, "Please delete my data", "solved", "normal", "task", private,
               org=hooli, assignee=kim, tags=["gdpr"], channel="email"),
        ticket(TICKET_MULTI, now - 45 * MINUTE_MS, "Reports missing for the EU team", "open", "urgent",
               "problem", multi, org=umbrella, group=tier2, tags=["vip"], channel="native_messaging",
               custom_status_id=ESCALATED_STATUS_ID),
        ticket(TICKET_FORBIDDEN, now - 4 * HOUR_MS, "Confidential: security review", "open", "high", "task", bruce,
               group=tier2, tags=["restricted"]),
        ticket(TICKET_RESELLER, now - 3 * HOUR_MS, "Billing for all our clients", "open", "normal", "question",
               reseller, assignee=kim, channel="email"),
    ]
    # fmt: on
    return users, orgs, groups, {t["id"]: t for t in tickets}, _custom_statuses(created)


# --- assembly -------------------------------------------------------------------------------------------
def build_workspace(now_ms: int, timezone: str = DEFAULT_TIMEZONE) -> Workspace:
    """The sample workspace as seen at `now_ms` by a subscription in `timezone` (IANA name).

    The same arguments always give the same data. Days (work hours, "today", the stories around
    midnight) are the subscription's local days.
    """
    ZoneInfo(timezone)  # fail early on an unknown zone
    rng = random.Random(SEED)
    midnight = local_midnight(now_ms, timezone)
    ticket_1006_ms = midnight + min(7 * MINUTE_MS, (now_ms - midnight) // 2)
    people = _people(rng)
    rec = _Recorder(rng, now_ms)
    for who in people:
        for offset in sorted(_active_days(rng, who.profile), reverse=True):
            rec.day(who, local_midnight(now_ms, timezone, -offset))
    by_id = {p.id: p for p in people}
    stories = _scripted(rec, by_id, now_ms, midnight, ticket_1006_ms, timezone)
    first_visits: set[str] = set()
    # Everyone saw the welcome tour on their very first visit.
    events = sorted(rec.events, key=lambda e: (e.ts, e.visitor_id))
    for e in events:
        if e.visitor_id not in first_visits:
            first_visits.add(e.visitor_id)
            rec.emit(e.ts + 1000, by_id[e.visitor_id], e.account_id, "guide", "welcome-tour", "/welcome")
    rec.events += _other_app_events(random.Random(SEED + 1), people, now_ms, timezone)
    events = _signals(sorted(rec.events, key=lambda e: (e.ts, e.visitor_id)), stories, now_ms, timezone)

    by_visitor: dict[str, list[RawEvent]] = {}
    by_account: dict[str, list[RawEvent]] = {}
    for e in events:
        by_visitor.setdefault(e.visitor_id, []).append(e)
        if e.account_id:
            by_account.setdefault(e.account_id, []).append(e)
    plans = {a[0]: a[3] for a in (*_ACCOUNTS, *_PARTNER_ACCOUNTS)}
    pages, features, tracks, guides = _catalogs(midnight - 400 * DAY_MS)
    users, orgs, groups, tickets, custom_statuses = _zendesk(now_ms, ticket_1006_ms)
    acme_others = sorted(p.id for p in people[10:] if p.accounts == [ACME])
    named_ids = {"jane": JANE, "power": POWER_USER, "multi": MULTI, "dormant": DORMANT, "private": PRIVATE}
    answers = surveys.answers(
        now_ms, now_ms - 2 * HOUR_MS, named_ids | {"tony": TONY}, acme_others, MOBILE_APP_ID
    )
    poll_events = surveys.rows(answers, {p.id: list(p.accounts) for p in people}, now_ms)
    return Workspace(
        now_ms=now_ms,
        timezone=timezone,
        events=events,
        visitors={p.id: _visitor_json(p, by_visitor.get(p.id, []), plans) for p in people},
        accounts={
            a[0]: _account_json(a, by_account.get(a[0], []), midnight)
            for a in (*_ACCOUNTS, *_PARTNER_ACCOUNTS, *_NAMESAKE_ACCOUNTS)
        },
        pages=pages,
        features=features,
        track_types=tracks,
        guides=guides,
        visitor_schema=VISITOR_SCHEMA,
        account_schema=ACCOUNT_SCHEMA,
        poll_events=poll_events,
        zendesk_users=users,
        zendesk_organizations=orgs,
        zendesk_groups=groups,
        zendesk_custom_statuses=custom_statuses,
        tickets=tickets,
        forbidden_ticket_ids=frozenset({TICKET_FORBIDDEN}),
    )
