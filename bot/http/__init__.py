"""Talking to the upstreams over HTTP: what the Pendo and Zendesk clients share.

`client` (the client base: one pooled httpx client, headers, classification), `errors` (the typed
errors, plain values), `upstream` (the retry policy and the pooled client), `ratelimit` (the bot's own
request budgets, at the transport), `cache` (TTL cache, coalescing, stale answers), `shared` (the Redis
link several instances share), `bodies` (reading the bot's own endpoints' request bodies, capped). Layer: clients; may import the settings, `bot.deadline` and each other,
never the domain, the renderers or Slack.
"""
