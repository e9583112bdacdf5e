"""The demo's "Pendo NPS answer" control (`GET /demo/pendo`): a sample visitor answers the NPS survey.

`POST /demo/pendo/answer` sends Pendo's webhook to the bot's `POST /pendo/webhook/<token>` (in-process,
like the sample Zendesk's trigger): first the score (`npsSubmitted`, `properties.nps.rating`, an empty
`reason`), then, a moment later, the comment (`pollSubmitted` for the survey's text poll,
`properties.pollResponse`), each with its own `uniqueId`: the two webhooks Pendo may send for one answer.
The bot waits up to 60 s for the comment, then posts one alert to the alert channel (the Slack page
shows it); a comment sent after that updates the message. The shapes: `bot.alerts.nps`.
"""

from __future__ import annotations

import asyncio
import html
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.sample.data import JANE, POWER_USER
from bot.sample.preview.stack import DemoStack
from bot.sample.surveys import NPS_GUIDE, NPS_TEXT_POLL

VISITORS = {JANE: "Jane Doe (Acme)", POWER_USER: "Priya Natarajan (Acme)"}
COMMENT_AFTER = 1.0  # seconds between the score's webhook and the comment's
STYLE = "body{font:14px/1.45 -apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:760px}"


def webhook_body(visitor: str, *, score: int | None = None, comment: str | None = None) -> dict[str, Any]:
    """Pendo's webhook for an answer to the sample's NPS survey: the score, or the text poll's answer."""
    props: dict[str, Any] = {
        "guideId": NPS_GUIDE,
        "guideProperties": {"id": NPS_GUIDE, "name": "Sample SaaS NPS"},
        "guideStepId": "step-nps",
        "language": "en-US",
    }
    if score is not None:
        props["nps"] = {"rating": score, "reason": "", "source": "web"}
    else:
        props |= {"pollId": NPS_TEXT_POLL, "pollResponse": comment or ""}
    return {
        "app": {"id": -323232, "name": "Sample SaaS", "platform": "web"},
        "accountId": "acme",
        "event": "npsSubmitted" if score is not None else "pollSubmitted",
        "properties": props,
        "timestamp": int(time.time()),
        "visitorId": visitor,
        "uniqueId": uuid.uuid4().hex,
    }


async def pendo_page(request: Request, stack: DemoStack) -> Response:
    visitors = "".join(
        f'<option value="{html.escape(v)}">{html.escape(n)}</option>' for v, n in VISITORS.items()
    )
    scores = "".join(f"<option{' selected' if s == 3 else ''}>{s}</option>" for s in range(11))
    sent = request.query_params.get("sent")
    result = f"<p>Pendo's webhooks answered: {html.escape(sent)}</p>" if sent else ""
    body = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Pendo NPS answer · demo</title>"
        f'<style>{STYLE}</style></head><body><p><a href="/">← the Slack demo</a></p>'
        f"<h1>Pendo NPS answer</h1><p>A visitor answers the in-app NPS survey: Pendo sends the score, then "
        f"the comment, as two webhooks. The bot waits up to 60 s for the comment and posts one alert (a "
        f"detractor's only, unless NPS_ALERTS=all) with their usage and open tickets.</p>"
        f'<form method=post action="/demo/pendo/answer"><label>Visitor <select name=visitor>{visitors}'
        f"</select></label> <label>Score <select name=score>{scores}</select></label><br>"
        f'<label>Comment <input name=comment size=60 value="Exports keep timing out"></label> '
        f"<button type=submit>Send the score, then the comment</button></form>{result}</body></html>"
    )
    return HTMLResponse(body, headers={"cache-control": "no-store"})


async def send_answer(request: Request, stack: DemoStack) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    visitor = (form.get("visitor") or [""])[0]
    score = (form.get("score") or [""])[0]
    comment = (form.get("comment") or [""])[0].strip()[:1000]
    if visitor not in VISITORS or not score.isdigit() or not 0 <= int(score) <= 10:
        return HTMLResponse("Pick a visitor and a score from the lists.", status_code=400)
    path = f"/pendo/webhook/{stack.pendo_token}"
    transport = httpx.ASGITransport(app=stack.bot_asgi)
    statuses = []
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        answer = await client.post(path, json=webhook_body(visitor, score=int(score)))
        statuses.append(str(answer.status_code))
        if comment:
            await asyncio.sleep(COMMENT_AFTER)
            answer = await client.post(path, json=webhook_body(visitor, comment=comment))
            statuses.append(str(answer.status_code))
    return RedirectResponse("/demo/pendo?" + urlencode({"sent": ", ".join(statuses)}), status_code=303)
