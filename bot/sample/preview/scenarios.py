"""The sidebar's "what to try": named people and every sample ticket, with what each one shows."""

from __future__ import annotations

from typing import Any

from bot.sample.data import (
    GLOBEX,
    JANE,
    MULTI,
    NOBODY,
    OPS,
    POWER_USER,
    PRIVATE,
    SAM,
    TICKET_AFTER_MIDNIGHT,
    TICKET_FORBIDDEN,
    TICKET_JANE,
    TICKET_MULTI,
    TICKET_NO_EMAIL,
    TICKET_OPS,
    TICKET_PRIVATE,
    TICKET_SAM,
    TICKET_UNKNOWN_REQUESTER,
    Workspace,
)

# What each sample ticket demonstrates (the dataset's comments say why each exists).
TICKET_NOTES: dict[int, str] = {
    TICKET_JANE: "a daily user and an NPS detractor: what she did in the hours before filing",
    TICKET_NO_EMAIL: "a phone call with no requester email: the ticket only",
    TICKET_UNKNOWN_REQUESTER: "a requester Pendo has never seen",
    TICKET_OPS: "two Pendo visitors share the requester's email: none is guessed",
    TICKET_SAM: "the email's case differs between Zendesk and Pendo: still found",
    TICKET_AFTER_MIDNIGHT: "filed minutes after midnight ({zone}, the Pendo subscription's day): the timeline "
    "crosses the day",
    TICKET_PRIVATE: "the requester opted out of processing: no activity shown",
    TICKET_MULTI: "an urgent escalation from someone in three accounts",
    TICKET_FORBIDDEN: "a ticket the bot's Zendesk user may not see",
}


def scenarios(
    ws: Workspace, zendesk_host: str, *, email_field: str, dedupe_seconds: int
) -> list[dict[str, Any]]:
    """Groups of suggestions; each item is something the page can do with one click."""

    def command(text: str, label: str, note: str) -> dict[str, Any]:
        return {"label": label, "note": note, "do": "command", "text": f"/pendo {text}"}

    people = [
        command(JANE, "A daily user", f"{JANE}: an NPS detractor"),
        command(POWER_USER, "A heavy user", f"{POWER_USER}: a promoter, three apps"),
        command(MULTI, "Three accounts", MULTI),
        command(OPS, "An ambiguous email", f"{OPS}: two visitors, pick one"),
        command(PRIVATE, "An opted-out visitor", f"{PRIVATE}: no activity shown"),
        command(SAM.lower(), "Case differs from Pendo", SAM.lower()),
        command(NOBODY, "Nobody in Pendo", NOBODY),
        command("help", "Help", "what /pendo understands"),
    ]
    if not email_field:
        people[3]["note"] = f"{OPS}: ambiguous only with PENDO_EMAIL_FIELD=agent/email"
    tickets = []
    for ticket_id in sorted(ws.tickets):
        subject = str(ws.tickets[ticket_id].get("subject") or "")
        url = f"https://{zendesk_host}/agent/tickets/{ticket_id}"
        note = TICKET_NOTES.get(ticket_id, "").format(zone=ws.timezone) or _ticket_note(ws, ticket_id)
        tickets.append(
            {
                "label": f"#{ticket_id} {subject}",
                "note": note,
                "do": "paste",
                "text": url,
                "ticket": ticket_id,
            }
        )
    first = min(ws.tickets)
    accounts = [
        command("account acme corp", "An account by name", "two accounts are named so: pick one"),
        command(f"account {GLOBEX}", "An account by ID", "figures, top visitors; Show more for detail"),
    ]
    elsewhere = [
        {
            "label": "Pendo context on a message",
            "note": "the message shortcut: every email and ticket in it, privately",
            "do": "shortcut",
            "text": f"Hi, {JANE} here (cc {SAM.lower()}): about https://{zendesk_host}/agent/tickets/{first}",
        },
        {
            "label": "The Pendo lookup shortcut",
            "note": "a small form: an email, a ticket number or an account",
            "do": "global",
            "callback": "pendo_lookup",
            "text": "",
        },
        {
            "label": "Mention @pendo with an email",
            "note": "answered in the thread",
            "do": "mention",
            "text": f"@pendo who is {JANE}?",
        },
    ]
    preferences = [
        {
            "label": "Your preferences in the Home tab",
            "note": "event kinds, compact or full first, your links' unfurls, fields, time zone",
            "do": "home",
            "text": "",
        },
        command("settings", "The same form from /pendo settings", "a modal; each change is kept at once"),
    ]
    return [
        {"title": "Look someone up", "items": people},
        {"title": "Accounts", "hint": "Every visitor summary has Open account too.", "items": accounts},
        {"title": "On any message", "items": elsewhere},
        {
            "title": "Your preferences",
            "hint": "They shape your private answers; unfurls and shared summaries keep the workspace's.",
            "items": preferences,
        },
        {
            "title": "Paste a ticket link (it unfurls)",
            "hint": "Or type /pendo with the number: the same, privately. A ticket pasted again in the same "
            f"channel within {dedupe_seconds} s is not unfurled again.",
            "items": tickets,
        },
        {
            "title": "Slack Connect",
            "items": [
                {
                    "label": "Paste a ticket in #ext-acme",
                    "note": "a channel shared with a customer: nothing unfurls, Share refuses",
                    "do": "paste",
                    "channel": "ext-acme",
                    "text": f"https://{zendesk_host}/agent/tickets/{first}",
                }
            ],
        },
    ]


def _ticket_note(ws: Workspace, ticket_id: int) -> str:
    """For a ticket the notes above do not know: what the data says about its requester."""
    requester = ws.zendesk_users.get(int(ws.tickets[ticket_id].get("requester_id") or 0), {})
    email = str(requester.get("email") or "").lower()
    if not email:
        return "a requester with no email"
    visitors = [
        v
        for v in ws.visitors.values()
        if str(v["metadata"].get("agent", {}).get("email", "")).lower() == email
    ]
    if not visitors:
        return "a requester Pendo has never seen"
    if len(visitors) > 1:
        return f"{len(visitors)} Pendo visitors share the requester's email"
    accounts = len(visitors[0].get("accountIds") or [])
    return f"a requester in {accounts} account{'s' if accounts != 1 else ''}"
