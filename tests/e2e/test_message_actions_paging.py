"""Every event of the window can be reached: ◀ Earlier pages through the window down to its start, then
moves to the day before; Later ▶ walks back the same way (issue 27, item 3).

The expectation is computed from the sample's raw events (`ws.events`) with plain loops, never with
`bot.domain`: the window's events, newest first, consecutive repeats collapsed, untagged pages hidden.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any

from bot.render.buttons import ViewRef
from bot.sample import POWER_USER
from tests.e2e.conftest import NOW, Bot
from tests.e2e.test_message_actions import buttons, click, lookup
from tests.support.blockkit import validate_message

HOUR = 3_600_000
SHOWN_KINDS = ("page", "feature", "trackType", "guide")  # the workspace's default: untagged hidden
Entry = tuple[int, str, int]  # (newest occurrence in whole seconds, name, repeats)


def expected_window(bot: Bot, visitor_id: str, start: int, anchor: int) -> list[Entry]:
    names = {
        "page": {p["id"]: p["name"] for p in bot.ws.pages},
        "feature": {f["id"]: f["name"] for f in bot.ws.features},
        "trackType": {t["id"]: t["name"] for t in bot.ws.track_types},
        "guide": {g["id"]: g["name"] for g in bot.ws.guides},
    }
    raw = [
        e
        for e in bot.ws.events
        if e.visitor_id == visitor_id and start <= e.ts <= anchor and e.kind in SHOWN_KINDS
    ]
    raw.sort(key=lambda e: e.ts, reverse=True)
    out: list[list[Any]] = []
    previous = None
    for e in raw:
        key = (e.kind, e.object_id)
        if key == previous:
            out[-1][2] += 1
        else:
            out.append([e.ts // 1000, names[e.kind][e.object_id], 1])
        previous = key
    return [(ts, name, n) for ts, name, n in out]


def activity(message: dict[str, Any]) -> tuple[int, list[Entry]]:
    """The window's anchor (seconds) and the entries the Activity section shows."""
    for block in message["blocks"]:
        body = (block.get("text") or {}).get("text", "")
        if block["type"] == "section" and body.startswith("*Activity in the"):
            break
    else:
        raise AssertionError("no Activity section")
    title, *lines = body.split("\n")
    found = re.search(r"before <!date\^(\d+)\^", title)
    assert found is not None
    entries: list[Entry] = []
    for line in lines:
        if line.startswith(("*", "_")):  # a day line, "no tracked activity"
            continue
        m = re.match(r"^\S+ (.+?)(?: ×(\d+))? · <!date\^(\d+)\^", line)
        assert m is not None, line
        name = m.group(1)
        if name.startswith("<") and "|" in name:
            name = name[name.index("|") + 1 : -1]
        entries.append((int(m.group(3)), html.unescape(name), int(m.group(2) or 1)))
    return int(found.group(1)), entries


async def follow(bot: Bot, message: dict[str, Any], action: str) -> dict[str, Any]:
    answer = await bot.final_response(await click(bot, action, buttons(message)[action]["value"]))
    validate_message(answer["blocks"], answer["text"])
    return answer


async def test_earlier_pages_through_the_whole_window_then_the_day_before_and_later_walks_back(
    bot: Bot,
) -> None:
    compact = await lookup(bot, POWER_USER)
    full = await follow(bot, compact, "message_view:more")
    expected = expected_window(bot, POWER_USER, NOW - 24 * HOUR, NOW)
    anchor, first = activity(full)
    assert len(expected) > 2 * len(first) > 0, "a busy window: several pages"
    assert "and " in json_text(full) and "◀ Earlier shows the rest" in json_text(full)

    pages = [first]
    page = full
    while True:  # ◀ Earlier until the window's start
        page = await follow(bot, page, "message_view:earlier")
        at, entries = activity(page)
        if at != anchor:
            break
        pages.append(entries)
        assert len(pages) < 50
    seen = [e for p in pages for e in p]
    assert Counter(dict.fromkeys(seen, 1)) == Counter(dict.fromkeys(expected, 1))  # every one, none extra
    assert [e for i, e in enumerate(seen) if i == 0 or e != seen[i - 1]] == expected  # in order
    # then the day before: its newest page
    assert at == (NOW - 24 * HOUR) // 1000
    day_before = expected_window(bot, POWER_USER, NOW - 48 * HOUR, NOW - 24 * HOUR)
    assert entries == day_before[: len(entries)]

    back: list[list[Entry]] = []
    while "message_view:later" in buttons(page):  # Later ▶ walks the window back, oldest page first
        page = await follow(bot, page, "message_view:later")
        at, entries = activity(page)
        if at == anchor:
            back.append(entries)
        assert len(back) < 50
    assert at == anchor and back
    walked = [e for p in reversed(back) for e in p]
    assert Counter(dict.fromkeys(walked, 1)) == Counter(dict.fromkeys(expected, 1))
    assert back[-1][0] == expected[0]  # it ends at the window's newest entry
    assert ViewRef.decode(buttons(page)["message_view:earlier"]["value"]) is not None


def json_text(message: dict[str, Any]) -> str:
    import json

    return json.dumps(message["blocks"], ensure_ascii=False)


def test_old_button_values_still_decode_and_new_ones_carry_the_cursor() -> None:
    old = ViewRef.decode('{"v":"u-1","a":1794960000000,"f":1}')
    assert old == ViewRef("u-1", anchor_ms=1794960000000, full=True) and old.page is None
    paged = ViewRef("u-1", anchor_ms=1794960000000, full=True, before_ms=1794950000000)
    assert ViewRef.decode(paged.encode()) == paged and paged.page is not None
    assert paged.page.before_ms == 1794950000000
    assert ViewRef.decode('{"v":"u-1","b":-5}') is None  # a tampered cursor is an out-of-date button
