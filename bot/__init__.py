"""Pendo context for Slack: product-usage context for support agents.

The layers, top-down (each may import the ones below it, never one above; tests/test_layout.py checks):
- entry: `__main__` (the CLI, the one place that chooses live or sample), `server`, `web`, `app`;
- `listeners/`: one module per Slack surface, thin;
- `answers` (questions → finished Slack messages) and `deps` (the object graph, built once);
- pure: `render/` (Block Kit and terminal text) and `policy` (who may see, where customer data may go,
  who may share: every gate as a pure decision);
- `context/`: the domain (who is this email, what about this ticket);
- clients: `pendo/`, `zendesk/`, `upstream` (the shared retry policy and errors), `cache`;
- `settings`, `logs`, `audit`, `deadline` (when an answer must be done): import nothing from the bot.
`sample/` (the embedded sample workspace) is imported only by `__main__`.
"""
