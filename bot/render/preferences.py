"""The preferences form: one set of blocks, drawn in the App Home tab and in the `/pendo settings` modal.

Every choice is an interactive element that saves as soon as it changes (Slack sends `block_actions`;
there is no Submit in a Home tab), and the form is drawn again with what was kept: each choice shows its
current value and whether it is the agent's own or the workspace's. "Reset to the workspace defaults"
undoes everything in one click. Pure: the listener brings the preferences, the schema and the Slack zone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.pendo.models import MetadataSchema
from bot.preferences.model import KIND_LABELS, MAX_FIELDS, ZONE_AREAS, Choices, Preferences, offered_zones
from bot.render.blocks import Block, context_block, esc, section
from bot.render.format import truncate
from bot.settings import TIMELINE_KIND_NAMES

ACTION = "prefs"  # + ":kinds", ":view", ":unfurl", ":visitor_fields", ":account_fields", ":tz", ":reset"
MODAL = "prefs_modal"
SLACK_ZONE = "slack"  # the time-zone option "my Slack profile's zone"
AREAS = ZONE_AREAS  # the form offers these areas' zones and UTC: the only zones the store keeps
GROUP_MAX = 100  # options per option group (Slack's limit)
VIEW_LABELS = {"compact": "Compact first (Show more for everything)", "full": "Everything first"}
UNFURL_LABELS = {"on": "Unfurl them with the requester's activity", "off": "Don't unfurl links I post"}
# Pendo's bookkeeping, never worth a place in an answer: not offered in the field pickers.
INTERNAL_FIELDS = frozenset(
    {"idhash", "servername", "lastservername", "donotprocess", "accountids", "lastupdated", "lastmodified"}
)
# What every answer already shows on its own (the ID, first and last visit, browser and OS): offered, they
# would show the same fact twice.
SHOWN_ANYWAY = frozenset(
    {
        "auto/id",
        "auto/firstvisit",
        "auto/lastvisit",
        "auto/lastbrowsername",
        "auto/lastbrowserversion",
        "auto/lastoperatingsystem",
    }
)


@dataclass(frozen=True)
class PreferencesForm:
    """What the form shows for one agent."""

    prefs: Preferences  # what they chose (None: the workspace's)
    workspace: Choices  # the workspace defaults (settings)
    slack_tz: str | None  # their Slack profile's zone, when Slack said
    visitor_schema: MetadataSchema | None  # None: Pendo's field list could not be read
    account_schema: MetadataSchema | None
    schema_problem: str | None = None  # why the field lists are missing, as a sentence
    notice: str | None = None  # "Saved", or why a change was not kept
    error: bool = False
    where: str = ""  # where preferences are kept, in words

    @property
    def choices(self) -> Choices:
        return Choices.of(self.prefs, self.workspace, self.slack_tz)


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": truncate(text, 75), "emoji": True}, "value": value}


def _whose(chosen: bool) -> str:
    return "_yours_" if chosen else "_workspace default_"


def _revision(form: PreferencesForm) -> str:
    """A block-id suffix that changes with every redraw after a change, so Slack draws the kept values
    (it keeps an element's own state across an update while its block_id stays the same): after a
    refused change too, where the element must go back to what was kept."""
    drawn = f"{form.prefs.to_row()}|{form.notice}|{form.error}"
    return hashlib.blake2b(drawn.encode(), digest_size=4).hexdigest()


def preferences_blocks(form: PreferencesForm) -> list[Block]:
    prefs, mine, ws = form.prefs, form.choices, form.workspace
    rev = _revision(form)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your preferences"}},
        context_block(
            "They shape what only you see: `/pendo` answers, Show more, Details, ticket answers, shortcuts "
            "and private replies to mentions. Channel unfurls and shared summaries use the workspace's "
            "settings (one message, many readers), except that links you post are not unfurled if you say so."
        ),
    ]
    if form.notice:
        blocks.append(context_block(f"{'⚠️' if form.error else '✅'} {esc(form.notice)}"))

    # --- timeline kinds
    kinds_text = ", ".join(KIND_LABELS[k] for k in TIMELINE_KIND_NAMES if k in mine.kinds)
    blocks.append(section(f"*Your timelines show*\n{kinds_text} · {_whose(prefs.kinds is not None)}"))
    kind_options = [_option(KIND_LABELS[k], k) for k in TIMELINE_KIND_NAMES]
    blocks.append(
        {
            "type": "actions",
            "block_id": f"prefs_kinds.{rev}",
            "elements": [
                {
                    "type": "checkboxes",
                    "action_id": f"{ACTION}:kinds",
                    "options": kind_options,
                    "initial_options": [o for o in kind_options if o["value"] in mine.kinds],
                }
            ],
        }
    )

    # --- compact or full first
    view = "full" if mine.full_first else "compact"
    view_options = [_option(label, value) for value, label in VIEW_LABELS.items()]
    blocks.append(
        section(f"*First screen of an answer*\n{VIEW_LABELS[view]} · {_whose(prefs.view is not None)}")
    )
    blocks.append(_radio(f"prefs_view.{rev}", f"{ACTION}:view", view_options, view))

    # --- unfurls of my links
    unfurl = "on" if mine.unfurl_my_links else "off"
    unfurl_options = [_option(label, value) for value, label in UNFURL_LABELS.items()]
    unfurl_now = (
        f"{UNFURL_LABELS[unfurl]} · _yours_"
        if prefs.unfurl_my_links is not None
        else "_default: on (channel rules still apply)_"  # "on" is not "Pendo data in every channel"
    )
    blocks.append(section(f"*Zendesk ticket links you post*\n{unfurl_now}"))
    blocks.append(_radio(f"prefs_unfurl.{rev}", f"{ACTION}:unfurl", unfurl_options, unfurl))

    # --- metadata fields
    blocks += _fields_blocks(form, "visitor", mine.visitor_fields, prefs.visitor_fields is not None, rev)
    blocks += _fields_blocks(form, "account", mine.account_fields, prefs.account_fields is not None, rev)

    # --- time zone
    zone_note = (
        f"{esc(mine.timezone)} · _yours_"
        if prefs.timezone
        else f"{esc(mine.timezone)} · _your Slack profile's_"
        if form.slack_tz
        else "UTC · _Slack did not say your zone_"
    )
    blocks.append(section(f"*Day lines in your answers start at midnight in*\n{zone_note}"))
    blocks.append(
        {
            "type": "actions",
            "block_id": f"prefs_tz.{rev}",
            "elements": [_zone_select(prefs.timezone, form.slack_tz)],
        }
    )

    # --- reset
    reset: dict[str, Any] = {
        "type": "button",
        "action_id": f"{ACTION}:reset",
        "text": {"type": "plain_text", "text": "Reset to the workspace defaults"},
        "value": "reset",
    }
    blocks.append({"type": "actions", "block_id": f"prefs_reset.{rev}", "elements": [reset]})
    footer = "You use the workspace defaults." if prefs.is_default else "Reset undoes every choice above."
    where = f" Kept in {esc(form.where)}, by your Slack ID; nothing about customers." if form.where else ""
    blocks.append(context_block(f"{footer}{where} Workspace kinds: {_kinds_words(ws)}."))
    return blocks


def _kinds_words(choices: Choices) -> str:
    return ", ".join(KIND_LABELS[k].lower() for k in TIMELINE_KIND_NAMES if k in choices.kinds)


def _radio(block_id: str, action_id: str, options: list[dict[str, Any]], current: str) -> Block:
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [
            {
                "type": "radio_buttons",
                "action_id": action_id,
                "options": options,
                "initial_option": next(o for o in options if o["value"] == current),
            }
        ],
    }


def field_label(path: str, schema: MetadataSchema | None) -> str:
    """Pendo's display name of a `group/field`, else the path itself."""
    group, _, name = path.partition("/")
    found = (schema or {}).get(group, {}).get(name)
    return found.display_name if found is not None and found.display_name else path


def schema_paths(schema: MetadataSchema) -> list[str]:
    return [f"{group}/{name}" for group in sorted(schema) for name in sorted(schema[group])]


def offered_paths(schema: MetadataSchema) -> list[str]:
    """The fields an agent may pick: not Pendo's internal ones nor those every answer shows anyway, and
    each field once (two paths with the same display name are one field to an agent: the first stays)."""
    out: list[str] = []
    labels: set[str] = set()
    for path in schema_paths(schema):
        name = path.partition("/")[2]
        label = field_label(path, schema).strip().casefold()
        if name.lower() in INTERNAL_FIELDS or path in SHOWN_ANYWAY or label in labels:
            continue
        labels.add(label)
        out.append(path)
    return out


def _fields_blocks(
    form: PreferencesForm, level: str, current: tuple[str, ...], chosen: bool, rev: str
) -> list[Block]:
    schema = form.visitor_schema if level == "visitor" else form.account_schema
    title = "Visitor fields" if level == "visitor" else "Account fields"
    shown = ", ".join(esc(field_label(f, schema)) for f in current) or "none"
    blocks: list[Block] = [section(f"*{title} in your summaries*\n{shown} · {_whose(chosen)}")]
    if schema is None:
        why = form.schema_problem or "Pendo did not answer."
        blocks.append(context_block(f"⚠️ Pendo's list of {level} fields can't be read right now: {esc(why)}"))
        return blocks
    paths = schema_paths(schema)
    gone = [f for f in current if f not in paths]
    if gone:
        blocks.append(
            context_block(
                "⚠️ No longer in Pendo, so not shown: "
                + ", ".join(f"`{esc(f)}`" for f in gone)
                + ". Pick again, or reset."
            )
        )
    groups: list[dict[str, Any]] = []
    offered_now = offered_paths(schema)
    for group in sorted(schema):
        options = [
            _option(field_label(path, schema), path)
            for path in offered_now
            if path.partition("/")[0] == group
        ][:GROUP_MAX]
        if options:
            groups.append({"label": {"type": "plain_text", "text": truncate(group, 75)}, "options": options})
    if not groups:
        blocks.append(context_block(f"Pendo's schema has no {level} fields to choose from."))
        return blocks
    offered = {o["value"]: o for g in groups for o in g["options"]}
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": f"{ACTION}:{level}_fields",
        "placeholder": {"type": "plain_text", "text": f"Choose {level} fields"},
        "option_groups": groups[:GROUP_MAX],
        "max_selected_items": MAX_FIELDS,
    }
    initial = [offered[f] for f in current if f in offered]
    if initial:
        element["initial_options"] = initial
    blocks.append({"type": "actions", "block_id": f"prefs_{level}_fields.{rev}", "elements": [element]})
    return blocks


@cache
def zone_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """IANA zones by area (each group at most 100, so America comes in two), plus UTC."""
    names = sorted(z for z in offered_zones() if "/" in z)
    out: list[tuple[str, tuple[str, ...]]] = [("UTC", ("UTC",))]
    for area in AREAS:
        zones = [z for z in names if z.split("/", 1)[0] == area]
        chunks = [zones[i : i + GROUP_MAX] for i in range(0, len(zones), GROUP_MAX)]
        for chunk in chunks:
            label = area
            if len(chunks) > 1:
                first, last = chunk[0].split("/", 1)[1][0], chunk[-1].split("/", 1)[1][0]
                label = f"{area} ({first}–{last})"
            out.append((label, tuple(chunk)))
    return tuple(out)


def _zone_select(chosen: str | None, slack_tz: str | None) -> dict[str, Any]:
    profile = f"My Slack profile's zone ({slack_tz})" if slack_tz else "My Slack profile's zone"
    groups: list[dict[str, Any]] = [
        {"label": {"type": "plain_text", "text": "Slack"}, "options": [_option(profile, SLACK_ZONE)]}
    ]
    known = {z for _, zones in zone_groups() for z in zones}
    if chosen and chosen not in known:  # a zone from before the list was enforced stays shown
        groups[0]["options"].append(_option(chosen, chosen))
    for label, zones in zone_groups():
        groups.append(
            {
                "label": {"type": "plain_text", "text": label},
                "options": [_option(z.replace("_", " "), z) for z in zones],
            }
        )
    initial_value = chosen or SLACK_ZONE
    initial = next(o for g in groups for o in g["options"] if o["value"] == initial_value)
    return {
        "type": "static_select",
        "action_id": f"{ACTION}:tz",
        "placeholder": {"type": "plain_text", "text": "Choose a time zone"},
        "option_groups": groups,
        "initial_option": initial,
    }


def loading_modal() -> dict[str, Any]:
    """What `/pendo settings` opens at once (Slack's trigger lasts 3 s); the form replaces it."""
    return {
        "type": "modal",
        "callback_id": MODAL,
        "title": {"type": "plain_text", "text": "Pendo preferences"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [section("⏳ Loading your preferences…")],
    }


def preferences_modal(form: PreferencesForm) -> dict[str, Any]:
    """`/pendo settings`: the same form in a modal (changes are kept as they are made)."""
    return {
        "type": "modal",
        "callback_id": MODAL,
        "title": {"type": "plain_text", "text": "Pendo preferences"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": preferences_blocks(form),
    }
