"""The Pendo client: the wire format of Pendo's Engage API and nothing of Slack.

`client` (typed requests, typed errors), `models` (wire models), `queries` (aggregation pipelines).
May import: `bot.http.errors`, `bot.http.upstream`, `bot.http.cache`, `bot.settings`.
"""
