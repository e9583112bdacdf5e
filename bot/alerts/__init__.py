"""Alerts: the bot tells a channel when a ticket needs attention, and routes Pendo's NPS answers.

- `bot.alerts.rules`: which rules a requester matches (the stand-out signals of `bot.domain.signals`,
  plus key accounts) and the channel each alert goes to (ALERT_ROUTES, else ALERTS_CHANNEL).
- `bot.alerts.post`: `AlertPoster`: the channel checked again before each post, one claim per alert in the
  queue's store, posts paced per channel.
- `bot.alerts.tickets`: `TicketAlerts`, the "alert" job the Zendesk webhook (`bot.notes.endpoint`) stores
  beside the note's: too late (ALERT_MAX_DELAY_MINUTES) dropped, the note's own lookup, the rules, the
  channel, the claim, one Zendesk read, the post; drawn by `bot.render.alerts`.
- `bot.alerts.channels`: the alert channels as Slack sees them: a Slack Connect one stops `pendo-bot serve`,
  one the bot is not in is named by `pendo-bot check`.
- `bot.alerts.nps`: `POST /pendo/webhook/<PENDO_WEBHOOK_TOKEN>`, Pendo's NPS and poll answers (the payload's
  evidence, the token, the `uniqueId` check) stored; `bot.alerts.nps_alerts`: `NpsAlerts`, their alerts
  posted (a score waits for its comment; a later comment updates the message; at most 10 a minute), drawn
  by `bot.render.nps_alert`.
Alerts are jobs in the notes' durable queue (`bot.notes.queue`): a webhook answered 200 is a stored row.
Layer: beside `answers`; may import notes (the queue), deps, domain, render, zendesk, pendo, gates and
settings.
"""
