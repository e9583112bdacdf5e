"""The fake Zendesk's Search API: `GET /api/v2/search.json?query=…` for tickets, answered as Zendesk does.

What it rests on (Zendesk's Search API reference and its "Searching with the Zendesk API" article, as
stored copies of developer.zendesk.com): one unified endpoint, `query` holding the search string;
`type:ticket` keeps tickets; `requester:<email>` the tickets whose requester has that email; `status<solved`
the statuses before solved in Zendesk's order (new, open, pending, hold), `status:<name>` one status;
`sort_by` (`created_at`, `updated_at`, `priority`, `status`, `ticket_type`) with `sort_order` (`asc` or
`desc`, the default); `per_page` up to 100; the answer is `{"results": [...], "facets": null,
"next_page", "previous_page", "count"}`, each result a ticket object with `"result_type": "ticket"`, and
`count` the number of matches, not of the results on this page.

Only those terms are understood here; any other term (free text, another field) is answered 422 with a
body saying so, so a test that sends one learns it at once instead of getting a silent empty list.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sample.data import Workspace
from bot.sample.helpdesk import Helpdesk

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")  # Zendesk's order, for `<` and `>`
SORTS = {"created_at", "updated_at", "priority", "status", "ticket_type"}
MAX_PER_PAGE = 100


def _unsupported(term: str) -> Response:
    return JSONResponse(
        {"error": "unsupported", "description": f"the sample's search does not understand {term!r}"},
        status_code=422,
    )


def _statuses(term: str) -> frozenset[str] | None:
    """`status:open`, `status<solved`, `status>=pending`, … → the statuses it matches, or None."""
    for op in ("<=", ">=", ":", "<", ">"):
        name, found, value = term.partition(op)
        if found and name == "status" and value in STATUSES:
            at = STATUSES.index(value)
            ranges = {":": (at, at + 1), "<": (0, at), "<=": (0, at + 1), ">": (at + 1, 6), ">=": (at, 6)}
            first, last = ranges[op]
            return frozenset(STATUSES[first:last])
    return None


def search_endpoint(ws: Workspace, desk: Helpdesk) -> Any:
    """The route's handler over the helpdesk's tickets (those filed during a test or demo too)."""

    async def search(request: Request) -> Response:
        terms = request.query_params.get("query", "").split()
        if not terms:
            return JSONResponse(
                {"error": "InvalidValue", "description": "query is required"}, status_code=400
            )
        wanted_type, requester, allowed = None, None, frozenset(STATUSES)
        for term in terms:
            if term.startswith("type:"):
                wanted_type = term.removeprefix("type:")
            elif term.startswith("requester:"):
                requester = term.removeprefix("requester:").strip('"').lower()
            elif (statuses := _statuses(term)) is not None:
                allowed &= statuses
            else:
                return _unsupported(term)
        if wanted_type != "ticket":
            return _unsupported(f"type:{wanted_type}")
        sort_by = request.query_params.get("sort_by", "created_at")
        order = request.query_params.get("sort_order", "desc")
        per_page = request.query_params.get("per_page", str(MAX_PER_PAGE))
        if sort_by not in SORTS or order not in ("asc", "desc") or not per_page.isdigit():
            return JSONResponse({"error": "InvalidValue", "description": "bad sort or page"}, status_code=400)
        found = []
        for ticket_id, ticket in desk.tickets.items():
            user = ws.zendesk_users.get(ticket["requester_id"]) if ticket.get("requester_id") else None
            email = str((user or {}).get("email") or "").lower()
            if ticket_id in ws.forbidden_ticket_ids or (requester is not None and email != requester):
                continue
            if ticket["status"] in allowed:
                found.append(ticket)
        found.sort(key=lambda t: (str(t.get(sort_by) or ""), t["id"]), reverse=order == "desc")
        page = found[: max(1, min(MAX_PER_PAGE, int(per_page)))]
        results = [t | {"result_type": "ticket"} for t in page]
        body = {"results": results, "facets": None, "next_page": None, "previous_page": None}
        return JSONResponse(body | {"count": len(found)})

    return search
