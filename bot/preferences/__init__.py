"""Each agent's own choices (timeline kinds, compact or full first, unfurls of their links, metadata
fields, time zone), and where they are kept.

What lives here: `model` (the stored `Preferences`, their versioned JSON row, and `Choices`: what an
answer for one reader is shaped by, resolved against the workspace defaults; pure) and `store` (one
small interface, a SQLite file by default and Redis with REDIS_URL).

May import: settings, shared (the Redis link). Layer: with the clients, below the domain.
"""
