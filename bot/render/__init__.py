"""Renderers: pure functions from domain objects to Block Kit or terminal text (`text`), with the
formatting helpers in `format`. No I/O, so they are tested with plain asserts.

Block Kit: `blocks` (the primitives), `buttons` (action ids and the values buttons carry), `summary`
(the visitor summary, compact and full) with `activity` (timeline, sparkline, tops), `accounts`,
`tickets`, `messages` (every other answer), `modals`, `home`, `preferences` (the form), `work_objects`; sentences in
`words`, `nps` and `times`; the Zendesk ticket note (HTML) in `note`.

May import: the domain's data types (`bot.domain.models`, the clients' `models`), `bot.settings`.
"""
