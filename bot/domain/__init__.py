"""The domain: one entry point per question ("who is this email", "what about this ticket").

`customers` composes the answer from independent Pendo calls under one deadline (`resolver`: email →
visitor, `usage`: the numbers, `timeline`: the events before a moment); `tickets` adds Zendesk's ticket
and its requester; `models` holds the typed results every layer above reads.
May import: the clients (`bot.pendo`, `bot.zendesk`), `bot.http.errors`, `bot.http.upstream`, `bot.http.cache`, `bot.settings`.
"""
