"""The fake Zendesk's writable side: ticket updates and comments, new tickets, webhooks and triggers.

Built from Zendesk's public documentation (shared/reference/zendesk-writeback-pendo-nps.md, part A):
- `PUT /api/v2/tickets/{id}.json`: `comment` (`body` or `html_body`, `public` true unless said
  otherwise) is added and shown by `GET …/comments.json`; `tags` replaces the list (lower-cased, and a
  tag with spaces becomes several, as Zendesk does); `custom_fields` sets the fields given, each checked
  against the account's ticket fields (`ticket_fields`: id → type): an unknown id or a value of the wrong
  type is 422 "RecordInvalid" and nothing of the update is applied. `safe_update` with an
  `updated_stamp` other than the ticket's `updated_at` is 409 with Zendesk's "UpdateConflict" body. A
  closed ticket is 422. `updated_at` is the real clock in whole seconds, as Zendesk's: two updates within
  one second leave the same stamp (so a safe update cannot tell them apart, as on the real service).
- Limits: 30 updates per ticket per 10 minutes per user, and 100 Update Ticket calls per minute for the
  account; over either, 429 with `Retry-After` (seconds). Both are parameters.
- `PUT /api/v2/tickets/{id}/tags.json` with `{"tags": [...]}` is Add Tags: the tags are appended to the
  ticket's (Zendesk's rules: lower case, spaces split, no repeats), `updated_at` moves; a closed ticket
  is 422. It counts toward the same limits as Update Ticket: an assumption (no public source names a
  limit of its own), the stricter reading.
- `POST /api/v2/tickets.json` files a ticket (its description is the first, public comment) and runs the
  triggers: for an active trigger whose conditions include `update_type is Create`, each
  `notification_webhook` action sends its body (placeholders `{{ticket.id}}`,
  `{{ticket.requester.email}}` (empty when the requester has none), `{{ticket.created_at_with_timestamp}}`
  and `{{ticket.updated_at_with_timestamp}}` filled in) to the webhook's endpoint, signed as Zendesk
  signs: `base64(HMAC-SHA256(secret, timestamp + body))`, timestamp in ISO 8601. The two time
  placeholders render as Zendesk's placeholder reference's example, `2013-12-12T05:35Z` (minutes only),
  unless `placeholder_seconds` (then `2026-12-07T11:05:37Z`): the reference allows both readings.
- `GET /api/v2/tickets/{id}/comments.json` pages like Zendesk: cursor pagination with `page[size]` (≤100)
  → `meta` {has_more, after_cursor, before_cursor} and `links` {next, prev}, ordered by `sort`
  (`-created_at` newest first; `sort_order` is ignored there); without it, offset pagination (`per_page`,
  `page` → `next_page`, `previous_page`, `count`; `sort_order=desc` newest first).
- `GET /api/v2/ticket_fields(.json)` and `GET /api/v2/ticket_fields/{id}.json`: the account's fields
  (`type`, a drop-down's `custom_field_options`); a drop-down or multi-select value must be an option's tag.
- Webhooks (`/api/v2/webhooks`; each signs with its own secret), triggers (`/api/v2/triggers`), `users/me`.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sample.credentials import SAMPLE_ZENDESK_EMAIL
from bot.sample.data import Workspace

Json = dict[str, Any]
BOT_USER_ID = 4100000000900
CONFLICT = {
    "error": "UpdateConflict",
    "description": "Safe Update prevented the update due to outdated ticket data. "
    "Please fetch the latest ticket data and try again.",
}
CLOSED = {
    "error": "RecordInvalid",
    "description": "Record validation errors",
    "details": {"status": [{"description": "Status: closed prevents ticket update"}]},
}


# The sample account's custom ticket fields (id → Zendesk field type), as `GET /api/v2/ticket_fields`
# would list them; ZENDESK_FIELD_MAP in the tests and the demo names these.
TICKET_FIELDS: dict[int, str] = {
    360001234: "text",  # Pendo plan
    360001235: "tagger",  # Pendo frequency (a drop-down)
    360001236: "integer",  # Pendo seats
    360001237: "decimal",
    360001238: "checkbox",
    360001239: "date",
    360001240: "multiselect",
    360001241: "tagger",  # Pendo plan (a drop-down whose tags differ from its names)
}
# The drop-downs' and multi-selects' options (`custom_field_options`: name shown, value = its tag): a
# value Zendesk accepts for such a field is one of these tags, never the name.
FIELD_OPTIONS: dict[int, list[Json]] = {
    360001235: [{"name": n, "value": f"pendo_frequency_{n.lower()}"} for n in ("Daily", "Weekly", "Monthly")],
    360001240: [{"name": n, "value": n.lower()} for n in ("Reports", "Dashboards", "Exports")],
    360001241: [{"name": n, "value": f"plan_{n.lower()}"} for n in ("Free", "Business", "Enterprise")],
}


def ticket_field(field_id: int, kind: str) -> Json:
    """One field as `GET /api/v2/ticket_fields/{id}.json` shows it (the parts the bot reads)."""
    options = FIELD_OPTIONS.get(field_id)
    return {
        "id": field_id,
        "url": f"https://sample.zendesk.com/api/v2/ticket_fields/{field_id}.json",
        "type": kind,
        "title": f"Field {field_id}",
        "active": True,
        "custom_field_options": [{"id": field_id * 10 + i, **o} for i, o in enumerate(options or [])]
        if kind in ("tagger", "multiselect")
        else None,
    }


def invalid_field(field_id: object, problem: str) -> Json:
    """Zendesk's 422 for a custom field it refuses (RecordInvalid, details per field)."""
    return {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"base": [{"description": f"{problem}", "error": "InvalidValue", "field_key": field_id}]},
    }


def _field_problem(
    kinds: dict[int, str], entry: object, options: dict[int, list[Json]] | None = None
) -> tuple[object, str] | None:
    """Why Zendesk would refuse one `custom_fields` entry, or None."""
    if not isinstance(entry, dict) or "id" not in entry:
        return None, "Custom field entries need an id"
    raw_id = entry["id"]
    field_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
    if field_id is None and isinstance(raw_id, str) and raw_id.isdigit():
        field_id = int(raw_id)
    kind = kinds.get(field_id) if field_id is not None else None
    if kind is None:
        return raw_id, f"Custom field {raw_id} does not exist"
    assert field_id is not None
    value = entry.get("value")
    if value is None or value == "":
        return None  # clears the field
    ok = {
        "text": isinstance(value, str),
        "textarea": isinstance(value, str),
        "tagger": isinstance(value, str) and value in _tags(options, field_id),
        "regexp": isinstance(value, str),
        "integer": (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None),
        "decimal": (isinstance(value, int | float) and not isinstance(value, bool))
        or (isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value) is not None),
        "checkbox": isinstance(value, bool),
        "date": isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None,
        "multiselect": isinstance(value, list)
        and all(isinstance(v, str) and v in _tags(options, field_id) for v in value),
    }.get(kind, False)
    return None if ok else (field_id, f"{kind.capitalize()} field {field_id}: value is invalid")


def _tags(options: dict[int, list[Json]] | None, field_id: int) -> set[str]:
    return {str(o["value"]) for o in (options if options is not None else FIELD_OPTIONS).get(field_id, [])}


def zendesk_tags(tags: list[Any]) -> list[str]:
    """Tags as Zendesk keeps them: lower case, a tag with spaces split into several, no repeats."""
    return list(dict.fromkeys(part for t in tags for part in str(t).lower().split()))


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def plain_text(html_body: str) -> str:
    """What Zendesk keeps as `body` for an HTML comment: the text, tags gone, entities read."""
    text = re.sub(r"<(br|/p|/li|/div)\s*/?>", "\n", html_body, flags=re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


@dataclass
class Delivery:
    """One webhook invocation the fake sent, and what the endpoint answered."""

    webhook_id: str
    ticket_id: int
    status: int | None
    body: str


@dataclass
class Helpdesk:
    """The fake's mutable state: its own copy of the workspace's tickets (tests share workspaces)."""

    ws: Workspace
    per_ticket: tuple[int, float] = (30, 600.0)  # updates, seconds: per ticket and user
    per_account: tuple[int, float] = (100, 60.0)  # Update Ticket calls, seconds: for the account
    clock: Callable[[], float] = time.time
    ticket_fields: dict[int, str] = field(default_factory=lambda: dict(TICKET_FIELDS))
    field_options: dict[int, list[Json]] = field(default_factory=lambda: copy.deepcopy(FIELD_OPTIONS))
    webhook_transport: httpx.AsyncBaseTransport | None = None  # where signed webhooks go (default: network)
    # `*_at_with_timestamp` to the second (True) or to the minute (False: the reference's example)
    placeholder_seconds: bool = False
    tickets: dict[int, Json] = field(default_factory=dict)
    comments: dict[int, list[Json]] = field(default_factory=dict)
    webhooks: dict[str, Json] = field(default_factory=dict)
    secrets_by_webhook: dict[str, str] = field(default_factory=dict)
    triggers: dict[int, Json] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    updates_429: int = 0
    _ticket_updates: dict[int, deque[float]] = field(default_factory=dict)
    _account_updates: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: int = 0
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.tickets = copy.deepcopy(self.ws.tickets)
        for tid, t in self.tickets.items():
            self.comments[tid] = [
                self._comment(t["requester_id"], t["description"], None, True, t["created_at"])
            ]

    # --- reading --------------------------------------------------------------------------------------
    def bot_user(self) -> Json:
        for user in self.ws.zendesk_users.values():
            if user.get("email") == SAMPLE_ZENDESK_EMAIL:
                return user
        return {"id": BOT_USER_ID, "name": "Pendo bot", "email": SAMPLE_ZENDESK_EMAIL, "role": "agent"}

    def notes(self, ticket_id: int) -> list[Json]:
        """The private comments on a ticket, oldest first (what tests and the demo page look at)."""
        return [c for c in self.comments.get(ticket_id, []) if not c["public"]]

    def add_comments(self, ticket_id: int, bodies: list[str], *, public: bool = True) -> None:
        """Comments by the requester, as if the conversation went on (a long ticket for tests)."""
        ticket = self.tickets[ticket_id]
        with self._lock:
            for body in bodies:
                added = self._comment(
                    ticket["requester_id"], body, None, public, iso(int(self.clock() * 1000))
                )
                self.comments[ticket_id].append(added)

    def _comment(self, author: int, body: str | None, html_body: str | None, public: bool, at: str) -> Json:
        self._ids += 1
        text = body if body is not None else plain_text(html_body or "")
        return {
            "id": 9_000_000_000 + self._ids,
            "type": "Comment",
            "author_id": author,
            "body": text,
            "html_body": html_body
            if html_body is not None
            else f'<div class="zd-comment"><p>{html.escape(text)}</p></div>',  # text is text, never markup
            "plain_body": text,
            "public": public,
            "attachments": [],
            "audit_id": 8_000_000_000 + self._ids,
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": at,
            "metadata": {"system": {}, "custom": {}},
        }

    # --- limits ---------------------------------------------------------------------------------------
    def _over(self, stamps: deque[float], limit: tuple[int, float], now: float) -> float | None:
        count, window = limit
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) >= count:
            return max(1.0, stamps[0] + window - now)
        return None

    def _rate_limited(self, ticket_id: int) -> Response | None:
        now = self.clock()
        with self._lock:
            stamps = self._ticket_updates.setdefault(ticket_id, deque())
            wait = self._over(self._account_updates, self.per_account, now) or self._over(
                stamps, self.per_ticket, now
            )
            if wait is not None:
                self.updates_429 += 1
                return JSONResponse(
                    {"error": "TooManyRequests", "description": "You have exceeded the rate limit"},
                    status_code=429,
                    headers={"retry-after": str(int(-(-wait // 1)))},
                )
            stamps.append(now)
            self._account_updates.append(now)
        return None

    def _unseen(self, ticket_id: int | None) -> Response | None:
        """Zendesk's refusal for a ticket the bot's user may not see (403) or that does not exist (404)."""
        if ticket_id in self.ws.forbidden_ticket_ids:
            return JSONResponse(
                {"error": "Forbidden", "description": "You do not have access"}, status_code=403
            )
        if ticket_id is None or ticket_id not in self.tickets:
            return JSONResponse({"error": "RecordNotFound", "description": "Not found"}, status_code=404)
        return None

    # --- routes ---------------------------------------------------------------------------------------
    async def update_ticket(self, request: Request) -> Response:
        raw = request.path_params["ticket_id"].removesuffix(".json")
        ticket_id = int(raw) if raw.isdigit() else None
        refused = self._unseen(ticket_id)
        if refused is not None:
            return refused
        assert ticket_id is not None  # None is refused above
        try:
            data = json.loads(await request.body())
            changes = data["ticket"]
            assert isinstance(changes, dict)
        except (ValueError, KeyError, TypeError, AssertionError):
            return JSONResponse(
                {"error": "InvalidEndpoint", "description": "Ticket is required"}, status_code=400
            )
        limited = self._rate_limited(ticket_id)
        if limited is not None:
            return limited
        ticket = self.tickets[ticket_id]
        if ticket["status"] == "closed":
            return JSONResponse(CLOSED, status_code=422)
        if str(changes.get("safe_update", "")).lower() in ("true", "1"):
            stamp = changes.get("updated_stamp")
            if not isinstance(stamp, str) or _ms(stamp) != _ms(ticket["updated_at"]):
                return JSONResponse(CONFLICT, status_code=409)
        fields = changes.get("custom_fields")
        for entry in fields if isinstance(fields, list) else []:
            problem = _field_problem(self.ticket_fields, entry, self.field_options)
            if problem is not None:
                return JSONResponse(invalid_field(*problem), status_code=422)
        now_ms = int(self.clock()) * 1000  # whole seconds, the real clock: the same second, the same stamp
        events: list[Json] = []
        comment = changes.get("comment")
        if isinstance(comment, dict):
            added = self._comment(
                int(comment.get("author_id") or self.bot_user()["id"]),
                comment.get("body"),
                comment.get("html_body"),
                bool(comment.get("public", True)),
                iso(now_ms),
            )
            self.comments[ticket_id].append(added)
            events.append(added)
        if isinstance(changes.get("tags"), list):
            ticket["tags"] = zendesk_tags(changes["tags"])
        if isinstance(changes.get("custom_fields"), list):
            by_id = {f["id"]: f for f in ticket["custom_fields"]}
            for f in changes["custom_fields"]:
                by_id[int(f["id"])] = {"id": int(f["id"]), "value": f.get("value")}
            ticket["custom_fields"] = list(by_id.values())
        ticket["updated_at"] = iso(now_ms)
        audit = {"id": 8_100_000_000 + now_ms % 1_000_000, "ticket_id": ticket_id, "events": events}
        return JSONResponse({"ticket": ticket, "audit": audit})

    async def add_tags(self, request: Request) -> Response:
        """Add Tags: `PUT /api/v2/tickets/{id}/tags.json` appends `tags`; answers the ticket's tags."""
        ticket_id = int(request.path_params["ticket_id"])
        refused = self._unseen(ticket_id)
        if refused is not None:
            return refused
        try:
            tags = json.loads(await request.body())["tags"]
            assert isinstance(tags, list)
        except (ValueError, KeyError, TypeError, AssertionError):
            return JSONResponse(
                {"error": "InvalidEndpoint", "description": "tags is required"}, status_code=400
            )
        limited = self._rate_limited(ticket_id)
        if limited is not None:
            return limited
        ticket = self.tickets[ticket_id]
        if ticket["status"] == "closed":
            return JSONResponse(CLOSED, status_code=422)
        ticket["tags"] = zendesk_tags([*ticket["tags"], *tags])
        ticket["updated_at"] = iso(int(self.clock()) * 1000)
        return JSONResponse({"tags": ticket["tags"]})

    def placeholder_time(self, text: str) -> str:
        """`{{ticket.*_at_with_timestamp}}` for a stored `…T11:05:37Z`: to the second, or the minute."""
        return text if self.placeholder_seconds else iso(_ms(text))[:16] + "Z"

    async def list_comments(self, request: Request) -> Response:
        ticket_id = int(request.path_params["ticket_id"])
        refused = self._unseen(ticket_id)
        if refused is not None:
            return refused
        found = list(self.comments[ticket_id])
        query = request.query_params
        try:
            if "page[size]" in query or "page[after]" in query or "page[before]" in query:
                # Cursor pagination orders by `sort` (`created_at`, `-created_at`); `sort_order` is
                # offset pagination's and is ignored here (shared/reference/friction-replays-alerts.md Z5)
                if query.get("sort") not in (None, "created_at", "-created_at"):
                    return JSONResponse(
                        {"error": "InvalidPaginationParameter", "description": "sort is not valid"},
                        status_code=400,
                    )
                if query.get("sort") == "-created_at":
                    found.reverse()
                return self._comments_by_cursor(request, found)
            if query.get("sort_order") == "desc":
                found.reverse()
            per_page = min(100, max(1, int(query.get("per_page") or 100)))
            page = max(1, int(query.get("page") or 1))
        except ValueError as exc:
            return JSONResponse(
                {"error": "InvalidPaginationParameter", "description": str(exc)}, status_code=400
            )

        # Offset pagination (Zendesk's older style): `next_page`/`previous_page` are full URLs or null.
        def link(to: int) -> str:
            return str(request.url.include_query_params(page=to, per_page=per_page))

        start = (page - 1) * per_page
        return JSONResponse(
            {
                "comments": found[start : start + per_page],
                "next_page": link(page + 1) if start + per_page < len(found) else None,
                "previous_page": link(page - 1) if page > 1 else None,
                "count": len(found),
            }
        )

    @staticmethod
    def _comments_by_cursor(request: Request, found: list[Json]) -> Response:
        """Zendesk's cursor pagination: `page[size]` (≤100), `page[after]`/`page[before]` opaque cursors
        naming a comment; the answer has `meta` {has_more, after_cursor, before_cursor} and `links`
        {next, prev} (full URLs), and no `count`."""
        query = request.query_params
        size = min(100, max(1, int(query.get("page[size]") or 100)))
        ids = [c["id"] for c in found]

        def at(cursor: str) -> int:
            try:
                return ids.index(int(base64.urlsafe_b64decode(cursor.encode()).decode()))
            except (ValueError, UnicodeDecodeError) as exc:
                raise ValueError(f"page cursor {cursor!r} is not valid") from exc

        def cursor(comment: Json) -> str:
            return base64.urlsafe_b64encode(str(comment["id"]).encode()).decode()

        if "page[after]" in query:
            start = at(query["page[after]"]) + 1
            end = start + size
        elif "page[before]" in query:
            end = at(query["page[before]"])
            start = max(0, end - size)
        else:
            start, end = 0, size
        page = found[start:end]
        has_more = end < len(found)
        rest = {k: v for k, v in query.items() if not k.startswith("page[")}

        def link(key: str, value: str) -> str:
            return str(request.url.replace_query_params(**rest, **{"page[size]": size, key: value}))

        return JSONResponse(
            {
                "comments": page,
                "meta": {
                    "has_more": has_more,
                    "after_cursor": cursor(page[-1]) if page else None,
                    "before_cursor": cursor(page[0]) if page else None,
                },
                # Zendesk's docs end a listing on `meta.has_more` false; the links are kept on the last
                # page too (the stricter reading), so a client that followed `links.next` alone would loop.
                "links": {
                    "next": link("page[after]", cursor(page[-1])) if page else None,
                    "prev": link("page[before]", cursor(page[0])) if page else None,
                },
            }
        )

    async def create_ticket(self, request: Request) -> Response:
        try:
            data = json.loads(await request.body())["ticket"]
            subject = str(data.get("subject") or "")
            requester_id = int(data["requester_id"])
            assert requester_id in self.ws.zendesk_users
        except (ValueError, KeyError, TypeError, AssertionError):
            return JSONResponse(
                {"error": "RecordInvalid", "description": "Record validation errors"}, status_code=422
            )
        description = str((data.get("comment") or {}).get("body") or subject)
        now_ms = int(self.clock() * 1000)
        ticket_id = max(self.tickets) + 1
        user = self.ws.zendesk_users[requester_id]
        ticket = copy.deepcopy(next(iter(self.tickets.values())))
        ticket |= {
            "id": ticket_id,
            "url": re.sub(r"/tickets/\d+\.json$", f"/tickets/{ticket_id}.json", ticket["url"]),
            "subject": subject,
            "raw_subject": subject,
            "description": description,
            "status": "new",
            "priority": data.get("priority"),
            "type": None,
            "requester_id": requester_id,
            "submitter_id": requester_id,
            "assignee_id": None,
            "group_id": None,
            "organization_id": user.get("organization_id"),
            "tags": [],
            "custom_fields": [],
            "created_at": iso(now_ms),
            "updated_at": iso(now_ms),
            "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
            "custom_status_id": None,
        }
        self.tickets[ticket_id] = ticket
        self.comments[ticket_id] = [self._comment(requester_id, description, None, True, iso(now_ms))]
        self._run_triggers(ticket, user)
        return JSONResponse({"ticket": ticket}, status_code=201)

    def _run_triggers(self, ticket: Json, requester: Json) -> None:
        for trigger in self.triggers.values():
            conditions = (trigger.get("conditions") or {}).get("all") or []
            on_create = any(
                c.get("field") == "update_type" and c.get("operator") == "is" and c.get("value") == "Create"
                for c in conditions
            )
            if not trigger.get("active", True) or not on_create:
                continue
            for action in trigger.get("actions") or []:
                if action.get("field") != "notification_webhook":
                    continue
                webhook_id, template = action["value"][0], action["value"][1]
                values = {
                    "{{ticket.id}}": str(ticket["id"]),
                    "{{ticket.requester.email}}": str(requester.get("email") or ""),
                    "{{ticket.created_at_with_timestamp}}": self.placeholder_time(ticket["created_at"]),
                    "{{ticket.updated_at_with_timestamp}}": self.placeholder_time(ticket["updated_at"]),
                }
                body = template
                for placeholder, value in values.items():
                    body = body.replace(placeholder, json.dumps(value)[1:-1])  # inside a JSON string
                task = asyncio.get_running_loop().create_task(self.deliver(webhook_id, ticket["id"], body))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def deliver(
        self, webhook_id: str, ticket_id: int, body: str, *, timestamp: str | None = None
    ) -> int | None:
        """Send one signed invocation of a webhook, as Zendesk does; returns the endpoint's status."""
        webhook = self.webhooks.get(webhook_id)
        if webhook is None or webhook.get("status") != "active":
            return None
        stamp = timestamp or iso(int(self.clock() * 1000))
        secret = self.secrets_by_webhook[webhook_id]
        signature = base64.b64encode(
            hmac.new(secret.encode(), stamp.encode() + body.encode(), hashlib.sha256).digest()
        ).decode()
        headers = {
            "content-type": "application/json",
            "x-zendesk-webhook-id": webhook_id,
            "x-zendesk-webhook-invocation-id": secrets.token_hex(8),
            "x-zendesk-webhook-signature": signature,
            "x-zendesk-webhook-signature-timestamp": stamp,
        }
        status: int | None
        try:
            async with httpx.AsyncClient(transport=self.webhook_transport, timeout=10) as client:
                status = (
                    await client.post(webhook["endpoint"], content=body.encode(), headers=headers)
                ).status_code
        except httpx.HTTPError:
            status = None
        self.deliveries.append(Delivery(webhook_id, ticket_id, status, body))
        return status

    async def idle(self) -> None:
        """Wait for the webhook deliveries under way."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- webhooks, triggers, the bot's user --------------------------------------------------------------
    async def list_webhooks(self, request: Request) -> Response:
        return JSONResponse(
            {"webhooks": list(self.webhooks.values()), "meta": {"has_more": False}, "links": {}}
        )

    async def create_webhook(self, request: Request) -> Response:
        data = json.loads(await request.body())["webhook"]
        webhook_id = "01" + secrets.token_hex(12).upper()
        webhook = {
            "id": webhook_id,
            **{
                k: data.get(k)
                for k in ("name", "endpoint", "status", "http_method", "request_format", "subscriptions")
            },
        }
        self.webhooks[webhook_id] = webhook
        self.secrets_by_webhook[webhook_id] = secrets.token_urlsafe(32)
        return JSONResponse({"webhook": webhook}, status_code=201)

    async def update_webhook(self, request: Request) -> Response:
        webhook_id = request.path_params["webhook_id"]
        if webhook_id not in self.webhooks:
            return JSONResponse(
                {"errors": [{"code": "WebhookNotFound", "title": "Not found"}]}, status_code=404
            )
        data = json.loads(await request.body())["webhook"]
        self.webhooks[webhook_id] |= {k: v for k, v in data.items() if k != "id"}
        return Response(status_code=204)

    async def list_triggers(self, request: Request) -> Response:
        return JSONResponse(
            {
                "triggers": list(self.triggers.values()),
                "next_page": None,
                "previous_page": None,
                "count": len(self.triggers),
            }
        )

    async def save_trigger(self, request: Request) -> Response:
        data = json.loads(await request.body())["trigger"]
        raw = request.path_params.get("trigger_id", "").removesuffix(".json")
        trigger_id = int(raw) if raw.isdigit() else 360_000_000_000 + len(self.triggers) + 1
        if raw and trigger_id not in self.triggers:
            return JSONResponse({"error": "RecordNotFound", "description": "Not found"}, status_code=404)
        trigger = {
            "id": trigger_id,
            **self.triggers.get(trigger_id, {}),
            **{k: v for k, v in data.items() if k != "id"},
        }
        trigger.setdefault("active", True)
        self.triggers[trigger_id] = trigger
        return JSONResponse({"trigger": trigger}, status_code=200 if raw else 201)

    async def list_ticket_fields(self, request: Request) -> Response:
        fields = [ticket_field(i, kind) for i, kind in self.ticket_fields.items()]
        return JSONResponse(
            {"ticket_fields": fields, "next_page": None, "previous_page": None, "count": len(fields)}
        )

    async def show_ticket_field(self, request: Request) -> Response:
        raw = str(request.path_params["field_id"]).removesuffix(".json")
        field_id = int(raw) if raw.isdigit() else None
        if field_id is None or field_id not in self.ticket_fields:
            return JSONResponse({"error": "RecordNotFound", "description": "Not found"}, status_code=404)
        return JSONResponse({"ticket_field": ticket_field(field_id, self.ticket_fields[field_id])})

    async def me(self, request: Request) -> Response:
        return JSONResponse({"user": self.bot_user()})

    async def current_token(self, request: Request) -> Response:
        if not request.headers.get("authorization", "").lower().startswith("bearer "):
            return JSONResponse({"error": "RecordNotFound", "description": "Not found"}, status_code=404)
        return JSONResponse({"token": {"id": 1, "scopes": ["tickets:read", "tickets:write", "users:read"]}})
