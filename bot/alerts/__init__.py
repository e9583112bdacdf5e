"""Alerts: the bot tells a channel when a ticket needs attention, and routes Pendo's NPS answers.

- `bot.alerts.rules`: which rules a requester matches (the stand-out signals of `bot.domain.signals`,
  plus key accounts) and the channel each alert goes to (ALERT_ROUTES, else ALERTS_CHANNEL).
- `bot.alerts.post`: `AlertPoster`: the channel checked again before each post, one claim per alert in the
  queue's store, posts paced per channel.
Alerts are jobs in the notes' durable queue (`bot.notes.queue`): a webhook answered 200 is a stored row.
Layer: beside `answers`; may import notes (the queue), deps, domain, render, zendesk, pendo, gates and
settings.
"""
