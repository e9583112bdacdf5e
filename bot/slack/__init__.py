"""Slack's side of the process: `app` (the Bolt app, its listeners and middleware, the bot's identity
through Bolt's `authorize=`), `web` (the HTTP server's routes: /slack/events, /healthz, /readyz),
`server` (running it), `http` (the one aiohttp session of the Slack Web API client). Everything here uses
Bolt's and slack_sdk's public contract only, on Bolt's default runtime (tests/test_bolt_contract.py).
Layer: entry; may import everything below (listeners, answers, deps).
"""
