"""Zendesk tickets as Slack Work Objects (`WORK_OBJECTS=on`): pure builders, no I/O.

A ticket is a `slack#/entities/task` (Slack's task entity has exactly a ticket's fields: status,
priority, assignee, created by, date created). Two shapes:

- the unfurl's entity (`chat.unfurl` `metadata.entities[]`), seen by everyone in the channel: the ticket
  header only, the same facts as the Block Kit header sent with it as the fallback;
- the flexpane's entity (`entity.presentDetails` `metadata`), seen only by the person who opened it and
  only when the access rules allow them: the same ticket plus the requester's Pendo context as custom
  fields.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from bot.domain import signals
from bot.domain.friction import Spot
from bot.domain.models import Ambiguous, NotFoundInPendo, VisitorFacts
from bot.domain.tickets import TicketFacts
from bot.render import friction as friction_words
from bot.render import nps as nps_words
from bot.render import words
from bot.render.format import number, plural, truncate, when
from bot.zendesk.models import TicketBundle

ENTITY_TYPE = "slack#/entities/task"
REF_TYPE = "zendesk_ticket"
TITLE_LIMIT = 200
FIELD_LIMIT = 500


def _text(value: str, limit: int = FIELD_LIMIT) -> str:
    return truncate(value, limit)


def ticket_ref_id(ticket_id: int) -> dict[str, str]:
    return {"id": str(ticket_id), "type": REF_TYPE}


def ticket_entity(bundle: TicketBundle, app_unfurl_url: str | None = None) -> dict[str, Any]:
    """The channel's card: the ticket's header, nothing about the requester's product usage."""
    t = bundle.ticket
    fields: dict[str, Any] = {
        "status": {"value": _text(words.ticket_status_label(t.status, bundle.status_label), 100)},
        "date_created": {"value": t.created_ms // 1000},
    }
    priority = words.ticket_priority(t.priority)
    if priority:
        fields["priority"] = {"value": _text(priority, 100)}
    if bundle.requester and bundle.requester.name:
        requester = bundle.requester.name
        if bundle.organization and bundle.organization.name:
            requester += f" ({bundle.organization.name})"
        fields["created_by"] = {"type": "string", "value": _text(requester, 200)}
    fields["assignee"] = {
        "type": "string",
        "value": _text(bundle.assignee.name, 200)
        if bundle.assignee and bundle.assignee.name
        else "Unassigned",
    }
    entity: dict[str, Any] = {
        "entity_type": ENTITY_TYPE,
        "url": bundle.agent_url,
        "external_ref": ticket_ref_id(t.id),
        "entity_payload": {
            "attributes": {
                "title": {"text": _text(f"#{t.id} {t.title}", TITLE_LIMIT)},
                "display_id": f"#{t.id}",
                "display_type": "Zendesk ticket",
                "product_name": "Zendesk",
            },
            "fields": fields,
            "display_order": [
                k for k in ("status", "priority", "created_by", "assignee", "date_created") if k in fields
            ],
        },
    }
    if app_unfurl_url:
        entity["app_unfurl_url"] = app_unfurl_url
    return entity


def flexpane_entity(tc: TicketFacts) -> dict[str, Any]:
    """The per-user panel: the ticket, then the requester's Pendo context as custom fields."""
    entity = ticket_entity(tc.bundle)
    custom = pendo_fields(tc)
    entity["entity_payload"]["custom_fields"] = custom
    entity["entity_payload"]["display_order"] += [f["key"] for f in custom]
    return entity


def pendo_fields(tc: TicketFacts) -> list[dict[str, Any]]:
    """The requester's Pendo context, in Slack's custom field types."""
    result = tc.pendo
    if isinstance(result, Ambiguous):
        return [
            _string("pendo", "Pendo", f"{len(result.candidates)} Pendo visitors have this email: use /pendo")
        ]
    if isinstance(result, NotFoundInPendo):
        return [_string("pendo", "Pendo", words.not_found(result))]
    if not isinstance(result, VisitorFacts):
        reason = tc.reason
        text = words.no_pendo(reason, tc.bundle.ticket.via_channel) if reason else None
        return [_string("pendo", "Pendo", text or "No Pendo context for this requester.")]
    p = result.profile
    out = [_string("pendo_visitor", "Pendo visitor", p.title, link=p.url)]
    if p.opted_out:
        out.append(_string("pendo", "Pendo", "Opted out of processing in Pendo: no activity shown."))
        return out
    stand_out = friction_words.stand_out_line(
        signals.stand_out(result), _day, ticket=result.anchor_ms is not None
    )
    if stand_out:
        out.append(_string("pendo_stand_out", "Stands out", stand_out))
    u = result.usage
    if u is not None:
        out.append(_string("pendo_activity", "Active", words.active_days(u.frequency, u.days_active)))
        out.append(_string("pendo_events", "Events (30 d)", f"{number(u.events)} ({u.events_trend.label})"))
        if u.depth:
            out.append(_string("pendo_depth", "Features used (30 d)", nps_words.depth_field(u.depth)))
    if result.nps is not None:
        a = result.nps
        when = nps_words.relative_to_ticket(a.ts_ms, tc.bundle.ticket.created_ms)
        comment = f": “{nps_words.first_line(a.comment, 200)[0]}”" if a.comment else ""
        out.append(_string("pendo_nps", "NPS", f"{a.score} ({a.category.value}), {when}{comment}", long=True))
    f = result.friction
    strongest = friction_words.strongest_line(f, _name, _time) if f is not None else None
    if strongest:
        out.append(_string("pendo_friction", "Friction", strongest, long=True))
    if p.last_visit_ms:
        out.append(
            {
                "key": "pendo_last_seen",
                "label": "Last seen",
                "type": "slack#/types/timestamp",
                "value": p.last_visit_ms // 1000,
            }
        )
    by_id = {a.id: a for a in result.accounts}
    if p.account_ids:
        first = by_id.get(p.account_ids[0])
        name = first.name if first else p.account_ids[0]
        extra = f" and {plural(len(p.account_ids) - 1, 'more account')}" if len(p.account_ids) > 1 else ""
        out.append(_string("pendo_account", "Account", f"{name}{extra}", link=first.url if first else None))
    t = result.timeline
    if t is not None:
        recent = [e for e in t.entries if e.kind != "ticket"][:5]
        if recent:
            lines = "\n".join(f"{e.name}{f' ×{e.count}' if e.count > 1 else ''}" for e in recent)
            out.append(
                _string(
                    "pendo_recent",
                    "Just before the ticket" if t.marker else "Recent activity",
                    lines,
                    long=True,
                )
            )
    replay = f.nearest_replay if f is not None else None
    if f is not None and replay is not None and replay.url:
        words_ = friction_words.replay_words(f, replay, _time)
        out.append(_string("pendo_replay", "▶ Replay", words_, link=replay.url))
    if result.gaps:
        out.append(_string("pendo_gaps", "Missing", "; ".join(words.gap_sentences(result.gaps)), long=True))
    return out


def _time(ms: int) -> str:
    """A time in a panel's plain text (no date tokens there): UTC, said so."""
    return when(ms, UTC, "%Y-%m-%d %H:%M UTC")


def _day(ms: int) -> str:
    return when(ms, UTC, "%Y-%m-%d")


def _name(s: Spot) -> str:
    return truncate(s.name, 60)


def _string(
    key: str, label: str, value: str, *, link: str | None = None, long: bool = False
) -> dict[str, Any]:
    field: dict[str, Any] = {"key": key, "label": label, "type": "string", "value": _text(value)}
    if link:
        field["link"] = link
    if long:
        field["long"] = True
    return field


def refusal(message: str) -> dict[str, Any]:
    """`entity.presentDetails` `error`: the panel says why, and shows nothing about the customer."""
    return {
        "status": "custom",
        "custom_title": "Pendo context not available",
        "custom_message": _text(message, 300),
    }
