"""Renderers: pure functions from domain objects to Block Kit (`blocks`, `tickets`, `home`) or terminal
text (`text`), with the formatting helpers in `format`. No I/O, so they are tested with plain asserts.

May import: the domain's data types (`bot.context.models`, the clients' `models`), `bot.settings`.
"""
