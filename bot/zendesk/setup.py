"""`pendo-bot zendesk-setup` and the Zendesk part of `pendo-bot check`: the webhook and the trigger.

The webhook (`POST /api/v2/webhooks`, subscription `conditional_ticket_events` so a trigger can call it)
points at the bot's `/zendesk/webhook`; the trigger ("Ticket is Created": `update_type is Create`)
calls it with `TRIGGER_BODY`: the ticket id, the requester's email and the ticket's creation and update
times (placeholders from Zendesk's placeholder reference), which let the bot write a note with one
request. Both are found again by their name and title, so a second run updates them instead of creating
twins (a trigger still sending the old `{"ticket_id": "{{ticket.id}}"}` gets the new body; `check` warns
about one until then). A webhook of that name already pointing elsewhere
(another deployment's) is only re-pointed with `replace` (`--replace`); `check` compares its endpoint
with PUBLIC_URL when that is set. Shapes from developer.zendesk.com (webhooks API,
triggers API), as summarised in shared/reference/zendesk-writeback-pendo-nps.md §A3.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bot.http.errors import Forbidden, UpstreamError
from bot.zendesk.client import ZendeskClient
from bot.zendesk.models import Trigger, Webhook

Explain = Callable[[UpstreamError], str]  # a failure in words for whoever runs the bot

WEBHOOK_NAME = "Pendo context for Slack"
TRIGGER_TITLE = "Pendo context for Slack: note on new tickets"
TRIGGER_BODY = (
    '{"ticket_id": "{{ticket.id}}", "requester_email": "{{ticket.requester.email}}", '
    '"created_at": "{{ticket.created_at_with_timestamp}}", '
    '"updated_at": "{{ticket.updated_at_with_timestamp}}"}'
)
BODY_PLACEHOLDERS = (
    "{{ticket.requester.email}}",
    "{{ticket.created_at_with_timestamp}}",
    "{{ticket.updated_at_with_timestamp}}",
)
NEW_WEBHOOK_ID = "<the new webhook's id>"
WRITE_SCOPES = {"write", "tickets:write"}
WEBHOOK_PATH = "/zendesk/webhook"  # where the bot serves it (bot.notes.endpoint.ZENDESK_PATH)


def webhook_endpoint(public_url: str) -> str:
    """The webhook's URL at a deployment's public address (PUBLIC_URL): its base, or the webhook's URL."""
    base = public_url.strip().rstrip("/")
    return base if base.endswith(WEBHOOK_PATH) else base + WEBHOOK_PATH


def _same_endpoint(a: str | None, b: str) -> bool:
    return (a or "").strip().rstrip("/") == b.strip().rstrip("/")


def webhook_url_problem(url: str) -> str | None:
    """None when `url` may be the webhook's endpoint, else what is wrong, in a sentence. Zendesk sends the
    signed request (and its signature) there: https, except to this machine (a test or a tunnel's end)."""
    example = "https://YOUR-HOST/zendesk/webhook"
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return f"The webhook URL is not a URL. Give the bot's public address, e.g. {example}"
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url.strip()):
        return f"Give the bot's webhook URL, e.g. {example}"
    if parts.scheme == "http" and not _loopback(host):
        return (
            f"The webhook URL must use https (Zendesk would send every signed request in the clear); "
            f"plain http is only for this machine (localhost, 127.0.0.1). E.g. {example}"
        )
    return None


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_json(url: str) -> dict[str, Any]:
    return {
        "name": WEBHOOK_NAME,
        "status": "active",
        "endpoint": url,
        "http_method": "POST",
        "request_format": "json",
        "subscriptions": ["conditional_ticket_events"],
    }


def trigger_json(webhook_id: str) -> dict[str, Any]:
    return {
        "title": TRIGGER_TITLE,
        "active": True,
        "description": "Asks the Pendo bot for a private note with the requester's Pendo context.",
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        "actions": [{"field": "notification_webhook", "value": [webhook_id, TRIGGER_BODY]}],
    }


def _ours(webhooks: list[Webhook]) -> Webhook | None:
    return next((w for w in webhooks if w.name == WEBHOOK_NAME), None)


def _our_trigger(triggers: list[Trigger]) -> Trigger | None:
    return next((t for t in triggers if t.title == TRIGGER_TITLE), None)


def _calls(trigger: Trigger, webhook_id: str) -> bool:
    return bool(_bodies(trigger, webhook_id))


def _bodies(trigger: Trigger, webhook_id: str) -> list[str]:
    """The bodies the trigger sends to the webhook (one per action calling it)."""
    out: list[str] = []
    for a in trigger.actions:
        value = a.get("value") or [None]
        if a.get("field") == "notification_webhook" and isinstance(value, list) and value[0] == webhook_id:
            out.append(str(value[1]) if len(value) > 1 else "")
    return out


def sends_only_the_id(trigger: Trigger, webhook_id: str) -> bool:
    """Whether the trigger's body lacks what lets a note cost one request (the old body, or a hand-made one)."""
    return any(not all(p in body for p in BODY_PLACEHOLDERS) for body in _bodies(trigger, webhook_id))


async def setup(
    client: ZendeskClient,
    url: str,
    *,
    dry_run: bool,
    say: Callable[[str], None],
    explain: Explain = str,
    replace: bool = False,
) -> int:
    """Create or update the webhook and the trigger; with `dry_run`, print the JSON instead. Exit code.
    `explain` says a failure to whoever runs the bot (`bot.render.words.admin_sentence`). The bot's webhook
    pointing at another address is refused (exit 1) unless `replace`: it may be another deployment's."""
    try:
        webhook = _ours(await client.webhooks())
        triggers = await client.triggers()
    except Forbidden:
        say("FAIL Zendesk refused to list webhooks or triggers: zendesk-setup needs an admin's credentials.")
        return 1
    except UpstreamError as exc:
        say(f"FAIL Zendesk: {explain(exc)}")
        return 1
    if webhook is not None and not replace and not _same_endpoint(webhook.endpoint, url):
        say(
            f"FAIL Zendesk's webhook {webhook.id} ({WEBHOOK_NAME}) points at {webhook.endpoint}, not {url}: "
            "another deployment of the bot may be using it, and re-pointing it would send its new tickets "
            "here. Run again with --replace to point it at this URL."
        )
        return 1
    trigger = _our_trigger(triggers)
    wanted = webhook_json(url)
    if dry_run:
        verb = f"PUT /api/v2/webhooks/{webhook.id}" if webhook else "POST /api/v2/webhooks"
        say(f"{verb}\n{json.dumps({'webhook': wanted}, indent=2)}")
        tverb = f"PUT /api/v2/triggers/{trigger.id}.json" if trigger else "POST /api/v2/triggers.json"
        body = {"trigger": trigger_json(webhook.id if webhook else NEW_WEBHOOK_ID)}
        say(f"{tverb}\n{json.dumps(body, indent=2)}")
        return 0
    try:
        saved = await client.save_webhook(webhook.id if webhook else None, wanted)
        say(f"{'Updated' if webhook else 'Created'} webhook {saved.id} → {url}")
        kept = await client.save_trigger(trigger.id if trigger else None, trigger_json(saved.id))
        say(f"{'Updated' if trigger else 'Created'} trigger {kept.id} ({TRIGGER_TITLE})")
    except Forbidden:
        say(
            "FAIL Zendesk refused to save the webhook or trigger: zendesk-setup needs an admin's credentials."
        )
        return 1
    except UpstreamError as exc:
        say(f"FAIL Zendesk: {explain(exc)}")
        return 1
    say(
        "Now set ZENDESK_WEBHOOK_SECRET to this webhook's signing secret (Admin Center → Apps and "
        f"integrations → Webhooks → {WEBHOOK_NAME} → Reveal secret) and restart the bot."
    )
    return 0


async def status(
    client: ZendeskClient, *, explain: Explain = str, public_url: str | None = None
) -> list[str]:
    """`pendo-bot check` lines: OK / WARN / FAIL for the webhook, the trigger and write access. With
    `public_url` (PUBLIC_URL), a webhook pointing anywhere else is a FAIL (another deployment's)."""
    lines: list[str] = []
    try:
        me = await client.me()
        scopes = await client.token_scopes()
    except UpstreamError as exc:
        return [f"FAIL Zendesk: {explain(exc)}"]
    may_write = me.role in ("agent", "admin") and (scopes is None or bool(WRITE_SCOPES & set(scopes)))
    if may_write:
        lines.append(f"OK   Zendesk: the bot's user ({me.role}) may write notes on tickets.")
    else:
        why = f"role {me.role}" if me.role not in ("agent", "admin") else "the OAuth token has no write scope"
        lines.append(
            f"FAIL Zendesk: the bot may not write tickets ({why}): give it tickets:write / an agent role."
        )
    try:
        webhook = _ours(await client.webhooks())
        trigger = _our_trigger(await client.triggers()) if webhook else None
    except Forbidden:
        return [
            *lines,
            "WARN Zendesk: cannot list webhooks and triggers with these credentials (admin only).",
        ]
    except UpstreamError as exc:
        return [*lines, f"FAIL Zendesk: {explain(exc)}"]
    if webhook is None:
        return [
            *lines,
            "WARN Zendesk: no webhook for new-ticket notes: run `pendo-bot zendesk-setup --url …`.",
        ]
    state = "active" if webhook.status == "active" else f"{webhook.status} (not active)"
    head = "OK  " if webhook.status == "active" else "WARN"
    if public_url is None:
        where = "; set PUBLIC_URL for check to compare it with this deployment's address"
    elif _same_endpoint(webhook.endpoint, expected := webhook_endpoint(public_url)):
        where = ", this deployment (PUBLIC_URL)"
    else:
        head = "FAIL"
        where = (
            f"; not this deployment's {expected} (PUBLIC_URL): new tickets' notes go elsewhere. If they "
            f"should come here: pendo-bot zendesk-setup --url {expected} --replace"
        )
    lines.append(f"{head} Zendesk webhook {webhook.id} → {webhook.endpoint}, {state}{where}.")
    if trigger is None or not _calls(trigger, webhook.id):
        lines.append(
            "WARN Zendesk: no trigger calls the webhook on new tickets: run `pendo-bot zendesk-setup`."
        )
    else:
        lines.append(
            f"{'OK  ' if trigger.active else 'WARN'} Zendesk trigger {trigger.id}, {'active' if trigger.active else 'inactive'}."
        )
        if sends_only_the_id(trigger, webhook.id):
            lines.append(
                "WARN the trigger sends only the ticket id: run pendo-bot zendesk-setup to update it; "
                "each note then costs 3 Zendesk requests instead of 1"
            )
    return lines
