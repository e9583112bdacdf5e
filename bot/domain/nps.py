"""NPS from Pendo's `pollEvents` rows: pure computations, no I/O, each tested directly.

What this relies on (shared/reference/zendesk-writeback-pendo-nps.md, B5):

- an NPS survey is two polls of one guide: the score poll has `attributes.type == "NPSRating"` and names
  the free-text poll in `attributes.followUp`. When a score poll names no follow-up, the guide's one other
  poll is taken (Pendo's ETL examples read an NPS guide's two polls); nothing relies on the polls' order;
- `pollResponse` is a string, the score too ("9"); a score that is not a whole number 0-10 is skipped;
- the text is paired with its score as Pendo's own Looker block does: same visitor, the text poll's
  `browserTime` within [score − 100 ms, score + 100 ms);
- "latest" is the newest `browserTime` (Fivetran's latest-rating model does the same); an account's NPS
  counts each answering visitor's latest answer in the window, as Fivetran's model does per visitor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.models import AccountNps, NpsAnswer, NpsCategory
from bot.pendo.models import Guide

PAIRING_MS = 100  # Pendo's Looker block: the follow-up within ±100 ms of the score
LATEST_SHOWN = 3


@dataclass(frozen=True)
class NpsPoll:
    guide_id: str
    survey: str | None
    follow_up: str | None


def nps_polls(guides: Mapping[str, Guide]) -> dict[str, NpsPoll]:
    """Score poll id → its guide, survey name and text poll, for every NPS score poll in `guides`."""
    out: dict[str, NpsPoll] = {}
    for guide in guides.values():
        for poll in guide.polls:
            if (poll.attributes.type or "").casefold() != "npsrating":
                continue
            follow_up = poll.attributes.follow_up
            if follow_up is None:
                others = [p.id for p in guide.polls if p.id != poll.id]
                follow_up = others[0] if len(others) == 1 else None
            out[poll.id] = NpsPoll(guide.id, guide.name, follow_up)
    return out


def unrecognised(guides: Mapping[str, Guide]) -> list[str]:
    """Guides with two or more polls and none of type NPSRating: an NPS survey would look like this if
    Pendo named the score poll's type otherwise (the type is inferred from Pendo's examples), so the
    caller says so in the log."""
    return sorted(
        g.id
        for g in guides.values()
        if len(g.polls) >= 2 and not any((p.attributes.type or "").casefold() == "npsrating" for p in g.polls)
    )


def guide_ids(rows: list[dict[str, Any]]) -> set[str]:
    """The guides whose polls were answered: only these are asked for."""
    return {str(r["guideId"]) for r in rows if isinstance(r.get("guideId"), str) and r["guideId"]}


def _time(row: dict[str, Any]) -> int | None:
    value = row.get("browserTime")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN
        return None
    return int(value)


def _score(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, str | int) else ""
    if not text.isdigit():
        return None
    score = int(text)
    return score if 0 <= score <= 10 else None


def answers(rows: list[dict[str, Any]], polls: Mapping[str, NpsPoll]) -> list[NpsAnswer]:
    """Every NPS answer in `rows`, each with its text when one was given; newest first."""
    texts: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for row in rows:
        t, visitor, poll = _time(row), row.get("visitorId"), row.get("pollId")
        response = row.get("pollResponse")
        if t is not None and isinstance(visitor, str) and isinstance(poll, str) and isinstance(response, str):
            texts.setdefault((visitor, poll), []).append((t, response))
    out = []
    used: set[tuple[str, str, int]] = set()
    for row in rows:
        t, visitor, poll_id = _time(row), row.get("visitorId"), row.get("pollId")
        poll = polls.get(poll_id) if isinstance(poll_id, str) else None
        score = _score(row.get("pollResponse"))
        if poll is None or t is None or score is None or not isinstance(visitor, str) or not visitor:
            continue
        comment = None
        if poll.follow_up is not None:
            near = [
                (abs(tt - t), tt, text)
                for tt, text in texts.get((visitor, poll.follow_up), [])
                if t - PAIRING_MS <= tt < t + PAIRING_MS and (visitor, poll.follow_up, tt) not in used
            ]
            if near:
                _, tt, text = min(near)
                used.add((visitor, poll.follow_up, tt))
                comment = text.strip() or None
        account = row.get("accountId")
        out.append(
            NpsAnswer(
                visitor_id=visitor,
                account_id=account if isinstance(account, str) and account else None,
                score=score,
                ts_ms=t,
                comment=comment,
                survey=poll.survey,
            )
        )
    out.sort(key=lambda a: (-a.ts_ms, a.visitor_id))
    return out


def latest(found: list[NpsAnswer], *, until_ms: int) -> NpsAnswer | None:
    """The newest answer given at or before `until` (the query's window bounds the other end)."""
    inside = [a for a in found if a.ts_ms <= until_ms]
    return max(inside, key=lambda a: a.ts_ms, default=None)


def account_nps(
    found: list[NpsAnswer], account_id: str, *, until_ms: int, days: int = 90
) -> AccountNps | None:
    """The account's NPS from each visitor's latest answer given in the account at or before `until`
    (the query's window, `days` local days, bounds the other end); None when nobody answered."""
    per_visitor: dict[str, NpsAnswer] = {}
    for a in found:
        if a.account_id != account_id or a.ts_ms > until_ms:
            continue
        if a.visitor_id not in per_visitor or a.ts_ms > per_visitor[a.visitor_id].ts_ms:
            per_visitor[a.visitor_id] = a
    if not per_visitor:
        return None
    counted = sorted(per_visitor.values(), key=lambda a: (-a.ts_ms, a.visitor_id))
    categories = [a.category for a in counted]
    return AccountNps(
        promoters=categories.count(NpsCategory.PROMOTER),
        passives=categories.count(NpsCategory.PASSIVE),
        detractors=categories.count(NpsCategory.DETRACTOR),
        latest=counted[:LATEST_SHOWN],
        days=days,
    )


def named(nps: AccountNps, names: Mapping[str, str]) -> AccountNps:
    """The same NPS with each shown answer's `who` filled from `names` (visitor id → name or email)."""
    return replace(nps, latest=[replace(a, who=names.get(a.visitor_id)) for a in nps.latest])
