"""Pendo context written into Zendesk tickets: a private note on each new ticket, or from Slack on request.

The whole path, from Zendesk's webhook to the note, in the order a ticket id travels:

1. `bot.notes.endpoint`: `POST /zendesk/webhook` (mounted by `bot.slack.web`, and by its own small
   server in Socket Mode): size, signature, body, replay check, then queued and answered 200.
2. `bot.zendesk.webhook`: Zendesk's wire format for it, pure: the signature (HMAC-SHA256 over timestamp
   and body) and the body the bot's trigger sends. It lives with the Zendesk client, which
   `pendo-bot zendesk-setup` (`bot.zendesk.setup`) also uses to create that webhook and trigger.
3. `bot.notes.queue`: `NoteQueue`, the workers: each claims a due job, has it written, and records the
   outcome (done, retried later, given up after NOTES_RETRY_HOURS); on SIGTERM the writes under way
   get the grace period and the rest stay queued. The jobs live in a store that outlives the process:
   `bot.notes.jobs` (the types, and `SqliteJobs`, the NOTES_DB file) and `bot.notes.jobs_redis`
   (`RedisJobs`: a stream with a consumer group, a sorted set for due times) with REDIS_URL.
4. `bot.notes.writer`: `TicketNotes`, one note per ticket, written once (a per-ticket claim and a marker
   in the note), with Zendesk's safe update; its result is a typed `NoteStatus`.
5. `bot.render.note`: the note's text (pure, with the other renderers) and its marker;
   `bot.render.ticket_fields`: the tags and custom field values written with it.

"Add to ticket" in Slack (`bot.listeners.ticket_notes`) calls the same writer; `bot.notes.admin` is
`pendo-bot notes` (what waits, what was given up, retry) and what `pendo-bot check` says of Redis.
Layer: beside `answers`; may import deps, domain, render, zendesk, pendo, cache, upstream, settings.
"""
