"""The Zendesk client: one ticket (with its people) per request, and the ticket-link patterns.

`client` (typed requests, typed errors), `models` (wire models), `links` (which links name a ticket).
May import: `bot.http.errors`, `bot.http.upstream`, `bot.http.cache`, `bot.settings`.
"""
