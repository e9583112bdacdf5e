"""Pendo context written into Zendesk tickets: a private note on each new ticket, or from Slack on request.

`writer` (`TicketNotes`: one note per ticket, written once, with Zendesk's safe update) and `queue`
(`NoteQueue`: the work a webhook asks for, done after the 200, retried within the hour).
Layer: beside `answers`; may import domain, render, zendesk, pendo, cache, upstream, settings.
"""
