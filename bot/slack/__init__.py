"""Slack's side of the process: `app` (the Bolt app, its listeners and middleware), `web` (the HTTP
server's routes: /slack/events, /healthz, /readyz), `server` (running it), `http` (the one aiohttp
session for every Slack call). Layer: entry; may import everything below (listeners, answers, deps).
"""
