"""Listeners called directly as functions, with Bolt's context and a real client against the fake Slack.
May import `bot` and `tests.support`."""
