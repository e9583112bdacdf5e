"""The sample's in-app surveys: NPS guides with their two polls, and `pollEvents` rows shaped as Pendo's.

What the shapes rest on (shared/reference/zendesk-writeback-pendo-nps.md, part B5):

- an NPS survey is a guide with **two polls**, one for the 0-10 score and one for the free text (Pendo's
  ETL readme: "NPS Polls are actually considered two separate polls"); the score poll says
  `attributes.type == "NPSRating"` and names the text poll in `attributes.followUp` (Fivetran's Pendo
  models, Pendo's guide components). The polls are listed text poll first here, so nothing may rely on
  `polls[0]` being the score;
- answers are `pollEvents` rows (fields from tap-pendo's schema and Pendo's Looker block): `visitorId`,
  `accountId`, `accountIds`, `appId`, `guideId`, `pollId`, `browserTime` (epoch ms), `pollResponse`
  (**a string**, the score too), `type`, `country`, `region`, `remoteIp`, `serverName`, `userAgent`;
  any of the optional ones may be missing;
- the text answer is a separate row a few milliseconds after the score (Pendo's Looker block pairs them
  by `browserTime` ± 100 ms, per visitor); a visitor who dismisses the text box leaves no text row;
- another guide's ordinary poll ("Was this helpful?", a `NumberScale` 1-5) is not NPS.

Who answered what (the stories the demo and tests tell), relative to "now":

- Jane (Acme) is a detractor: 3, twelve days before her ticket, with a comment that has `&`, `<`, `>` and
  a line break; she answered 8 in the spring and 10 over a year ago (outside the 12 months);
- Priya (Acme) is a promoter (10), Morgan (Umbrella) a passive (7, no comment, on the mobile survey);
- Dale (Globex) answered 6 a hundred days ago: his own latest (within 12 months), but outside the
  account's 90 days; Sam (Globex) was never asked; Pat (Hooli) opted out of processing (a detractor
  nobody may see); Tony's account (Stark) opted out;
- four more Acme visitors answered within the 90 days (one twice: only the latest counts for the
  account's score), and one 95 days ago (outside); one Acme row lacks its `accountId` (it counts for the
  visitor, not for the account).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]
DAY_MS = 86_400_000
HOUR_MS = 3_600_000

NPS_GUIDE = "guide-nps-survey"
NPS_SCORE_POLL = "poll-nps-score"
NPS_TEXT_POLL = "poll-nps-reason"
MOBILE_NPS_GUIDE = "guide-nps-mobile"
MOBILE_NPS_SCORE_POLL = "poll-nps-mobile-score"
MOBILE_NPS_TEXT_POLL = "poll-nps-mobile-reason"
HELPFUL_GUIDE = "guide-report-builder-launch"
HELPFUL_POLL = "poll-report-builder-helpful"

GUIDE_POLLS: dict[str, list[Json]] = {
    NPS_GUIDE: [
        {
            "id": NPS_TEXT_POLL,
            "question": "What is the main reason for your score?",
            "attributes": {"type": "FreeForm"},
        },
        {
            "id": NPS_SCORE_POLL,
            "question": "How likely are you to recommend Sample SaaS to a friend or colleague?",
            "attributes": {"type": "NPSRating", "followUp": NPS_TEXT_POLL},
        },
    ],
    MOBILE_NPS_GUIDE: [
        {"id": MOBILE_NPS_TEXT_POLL, "question": "Tell us why", "attributes": {"type": "FreeForm"}},
        {
            "id": MOBILE_NPS_SCORE_POLL,
            "question": "How likely are you to recommend us?",
            "attributes": {"type": "NPSRating", "followUp": MOBILE_NPS_TEXT_POLL},
        },
    ],
    HELPFUL_GUIDE: [
        {"id": HELPFUL_POLL, "question": "Was this helpful?", "attributes": {"type": "NumberScale"}},
    ],
}

JANE_COMMENT = (
    "Updating our card fails every time & the <invoice> page takes forever to load.\n"
    "We're evaluating alternatives before the renewal; please call me."
)


@dataclass(frozen=True)
class Answer:
    """One survey answer: who, where, when, the score and the optional text."""

    visitor_id: str
    account_id: str | None  # None: the row has no accountId (Pendo omits it now and then)
    guide_id: str
    ts: int
    score: int
    comment: str | None = None
    app_id: int = -323232


_OPTIONAL = ("country", "region", "type", "accountIds", "userAgent")


def rows(answers: list[Answer], accounts_of: dict[str, list[str]], now_ms: int) -> list[Json]:
    """`pollEvents` rows, ascending by browserTime: a score row, then (a few ms later) the text row."""
    polls = {g: {p["attributes"]["type"]: p["id"] for p in ps} for g, ps in GUIDE_POLLS.items()}
    out: list[Json] = []
    for i, a in enumerate(sorted(answers, key=lambda a: (a.ts, a.visitor_id))):
        if a.ts >= now_ms:
            continue
        kinds = polls[a.guide_id]
        score_poll = kinds.get("NPSRating") or kinds["NumberScale"]
        base: Json = {
            "visitorId": a.visitor_id,
            "accountIds": accounts_of.get(a.visitor_id, []),
            "appId": a.app_id,
            "guideId": a.guide_id,
            "country": "US",
            "region": "IL",
            "remoteIp": f"203.0.113.{10 + i % 200}",
            "serverName": "app.sample-saas.example",
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36",
            "type": "pollResponse",
        }
        if a.account_id is not None:
            base["accountId"] = a.account_id
        for n, name in enumerate(_OPTIONAL):  # some rows miss an optional field, as tap-pendo allows
            if i % 5 == n and name in base:
                del base[name]
        out.append(base | {"pollId": score_poll, "browserTime": a.ts, "pollResponse": str(a.score)})
        if a.comment is not None:
            text_poll = kinds["FreeForm"]
            lag = 3 + i % 40  # a few milliseconds after the score
            out.append(base | {"pollId": text_poll, "browserTime": a.ts + lag, "pollResponse": a.comment})
    return out


def answers(
    now_ms: int,
    ticket_jane_ms: int,
    named: dict[str, str],
    acme_others: list[str],
    mobile_app_id: int,
) -> list[Answer]:
    """The sample's answers. `named`: role → visitor id (jane, power, multi, dormant, private, tony);
    `acme_others`: four or more other Acme visitors, in a fixed order."""
    jane, power, multi = named["jane"], named["power"], named["multi"]
    a1, a2, a3, a4, a5 = acme_others[:5]
    minute = 60_000
    return [
        # Jane: a detractor twelve days before her ticket; earlier answers are older.
        Answer(jane, "acme", NPS_GUIDE, ticket_jane_ms - 12 * DAY_MS - 37 * minute, 3, JANE_COMMENT),
        Answer(jane, "acme", NPS_GUIDE, now_ms - 210 * DAY_MS, 8, "Good, but billing is confusing."),
        Answer(jane, "acme", NPS_GUIDE, now_ms - 400 * DAY_MS, 10, "Great product!"),
        Answer(
            power, "acme", NPS_GUIDE, now_ms - 40 * DAY_MS + 5 * HOUR_MS, 10, "Love the new report builder."
        ),
        Answer(multi, "umbrella", MOBILE_NPS_GUIDE, now_ms - 20 * DAY_MS, 7, None, mobile_app_id),
        Answer(named["dormant"], "globex", NPS_GUIDE, now_ms - 100 * DAY_MS, 6, "We stopped using it."),
        Answer(named["private"], "hooli", NPS_GUIDE, now_ms - 15 * DAY_MS, 0, "Delete my data."),
        Answer(named["tony"], "stark", NPS_GUIDE, now_ms - 30 * DAY_MS, 9, "Works for us."),
        # Acme: the rest of the account's 90 days (a2 answered twice; a5 outside the window).
        Answer(a1, "acme", NPS_GUIDE, now_ms - 5 * DAY_MS, 9, "Fast and reliable."),
        Answer(a2, "acme", NPS_GUIDE, now_ms - 80 * DAY_MS, 4, "Too many bugs."),
        Answer(a2, "acme", NPS_GUIDE, now_ms - 9 * DAY_MS, 9, None),
        Answer(
            a3, "acme", MOBILE_NPS_GUIDE, now_ms - 33 * DAY_MS, 6, "The app crashes on login.", mobile_app_id
        ),
        Answer(a4, None, NPS_GUIDE, now_ms - 50 * DAY_MS, 8, "Fine."),
        Answer(a5, "acme", NPS_GUIDE, now_ms - 95 * DAY_MS, 2, "Slow support."),
        # Not NPS: "Was this helpful?" answers on the report builder announcement.
        Answer(jane, "acme", HELPFUL_GUIDE, now_ms - 3 * DAY_MS, 1),
        Answer(a1, "acme", HELPFUL_GUIDE, now_ms - 4 * DAY_MS, 5),
    ]
