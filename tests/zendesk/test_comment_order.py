"""Comments newest first under cursor pagination: Zendesk's parameter there is `sort=-created_at`;
`sort_order` belongs to offset pagination (shared/reference/friction-replays-alerts.md Z5), so the
sample ignores it under cursor pagination, as a parameter Zendesk does not read there."""

from __future__ import annotations

import httpx

from bot.http.cache import TTLCache
from bot.http.upstream import RetryPolicy
from bot.sample import TICKET_JANE, create_zendesk_app
from bot.sample.credentials import SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN
from bot.zendesk.client import ZendeskClient, basic_auth_header
from tests.support.fixtures import sample_workspace


async def test_comment_pages_come_newest_first_from_a_zendesk_that_reads_sort() -> None:
    app = create_zendesk_app(sample_workspace())
    desk = app.state.helpdesk
    desk.add_comments(TICKET_JANE, [f"reply {i}" for i in range(149)])  # 150 with the description
    newest_first = [c["id"] for c in desk.comments[TICKET_JANE]][::-1]
    http = httpx.AsyncClient(base_url="https://acme.zendesk.com", transport=httpx.ASGITransport(app=app))
    client = ZendeskClient(
        http,
        auth_header=basic_auth_header(SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN),
        policy=RetryPolicy(max_attempts=1),
        cache=TTLCache(),
        ttl=0,
    )
    pages = [[c.id for c in page] async for page in client.comment_pages(TICKET_JANE)]
    await client.aclose()
    assert [len(p) for p in pages] == [100, 50]
    assert [i for p in pages for i in p] == newest_first


async def test_the_sample_ignores_sort_order_under_cursor_pagination() -> None:
    app = create_zendesk_app(sample_workspace())
    oldest_first = [c["id"] for c in app.state.helpdesk.comments[TICKET_JANE]]
    app.state.helpdesk.add_comments(TICKET_JANE, ["a", "b"])
    oldest_first = [c["id"] for c in app.state.helpdesk.comments[TICKET_JANE]]
    auth = {"authorization": basic_auth_header(SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN)}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(base_url="http://zd", transport=transport, headers=auth) as http:
        path = f"/api/v2/tickets/{TICKET_JANE}/comments.json"
        ignored = (await http.get(f"{path}?sort_order=desc&page[size]=100")).json()
        newest = (await http.get(f"{path}?sort=-created_at&page[size]=100")).json()
        offset = (await http.get(f"{path}?sort_order=desc")).json()
    assert [c["id"] for c in ignored["comments"]] == oldest_first
    assert [c["id"] for c in newest["comments"]] == oldest_first[::-1]
    assert [c["id"] for c in offset["comments"]] == oldest_first[::-1]  # offset pagination reads sort_order
