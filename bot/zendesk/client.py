"""Async client for the Zendesk Support API: one ticket (with its people) per request, typed errors.

A ticket is fetched with its requester, assignee, organization, group and custom status sideloaded, so
one link costs one request; several tickets cost one `show_many` request per 100. Results are cached briefly per ticket
id (Slack sends the same link twice: once from the composer, once when posted).
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import TypeAdapter, ValidationError

from bot.http.cache import TTLCache
from bot.http.client import BaseClient
from bot.http.errors import AuthError, BadResponse, Forbidden, NotFound, Reason, UpstreamError
from bot.http.ratelimit import Budget
from bot.http.shared import cacheable
from bot.http.upstream import RetryPolicy, Sleep, http_client
from bot.settings import Settings
from bot.zendesk.models import (
    Comment,
    CustomStatus,
    Group,
    OpenTickets,
    Organization,
    Record,
    Ticket,
    TicketBundle,
    TicketField,
    Trigger,
    User,
    Webhook,
)

log = logging.getLogger(__name__)

UPSTREAM = "Zendesk"
# custom_statuses: with custom statuses on, `status` is only the category; agents see the label.
INCLUDE = "users,organizations,groups,custom_statuses"
SHOW_MANY_MAX = 100
COMMENT_PAGES = 50  # 5000 comments (a ticket's most) at 100 a page
FIELD_TTL = 3600.0  # ticket field definitions change rarely (an admin edits a drop-down's options)
UPDATE_WAIT = 10.0  # s a write may wait for the updates' budget
CREDENTIAL_SETTINGS = "ZENDESK_EMAIL/ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN"

# Zendesk has sent each of these spellings over the years; read them all.
REMAINING_HEADERS = ("x-rate-limit-remaining", "ratelimit-remaining", "rate-limit-remaining")
LIMIT_HEADERS = ("x-rate-limit", "ratelimit-limit", "rate-limit")
LOW_REMAINING_ABSOLUTE = 10
LOW_REMAINING_FRACTION = 0.1

M = TypeVar("M", bound=Record)
_bundle = cacheable(TicketBundle)  # what a cached ticket must be (shared entries are checked)
_field = cacheable(TicketField | None)
_object = TypeAdapter(dict[str, Any])
_object_or_empty = TypeAdapter(dict[str, Any] | None)
_webhook = TypeAdapter(Webhook)


# --- errors with Zendesk-specific facts (their sentences: bot.render.words) ---------------------------
class TicketNotFound(NotFound):
    def __init__(self, ticket_id: int, detail: str) -> None:
        super().__init__(UPSTREAM, detail, status=404, ticket_id=ticket_id)
        self.ticket_id: int = ticket_id


class ZendeskForbidden(Forbidden):
    """403: the credentials work, but the bot's Zendesk user may not read this ticket (or any: None)."""

    def __init__(self, ticket_id: int | None, detail: str) -> None:
        super().__init__(UPSTREAM, detail, status=403, setting=CREDENTIAL_SETTINGS, ticket_id=ticket_id)


class ZendeskAuthError(AuthError):
    """401: the credentials themselves are wrong, revoked or expired."""

    def __init__(self, detail: str) -> None:
        super().__init__(UPSTREAM, detail, status=401, setting=CREDENTIAL_SETTINGS)


def _ticket_classifier(ticket_id: int, route: str) -> Callable[[httpx.Response], UpstreamError | None]:
    """What 403 and 404 mean for a request about one ticket."""

    def classify(response: httpx.Response) -> UpstreamError | None:
        status = response.status_code
        where = f"HTTP {status} from {route}"
        if status == 403:
            return ZendeskForbidden(ticket_id, where)
        if status == 404:
            return TicketNotFound(ticket_id, where)
        return None

    return classify


def auth_header_from_settings(settings: Settings) -> str:
    """The Authorization header value: `Bearer {oauth}` if an OAuth token is set, else API-token basic auth."""
    if settings.zendesk_oauth_token is not None and settings.zendesk_oauth_token.get_secret_value():
        return f"Bearer {settings.zendesk_oauth_token.get_secret_value()}"
    if settings.zendesk_email and settings.zendesk_api_token is not None:
        return basic_auth_header(settings.zendesk_email, settings.zendesk_api_token.get_secret_value())
    raise ValueError(f"no Zendesk credentials: set {CREDENTIAL_SETTINGS}")


def basic_auth_header(email: str, api_token: str) -> str:
    """Zendesk API-token basic auth: base64 of `{email}/token:{api_token}`."""
    raw = f"{email}/token:{api_token}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _header_number(headers: httpx.Headers, names: Iterable[str]) -> int | None:
    values = []
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            values.append(int(float(raw.strip())))
        except ValueError:
            continue
    return min(values) if values else None


@functools.cache
def _adapter(model: type[M]) -> TypeAdapter[M]:
    """One validator per model, built once (building one costs more than using it)."""
    return TypeAdapter(model)


class ZendeskClient(BaseClient):
    """Knows Zendesk's wire format and nothing of Slack. Returns `TicketBundle`s, raises typed errors."""

    upstream: ClassVar[str] = UPSTREAM

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        auth_header: str,
        policy: RetryPolicy,
        cache: TTLCache,
        ttl: float,
        sleep: Sleep | None = None,
        host: str | None = None,
    ) -> None:
        """`host` is where agents open tickets (default: the API client's host)."""
        super().__init__(http, policy=policy, cache=cache, sleep=sleep)
        self._auth_header = auth_header
        self._ttl = ttl
        self.host = (host or http.base_url.host or "").lower()
        self.rate_limit_remaining: int | None = None  # from the last response that carried it
        self._rate_low = False  # the last answer left the budget low (warned once until it recovers)
        # Update Ticket and Add Tags, paced under Zendesk's per-account limit for them (deps sets it)
        self.updates: Budget | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        cache: TTLCache,
        policy: RetryPolicy,
        ttl: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
    ) -> ZendeskClient:
        """A client for the configured account, over `transport` if one is given."""
        return cls(
            http_client(settings.zendesk_api_url, settings.zendesk_timeout_seconds, transport),
            auth_header=auth_header_from_settings(settings),
            policy=policy,
            cache=cache,
            ttl=ttl,
            sleep=sleep,
            host=settings.zendesk_host,
        )

    def __repr__(self) -> str:
        return f"ZendeskClient(host={self.host!r})"  # never the auth header

    # --- what the base needs --------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"authorization": self._auth_header, "accept": "application/json"}

    def _classify(self, response: httpx.Response, route: str) -> UpstreamError | None:
        """Details name the status and route, never headers or body."""
        status = response.status_code
        where = f"HTTP {status} from {route}"
        if status == 401:
            return ZendeskAuthError(where)
        if status == 403:
            return ZendeskForbidden(None, where)
        return None

    def _observe(self, response: httpx.Response) -> None:
        """Remember the account's remaining budget and warn before Zendesk starts answering 429: once when
        the budget runs low, not on every answer while it stays low (a burst would log hundreds of lines)."""
        remaining = _header_number(response.headers, REMAINING_HEADERS)
        if remaining is None:
            return
        self.rate_limit_remaining = remaining
        limit = _header_number(response.headers, LIMIT_HEADERS)
        threshold = LOW_REMAINING_ABSOLUTE
        if limit:
            threshold = max(threshold, int(limit * LOW_REMAINING_FRACTION))
        was_low, self._rate_low = self._rate_low, remaining <= threshold
        if self._rate_low and not was_low:
            log.warning(
                "Zendesk rate limit nearly used up",
                extra={"upstream": UPSTREAM, "remaining": remaining, "limit": limit},
            )

    async def _get(self, path_and_query: str, route: str, ticket_id: int | None) -> dict[str, Any]:
        """GET one path; `route` (e.g. `GET /api/v2/tickets/{id}.json`) names it in errors."""
        classify = _ticket_classifier(ticket_id, route) if ticket_id is not None else None
        return await self._send("GET", path_and_query, route, _object, classify=classify)

    # --- parsing ---------------------------------------------------------------------------------------
    def _model(self, model: type[M], data: Any, what: str) -> M:
        adapter: TypeAdapter[M] = _adapter(model)
        return self._parse(adapter, data, what)

    @staticmethod
    def _sideload(data: dict[str, Any], key: str, model: type[M]) -> dict[int, M]:
        """id → record for one sideload array; a malformed record is skipped, not fatal."""
        raw = data.get(key)
        if raw is None:
            return {}
        if not isinstance(raw, list):
            raise BadResponse(UPSTREAM, f"sideload {key!r} is not a list")
        out: dict[int, M] = {}
        for item in raw:
            try:
                record = model.model_validate(item)
            except ValidationError:
                log.debug("skipping malformed %s sideload record", key)
                continue
            out[record.id] = record
        return out

    def _bundles(self, data: Any, tickets_raw: list[Any]) -> dict[int, TicketBundle]:
        users = self._sideload(data, "users", User)
        orgs = self._sideload(data, "organizations", Organization)
        groups = self._sideload(data, "groups", Group)
        statuses = self._sideload(data, "custom_statuses", CustomStatus)
        bundles: dict[int, TicketBundle] = {}
        for raw in tickets_raw:
            ticket = self._model(Ticket, raw, "ticket")
            bundles[ticket.id] = TicketBundle(
                ticket=ticket,
                requester=users.get(ticket.requester_id) if ticket.requester_id is not None else None,
                assignee=users.get(ticket.assignee_id) if ticket.assignee_id is not None else None,
                organization=orgs.get(ticket.organization_id) if ticket.organization_id is not None else None,
                group=groups.get(ticket.group_id) if ticket.group_id is not None else None,
                host=self.host,
                custom_status=(
                    statuses.get(ticket.custom_status_id) if ticket.custom_status_id is not None else None
                ),
            )
        return bundles

    # --- tickets ---------------------------------------------------------------------------------------
    async def get_ticket(self, ticket_id: int) -> TicketBundle:
        """One ticket with its people: a single `GET /api/v2/tickets/{id}.json?include=...`.

        Raises TicketNotFound, ZendeskForbidden, ZendeskAuthError, RateLimited, Unavailable, BadResponse.
        """
        ticket_id = _check_id(ticket_id)

        return await self._cache.get_or_load(
            ("zendesk-ticket", ticket_id), self._ttl, lambda: self._load_ticket(ticket_id), expect=_bundle
        )

    async def _load_ticket(self, ticket_id: int) -> TicketBundle:
        data = await self._get(
            f"/api/v2/tickets/{ticket_id}.json?include={INCLUDE}",
            "GET /api/v2/tickets/{id}.json",
            ticket_id,
        )
        if not isinstance(data.get("ticket"), dict):
            raise BadResponse(UPSTREAM, "show-ticket answer has no ticket object")
        bundle = self._bundles(data, [data["ticket"]]).get(ticket_id)
        if bundle is None:
            raise BadResponse(UPSTREAM, "show-ticket answer is for a different ticket id")
        return bundle

    async def get_tickets(self, ids: Iterable[int]) -> dict[int, TicketBundle]:
        """Several tickets: cached ones from the cache, the rest via `show_many` (≤100 ids per request).

        Ids Zendesk does not return (deleted, or not visible to the bot) are absent from the result.
        """
        wanted = list(dict.fromkeys(_check_id(i) for i in ids))
        found: dict[int, TicketBundle] = {}
        missing: list[int] = []
        for ticket_id in wanted:
            cached = self._cache.get(("zendesk-ticket", ticket_id))
            if isinstance(cached, TicketBundle):
                found[ticket_id] = cached
            else:
                missing.append(ticket_id)
        for start in range(0, len(missing), SHOW_MANY_MAX):
            chunk = tuple(missing[start : start + SHOW_MANY_MAX])

            async def load(chunk: tuple[int, ...] = chunk) -> dict[int, TicketBundle]:
                ids_param = ",".join(str(i) for i in chunk)
                data = await self._get(
                    f"/api/v2/tickets/show_many.json?ids={ids_param}&include={INCLUDE}",
                    "GET /api/v2/tickets/show_many.json",
                    None,
                )
                if not isinstance(data.get("tickets"), list):
                    raise BadResponse(UPSTREAM, "show-many answer has no tickets list")
                return self._bundles(data, data["tickets"])

            # ttl 0: identical concurrent batches share one request; results are kept per ticket below.
            loaded = await self._cache.get_or_load(("zendesk-show-many", chunk), 0, load)
            for ticket_id in chunk:
                bundle = loaded.get(ticket_id)
                if bundle is not None:
                    self._cache.put(("zendesk-ticket", ticket_id), bundle, self._ttl)
                    found[ticket_id] = bundle
        return {i: found[i] for i in wanted if i in found}

    async def open_tickets(self, email: str, limit: int = 5) -> OpenTickets:
        """The requester's unsolved tickets, newest first: one Search API call, `GET /api/v2/search.json`
        with `type:ticket requester:<email> status<solved` (`status<solved`: new, open, pending, hold),
        sorted by `created_at` desc, `limit` per page. Cached in this process only (the key is an email:
        never in Redis) for the client's ttl. Zendesk indexes a ticket within minutes of its creation
        (its Search reference), so one filed just now may be missing. An email Search cannot take as one
        term (blank, spaces, quotes) is not sent: no tickets."""
        email = email.strip().lower()
        if not email or any(c.isspace() or c in "\"'()" for c in email):
            return OpenTickets([], 0)
        query = quote(f"type:ticket requester:{email} status<solved", safe="")

        async def load() -> OpenTickets:
            data = await self._get(
                f"/api/v2/search.json?query={query}&sort_by=created_at&sort_order=desc&per_page={limit}",
                "GET /api/v2/search.json",
                None,
            )
            results = data.get("results")
            if not isinstance(results, list):
                raise BadResponse(UPSTREAM, "search answer has no results list")
            raw = [r for r in results if isinstance(r, dict) and r.get("result_type", "ticket") == "ticket"]
            bundles = list(self._bundles({}, raw).values())[:limit]
            count = data.get("count")
            return OpenTickets(bundles, count if isinstance(count, int) and count >= len(raw) else len(raw))

        return await self._cache.get_or_load(("zendesk-open-tickets", email, limit), self._ttl, load)

    # --- writes: the Pendo note, and the webhook and trigger that ask for it ----------------------------
    async def fresh_ticket(self, ticket_id: int) -> TicketBundle:
        """The ticket as it is now, never from the cache: a safe update needs its current `updated_at`."""
        bundle = await self._load_ticket(_check_id(ticket_id))
        self._cache.put(("zendesk-ticket", ticket_id), bundle, self._ttl)
        return bundle

    async def comment_pages(self, ticket_id: int) -> AsyncGenerator[list[Comment]]:
        """The ticket's comments newest first, one page of 100 at a time (cursor pagination: `page[size]`,
        then `links.next` while `meta.has_more`). Under cursor pagination the order is `sort=-created_at`
        (`sort_order` belongs to offset pagination: shared/reference/friction-replays-alerts.md Z5). A ticket holds at most 5000 comments, so at most
        COMMENT_PAGES pages are read; each page is its own request through the same rate budget. The
        caller stops early by leaving the loop (nothing further is requested).
        """
        ticket_id = _check_id(ticket_id)
        path: str | None = f"/api/v2/tickets/{ticket_id}/comments.json?sort=-created_at&page[size]=100"
        for _ in range(COMMENT_PAGES):
            if path is None:
                return
            data = await self._get(path, "GET /api/v2/tickets/{id}/comments.json", ticket_id)
            raw = data.get("comments")
            if not isinstance(raw, list):
                raise BadResponse(UPSTREAM, "list-comments answer has no comments list")
            yield [self._model(Comment, item, "comment") for item in raw]
            following = (data.get("links") or {}).get("next")
            more = (data.get("meta") or {}).get("has_more") is True
            path = _same_host_path(following) if more and isinstance(following, str) else None

    async def update_ticket(
        self, ticket_id: int, changes: dict[str, Any], *, updated_stamp: datetime | None
    ) -> None:
        """`PUT /api/v2/tickets/{id}.json` with `changes`, sent once (a retried write could add a comment
        twice: the caller decides, after re-reading the ticket). With `updated_stamp`, a safe update:
        Zendesk answers 409 (TicketConflict) when the ticket changed since that stamp.

        Raises TicketConflict, TicketUnwritable (422), RateLimited (429, with Retry-After), and the
        errors of a read.
        """
        ticket_id = _check_id(ticket_id)
        ticket = dict(changes)
        if updated_stamp is not None:
            ticket |= {"safe_update": True, "updated_stamp": _iso(updated_stamp)}
        route = "PUT /api/v2/tickets/{id}.json"
        await self._pace_update()
        await self._send(
            "PUT",
            f"/api/v2/tickets/{ticket_id}.json",
            route,
            _object,
            body={"ticket": ticket},
            classify=_write_classifier(ticket_id, route),
            policy=replace(self._policy, max_attempts=1),
        )

    async def add_tags(self, ticket_id: int, tags: list[str]) -> None:
        """Zendesk's Add Tags, `PUT /api/v2/tickets/{id}/tags.json` with `{"tags": [...]}`: appends to the
        ticket's tags (Set Tags is POST and replaces; Update Ticket's `tags` replaces too), so it needs no
        read of the ticket and no safe update. Sent once; it counts toward the Update Ticket limits.

        Raises TicketUnwritable (422), RateLimited (429), and the errors of a read.
        """
        ticket_id = _check_id(ticket_id)
        route = "PUT /api/v2/tickets/{id}/tags.json"
        await self._pace_update()
        await self._send(
            "PUT",
            f"/api/v2/tickets/{ticket_id}/tags.json",
            route,
            _object_or_empty,
            body={"tags": list(tags)},
            classify=_write_classifier(ticket_id, route),
            policy=replace(self._policy, max_attempts=1),
        )

    async def _pace_update(self) -> None:
        """Wait for a slot in the updates' budget (ZENDESK_UPDATES_PER_MINUTE); raises BudgetExhausted
        (a RateLimited: the note is tried again later) when it is further off than UPDATE_WAIT."""
        if self.updates is not None:
            await self.updates.acquire(UPDATE_WAIT)

    async def ticket_field(self, field_id: int) -> TicketField | None:
        """A ticket field's definition (its type, a drop-down's options), None when the account has no
        such field; kept FIELD_TTL seconds, shared like the other answers."""
        field_id = _check_id(field_id)

        async def load() -> TicketField | None:
            route = "GET /api/v2/ticket_fields/{id}.json"
            try:
                data = await self._get(f"/api/v2/ticket_fields/{field_id}.json", route, None)
            except NotFound:
                return None
            return self._model(TicketField, data.get("ticket_field"), "ticket field")

        found: TicketField | None = await self._cache.get_or_load(
            ("zendesk-ticket-field", field_id), FIELD_TTL, load, expect=_field
        )
        return found

    async def me(self) -> User:
        """The Zendesk user the bot's credentials belong to (its `role` says whether it may write)."""
        data = await self._get("/api/v2/users/me.json", "GET /api/v2/users/me.json", None)
        return self._model(User, data.get("user"), "current user")

    async def token_scopes(self) -> list[str] | None:
        """The OAuth token's scopes (None with API-token auth, which has the agent's own rights)."""
        if not self._auth_header.startswith("Bearer "):
            return None
        data = await self._get(
            "/api/v2/oauth/tokens/current.json", "GET /api/v2/oauth/tokens/current.json", None
        )
        scopes = (data.get("token") or {}).get("scopes")
        return [str(s) for s in scopes] if isinstance(scopes, list) else []

    async def webhooks(self) -> list[Webhook]:
        data = await self._get("/api/v2/webhooks?page[size]=100", "GET /api/v2/webhooks", None)
        return [self._parse(_webhook, w, "webhook") for w in data.get("webhooks") or []]

    async def save_webhook(self, webhook_id: str | None, webhook: dict[str, Any]) -> Webhook:
        """Create (`webhook_id` None) or update a webhook; returns it as Zendesk keeps it."""
        if webhook_id is None:
            data = await self._write(
                "POST", "/api/v2/webhooks", "POST /api/v2/webhooks", {"webhook": webhook}
            )
            return self._parse(_webhook, data.get("webhook"), "webhook")
        path = f"/api/v2/webhooks/{quote(webhook_id, safe='')}"
        await self._write("PUT", path, "PUT /api/v2/webhooks/{id}", {"webhook": webhook})
        return Webhook(id=webhook_id, **{k: webhook.get(k) for k in ("name", "endpoint", "status")})

    async def triggers(self) -> list[Trigger]:
        """Every trigger (Zendesk pages them by 100; at most 20 pages are read)."""
        out: list[Trigger] = []
        path: str | None = "/api/v2/triggers.json?per_page=100"
        for _ in range(20):
            if path is None:
                break
            data = await self._get(path, "GET /api/v2/triggers.json", None)
            out += [self._model(Trigger, t, "trigger") for t in data.get("triggers") or []]
            following = data.get("next_page")
            path = _same_host_path(following) if isinstance(following, str) else None
        return out

    async def save_trigger(self, trigger_id: int | None, trigger: dict[str, Any]) -> Trigger:
        if trigger_id is None:
            data = await self._write(
                "POST", "/api/v2/triggers.json", "POST /api/v2/triggers", {"trigger": trigger}
            )
        else:
            data = await self._write(
                "PUT",
                f"/api/v2/triggers/{int(trigger_id)}.json",
                "PUT /api/v2/triggers/{id}",
                {"trigger": trigger},
            )
        return self._model(Trigger, data.get("trigger"), "trigger")

    async def _write(self, method: str, path: str, route: str, body: dict[str, Any]) -> dict[str, Any]:
        """An admin write (webhook, trigger), sent once; an empty answer (204) reads as {}."""
        data = await self._send(
            method, path, route, _object_or_empty, body=body, policy=replace(self._policy, max_attempts=1)
        )
        return data or {}


class TicketConflict(UpstreamError):
    """409: the ticket changed since the stamp a safe update carried (an agent's edit): re-read, retry."""

    reason = Reason.TICKET_CHANGED


class TicketUnwritable(UpstreamError):
    """422: Zendesk refused the update (a closed ticket, a ticket with 5,000 comments, a bad field)."""

    reason = Reason.TICKET_UNWRITABLE


def _write_classifier(ticket_id: int, route: str) -> Callable[[httpx.Response], UpstreamError | None]:
    read = _ticket_classifier(ticket_id, route)

    def classify(response: httpx.Response) -> UpstreamError | None:
        status = response.status_code
        if status == 409:
            return TicketConflict(UPSTREAM, f"HTTP 409 from {route}", status=409)
        if status == 422:
            return TicketUnwritable(UPSTREAM, f"HTTP 422 from {route}", status=422)
        return read(response)

    return classify


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _same_host_path(url: str) -> str | None:
    """The path and query of a `next_page` URL (the client's own host is used, whatever the URL says)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.path.startswith("/api/v2/") else None


def _check_id(ticket_id: int) -> int:
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) or not 0 < ticket_id < 2**63:
        raise ValueError(f"not a Zendesk ticket id: {ticket_id!r}")
    return ticket_id
