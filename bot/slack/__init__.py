"""Slack's side of the process: `app` (the Bolt app, its listeners and middleware, the bot's identity
through Bolt's `authorize=`), `web` (the HTTP server's routes: /slack/events, /healthz, /readyz, and
/metrics and /zendesk/webhook when configured), `server` (running it: HTTP or Socket Mode), `runtime`
(the one aiohttp session for every Slack call, and why), `check` (what `pendo-bot check` asks Slack). Everything here uses
Bolt's and slack_sdk's public contract only, on Bolt's default runtime (tests/test_bolt_contract.py).
Layer: entry; may import everything below (listeners, answers, deps).
"""
