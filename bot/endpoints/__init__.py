"""The HTTP endpoints that are not Slack's: `prometheus` (`GET /metrics`, on its own port or behind a
token on the main one; the metrics themselves are `bot.metrics`) and `zendesk_webhook` (`POST
/zendesk/webhook`, Zendesk's "ticket created"; the signature and body rules are `bot.zendesk.webhook`).
`bot.slack.web` and `bot.slack.server` mount them. Layer: entry; may import everything below (deps,
notes, the clients' pure parts, metrics, settings); nothing below imports from here.
"""
