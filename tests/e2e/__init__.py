"""End to end: signed requests to the real ASGI app, a fake Slack Web API on loopback, the sample's fake
Pendo and Zendesk. May import `bot` and `tests.support`."""
