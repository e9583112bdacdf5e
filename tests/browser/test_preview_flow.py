"""The demo page in a real browser: a command, a pick, Show more (if offered), Share, and a ticket unfurl.

Everything goes through the page as a user would use it; the page talks to the real bot only through
signed HTTP to /slack/events, and draws what the bot sent to the fake Slack. Screenshots are saved
under the test's tmp dir (printed on failure by pytest).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.sample.data import JANE, OPS, TICKET_JANE, TICKET_MULTI
from bot.sample.preview import DemoStack

TIMEOUT = 15_000
READER_TZ = "America/New_York"  # the browser context's time zone (see conftest)
NOTE = "Customer is on the phone now"


def send(page: Any, text: str) -> None:
    page.fill("[data-testid=composer]", text)
    page.press("[data-testid=composer]", "Enter")


def slack_date(iso: str, fmt: str, now: datetime) -> str:
    """Slack's `<!date>` tokens for an instant, in the reader's zone: computed independently of the page."""
    tz = ZoneInfo(READER_TZ)
    at = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(tz)
    today = now.astimezone(tz).date()
    relative = {today: "Today", today - timedelta(days=1): "Yesterday", today + timedelta(days=1): "Tomorrow"}
    short = f"{at:%b} {at.day}, {at.year}"
    th = "th" if 10 <= at.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(at.day % 10, "th")
    long = f"{at:%B} {at.day}{th}, {at.year}"
    tokens = {
        "date_num": f"{at:%Y-%m-%d}",
        "date": long,
        "date_short": short,
        "date_pretty": relative.get(at.date(), long),
        "date_short_pretty": relative.get(at.date(), short),
        "time": f"{at.hour % 12 or 12}:{at:%M} {'AM' if at.hour < 12 else 'PM'}",
    }
    return re.sub(r"\{(\w+)\}", lambda m: tokens[m.group(1)], fmt)


def test_command_pick_more_share_and_unfurl(page: Any, demo: tuple[DemoStack, str], tmp_path: Path) -> None:
    stack, _ = demo
    assert stack.ws is not None
    shots = tmp_path / "screenshots"
    shots.mkdir()
    ops = {
        vid: v["displayName"]
        for vid, v in stack.ws.visitors.items()
        if v["metadata"]["agent"]["email"] == OPS
    }
    assert len(ops) == 2

    # 1. /pendo with an email two visitors share: a private choice, one button per visitor.
    send(page, f"/pendo {OPS}")
    answer = page.locator(".msg-ephemeral").last
    answer.get_by_text(f"{len(ops)} Pendo visitors").wait_for(timeout=TIMEOUT)
    assert "Only visible to you" in answer.inner_text()
    buttons = answer.get_by_role("button", name="Show this visitor")
    assert buttons.count() == len(ops)
    page.screenshot(path=str(shots / "1-choice.png"))

    # 2. Pick the first candidate: the choice is replaced in place by that visitor's summary.
    first_name = ops[min(ops)]
    buttons.first.click()
    answer.locator(".bk-header", has_text=first_name).first.wait_for(timeout=TIMEOUT)
    assert page.locator(".msg-ephemeral").count() == 1
    page.screenshot(path=str(shots / "2-summary.png"))

    # 3. Show more, where the bot offers it (the compact message lands with the message issue).
    more = answer.get_by_role("button", name="Show more")
    if more.count():
        before = len(answer.inner_text())
        more.first.click()
        page.wait_for_function(
            "([el, n]) => el.innerText.length > n", arg=[answer.element_handle(), before], timeout=TIMEOUT
        )
        page.screenshot(path=str(shots / "3-more.png"))

    # 4. Share: a visible message in the channel, marked as shared by the reader. Where the bot offers a
    #    note (a modal, views.open), share with one: the page draws the modal and posts view_submission.
    with_note = answer.get_by_role("button", name=re.compile("Share with a note"))
    if with_note.count():
        with_note.first.click()
        modal = page.locator(".modal-card")
        modal.wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(shots / "4-note.png"))
        modal.locator("textarea, input[type=text]").first.fill(NOTE)
        modal.locator(".modal-submit").click()
    else:
        answer.get_by_role("button", name="Share in channel").first.click()
    shared = page.locator(".msg-bot[data-ephemeral=false]").last
    shared.get_by_text("Shared by").wait_for(timeout=TIMEOUT)
    assert "@Alex Agent" in shared.inner_text()
    assert first_name in shared.locator(".bk-header").first.inner_text()
    if with_note.count() or stack.slack.by_method("views.open"):
        assert NOTE in shared.inner_text() and page.locator("#modal").is_hidden()
    assert [m["channel"] for m in stack.slack.by_method("chat.postMessage")] == ["C0SUPPORT"]  # once
    page.screenshot(path=str(shots / "4-shared.png"))

    # 5. A pasted ticket link unfurls under the message: the ticket header, then the requester's Pendo part.
    host = stack.settings().zendesk_host
    ticket = stack.ws.tickets[TICKET_JANE]
    requester = stack.ws.zendesk_users[ticket["requester_id"]]
    # While the link sits in the message box, Slack's composer preview: the ticket number only.
    page.fill("[data-testid=composer]", f"Card problem again: https://{host}/agent/tickets/{TICKET_JANE}")
    draft = page.locator("#composer-preview .unfurl")
    draft.get_by_text(f"#{TICKET_JANE}").wait_for(timeout=TIMEOUT)
    assert ticket["subject"] not in draft.inner_text()
    page.screenshot(path=str(shots / "5-composer.png"))
    page.press("[data-testid=composer]", "Enter")
    assert page.locator("#composer-preview .msg").count() == 0
    unfurl = page.locator("#messages .msg-reader").last.locator(".unfurl")
    unfurl.get_by_role("button", name="Open in Pendo").wait_for(timeout=TIMEOUT)  # the Pendo part is in
    text = unfurl.inner_text()
    assert f"#{TICKET_JANE} {ticket['subject']}" in text
    assert requester["name"] in text and requester["email"] == JANE
    assert (
        page.locator("#messages .msg-reader").last.locator(".unfurl").count() == 1
    )  # updated in place, not added
    # The ticket's creation time, as the reader sees it in their own time zone.
    filed = datetime.fromisoformat(str(ticket["created_at"]).replace("Z", "+00:00"))
    shown = [
        (d.get_attribute("datetime") or "", d.get_attribute("data-format") or "", d.inner_text())
        for d in unfurl.locator("time.mk-date").all()
    ]
    created = [s for s in shown if datetime.fromisoformat(s[0].replace("Z", "+00:00")) == filed]
    assert created, f"no date shows the ticket's creation time {filed}: {shown}"
    iso, fmt, text_shown = created[0]
    assert text_shown == slack_date(iso, fmt, datetime.now(ZoneInfo("UTC")))
    unfurls = stack.slack.by_method("chat.unfurl")
    assert len(unfurls) >= 2  # the header first, then the same target again with the Pendo part
    page.screenshot(path=str(shots / "5-unfurl.png"))

    # 6. In the Slack Connect channel nothing unfurls: the bot checks the channel and stays silent.
    page.locator("[data-nav=C0EXTACME]").click()
    calls_before = len(stack.slack.by_method("chat.unfurl"))
    send(page, f"https://{host}/agent/tickets/{TICKET_MULTI}")
    deadline = time.monotonic() + 5
    while not stack.slack.by_method("conversations.info") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert len(stack.slack.by_method("chat.unfurl")) == calls_before
    assert page.locator("#messages .msg-reader:not([hidden])").last.locator(".unfurl").count() == 0
    page.screenshot(path=str(shots / "6-slack-connect.png"))
    assert page.locator("[data-unknown]").count() == 0
