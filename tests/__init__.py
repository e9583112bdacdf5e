"""The test suite mirrors `bot/`: a folder per package, `e2e/` for signed requests through the real ASGI
app, `support/` for what only tests use. Tests may import anything in `bot` and `tests.support`."""
