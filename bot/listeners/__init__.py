"""Slack listeners: one module per Slack surface, handlers as module-level functions, registered here.

What lives here: `commands` (/pendo), `actions` (buttons), `home` (App Home), `settings` (each agent's
preferences: the form in App Home and `/pendo settings`), `unfurls` (link_shared), `ticket_notes`
("Add to ticket"),
the app-wide `middleware`, `replies` (posting a finished answer: response_url, ephemeral, Slack's refusals), and the Slack-side facts the listeners gather (`access`: the ALLOWED_* lists,
`channels`: is a conversation shared outside the organisation).

Each handler is typed with slack_sdk's `AsyncWebClient` and Bolt's context, and finds the deps in
that context (`deps_of(context)`), so it can be called directly in a unit test.

To add a surface: write a module with a `ROUTES` list of `Route(kind, id, handler)` and add the module
to `MODULES` below. Middleware goes in `middleware.middleware()`, nowhere else.

May import: answers, deps, gates, render, domain (types and parsing), zendesk.links, audit,
cache, settings. Nothing below imports from here.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.listeners import (
    accounts,
    actions,
    commands,
    home,
    message_actions,
    settings,
    shortcuts,
    ticket_notes,
    unfurls,
    work_objects,
)
from bot.listeners.middleware import middleware
from bot.listeners.routes import Route, add_route

MODULES = (
    commands,
    actions,
    message_actions,
    accounts,
    shortcuts,
    home,
    settings,
    unfurls,
    work_objects,
    ticket_notes,
)


def all_routes() -> list[Route]:
    return [route for module in MODULES for route in module.ROUTES]


# The order Bolt tries the listeners in, by kind: Bolt asks each listener in turn until one matches, and
# each listener that does not match costs a few microseconds of argument building. No request matches
# two kinds (a command is never an event), so only the order within a kind decides anything, and that
# is kept: commands and events (link unfurls, the busiest) first, then clicks, shortcuts and forms.
KIND_ORDER = {"command": 0, "event": 1, "action": 2, "options": 3, "shortcut": 4, "view": 5}


def register_listeners(app: AsyncApp, deps: Deps) -> None:
    """The one place where middleware and listeners are attached to the app."""
    for each in middleware(deps):
        app.middleware(each)
    for route in sorted(all_routes(), key=lambda r: KIND_ORDER[r.kind]):  # stable: kind by kind
        add_route(app, route, deps.inflight)
