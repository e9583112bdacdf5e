"""The App Home tab: a pure view built from the settings, with no secret in it."""

from __future__ import annotations

from typing import Any

from bot.render.blocks import esc
from bot.settings import Settings


def home_view(settings: Settings, *, sample: bool = False) -> dict[str, Any]:
    """`sample`: the bot answers from the embedded sample workspace (`pendo-bot serve --sample`)."""
    if sample:
        pendo = "*Pendo:* the embedded *sample workspace*: answers are demo data."
    else:
        pendo = f"*Pendo:* region `{settings.pendo_effective_region}` ({esc(settings.pendo_app_url)})"
    mapping = (
        "the visitor ID is the email"
        if settings.email_field is None
        else f"the email is in visitor metadata field `{esc(settings.pendo_email_field)}`"
    )
    zendesk = (
        "*Zendesk:* the embedded sample helpdesk"
        if sample
        else "*Zendesk:* not connected, so ticket numbers and links are not looked up"
        if not settings.zendesk_configured
        else f"*Zendesk:* `{esc(settings.zendesk_host)}`"
        + (
            f" and {', '.join(f'`{esc(h)}`' for h in settings.zendesk_hosts)}"
            if settings.zendesk_hosts
            else ""
        )
    )
    unfurls = (
        "Ticket unfurls carry Pendo data in every channel the bot sees (except Slack Connect channels)."
        if not settings.unfurl_channels
        else f"Ticket unfurls carry Pendo data only in {len(settings.unfurl_channels)} allowed channel(s); elsewhere the ticket header only."
    )
    access = (
        "Everyone in the workspace can use `/pendo`."
        if not (settings.allowed_users or settings.allowed_usergroups or settings.allowed_channels)
        else f"`/pendo` is limited to an allow-list; ask {esc(settings.access_contact)} for access."
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Pendo context for Slack"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Product-usage context while you answer a customer: who they are in Pendo, how often and how "
                "deeply they use the product, their accounts, and what they did just before they wrote in.",
            },
        },
        {"type": "divider"},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*How to use it*\n"
                "• `/pendo jane@acme.com`: a private summary of that visitor and their accounts\n"
                "• `/pendo 12345` or a ticket link: the requester of a Zendesk ticket, with what they did before filing it\n"
                "• `/pendo account Acme Corp` (or an account ID): a private summary of the account\n"
                "• *Pendo context* in a message's ⋯ menu: the emails and tickets in it; `@pendo jane@acme.com` in a channel\n"
                "• Paste a Zendesk ticket link in a channel: it unfurls with the ticket and the requester's activity\n"
                "• Answers are private; *Share in channel* posts one for everyone.",
            },
        },
        {"type": "divider"},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*Connection*\n{pendo}\n*Email lookup:* {mapping}\n{zendesk}",
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{unfurls} {access}"}]},
    ]
    return {"type": "home", "blocks": blocks}
