"""Slack listeners: one module per Slack surface, its handlers module-level functions in its `ROUTES`.

The surfaces: `commands` (/pendo), `actions` (buttons of earlier versions), `message_actions` (the
buttons on a summary: views, Share), `accounts` (the account buttons), `shortcuts` (the shortcuts, the
lookup modal, @mentions), `home` (App Home), `preferences` (each agent's own choices: the form in App
Home and `/pendo settings`), `unfurls` (link_shared), `work_objects` (a ticket's Work Object panel),
`ticket_notes` ("Add to ticket").

What they share: `routes` (`Route`, and how one is attached to the app), `middleware` (app-wide, in one
place), `clicks` (every button's head and gate), `replies` (posting an answer: response_url, ephemeral,
Slack's refusals), and the facts a handler gathers once per request: `slack_facts` (the agent's team,
Slack profile and choices), `access_facts` (the facts `bot.gates` decides access on), resting on
`access` (the ALLOWED_* lists) and `channels` (is a conversation shared outside the organisation).

Every handler takes what it needs by name, as Bolt passes it: the payload (`command`, `action`, `body`,
`event`...), `ack`, `respond`, `client`, and `deps: Deps` (the middleware puts the deps in Bolt's
context, and Bolt passes context items to listeners by name). So a handler is a plain function, called
directly in a unit test with the deps as an argument.

Adding a surface: one module with its handlers and a `ROUTES` list of `Route(kind, id, handler)`, and one
line in `MODULES` below (with its import, so the layer checks see it). Nothing else registers a listener.

May import: answers, deps, inflight, notes (the writer, for "Add to ticket"), gates, render, domain
(types and parsing), the clients' types and errors (http.errors, pendo.models, zendesk.models,
zendesk.links), preferences, audit, cache, settings. Nothing below imports from here.
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
    preferences,
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
    preferences,
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
