"""POST /zendesk/webhook over real HTTP: signed, forged, stale, replayed, oversized and malformed deliveries,
duplicates and a restart between them, a 409 and a 429 on the write, Pendo down."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.notes.endpoint import ZENDESK_PATH
from bot.render.note import MARKER
from bot.sample import JANE, TICKET_JANE, TICKET_PRIVATE, TICKET_UNKNOWN_REQUESTER
from bot.zendesk.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signature_problem

from .conftest import Desk, FakeZendesk, NewDesk, signed


def notes(zd: FakeZendesk, ticket_id: int) -> list[str]:
    return [c["body"] for c in zd.helpdesk.notes(ticket_id)]


async def test_a_signed_webhook_is_answered_at_once_and_writes_one_private_note(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk: Desk = await new_desk()
    response = await desk.deliver(str(TICKET_JANE))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "queued": True}
    await desk.queue.idle()
    written = fake_zendesk.helpdesk.notes(TICKET_JANE)
    assert len(written) == 1
    assert written[0]["public"] is False
    assert MARKER in written[0]["body"] and "Jane Doe" in written[0]["body"]
    put = fake_zendesk.puts(TICKET_JANE)[0].json()["ticket"]
    assert put["safe_update"] is True and put["updated_stamp"]  # never a blind overwrite


async def test_the_id_may_be_a_number_and_other_fields_are_never_trusted(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    body = json.dumps({"ticket_id": TICKET_JANE, "requester_email": "mallory@evil.example"}).encode()
    response = await desk.http.post(ZENDESK_PATH, content=body, headers=signed(body))
    assert response.status_code == 200
    await desk.queue.idle()
    [note] = notes(fake_zendesk, TICKET_JANE)
    assert "mallory" not in note and JANE in note


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"content-type": "application/json"}, "unsigned"),
        ({"x-zendesk-webhook-signature": "AAAA", "x-zendesk-webhook-signature-timestamp": "NOW"}, "forged"),
        ("other-secret", "forged"),
        ("stale", "stale timestamp"),
        ("future", "stale timestamp"),
    ],
)
async def test_missing_forged_and_stale_signatures_are_refused_and_write_nothing(
    new_desk: NewDesk,
    fake_zendesk: FakeZendesk,
    caplog: pytest.LogCaptureFixture,
    headers: object,
    reason: str,
) -> None:
    desk = await new_desk()
    body = json.dumps({"ticket_id": str(TICKET_JANE)}).encode()
    if headers == "other-secret":
        sent = signed(body, secret="not-the-secret")
    elif headers == "stale":
        sent = signed(body, at=time.time() - 301)
    elif headers == "future":
        sent = signed(body, at=time.time() + 400)
    else:
        assert isinstance(headers, dict)
        sent = {
            k: v.replace("NOW", signed(body)["x-zendesk-webhook-signature-timestamp"])
            for k, v in headers.items()
        }
    with caplog.at_level(logging.WARNING):
        response = await desk.http.post(ZENDESK_PATH, content=body, headers=sent)
    assert response.status_code == 401
    await desk.queue.idle()
    assert notes(fake_zendesk, TICKET_JANE) == []
    assert fake_zendesk.controls.requests == []  # nothing was even read
    refusals = [r for r in caplog.records if r.getMessage() == "zendesk webhook refused"]
    assert len(refusals) == 1
    assert (
        str(TICKET_JANE) not in caplog.text
        and sent.get("x-zendesk-webhook-signature", "@@") not in caplog.text
    )


async def test_a_body_signed_then_changed_is_refused(new_desk: NewDesk, fake_zendesk: FakeZendesk) -> None:
    desk = await new_desk()
    body = json.dumps({"ticket_id": "1002"}).encode()
    response = await desk.http.post(
        ZENDESK_PATH, content=json.dumps({"ticket_id": str(TICKET_JANE)}).encode(), headers=signed(body)
    )
    assert response.status_code == 401
    assert notes(fake_zendesk, TICKET_JANE) == []


async def test_oversized_bodies_are_refused_with_413_before_the_signature(new_desk: NewDesk) -> None:
    desk = await new_desk()
    body = json.dumps({"ticket_id": "1001", "pad": "x" * 300_000}).encode()
    response = await desk.http.post(ZENDESK_PATH, content=body, headers=signed(body))
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused while it streams in
        for _ in range(40):
            yield b"x" * 10_000

    streamed = await desk.http.post(ZENDESK_PATH, content=chunks(), headers=signed(b""))
    assert streamed.status_code == 413


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"ticket_id=1001", "not JSON"),
        (b'["1001"]', "not a JSON object"),
        (b'{"id": "1001"}', 'no "ticket_id"'),
        (b'{"ticket_id": "12a"}', "not a ticket number"),
        (b'{"ticket_id": true}', "not a ticket number"),
        (b'{"ticket_id": -4}', "out of range"),
        (b'{"ticket_id": "{{ticket.id}}"}', "not a ticket number"),
        ('{"ticket_id": "١٠٠١"}'.encode(), "not a ticket number"),  # Unicode digits
        (b'{"ticket_id": "99999999999999999999"}', "out of range"),
        (b'{"ticket_id": 0}', "out of range"),
        (b'{"ticket_id": 1.5}', "not a ticket number"),
    ],
)
async def test_a_signed_body_that_is_not_the_triggers_is_a_400_saying_what_is_expected(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, body: bytes, says: str
) -> None:
    desk = await new_desk()
    response = await desk.http.post(ZENDESK_PATH, content=body, headers=signed(body))
    assert response.status_code == 400
    assert says in response.text
    assert fake_zendesk.controls.requests == []


async def test_a_replayed_or_duplicated_delivery_writes_one_note(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    body = json.dumps({"ticket_id": str(TICKET_JANE)}).encode()
    headers = signed(body)
    first = await desk.http.post(ZENDESK_PATH, content=body, headers=headers)
    replay = await desk.http.post(ZENDESK_PATH, content=body, headers=headers)  # the same bytes again
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json()["queued"] is False
    await desk.queue.idle()
    late = await desk.deliver(TICKET_JANE)  # Zendesk retrying after the note was written
    assert late.status_code == 200
    await desk.queue.idle()
    assert len(notes(fake_zendesk, TICKET_JANE)) == 1
    assert len(fake_zendesk.puts(TICKET_JANE)) == 1


@pytest.mark.parametrize("same", ["signature", "invocation id"])
async def test_a_replay_after_the_work_is_answered_200_and_queues_nothing(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, same: str
) -> None:
    desk = await new_desk()
    body = json.dumps({"ticket_id": str(TICKET_JANE)}).encode()
    headers = signed(body) | {"x-zendesk-webhook-invocation-id": "inv-1"}
    assert (await desk.http.post(ZENDESK_PATH, content=body, headers=headers)).status_code == 200
    await desk.queue.idle()
    assert len(notes(fake_zendesk, TICKET_JANE)) == 1
    read_before = len(fake_zendesk.controls.requests)
    if same == "signature":  # the very request again; and again without the (unsigned) invocation id
        replays = [headers, {k: v for k, v in headers.items() if k != "x-zendesk-webhook-invocation-id"}]
    else:  # the same delivery signed at another second (another signature): known by its invocation id
        replays = [signed(body, at=time.time() - 2) | {"x-zendesk-webhook-invocation-id": "inv-1"}]
    for again in replays:
        replay = await desk.http.post(ZENDESK_PATH, content=body, headers=again)
        assert replay.status_code == 200 and replay.json() == {"ok": True, "queued": False}
    await desk.queue.idle()
    assert len(fake_zendesk.controls.requests) == read_before  # nothing queued: the ticket is not even read
    other = await desk.deliver(TICKET_JANE)  # a new delivery (its own signature, no invocation id) is work
    assert other.json() == {"ok": True, "queued": True}


async def test_a_restart_between_deliveries_writes_no_second_note(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    before = await new_desk()
    await before.deliver(TICKET_JANE)
    await before.queue.idle()
    after = await new_desk()  # a new process: its memory knows nothing
    await after.deliver(TICKET_JANE)
    await after.queue.idle()
    assert len(notes(fake_zendesk, TICKET_JANE)) == 1
    assert after.queue.counts["already"] == 1  # found its own marker on the ticket


async def test_the_marker_is_found_past_the_newest_100_comments_and_no_further_page_is_read(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = fake_zendesk.helpdesk
    desk.add_comments(TICKET_JANE, [f"earlier reply {i}" for i in range(100)])
    before = await new_desk()
    await before.deliver(TICKET_JANE)
    await before.queue.idle()
    assert len(notes(fake_zendesk, TICKET_JANE)) == 1
    desk.add_comments(TICKET_JANE, [f"later reply {i}" for i in range(150)])
    newest_first = desk.comments[TICKET_JANE][::-1]
    assert len(newest_first) == 252 and MARKER in newest_first[150]["body"]  # on page 2 of 3
    fake_zendesk.controls.requests.clear()
    after = await new_desk()  # a restart: only the ticket's comments can say the note is there
    await after.deliver(TICKET_JANE)
    await after.queue.idle()
    assert len(notes(fake_zendesk, TICKET_JANE)) == 1
    assert after.queue.counts["already"] == 1
    pages = [
        r for r in fake_zendesk.controls.requests if r.path == f"/api/v2/tickets/{TICKET_JANE}/comments.json"
    ]
    assert len(pages) == 2  # page 3 is never asked for: the marker was on page 2


async def test_a_409_reads_the_ticket_again_and_writes_once(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    # an agent saved the ticket between the bot's read and its write
    fake_zendesk.controls.fail(
        rf"^/api/v2/tickets/{TICKET_JANE}\.json$", 409, times=1, body_regex='"comment"'
    )
    await desk.deliver(TICKET_JANE)
    await desk.queue.idle()
    assert len(fake_zendesk.puts(TICKET_JANE)) == 2
    reads = [
        r
        for r in fake_zendesk.controls.requests
        if r.method == "GET" and r.path == f"/api/v2/tickets/{TICKET_JANE}.json"
    ]
    assert len(reads) == 2  # read again after the 409, for the new updated_at
    assert len(notes(fake_zendesk, TICKET_JANE)) == 1


async def test_the_sample_answers_a_stale_stamp_with_409_like_zendesk(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    zendesk = desk.deps.notes.zendesk if desk.deps.notes else None
    assert zendesk is not None
    bundle = await zendesk.fresh_ticket(TICKET_JANE)
    await zendesk.update_ticket(
        TICKET_JANE, {"tags": ["edited_by_agent"]}, updated_stamp=bundle.ticket.updated_at
    )
    from bot.zendesk.client import TicketConflict

    with pytest.raises(TicketConflict):  # the stamp read before the agent's edit is stale now
        await zendesk.update_ticket(TICKET_JANE, {"tags": ["x"]}, updated_stamp=bundle.ticket.updated_at)


async def test_a_429_is_retried_after_retry_after_and_nothing_is_lost(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    fake_zendesk.controls.fail(
        rf"^/api/v2/tickets/{TICKET_JANE}\.json$", 429, times=1, retry_after=0.3, body_regex='"comment"'
    )
    started = time.monotonic()
    await desk.deliver(TICKET_JANE)
    await desk.queue.idle()
    assert time.monotonic() - started >= 0.3  # waited as Zendesk asked (the backoff alone is 0.05 s)
    assert desk.queue.counts["retries"] == 1 and desk.queue.counts["written"] == 1
    assert len(notes(fake_zendesk, TICKET_JANE)) == 1


async def test_the_per_ticket_update_limit_answers_429_with_retry_after(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    fake_zendesk.helpdesk.per_ticket = (2, 600.0)
    assert desk.deps.notes is not None
    zendesk = desk.deps.notes.zendesk
    from bot.http.errors import RateLimited

    for _ in range(2):
        bundle = await zendesk.fresh_ticket(TICKET_JANE)
        await zendesk.update_ticket(TICKET_JANE, {"tags": ["a"]}, updated_stamp=bundle.ticket.updated_at)
    with pytest.raises(RateLimited) as refused:
        await zendesk.update_ticket(TICKET_JANE, {"tags": ["b"]}, updated_stamp=None)
    assert refused.value.retry_after is not None and 590 <= refused.value.retry_after <= 600
    assert len(fake_zendesk.puts(TICKET_JANE)) == 3  # a write is sent once, never retried blind


async def test_pendo_down_is_retried_then_given_up_with_one_log_line(
    new_desk: NewDesk, fake_zendesk: FakeZendesk, caplog: pytest.LogCaptureFixture
) -> None:
    desk = await new_desk()
    desk.queue.window = 0.5
    desk.pendo.fail(r".", 503)
    with caplog.at_level(logging.WARNING, logger="bot.notes.queue"):
        await desk.deliver(TICKET_JANE)
        await desk.queue.idle()
    assert notes(fake_zendesk, TICKET_JANE) == []
    assert desk.queue.counts["retries"] >= 2 and desk.queue.counts["gave_up"] == 1
    assert [r.getMessage() for r in caplog.records if r.name == "bot.notes.queue"] == [
        "pendo note not written: still failing after the retry window, giving up"
    ]


async def test_pendo_back_within_the_window_gets_the_note_written(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    desk.pendo.fail(r".", 503, times=6)
    await desk.deliver(TICKET_JANE)
    await desk.queue.idle()
    assert desk.queue.counts["retries"] >= 1
    assert len(notes(fake_zendesk, TICKET_JANE)) == 1


async def test_opted_out_and_not_found_requesters_get_no_note_unless_asked(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    for ticket in (TICKET_PRIVATE, TICKET_UNKNOWN_REQUESTER):
        await desk.deliver(ticket)
    await desk.queue.idle()
    assert notes(fake_zendesk, TICKET_PRIVATE) == [] and notes(fake_zendesk, TICKET_UNKNOWN_REQUESTER) == []
    assert desk.queue.counts["skipped"] == 2

    asked = await new_desk(zendesk_note_not_found=True)
    await asked.deliver(TICKET_PRIVATE)
    await asked.deliver(TICKET_UNKNOWN_REQUESTER)
    await asked.queue.idle()
    assert notes(fake_zendesk, TICKET_PRIVATE) == []  # opted out: never, whatever the setting
    [note] = notes(fake_zendesk, TICKET_UNKNOWN_REQUESTER)
    assert "No Pendo visitor has the requester's email" in note


async def test_a_ticket_the_bot_cannot_see_fails_once_without_retrying(
    new_desk: NewDesk, fake_zendesk: FakeZendesk
) -> None:
    desk = await new_desk()
    await desk.deliver(987654321)  # not a ticket of this account
    await desk.queue.idle()
    assert desk.queue.counts["failed"] == 1 and desk.queue.counts["retries"] == 0
    assert [r for r in fake_zendesk.controls.requests if r.method == "PUT"] == []


def test_the_signature_matches_zendesks_scheme_on_a_fixed_vector() -> None:
    # Checked with: printf '%s' '2021-07-25T10:00:00Z{"say": "hello"}' |
    #   openssl dgst -sha256 -hmac 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=' -binary | base64
    secret, stamp, body = (
        "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=",
        "2021-07-25T10:00:00Z",
        b'{"say": "hello"}',
    )
    expected = "Rry/4TtIdFyawtXXp8QdI6tlAUUQ/5kL1OTp5qo/ZIk="
    assert sign(secret, stamp, body) == expected
    headers = {SIGNATURE_HEADER: expected, TIMESTAMP_HEADER: stamp}
    at = datetime(2021, 7, 25, 10, 0, 30, tzinfo=UTC).timestamp()
    assert signature_problem(secret, headers, body, at) is None
    assert signature_problem(secret, headers, body + b" ", at) == "bad signature"


@pytest.mark.parametrize("stamp", ["EPOCH", "2021-07-25T10:00:00", "", "2021-07-25 10:00:00Z x"])
def test_only_an_iso_8601_timestamp_with_a_zone_is_accepted(stamp: str) -> None:
    now = time.time()
    raw = str(int(now)) if stamp == "EPOCH" else stamp  # Zendesk sends ISO 8601; a bare epoch is not its
    body = b'{"ticket_id": "1"}'
    headers = {SIGNATURE_HEADER: sign("s", raw, body), TIMESTAMP_HEADER: raw}
    assert signature_problem("s", headers, body, now) in ("bad timestamp", "unsigned")
