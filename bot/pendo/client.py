"""Async client for the Pendo Engage API v1: one pooled httpx client, typed results, typed errors.

What the client relies on about Pendo, with the public source for each, is listed in docs/pendo-api.md
(shared/reference/pendo-api.md is the evidence file).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from bot.http.cache import TTLCache
from bot.http.client import BaseClient, WireModel
from bot.http.errors import AuthError, BadRequest, NotFound, Reason, UpstreamError
from bot.http.shared import cacheable
from bot.http.upstream import RetryPolicy, Sleep
from bot.pendo import queries
from bot.pendo.kinds import PendoKind
from bot.pendo.models import Account, CatalogItem, Guide, HistoryItem, MetadataSchema, Visitor

log = logging.getLogger(__name__)

T = TypeVar("T")
UPSTREAM = "Pendo"
KEY_SETTING = "PENDO_INTEGRATION_KEY"
DAY_OFFSET_KEY = ("pendo-day-offset",)


class _Aggregation(WireModel):
    results: list[Any]


_account = cacheable(Account)
_visitor = cacheable(Visitor)
_visitors = cacheable(list[Visitor] | None)
_items = cacheable(list[Any] | None)
_history_item = cacheable(HistoryItem)
_history_items = TypeAdapter(list[HistoryItem])
_catalog = cacheable(list[CatalogItem] | None)
_guides = cacheable(list[Guide] | None)
_schema = cacheable(MetadataSchema | None)
_schema_found = cacheable(MetadataSchema)
_catalog_by_id = cacheable(dict[str, CatalogItem])
_aggregation = cacheable(_Aggregation)
_anything = cacheable(Any)


def segment(value: str) -> str:
    """Percent-encode one URL path segment (an email's @ and + included, / never left raw)."""
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def path_safe(value: str) -> bool:
    """Whether an ID can travel as a path segment: servers and proxies often decode %2F (and treat a
    backslash as a slash) before routing, so an ID with either is looked up another way."""
    return "/" not in value and "\\" not in value


class PendoBadRequest(BadRequest):
    """HTTP 400: Pendo refused a request. With a key for another region's host, Pendo answers every
    request with 400 (not 401/403), so the hint names the region and the key as the likely fix."""

    reason = Reason.REGION_LIKELY


class PendoKeyRefused(AuthError):
    """HTTP 401 or 403: Pendo refused the integration key. Most often a key of another region's
    subscription (or one revoked or mistyped): a setup problem, so agents are told not to retry."""

    reason = Reason.KEY_REFUSED


class PendoKeyOrRegionRejected(PendoKeyRefused):
    """HTTP 400 from the key check: the key or the region (host) is likely wrong."""

    reason = Reason.KEY_OR_REGION


class PendoClient(BaseClient):
    """Knows Pendo's wire format and nothing of Slack. Catalogs, schemas and account records are cached."""

    upstream: ClassVar[str] = UPSTREAM

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        key: str,
        policy: RetryPolicy,
        cache: TTLCache,
        catalog_ttl: float = 3600,
        ttl: float = 300,
        sleep: Sleep | None = None,
    ) -> None:
        super().__init__(http, policy=policy, cache=cache, sleep=sleep)
        self._key = key
        self._catalog_ttl = catalog_ttl
        self._ttl = ttl
        self._guide_fetches: dict[str, asyncio.Task[dict[str, Guide]]] = {}  # guide id → its fetch now

    def _headers(self) -> dict[str, str]:
        return {"x-pendo-integration-key": self._key}

    def _region_hint(self) -> str:
        host = self._http.base_url.host or "?"
        return (
            f"a key for another region's Pendo gets HTTP 400 everywhere: check PENDO_REGION (requests go "
            f"to {host}) and the key's region suffix (.eu, .us, ...)"
        )

    def _refused_hint(self, status: int) -> str:
        host = self._http.base_url.host or "?"
        return (
            f"Pendo answered HTTP {status}: the integration key is refused, most often because it belongs "
            f"to another region's subscription (requests go to {host}; check PENDO_REGION and the key's "
            "region suffix such as .eu), else because it was revoked or mistyped: check "
            "PENDO_INTEGRATION_KEY with a Pendo admin"
        )

    def _classify(self, response: httpx.Response, route: str) -> UpstreamError | None:
        """Details name the status and route template only: the real path carries the customer's email
        or id, and the body may echo it."""
        status = response.status_code
        where = f"HTTP {status} from {route}"
        if status in (401, 403):
            return PendoKeyRefused(
                UPSTREAM, where, status=status, setting=KEY_SETTING, hint=self._refused_hint(status)
            )
        if status == 400:
            return PendoBadRequest(UPSTREAM, where, status=status, hint=self._region_hint())
        return None

    async def _read(
        self,
        method: str,
        path: str,
        route: str,
        adapter: TypeAdapter[T],
        *,
        ttl: float | None = None,
        params: dict[str, Any] | None = None,
        body: Any = None,
        on_fresh: Callable[[T], None] | None = None,
    ) -> T:
        """One read; identical reads within the TTL are answered from the cache (and coalesced).
        `on_fresh` sees the answers that come from Pendo itself, not those the cache repeats."""
        key = ("pendo", method, path, repr(sorted((params or {}).items())), repr(body))

        async def load() -> T:
            answer = await self._send(method, path, route, adapter, params=params, body=body)
            if on_fresh is not None:
                on_fresh(answer)
            return answer

        result: T = await self._cached(key, self._ttl if ttl is None else ttl, load, adapter)
        return result

    # --- visitors and accounts ------------------------------------------------------------------
    async def get_visitor(self, visitor_id: str) -> Visitor | None:
        """The visitor record, or None. An ID a path cannot carry is looked up by an aggregation filter."""
        if not path_safe(visitor_id):
            rows = await self.aggregate("visitor-by-id", queries.visitor_by_id(visitor_id))
            found = [self._visitor_row(r) for r in rows if str(r.get("visitorId")) == visitor_id]
            return found[0] if found else None
        try:
            return await self._read(
                "GET", f"/api/v1/visitor/{segment(visitor_id)}", "GET /api/v1/visitor/{id}", _visitor
            )
        except NotFound:
            return None

    def _visitor_row(self, row: dict[str, Any]) -> Visitor:
        data = {"id": str(row["visitorId"]), "metadata": row.get("metadata") or {}}
        return self._parse(_visitor, data, "visitor row")

    async def visitors_by_metadata(self, group: str, field: str, value: str) -> list[Visitor]:
        """Pendo's own lookup: the lower-cased index `_lc_<field>`, so matching ignores case.

        The endpoint is undocumented: a field without a lower-cased index may answer 400 or `[]`. Both
        give `[]` here, and the caller falls back to the exact-match search.
        """
        lc_field = field if field.startswith("_lc_") else f"_lc_{field}"
        refused = ("pendo-lc-refused", group, lc_field)
        if self._cache.get(refused):
            return []  # this field has no lower-cased index: asking again would be refused again
        path = f"/api/v1/visitor/metadata/{segment(group)}/{segment(lc_field)}/{segment(value.lower())}"
        try:
            found = await self._read(
                "GET", path, "GET /api/v1/visitor/metadata/{group}/{field}/{value}", _visitors
            )
        except NotFound:
            return []
        except BadRequest as exc:
            log.info("metadata lookup refused; using the exact-match search", extra={"error": exc.detail})
            self._cache.put(refused, True, self._catalog_ttl)
            return []
        return found or []

    async def search_visitors(self, group: str, field: str, values: list[str]) -> list[Visitor]:
        """Aggregation fallback for the metadata lookup: exact matches on any of `values`."""
        rows = await self.aggregate("visitor-by-field", queries.visitors_with_field(group, field, values))
        return [self._visitor_row(row) for row in rows if row.get("visitorId")]

    async def accounts(self, account_ids: list[str]) -> dict[str, Account]:
        """Several account records in one `accounts` aggregation; unknown IDs are absent. Account names and
        metadata change rarely: kept as long as the catalogs."""
        wanted = list(dict.fromkeys(account_ids))
        if not wanted:
            return {}
        rows = await self.aggregate("accounts", queries.accounts_by_id(wanted), ttl=self._catalog_ttl)
        out: dict[str, Account] = {}
        for row in rows:
            account_id = str(row.get("accountId") or "")
            if account_id in wanted:
                data = {"id": account_id, "metadata": row.get("metadata") or {}}
                out[account_id] = self._parse(_account, data, "account row")
        return out

    async def accounts_named(self, name: str, group: str = "agent", field: str = "name") -> list[Account]:
        """Accounts whose name field matches `name` ignoring case (see `queries.name_spellings`)."""
        rows = await self.aggregate("accounts-by-name", queries.accounts_named(group, field, name))
        wanted = " ".join(name.split()).casefold()
        out = []
        for row in rows:
            data = {"id": str(row.get("accountId") or ""), "metadata": row.get("metadata") or {}}
            account = self._parse(_account, data, "account row")
            value = account.meta(group, field)
            if account.id and isinstance(value, str) and " ".join(value.split()).casefold() == wanted:
                out.append(account)
        return out

    async def visitors(self, visitor_ids: list[str]) -> dict[str, Visitor]:
        """Several visitor records in one `visitors` aggregation; unknown IDs are absent."""
        wanted = list(dict.fromkeys(visitor_ids))
        if not wanted:
            return {}
        rows = await self.aggregate("visitors-by-id", queries.visitors_by_id(wanted))
        found = (self._visitor_row(r) for r in rows if r.get("visitorId"))
        return {v.id: v for v in found if v.id in wanted}

    async def history(self, visitor_id: str, starttime_ms: int) -> list[HistoryItem]:
        """One day of the visitor's activity log (which day exactly depends on Pendo's reading of
        `starttime`; the caller covers both). A malformed item is skipped and counted in the log."""
        raw = await self._read(
            "GET",
            f"/api/v1/visitor/{segment(visitor_id)}/history",
            "GET /api/v1/visitor/{id}/history",
            _items,
            params={"starttime": starttime_ms},
        )
        try:
            return _history_items.validate_python(raw or [])  # one call for the whole day, usually
        except ValidationError:
            pass
        items: list[HistoryItem] = []
        skipped = 0
        for entry in raw or []:
            try:
                items.append(_history_item.validate_python(entry))
            except ValidationError:
                skipped += 1
        if skipped:
            log.warning("skipped malformed history items", extra={"upstream": UPSTREAM, "skipped": skipped})
        return items

    async def aggregate(
        self, request_id: str, pipeline: queries.Pipeline, *, ttl: float | None = None
    ) -> list[dict[str, Any]]:
        """The result rows. Rows with a `day` teach the client the subscription's UTC offset: Pendo puts
        each day at the subscription's local midnight."""
        answer = await self._read(
            "POST",
            "/api/v1/aggregation",
            "POST /api/v1/aggregation",
            _aggregation,
            ttl=ttl,
            body=queries.envelope(f"pendo-slack-{request_id}", pipeline),
            on_fresh=self._learn_day_offset,
        )
        if self._cache.get(DAY_OFFSET_KEY) is None:
            self._learn_day_offset(answer)  # nothing known yet (restart, another instance loaded it)
        return [r for r in answer.results if isinstance(r, dict)]

    def _learn_day_offset(self, answer: _Aggregation) -> None:
        """Keep the offset of the newest `day` in a fresh answer when it disagrees with the one kept: an
        admin changed the subscription's time zone (or daylight saving began or ended). Answers the cache
        repeats are older and never teach: they would put a changed offset back."""
        days = [
            r["day"]
            for r in answer.results
            if isinstance(r, dict) and isinstance(r.get("day"), int) and not isinstance(r["day"], bool)
        ]
        if not days:
            return
        offset = max(days) % queries.DAY_MS
        known = self._cache.get(DAY_OFFSET_KEY)
        if known != offset:
            if known is not None:
                log.info(
                    "Pendo subscription's day offset changed: re-learned",
                    extra={"from_hours": known / 3_600_000, "to_hours": offset / 3_600_000},
                )
            self._cache.put(DAY_OFFSET_KEY, offset, self._catalog_ttl)

    def day_offset(self) -> int | None:
        """The subscription's offset from UTC (ms, 0..DAY_MS) learned from the last `day` values, if any."""
        value = self._cache.get(DAY_OFFSET_KEY)
        return value if isinstance(value, int) else None

    # --- catalogs and schema (cached) -------------------------------------------------------------
    async def catalog(self, kind: str) -> dict[str, CatalogItem]:
        """id → item for pages, features or track types, across all apps. Guides are never read whole
        (their objects carry step content and the catalog is large): see `guides`."""
        path = PendoKind(kind).catalog_path

        async def load() -> dict[str, CatalogItem]:
            items = await self._send(
                "GET", f"/api/v1/{path}", f"GET /api/v1/{path}", _catalog, params={"expand": "*"}
            )
            return {item.id: item for item in items or []}

        result: dict[str, CatalogItem] = await self._cached(
            ("pendo-catalog", kind), self._catalog_ttl, load, _catalog_by_id
        )
        return result

    async def guides(self, guide_ids: Iterable[str]) -> dict[str, Guide]:
        """Only the guides asked for (`GET /api/v1/guide?id=a,b`), with their polls, each kept as long as
        the catalogs: names for the timeline, NPS polls for the survey answers. A guide already being
        fetched (a cold lookup asks for NPS polls and timeline names at once) is waited for, not asked
        for again."""
        wanted = sorted(set(guide_ids))
        known: dict[str, Guide] = {}
        missing = []
        fetches: set[asyncio.Task[dict[str, Guide]]] = set()
        for guide_id in wanted:
            cached = self._cache.get(("pendo-guide", guide_id))
            if isinstance(cached, Guide):
                known[guide_id] = cached
            elif self._cache.get(("pendo-guide-missing", guide_id)):
                continue  # deleted (Pendo answered 404 for it alone): not asked for again for a while
            elif (running := self._guide_fetches.get(guide_id)) is not None:
                fetches.add(running)
            else:
                missing.append(guide_id)
        if missing:
            fetch = asyncio.ensure_future(self._fetch_guides(missing))
            self._guide_fetches.update(dict.fromkeys(missing, fetch))
            fetch.add_done_callback(lambda done: self._fetched(done, missing))
            fetches.add(fetch)
        for fetch in fetches:  # shielded: a caller that gives up leaves the fetch to the others
            found = await asyncio.shield(fetch)
            known.update({g: found[g] for g in wanted if g in found})
        return known

    async def _fetch_guides(self, ids: list[str]) -> dict[str, Guide]:
        """One batch read. Pendo answers a whole batch with 404 when one of its ids is gone (a deleted
        guide; Pendo's own Zendesk app hit it, pendo-io/zendo 7f48094): the ids are then read one at a
        time, and each id that alone gets 404 is remembered as missing for the catalogs' TTL."""
        try:
            items = await self._read(
                "GET",
                "/api/v1/guide",
                "GET /api/v1/guide?id=",
                _guides,
                params={"id": ",".join(ids), "expand": "*"},  # a guide of any app, as the catalogs
            )
        except NotFound:
            if len(ids) == 1:
                log.info("a guide asked for is gone (deleted): not asked for again for a while")
                self._cache.put(("pendo-guide-missing", ids[0]), True, self._catalog_ttl)
                return {}
            found: dict[str, Guide] = {}
            for part in await asyncio.gather(*(self._fetch_guides([one]) for one in ids)):
                found |= part
            return found
        found = {item.id: item for item in items or [] if item.id in ids}
        for item in found.values():
            self._cache.put(("pendo-guide", item.id), item, self._catalog_ttl)
        return found

    def _fetched(self, fetch: asyncio.Task[dict[str, Guide]], ids: list[str]) -> None:
        for guide_id in ids:
            if self._guide_fetches.get(guide_id) is fetch:
                del self._guide_fetches[guide_id]
        if not fetch.cancelled():
            fetch.exception()  # retrieved here too: a failure nobody waited for is not logged as lost

    async def schema(self, kind: str) -> MetadataSchema:
        """Metadata field descriptors (display names) for "visitor" or "account"."""

        async def load() -> MetadataSchema:
            found = await self._send(
                "GET", f"/api/v1/metadata/schema/{kind}", "GET /api/v1/metadata/schema/{kind}", _schema
            )
            return found or {}

        result: MetadataSchema = await self._cached(
            ("pendo-schema", kind), self._catalog_ttl, load, _schema_found
        )
        return result

    async def verify(self) -> None:
        """A fresh, uncached read that succeeds only if Pendo answers and accepts the key (readiness).

        A 400 here means the key or the region is likely wrong (Pendo answers 400 to a key used against
        another region's host)."""
        try:
            await self._send(
                "GET", "/api/v1/metadata/schema/visitor", "GET /api/v1/metadata/schema/{kind}", _anything
            )
        except BadRequest as exc:
            raise PendoKeyOrRegionRejected(
                UPSTREAM,
                f"{exc.detail} at the key check",
                status=400,
                setting=KEY_SETTING,
                hint=f"the key or the region is likely wrong: {self._region_hint()}",
            ) from exc


__all__ = ["PendoClient", "PendoKeyRefused", "path_safe", "segment"]
