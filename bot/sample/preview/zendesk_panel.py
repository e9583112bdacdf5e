"""The demo's "Zendesk ticket" page (`GET /demo/zendesk`): file a sample ticket, watch the Pendo note appear.

Filing goes through the sample Zendesk API (`POST /api/v2/tickets.json`) like a help-center form; its
trigger sends the signed webhook to the bot, which writes the private note back through the API. The
page shows the tickets filed here with every comment as text (escaped: nothing a comment holds runs
here), the bot's private note marked "Internal note", and refreshes itself every 2 seconds.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.sample.credentials import SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN
from bot.sample.preview.stack import DemoStack
from bot.zendesk.client import basic_auth_header

STYLE = """
body{font:14px/1.45 -apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:860px;color:#1d1c1d}
.ticket{border:1px solid #ddd;border-radius:8px;margin:16px 0;padding:12px 16px}
.comment{border-left:3px solid #ccc;margin:10px 0;padding:4px 12px;white-space:pre-line}
.internal{border-color:#f5c518;background:#fffbea} .html{white-space:normal}
.tag{font-size:12px;color:#555} form{margin:12px 0} a{color:#1264a3}
"""


# The tags Zendesk keeps in a comment's html_body (its sanitizer drops scripts, styles, forms, frames and
# every event attribute); a link keeps only an http(s) or mailto href.
ALLOWED_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "del",
        "ins",
        "p",
        "br",
        "hr",
        "ul",
        "ol",
        "li",
        "pre",
        "code",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "span",
        "div",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "sub",
        "sup",
        "small",
    ]
)
VOID_TAGS = frozenset({"br", "hr"})
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript"})


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in ALLOWED_TAGS:
            return
        extra = ""
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if urlsplit(href.strip()).scheme.lower() in ("http", "https", "mailto"):
                extra = f' href="{html.escape(href.strip(), quote=True)}" rel="noopener noreferrer" target="_blank"'
        self.out.append(f"<{tag}{extra}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS and not self.skipping:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in self.open:
            return
        while self.open:  # close what was left open inside it too
            last = self.open.pop()
            self.out.append(f"</{last}>")
            if last == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(html.escape(data))


def zendesk_html(raw: str) -> str:
    """A comment's html_body as Zendesk renders it: only the tags it allows, text escaped, links that
    work (http, https, mailto); scripts, styles, event attributes and other links are dropped."""
    parser = _Sanitizer()
    parser.feed(raw)
    parser.close()
    return "".join(parser.out) + "".join(f"</{t}>" for t in reversed(parser.open))


def _requesters(stack: DemoStack) -> list[tuple[int, str]]:
    assert stack.ws is not None
    return [
        (int(u["id"]), f"{u.get('name')} <{u['email']}>")
        for u in stack.ws.zendesk_users.values()
        if u.get("role") == "end-user" and u.get("email")
    ]


async def zendesk_page(request: Request, stack: DemoStack) -> Response:
    assert stack.bot is not None and stack.ws is not None
    desk = stack.bot.helpdesk
    options = "".join(f'<option value="{i}">{html.escape(label)}</option>' for i, label in _requesters(stack))
    filed = sorted((t for t in desk.tickets if t not in stack.ws.tickets), reverse=True)
    tickets = []
    for ticket_id in filed:
        t = desk.tickets[ticket_id]
        comments = []
        for c in desk.comments[ticket_id]:
            label = "Internal note" if not c["public"] else "Public reply"
            klass = "comment" if c["public"] else "comment internal"
            if c.get("html_body"):  # as Zendesk shows it: bold, lists, working links; nothing else runs
                shown = f'<div class="html">{zendesk_html(str(c["html_body"]))}</div>'
            else:
                shown = f"<p>{html.escape(str(c.get('body') or ''))}</p>"
            comments.append(f'<div class="{klass}"><div class="tag">{label}</div>{shown}</div>')
        waiting = "" if desk.notes(ticket_id) else '<p class="tag">⏳ waiting for the Pendo note…</p>'
        tickets.append(
            f'<div class="ticket" data-ticket="{ticket_id}"><strong>#{ticket_id} {html.escape(t["subject"])}</strong>'
            f"{''.join(comments)}{waiting}</div>"
        )
    body = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Sample Zendesk · demo</title>"
        f'<meta http-equiv="refresh" content="2"><style>{STYLE}</style></head><body>'
        f'<p><a href="/">← the Slack demo</a></p><h1>Sample Zendesk: new tickets</h1>'
        f"<p>File a ticket as a customer would. Zendesk's trigger calls the bot's webhook (signed); the bot "
        f"writes the requester's Pendo context as a private note, once. Filed by a detractor (Jane Doe) or "
        f'a struggling customer, it is also told in #cs-alerts on <a href="/">the Slack demo</a>.</p>'
        f'<form method=post action="/demo/zendesk/file"><label>Requester <select name=requester>{options}'
        f'</select></label> <label>Subject <input name=subject value="Something is not working"></label> '
        f"<button type=submit>File a ticket</button></form>"
        f"{''.join(tickets) or '<p>No ticket filed yet.</p>'}</body></html>"
    )
    return HTMLResponse(body, headers={"cache-control": "no-store"})


async def file_ticket(request: Request, stack: DemoStack) -> Response:
    assert stack.bot is not None and stack.bot.zendesk is not None
    form = parse_qs((await request.body()).decode("utf-8", "replace"))  # no multipart dependency
    requester = (form.get("requester") or [""])[0]
    subject = (form.get("subject") or [""])[0].strip()[:150] or "Something is not working"
    if not requester.isdigit() or int(requester) not in dict(_requesters(stack)):
        return HTMLResponse("Pick a requester from the list.", status_code=400)
    auth = basic_auth_header(SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN)
    transport = httpx.ASGITransport(app=stack.bot.zendesk)
    async with httpx.AsyncClient(transport=transport, base_url="http://zendesk.sample") as client:
        body = {"ticket": {"subject": subject, "requester_id": int(requester), "comment": {"body": subject}}}
        await client.post("/api/v2/tickets.json", json=body, headers={"authorization": auth})
    return RedirectResponse("/demo/zendesk", status_code=303)
