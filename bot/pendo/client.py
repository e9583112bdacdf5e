"""Async client for the Pendo Engage API v1: one pooled httpx client, typed results, typed errors."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from bot.cache import TTLCache
from bot.pendo import queries
from bot.pendo.models import Account, CatalogItem, FieldSchema, HistoryItem, MetadataSchema, Visitor
from bot.upstream import (
    AuthError,
    BadResponse,
    NotFound,
    RetryPolicy,
    Sleep,
    UpstreamError,
    json_body,
    send_with_retry,
)

log = logging.getLogger(__name__)

UPSTREAM = "Pendo"
CATALOG_PATHS = {"page": "page", "feature": "feature", "trackType": "tracktype", "guide": "guide"}

_account = TypeAdapter(Account)
_visitor = TypeAdapter(Visitor)
_visitors = TypeAdapter(list[Visitor])
_history = TypeAdapter(list[HistoryItem])
_catalog = TypeAdapter(list[CatalogItem])
_schema = TypeAdapter(dict[str, dict[str, FieldSchema]])


def segment(value: str) -> str:
    """Percent-encode one URL path segment (an email's @ and + included, / never left raw)."""
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def _classify(response: httpx.Response, route: str) -> UpstreamError | None:
    """Map a non-2xx answer to a typed error. Details name the status and route template only: the real
    path carries the customer's email or id, and the body may echo it."""
    status = response.status_code
    where = f"HTTP {status} from {route}"
    if status in (401, 403):
        return AuthError(UPSTREAM, where, status=status, setting="PENDO_INTEGRATION_KEY")
    if status == 400:
        return BadResponse(UPSTREAM, where, status=status)
    return None


class PendoClient:
    """Knows Pendo's wire format and nothing of Slack. Catalogs and schemas are cached."""

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
        self._http = http
        self._key = key
        self._policy = policy
        self._cache = cache
        self._catalog_ttl = catalog_ttl
        self._ttl = ttl
        self._sleep = sleep
        self.calls = 0  # requests sent, retries included: what politeness tests count

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(
        self, method: str, path: str, route: str, ttl: float | None = None, **kwargs: Any
    ) -> Any:
        """Send one read; identical reads within the TTL are answered from the cache (and coalesced)."""
        key = ("pendo", method, path, json.dumps(kwargs, sort_keys=True, default=str))
        return await self._cache.get_or_load(
            key, self._ttl if ttl is None else ttl, lambda: self._send(method, path, route, **kwargs)
        )

    async def _send(self, method: str, path: str, route: str, **kwargs: Any) -> Any:
        """Send one request. `route` (e.g. `GET /api/v1/visitor/{id}`) names it in errors, never `path`."""

        def build() -> httpx.Request:
            self.calls += 1
            headers = {"x-pendo-integration-key": self._key, "content-type": "application/json"}
            return self._http.build_request(method, path, headers=headers, **kwargs)

        response = await send_with_retry(
            self._http,
            build,
            upstream=UPSTREAM,
            route=route,
            policy=self._policy,
            classify=lambda r: _classify(r, route),
            sleep=self._sleep or asyncio.sleep,
        )
        return json_body(response, UPSTREAM, what=route)

    @staticmethod
    def _parse(adapter: TypeAdapter[Any], data: Any, what: str) -> Any:
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise BadResponse(UPSTREAM, f"unexpected shape for {what}: {exc.error_count()} errors") from exc

    # --- visitors and accounts ------------------------------------------------------------------
    async def get_visitor(self, visitor_id: str) -> Visitor | None:
        try:
            data = await self._request(
                "GET", f"/api/v1/visitor/{segment(visitor_id)}", "GET /api/v1/visitor/{id}"
            )
        except NotFound:
            return None
        return self._parse(_visitor, data, "visitor")  # type: ignore[no-any-return]

    async def visitors_by_metadata(self, group: str, field: str, value: str) -> list[Visitor]:
        """Pendo's own lookup: the lower-cased index `_lc_<field>`, so matching ignores case."""
        lc_field = field if field.startswith("_lc_") else f"_lc_{field}"
        path = f"/api/v1/visitor/metadata/{segment(group)}/{segment(lc_field)}/{segment(value.lower())}"
        try:
            data = await self._request("GET", path, "GET /api/v1/visitor/metadata/{group}/{field}/{value}")
        except NotFound:
            return []
        if data is None:
            return []
        return self._parse(_visitors, data, "visitor list")  # type: ignore[no-any-return]

    async def search_visitors(self, group: str, field: str, values: list[str]) -> list[Visitor]:
        """Aggregation fallback for the metadata lookup: exact matches on any of `values`."""
        rows = await self.aggregate("visitor-by-field", queries.visitors_with_field(group, field, values))
        visitors = []
        for row in rows:
            if isinstance(row, dict) and row.get("visitorId"):
                data = {"id": str(row["visitorId"]), "metadata": row.get("metadata") or {}}
                visitors.append(self._parse(_visitor, data, "visitor row"))
        return visitors

    async def get_account(self, account_id: str) -> Account | None:
        """An account's name and metadata change rarely: kept as long as the catalogs, since the account's
        activity query waits for it (an opted-out account is never queried)."""
        try:
            data = await self._request(
                "GET",
                f"/api/v1/account/{segment(account_id)}",
                "GET /api/v1/account/{id}",
                ttl=self._catalog_ttl,
            )
        except NotFound:
            return None
        return self._parse(_account, data, "account")  # type: ignore[no-any-return]

    async def history(self, visitor_id: str, starttime_ms: int) -> list[HistoryItem]:
        """One day of the visitor's activity log, starting at `starttime_ms`."""
        data = await self._request(
            "GET",
            f"/api/v1/visitor/{segment(visitor_id)}/history",
            "GET /api/v1/visitor/{id}/history",
            params={"starttime": starttime_ms},
        )
        return self._parse(_history, data or [], "visitor history")  # type: ignore[no-any-return]

    async def aggregate(self, request_id: str, pipeline: queries.Pipeline) -> list[dict[str, Any]]:
        data = await self._request(
            "POST",
            "/api/v1/aggregation",
            "POST /api/v1/aggregation",
            json=queries.envelope(f"pendo-slack-{request_id}", pipeline),
        )
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise BadResponse(UPSTREAM, "aggregation answer has no results list")
        return [row for row in data["results"] if isinstance(row, dict)]  # a malformed row is skipped

    # --- catalogs and schema (cached) -------------------------------------------------------------
    async def catalog(self, kind: str) -> dict[str, CatalogItem]:
        """id → item for pages, features, track types or guides, across all apps."""
        path = CATALOG_PATHS[kind]

        async def load() -> dict[str, CatalogItem]:
            data = await self._send("GET", f"/api/v1/{path}", f"GET /api/v1/{path}", params={"expand": "*"})
            items: list[CatalogItem] = self._parse(_catalog, data or [], f"{path} catalog")
            return {item.id: item for item in items}

        return await self._cache.get_or_load(("pendo-catalog", kind), self._catalog_ttl, load)

    async def schema(self, kind: str) -> MetadataSchema:
        """Metadata field descriptors (display names) for "visitor" or "account"."""

        async def load() -> MetadataSchema:
            data = await self._send(
                "GET", f"/api/v1/metadata/schema/{kind}", "GET /api/v1/metadata/schema/{kind}"
            )
            return self._parse(_schema, data or {}, f"{kind} schema")  # type: ignore[no-any-return]

        return await self._cache.get_or_load(("pendo-schema", kind), self._catalog_ttl, load)

    async def verify(self) -> None:
        """A fresh, uncached read that succeeds only if Pendo answers and accepts the key (readiness)."""
        await self._send("GET", "/api/v1/metadata/schema/visitor", "GET /api/v1/metadata/schema/{kind}")
