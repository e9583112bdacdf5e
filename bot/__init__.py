"""Pendo context for Slack: product-usage context for support agents.

The layers, top-down (each may import the ones below it, never one above; tests/test_layout.py checks):
- entry: `__main__` (the CLI, the one place that chooses live or sample), `slack/` (the Bolt app,
  the HTTP server and its routes, the one Slack session) and `endpoints/` (/metrics);
- `listeners/`: one module per Slack surface, thin;
- `answers` (questions → finished Slack messages), `deps` (the object graph, built once) and `notes/`
  (Pendo notes on Zendesk tickets, from the webhook to the note: its docstring is the map);
- pure: `render/` (Block Kit and terminal text) and `gates` (who may see, where customer data may go,
  who may share: every gate as a pure decision);
- `domain/`: who is this email, what about this ticket (the customer and ticket lookups);
- clients: `pendo/`, `zendesk/`, `http/` (what they share: the client base, typed errors and the retry
  policy, rate budgets, the cache, the Redis link), `preferences/`;
- `settings`, `logs`, `audit`, `deadline` (when an answer must be done): import nothing from the bot.
`sample/` (the embedded sample workspace) is imported only by `__main__`.
"""
