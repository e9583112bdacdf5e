"""What only the tests use: the Block Kit validator (`blockkit`), factories that build the bot's
deps and Slack app over the sample workspace and close what they built (`factories`), and the
shared pytest fixtures (`fixtures`, registered for every test by tests/conftest.py).

May import anything in `bot` (the sample included); nothing in `bot` may import from here.
"""
