"""Customer lookups: one entry point per question, composed from concurrent Pendo calls.

"Who is this email" (`lookup`) and "who is this visitor" (`for_visitor_id`) both end in a
`VisitorFacts`. Parts run concurrently under one deadline; a part that fails becomes a labelled gap
and the rest is still shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from bot.deadline import Deadline, answer_deadline, current_deadline
from bot.domain import friction as friction_part
from bot.domain import nps as nps_part
from bot.domain import timeline as timeline_part
from bot.domain import usage as usage_part
from bot.domain.models import (
    AccountChoice,
    AccountFacts,
    AccountFigures,
    AccountNotFound,
    AccountNps,
    AccountSummary,
    AccountUsage,
    Ambiguous,
    Email,
    Gap,
    InvalidInput,
    Missing,
    NotFoundInPendo,
    NpsAnswer,
    Timeline,
    TimelinePage,
    VisitorFacts,
    VisitorProfile,
    VisitorUsage,
)
from bot.domain.resolver import Resolver, parse_email
from bot.http.errors import Reason, Unavailable, UpstreamError
from bot.pendo import queries
from bot.pendo.client import PendoClient
from bot.pendo.kinds import PendoKind, PendoLinks
from bot.pendo.models import Account, CatalogItem, MetadataSchema, Visitor
from bot.preferences.model import Choices
from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

LookupResult = VisitorFacts | Ambiguous | NotFoundInPendo
AccountResult = AccountFacts | AccountChoice | AccountNotFound
MAX_ACCOUNTS = 10  # accounts fetched per visitor; the rest are counted, not queried


def _now_ms() -> int:
    return int(time.time() * 1000)


class CustomerLookup:
    def __init__(self, pendo: PendoClient, settings: Settings, clock: Callable[[], int] = _now_ms) -> None:
        self.pendo = pendo
        self.settings = settings
        self.resolver = Resolver(pendo, settings.email_field)
        self._clock = clock
        self._base = settings.pendo_app_url
        self.links = PendoLinks(settings.pendo_app_url)
        self._not_nps_logged: set[str] = set()  # guides already named in the "no NPSRating poll" line
        self._friction_logged = False  # "Pendo's rows carry no friction counts", once per process
        self._friction_seen = False  # some row carried friction: an account without any has none

    def now_ms(self) -> int:
        return self._clock()

    # --- entry points -------------------------------------------------------------------------------
    async def lookup(
        self,
        text: str,
        *,
        anchor_ms: int | None = None,
        marker: str | None = None,
        choices: Choices | None = None,
        page: TimelinePage | None = None,
    ) -> LookupResult:
        """Email as typed (the command line, a ticket's requester) → `lookup_email`, parsed here, once.

        Raises InvalidInput before any upstream call.
        """
        return await self.lookup_email(
            parse_email(text), anchor_ms=anchor_ms, marker=marker, choices=choices, page=page
        )

    async def lookup_email(
        self,
        email: Email,
        *,
        anchor_ms: int | None = None,
        marker: str | None = None,
        choices: Choices | None = None,
        page: TimelinePage | None = None,
    ) -> LookupResult:
        """An email already parsed (`parse_email`) → context, a choice of visitors, or not found.

        Raises UpstreamError when the visitor itself cannot be fetched (without a visitor there is
        nothing to show). `choices`: the reader's (timeline kinds, fields, time zone); None: the
        workspace's.
        """
        with self._answer_deadline():
            resolved = await self._within(self.resolver.resolve(email))
            if isinstance(resolved, Visitor):
                return await self.visitor_facts(
                    resolved, anchor_ms=anchor_ms, marker=marker, email=email, choices=choices, page=page
                )
            return resolved

    async def for_visitor_id(
        self,
        visitor_id: str,
        *,
        anchor_ms: int | None = None,
        marker: str | None = None,
        choices: Choices | None = None,
        page: TimelinePage | None = None,
    ) -> VisitorFacts | NotFoundInPendo:
        with self._answer_deadline():
            visitor = await self._within(self.pendo.get_visitor(visitor_id))
            if visitor is None:
                return NotFoundInPendo(email=visitor_id, searched="visitor ID")
            return await self.visitor_facts(
                visitor, anchor_ms=anchor_ms, marker=marker, choices=choices, page=page
            )

    async def visitor_facts(
        self,
        visitor: Visitor,
        *,
        anchor_ms: int | None = None,
        marker: str | None = None,
        email: str | None = None,
        choices: Choices | None = None,
        page: TimelinePage | None = None,
    ) -> VisitorFacts:
        """Everything about one visitor, within the answer's deadline (`bot.deadline`).

        Pendo calls for a cold lookup, whatever the number of accounts: the visitor, one per-day
        aggregation covering both 30-day periods, features per day (top features and depth, both
        periods), top pages, the accounts' records (one `accounts` aggregation), their figures (one
        aggregation grouped by `accountId`), the survey answers (one `pollEvents` aggregation) and two
        history days: 9; plus, while not cached, the catalogs, the schemas and the guides seen or
        answered (names and polls).
        """
        with self._answer_deadline():
            return await self._visitor_facts(
                visitor, anchor_ms, marker, email, choices or Choices.workspace(self.settings), page
            )

    async def _visitor_facts(
        self,
        visitor: Visitor,
        anchor_ms: int | None,
        marker: str | None,
        email: str | None,
        choices: Choices,
        page: TimelinePage | None = None,
    ) -> VisitorFacts:
        now = self._clock()
        if visitor.do_not_process:
            return VisitorFacts(profile=self._profile(visitor, {}, email, choices), generated_at_ms=now)

        anchor = min(anchor_ms, now) if anchor_ms is not None else now
        # friction: the 24 h before a ticket, else the hours up to the visitor's latest visit
        ticket = anchor_ms is not None and marker is not None
        friction_end = anchor if ticket else visitor.meta_int("auto", "lastvisit")
        offset = self.pendo.day_offset()  # read once, so every part of this lookup asks the same windows
        parts = await asyncio.gather(
            self._or_default(self.pendo.schema("visitor"), {}, "visitor schema", within=True),
            self._part(self._usage(visitor.id, now, offset), "Usage figures"),
            self._accounts(visitor.all_account_ids[:MAX_ACCOUNTS], now, offset, choices),
            self._part(
                self._timeline(visitor.id, anchor, marker, now, offset, choices, page), "Recent activity"
            ),
            self._part(self._nps(visitor.id, now, offset, anchor), "Survey answers"),
            self._part(self._hours(visitor.id, friction_end), "Friction"),
        )
        schema, (used, usage_gap), accounts, (timed, timeline_gap), (answers, nps_gap), hours = parts
        usage, page_rows, feature_rows, today = used or (None, [], [], now)
        timeline, page_views = timed or (None, [])
        nps, recent_nps = answers or (None, None)
        hour_rows, friction_gap = hours
        self._note_gone_fields(choices.visitor_fields, self.settings.pendo_visitor_fields, schema)
        gaps = [g for g in (usage_gap, timeline_gap, nps_gap, friction_gap) if g]
        gaps += [a.gap.for_account(a.name) for a in accounts if a.gap]
        hidden = {a.id for a in accounts if a.opted_out}  # an opted-out account's rows show nothing

        def kept(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
            return [r for r in rows or [] if not (isinstance(a := r.get("accountId"), str) and a in hidden)]

        friction = None
        if hour_rows is not None and friction_end is not None:
            pages = await self._names(PendoKind.PAGE)
            trend = friction_part.trend(
                kept(page_rows), kept(feature_rows), pages, await self._names(PendoKind.FEATURE), today
            )
            friction = self._friction(
                visitor.id, kept(hour_rows), friction_end, ticket, page_views, pages, trend
            )
            if timeline is not None and friction is not None and ticket:
                timeline = timeline_part.with_friction(timeline, friction.spots)
        return VisitorFacts(
            profile=self._profile(visitor, schema, email, choices),
            generated_at_ms=now,
            usage=usage,
            accounts=list(accounts),
            timeline=timeline,
            gaps=gaps,
            nps=nps,
            anchor_ms=anchor if ticket else None,
            recent_nps=recent_nps,
            friction=friction,
        )

    # --- friction and replays ---------------------------------------------------------------------
    async def _hours(self, visitor_id: str, end_ms: int | None) -> list[dict[str, Any]]:
        """The visitor's page rows per hour for the 24 h ending at `end_ms` (one aggregation)."""
        if end_ms is None:
            return []
        return await self.pendo.aggregate("visitor-hours", queries.visitor_page_hours(visitor_id, end_ms))

    async def _names(self, kind: PendoKind) -> friction_part.Names:
        catalog = await self._or_default(self.pendo.catalog(kind), {}, f"{kind} catalog")
        return {
            i: (c.name or f"Unrecognized {kind.label}", self.links.item(kind, i)) for i, c in catalog.items()
        }

    def _friction(
        self,
        visitor_id: str,
        rows: list[dict[str, Any]],
        end_ms: int,
        ticket: bool,
        page_views: list[int],
        pages: friction_part.Names,
        trend: friction_part.Trend | None,
    ) -> friction_part.FrictionFacts | None:
        """Friction and replays from the hourly rows: the 24 h before the ticket, or the visitor's most
        recent session. None when Pendo collects no friction here (logged once per process)."""
        seen = friction_part.collected(rows)
        if seen is False and trend is None:
            if not self._friction_logged:
                self._friction_logged = True
                log.warning(
                    "Pendo's page rows carry no friction counts (rageClickCount, deadClickCount, "
                    "errorClickCount, uTurnCount): friction is not shown"
                )
            return None
        if seen is None and trend is None:
            return None  # no rows at all: nothing to say
        self._friction_seen = True
        last_seen = end_ms
        if ticket:
            start = end_ms - friction_part.BEFORE_TICKET_MS
            scope: Literal["ticket", "session"] = "ticket"
        else:  # the latest session Pendo's rows hold; the visitor's own last visit, if later, is not in them
            session = friction_part.session_window(rows)
            start, end_ms = session if session is not None else (end_ms, end_ms)
            # said only when it is a whole hour past the rows (a last click on a page loaded an hour
            # earlier has no row of its own)
            hours = [h for r in rows if (h := friction_part.hour_of(r)) is not None]
            covered = max(hours) + friction_part.HOUR_MS if hours else None
            page_views = (
                [last_seen] if covered is None or last_seen >= covered + friction_part.HOUR_MS else []
            )
            scope = "session"
        window = [
            r
            for r in rows
            if (hour := friction_part.hour_of(r)) is not None
            and start - friction_part.HOUR_MS < hour < end_ms
        ]
        spots = friction_part.hour_spots(window, pages, start, end_ms)
        sub = self.settings.pendo_subscription_id
        replays = (
            friction_part.replays(
                window,
                end_ms,
                lambda *args: friction_part.player_url(self._base, sub, *args),
                visitor_id,
            )
            if sub
            else []
        )
        return friction_part.FrictionFacts(
            scope=scope,
            start_ms=start,
            end_ms=end_ms,
            spots=spots,
            strongest=friction_part.strongest(spots),
            replays=replays,
            data_until_ms=friction_part.data_until(rows if not ticket else window, page_views, last_seen),
            trend=trend,
        )

    async def account(self, query: str, choices: Choices | None = None) -> AccountResult:
        """`/pendo account <id or name>`: the account with that ID, else the accounts with that name
        (ignoring case): one → its summary, several → a choice, none → not found."""
        query = (
            query.strip()
        )  # as typed: a name may hold a line break (matched either way, see name_spellings)
        if not query:
            raise InvalidInput("Give an account ID or name, e.g. `/pendo account Acme Corp`.")
        with self._answer_deadline():
            found = await self._within(self.pendo.accounts([query]))
            if query in found:
                return await self.account_facts(found[query], choices=choices)
            named = await self._within(self.pendo.accounts_named(query))
            if not named:
                return AccountNotFound(query=query)
            if len(named) == 1:
                return await self.account_facts(named[0], choices=choices)
            schema = await self._or_default(self.pendo.schema("account"), {}, "account schema", within=True)
        fields = list((choices or Choices.workspace(self.settings)).account_fields)
        return AccountChoice(
            query=query,
            accounts=[
                AccountSummary(
                    id=a.id,
                    name=a.display_name,
                    url=self.links.account(a.id),
                    opted_out=a.do_not_process,
                    fields=[] if a.do_not_process else usage_part.metadata_fields(a.metadata, fields, schema),
                )
                for a in sorted(named, key=lambda a: (a.display_name.casefold(), a.id))
            ],
        )

    async def for_account_id(
        self, account_id: str, choices: Choices | None = None
    ) -> AccountFacts | AccountNotFound:
        """The Open account button and a picked account: by ID only."""
        with self._answer_deadline():
            found = await self._within(self.pendo.accounts([account_id]))
            if account_id not in found:
                return AccountNotFound(query=account_id)
            return await self.account_facts(found[account_id], choices=choices)

    async def account_facts(self, account: Account, *, choices: Choices | None = None) -> AccountFacts:
        """One account's summary from its record plus a fixed set of queries, each scoped to this account
        and (but for the survey answers, 90 days) to one 30-day period: per-day events, the totals of both
        periods, the top visitors (then their records and those of who answered, one query), the features
        used (top features and depth), how many visitors used any, top pages and the survey answers. With
        the record: 10 Pendo calls, whatever the account's size; plus, while not cached, the account
        schema, the feature and page catalogs and the guides answered."""
        now = self._clock()
        fields = list((choices or Choices.workspace(self.settings)).account_fields)
        base = AccountFacts(
            id=account.id,
            name=account.display_name,
            url=self.links.account(account.id),
            generated_at_ms=now,
            opted_out=account.do_not_process,
        )
        if account.do_not_process:  # an opted-out account's ID never goes into an activity query
            return base
        with self._answer_deadline():
            (result, gap), schema = await asyncio.gather(  # the labels need not wait for the figures
                self._part(self._account_figures(account.id, now, self.pendo.day_offset()), "Usage figures"),
                self._or_default(self.pendo.schema("account"), {}, "account schema", within=True),
            )
        figures, nps, nps_gap, friction = result if result is not None else (None, None, None, None)
        return AccountFacts(
            id=base.id,
            name=base.name,
            url=base.url,
            generated_at_ms=now,
            fields=usage_part.metadata_fields(account.metadata, fields, schema),
            first_visit_ms=account.meta_int("auto", "firstvisit"),
            last_visit_ms=account.meta_int("auto", "lastvisit"),
            figures=figures,
            gaps=[g for g in (gap, nps_gap) if g],
            nps=nps,
            friction=friction,
        )

    async def _account_figures(
        self, account_id: str, now: int, offset: int | None
    ) -> tuple[AccountFigures, AccountNps | None, Gap | None, friction_part.AccountFriction | None]:
        """The figures, the account's NPS (None when nobody answered) and, when the survey answers could
        not be read, the gap that says so (the figures are shown all the same)."""
        first, both_first = usage_part.windows(now, offset)
        previous_first = both_first  # the 60 days start with the previous 30
        days, n = usage_part.WINDOW_DAYS, self.settings.top_items
        agg = self.pendo.aggregate
        nps_since = usage_part.window_start(now, offset, queries.ACCOUNT_NPS_DAYS)
        rows, (feature_cat, page_cat), (answers, nps_gap) = await asyncio.gather(
            asyncio.gather(
                agg("account-daily", queries.account_daily_activity(account_id, first)),
                agg("account-totals", queries.account_period_totals(account_id, first)),
                agg("account-totals", queries.account_period_totals(account_id, previous_first)),
                agg("account-top-visitors", queries.account_top_visitors(account_id, first, n)),
                agg("account-features", queries.account_feature_days(account_id, both_first, 2 * days)),
                agg("account-feature-visitors", queries.account_feature_visitors(account_id, first)),
                agg("account-top-pages", queries.account_top_objects("page", account_id, first, n)),
                agg("account-friction", queries.account_page_friction(account_id, first)),
            ),
            asyncio.gather(
                self._or_default(self.pendo.catalog("feature"), {}, "feature catalog"),
                self._or_default(self.pendo.catalog("page"), {}, "page catalog"),
            ),
            self._optional_part(self._account_nps_answers(account_id, nps_since), "Survey answers"),
        )
        daily, current, previous, visitors, features, feature_visitors, pages, friction_rows = rows
        # Pendo's window: the last 90 local days, today included
        answered = [a for a in answers or [] if a.account_id == account_id and a.ts_ms <= now]
        ids = [str(r["visitorId"]) for r in visitors if r.get("visitorId")]
        ids += sorted({a.visitor_id for a in answered} - set(ids))  # who answered: names, opt-outs
        records, records_gap = (
            await self._optional_part(self.pendo.visitors(ids), "Survey answers") if ids else ({}, None)
        )
        if records is None:  # names are a nicety, but without the records no opt-out can be honoured
            records, answered, nps_gap = {}, [], nps_gap or (records_gap if answered else None)
        counted = [
            a for a in answered if not (a.visitor_id in records and records[a.visitor_id].do_not_process)
        ]
        nps = nps_part.account_nps(counted, account_id, until_ms=now, days=queries.ACCOUNT_NPS_DAYS)
        if nps is not None:
            nps = nps_part.named(nps, self._who(records))
        learned = usage_part.day_offset(daily)
        today = usage_part.today_start(now, learned if learned is not None else offset)
        top_features, depth = usage_part.feature_days(features, today, feature_cat, n)
        figures = usage_part.account_figures(
            daily,
            today,
            current,
            previous,
            usage_part.account_visitors(visitors, records, self.settings.email_field),
            usage_part.top_items(top_features, feature_cat, self.links, PendoKind.FEATURE),
            usage_part.top_items(pages, page_cat, self.links, PendoKind.PAGE),
            depth,
            feature_visitors,
        )
        friction = None
        if friction_rows or self._friction_seen:  # no rows: none, or Pendo collects none (unknown yet)
            names = {
                i: (c.name or "Unrecognized page", self.links.item(PendoKind.PAGE, i))
                for i, c in page_cat.items()
            }
            friction = friction_part.account_friction(friction_rows, names)
            self._friction_seen = True
        return figures, nps, nps_gap, friction

    async def _account_nps_answers(self, account_id: str, since: int) -> list[NpsAnswer]:
        rows = await self.pendo.aggregate("account-nps", queries.account_poll_events(account_id, since))
        return await self._nps_answers(rows)

    async def _optional_part(self, work: Awaitable[T], label: str) -> tuple[T | None, Gap | None]:
        """(result, None), or on failure (None, the gap: `label` and the error) with the detail logged;
        no deadline of its own (`_part` adds one)."""
        try:
            return await work, None
        except UpstreamError as exc:
            log.warning("context part failed", extra={"part": label, "error": str(exc)})
            return None, Gap.of(label, exc)

    def _who(self, records: dict[str, Visitor]) -> dict[str, str]:
        """Visitor id → name or email, for the visitors the bot may name (never an opted-out one)."""
        out = {}
        for visitor_id, record in records.items():
            if record.do_not_process:
                continue
            email = record.meta(*self.settings.email_field) if self.settings.email_field else None
            who = record.name or email or (visitor_id if "@" in visitor_id else None)
            if who:
                out[visitor_id] = str(who)
        return out

    # --- parts ----------------------------------------------------------------------------------------
    def _answer_deadline(self) -> contextlib.AbstractContextManager[Deadline]:
        """The answer's deadline: the one already running (from the ack), else one starting now."""
        return answer_deadline(self.settings.lookup_deadline_seconds)

    async def _within(self, work: Awaitable[T]) -> T:
        """Await `work` until the answer's deadline; past it, fail as Pendo not answering in time."""
        deadline = current_deadline()
        if deadline is None:  # every entry point starts one; a caller from outside gets its own
            with self._answer_deadline():
                return await self._within(work)
        try:
            return await asyncio.wait_for(work, max(0.01, deadline.remaining()))
        except TimeoutError:
            raise Unavailable("Pendo", "overall deadline", timeout=deadline.seconds) from None

    async def _part(self, work: Awaitable[T], label: str) -> tuple[T | None, Gap | None]:
        """Run one part within the answer's deadline; on failure (None, its gap), the detail logged."""
        return await self._optional_part(self._within(work), label)

    def _note_gone_fields(
        self, chosen: tuple[str, ...], configured: list[str], schema: MetadataSchema
    ) -> None:
        """An agent's field that Pendo's schema no longer has shows nothing; one log line says so."""
        if not schema or list(chosen) == configured:
            return
        gone = [f for f in chosen if f.split("/", 1)[1] not in (schema.get(f.split("/", 1)[0]) or {})]
        if gone:
            log.warning("chosen metadata fields are no longer in Pendo's schema", extra={"fields": gone})

    def _profile(
        self, visitor: Visitor, schema: MetadataSchema, email: str | None, choices: Choices
    ) -> VisitorProfile:
        browser = " ".join(
            str(p)
            for p in (visitor.meta("auto", "lastbrowsername"), visitor.meta("auto", "lastbrowserversion"))
            if p
        )
        email_value = email
        if self.settings.email_field:
            email_value = visitor.meta(*self.settings.email_field) or email
        elif "@" in visitor.id:
            email_value = visitor.id
        opted_out = visitor.do_not_process
        return VisitorProfile(
            id=visitor.id,
            name=None if opted_out else visitor.name,
            email=email_value,
            account_ids=visitor.all_account_ids,
            first_visit_ms=None if opted_out else visitor.meta_int("auto", "firstvisit"),
            last_visit_ms=None if opted_out else visitor.meta_int("auto", "lastvisit"),
            browser=None if opted_out else (browser or None),
            os=None if opted_out else visitor.meta("auto", "lastoperatingsystem"),
            fields=[]
            if opted_out
            else usage_part.metadata_fields(visitor.metadata, list(choices.visitor_fields), schema),
            url=self.links.visitor(visitor.id),
            opted_out=opted_out,
        )

    async def _usage(
        self, visitor_id: str, now: int, offset: int | None
    ) -> tuple[VisitorUsage, list[dict[str, Any]], list[dict[str, Any]], int]:
        """The figures, and the page and feature rows per day they came from (their friction is the
        30-day line) with the subscription's start of today."""
        _, both_first = usage_part.windows(now, offset)
        days, n = usage_part.WINDOW_DAYS, self.settings.top_items
        agg = self.pendo.aggregate
        rows, features, pages, feature_cat, page_cat = await asyncio.gather(
            agg("visitor-daily", queries.visitor_daily_activity(visitor_id, both_first, 2 * days)),
            agg("visitor-features", queries.visitor_feature_days(visitor_id, both_first, 2 * days)),
            agg("visitor-pages", queries.visitor_page_days(visitor_id, both_first, 2 * days)),
            self._or_default(self.pendo.catalog("feature"), {}, "feature catalog"),
            self._or_default(self.pendo.catalog("page"), {}, "page catalog"),
        )
        learned = usage_part.day_offset(rows)
        today = usage_part.today_start(now, learned if learned is not None else offset)
        top_features, depth = usage_part.feature_days(features, today, feature_cat, n)
        top_pages, _, _ = usage_part.period_totals(pages, today, "pageId", n)
        usage = usage_part.visitor_usage(
            rows,
            today,
            usage_part.top_items(top_features, feature_cat, self.links, PendoKind.FEATURE),
            usage_part.top_items(top_pages, page_cat, self.links, PendoKind.PAGE),
            depth,
        )
        return usage, pages, features, today

    async def _nps(
        self, visitor_id: str, now: int, offset: int | None, anchor: int
    ) -> tuple[NpsAnswer | None, NpsAnswer | None]:
        """The visitor's latest NPS answer within 12 months, and the latest at or before the anchor (the
        detractor signal's): one `pollEvents` query, then the guides answered (names and polls, cached
        like the catalogs) when not already known."""
        since = usage_part.window_start(now, offset, queries.VISITOR_NPS_DAYS)
        rows = await self.pendo.aggregate("visitor-nps", queries.visitor_poll_events(visitor_id, since))
        found = await self._nps_answers(rows)
        # Pendo's window: the last 365 local days
        return nps_part.latest(found, until_ms=now), nps_part.latest(found, until_ms=anchor)

    async def _nps_answers(self, rows: list[dict[str, Any]]) -> list[NpsAnswer]:
        if not rows:
            return []
        guides = await self.pendo.guides(nps_part.guide_ids(rows))
        for guide_id in nps_part.unrecognised(guides):
            if guide_id not in self._not_nps_logged:  # once per guide and process
                self._not_nps_logged.add(guide_id)
                log.warning(
                    "an answered guide has several polls but none of type NPSRating: its answers are not "
                    "read as NPS (if it is an NPS survey, Pendo names the score poll differently)",
                    extra={"guide": guide_id},
                )
        return nps_part.answers(rows, nps_part.nps_polls(guides))

    async def _accounts(
        self, account_ids: list[str], now: int, offset: int | None, choices: Choices
    ) -> list[AccountSummary]:
        """Every account in two queries, whatever their number: records, then figures grouped by account
        (an opted-out account's ID never goes into an activity query)."""
        if not account_ids:
            return []
        urls = {a: self.links.account(a) for a in account_ids}
        (records, gap), schema = await asyncio.gather(
            self._part(self.pendo.accounts(account_ids), "Details"),
            self._or_default(self.pendo.schema("account"), {}, "account schema", within=True),
        )
        if records is None:
            return [AccountSummary(id=a, name=a, url=urls[a], gap=gap) for a in account_ids]
        active = [a for a in account_ids if a in records and not records[a].do_not_process]
        usage: dict[str, AccountUsage] = {}
        usage_gap = None
        if active:
            first, _ = usage_part.windows(now, offset)
            rows, usage_gap = await self._part(
                self.pendo.aggregate(
                    "accounts-activity", queries.accounts_activity(active, first, usage_part.WINDOW_DAYS)
                ),
                "Usage figures",
            )
            usage = usage_part.accounts_usage(rows, active) if rows is not None else {}
        out = []
        for a in account_ids:
            account = records.get(a)
            if account is None:
                out.append(AccountSummary(id=a, name=a, url=urls[a], gap=Gap(None, Missing.NOT_IN_PENDO)))
            elif account.do_not_process:
                out.append(AccountSummary(id=a, name=account.display_name, url=urls[a], opted_out=True))
            else:
                out.append(
                    AccountSummary(
                        id=a,
                        name=account.display_name,
                        url=urls[a],
                        usage=usage.get(a),
                        fields=usage_part.metadata_fields(
                            account.metadata, list(choices.account_fields), schema
                        ),
                        gap=usage_gap,
                        renewal_ms=self._renewal(account),
                    )
                )
        return out

    def _renewal(self, account: Account) -> int | None:
        """The account's renewal date (PENDO_RENEWAL_FIELD) as epoch ms: a Pendo date (epoch ms) or an
        ISO date; None when unset or unreadable."""
        where = self.settings.renewal_field
        value = (account.metadata.get(where[0]) or {}).get(where[1]) if where else None
        return usage_part.date_ms(value)

    async def _or_default(self, work: Awaitable[T], default: T, what: str, *, within: bool = False) -> T:
        """Names and labels are a nicety: without them items show as "Unrecognized …" or raw field names.
        `within`: stop waiting at the answer's deadline (else the part it belongs to does)."""
        try:
            return await (self._within(work) if within else work)
        except UpstreamError as exc:
            log.warning("optional part unavailable", extra={"part": what, "error": str(exc)})
            return default

    async def _timeline(
        self,
        visitor_id: str,
        anchor: int,
        marker: str | None,
        now: int,
        offset: int | None,
        choices: Choices,
        page: TimelinePage | None = None,
    ) -> tuple[Timeline, list[int]]:
        """[anchor - N h, anchor] from the history endpoint, right whichever day one call returns; and the
        times of its page views (what Pendo's hourly figures should cover: `friction.data_until`)."""
        start = anchor - self.settings.timeline_hours * 3_600_000
        if anchor < now - timeline_part.HISTORY_RETENTION_DAYS * queries.DAY_MS:
            raise HistoryExpired("Pendo", f"anchor older than {timeline_part.HISTORY_RETENTION_DAYS} days")
        starts = timeline_part.history_starts(start, anchor, offset)
        kinds = ["page", "feature", "trackType"]
        results: list[Any] = await asyncio.gather(
            *(self.pendo.history(visitor_id, s) for s in starts),
            *(self._or_default(self.pendo.catalog(kind), {}, f"{kind} catalog") for kind in kinds),
        )
        items = [item for day_items in results[: len(starts)] for item in day_items]
        catalogs: dict[str, dict[str, CatalogItem]] = dict(zip(kinds, results[len(starts) :], strict=True))
        shown = choices.history_types
        guide_ids = {
            i.guide_id
            for i in items
            if i.type == "guide" and "guide" in shown and i.guide_id and start <= i.ts <= anchor
        }
        guides = await self._or_default(self.pendo.guides(guide_ids), {}, "guide names") if guide_ids else {}
        catalogs["guide"] = dict(guides)
        page_views = sorted({i.ts for i in items if i.type == "page" and start <= i.ts <= anchor})
        return timeline_part.build_timeline(
            items,
            start_ms=start,
            anchor_ms=anchor,
            catalogs=catalogs,
            base_url=self._base,
            limit=self.settings.timeline_limit,
            kinds=shown,
            marker=marker,
            zone=choices.timezone,
            page=page,
        ), page_views


class HistoryExpired(UpstreamError):
    """The anchor is older than the visitor history Pendo keeps."""

    reason = Reason.HISTORY_EXPIRED  # its words say how long Pendo keeps history: bot.render.words
