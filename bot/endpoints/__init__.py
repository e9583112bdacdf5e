"""The HTTP endpoint that is neither Slack's nor the notes': `prometheus` (`GET /metrics`, on its own port
or behind a token on the main one; the metrics themselves are `bot.metrics`). The Zendesk webhook is
`bot.notes.endpoint`. `bot.slack.web` and `bot.slack.server` mount both. Layer: entry; may import
everything below (deps, metrics, settings); nothing below imports from here.
"""
