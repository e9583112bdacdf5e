"""Each agent's preferences: the form (App Home and `/pendo settings`) and its changes. What the choices
do to an answer is read in `bot.listeners.slack_facts.agent_choices`.

The form saves each change as it is made (`block_actions` on an element, in the Home tab or the modal):
only the changed choice, applied atomically to what the store holds then (`PreferenceStore.update`), so
two quick clicks on different controls both stay. It then draws itself again from what was kept:
`views.publish` for the Home tab, `views.update` for the modal, with the view's `hash`; on Slack's
`hash_conflict` (another change redrew it first) it reads the store again and redraws. A choice the bot
cannot keep gets a sentence in the form and changes nothing.

The agent's Slack time zone (`slack_facts.slack_timezone`) is the default for their day lines, and the
form says which zone that is.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.http.errors import UpstreamError
from bot.listeners.replies import deliver, slack_error
from bot.listeners.routes import Route
from bot.listeners.slack_facts import slack_timezone, team_of
from bot.pendo.models import MetadataSchema
from bot.preferences.model import (
    Choices,
    PreferenceError,
    Preferences,
    parse_fields,
    parse_kinds,
    parse_timezone,
    parse_view,
)
from bot.preferences.store import PreferencesUnavailable, RedisPreferences
from bot.render import messages as message_blocks
from bot.render import notices, words
from bot.render import preferences as form_blocks
from bot.render.home import home_view

log = logging.getLogger(__name__)
SCHEMA_WAIT = 1.5  # the form is drawn without the field lists when Pendo is slower than this
SETTINGS_WORD = "settings"


# --- the form -------------------------------------------------------------------------------------------------
async def _schemas(deps: Deps) -> tuple[MetadataSchema | None, MetadataSchema | None, str | None]:
    try:
        visitor, account = await asyncio.wait_for(
            asyncio.gather(deps.pendo.schema("visitor"), deps.pendo.schema("account")), SCHEMA_WAIT
        )
    except UpstreamError as exc:
        log.warning("metadata schema unavailable for the preferences form", extra={"error": str(exc)})
        return None, None, words.failure_sentence(exc)
    except TimeoutError:
        return None, None, notices.SCHEMA_TIMEOUT
    return visitor, account, None


async def preferences_form(
    deps: Deps, client: AsyncWebClient, team: str, user: str
) -> form_blocks.PreferencesForm:
    """The form as the store keeps the agent's choices now (store, Slack zone and schemas at once)."""
    prefs, (slack_tz, schemas) = await asyncio.gather(
        deps.preferences.load(team, user), _form_facts(deps, client, user)
    )
    return _form(deps, prefs, slack_tz, schemas)


Schemas = tuple[MetadataSchema | None, MetadataSchema | None, str | None]


async def _form_facts(deps: Deps, client: AsyncWebClient, user: str) -> tuple[str | None, Schemas]:
    """What the form needs besides the agent's choices: their Slack zone and Pendo's field lists."""
    slack_tz, schemas = await asyncio.gather(slack_timezone(deps, client, user), _schemas(deps))
    return slack_tz, schemas


def _form(
    deps: Deps,
    prefs: Preferences,
    slack_tz: str | None,
    schemas: Schemas,
    *,
    notice: str | None = None,
    error: bool = False,
) -> form_blocks.PreferencesForm:
    visitor, account, problem = schemas
    return form_blocks.PreferencesForm(
        prefs=prefs,
        workspace=Choices.workspace(deps.settings),
        slack_tz=slack_tz,
        visitor_schema=visitor,
        account_schema=account,
        schema_problem=problem,
        notice=notice,
        error=error,
        where=notices.STORE_REDIS
        if isinstance(deps.preferences, RedisPreferences)
        else notices.STORE_DATABASE,
    )


def home(deps: Deps, form: form_blocks.PreferencesForm) -> dict[str, Any]:
    view = home_view(deps.settings, sample=deps.sample)
    return {**view, "blocks": [*view["blocks"], {"type": "divider"}, *form_blocks.preferences_blocks(form)]}


async def show_form(
    deps: Deps,
    client: AsyncWebClient,
    team: str,
    user: str,
    form: form_blocks.PreferencesForm,
    shown: dict[str, Any] | None = None,
) -> None:
    """Draw `form` over the view the agent has: the modal `shown` (`views.update`), else their Home tab
    (`views.publish`), with the `hash` of the view the bot was told about. Slack refuses a stale hash
    (`hash_conflict`: another change redrew the form meanwhile); then the choices are read again and
    drawn over whatever is there, so the last drawing shows every change kept."""
    modal = shown is not None and shown.get("type") == "modal"

    async def send(form: form_blocks.PreferencesForm, hash: str | None) -> None:
        if modal and shown is not None:
            view = form_blocks.preferences_modal(form)
            await client.views_update(view_id=str(shown.get("id")), hash=hash, view=view)
        else:
            await client.views_publish(user_id=user, hash=hash, view=home(deps, form))

    method = "views.update" if modal else "views.publish"
    hash = str(shown.get("hash") or "") if shown is not None else ""
    try:
        await send(form, hash or None)
        return
    except SlackApiError as exc:
        if slack_error(exc) != "hash_conflict":
            log.warning(f"{method} refused", extra={"error": slack_error(exc)})
            return
    log.info(f"{method}: the form changed meanwhile, drawn again from the store")
    try:
        await send(replace(form, prefs=await deps.preferences.load(team, user)), None)
    except SlackApiError as exc:
        log.warning(f"{method} refused", extra={"error": slack_error(exc)})


async def publish_home(
    deps: Deps, client: AsyncWebClient, team: str, user: str, shown: dict[str, Any] | None = None
) -> None:
    """The Home tab with the agent's form; `shown`: the Home view Slack says they have (its hash)."""
    await show_form(deps, client, team, user, await preferences_form(deps, client, team, user), shown)


async def preferences_command(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, deps: Deps
) -> None:
    """`/pendo settings`: the form in a modal. Slack's trigger_id lasts 3 s, and the form waits for the
    store, users.info and Pendo's schemas: a "Loading…" modal opens at once, the form replaces it."""
    await ack()
    user, team = str(command.get("user_id") or ""), team_of(command)
    try:
        opened = await client.views_open(
            trigger_id=str(command.get("trigger_id") or ""), view=form_blocks.loading_modal()
        )
    except SlackApiError as exc:  # e.g. expired_trigger_id when the ack itself came late
        log.warning("views.open refused", extra={"error": slack_error(exc)})
        await deliver(respond, message_blocks.notice_message(notices.NO_MODAL, icon="⚙️"), replace=False)
        return
    shown = opened.get("view")
    form = await preferences_form(deps, client, team, user)
    await show_form(deps, client, team, user, form, shown if isinstance(shown, dict) else None)


# --- a change --------------------------------------------------------------------------------------------------
def _values(action: dict[str, Any]) -> list[str]:
    return [str(o.get("value")) for o in action.get("selected_options") or [] if isinstance(o, dict)]


def _value(action: dict[str, Any]) -> str:
    option = action.get("selected_option")
    return str(option.get("value") or "") if isinstance(option, dict) else ""


def changed(
    prefs: Preferences, name: str, action: dict[str, Any], form: form_blocks.PreferencesForm
) -> Preferences:
    """The preferences after one element changed (only that choice); raises PreferenceError for a choice
    the bot cannot keep. `form` brings the schemas the field lists are checked against."""
    if name == "kinds":
        return prefs.but(kinds=parse_kinds(_values(action)))
    if name == "view":
        return prefs.but(view=parse_view(_value(action)))
    if name == "unfurl":
        value = _value(action)
        if value not in ("on", "off"):
            raise PreferenceError(notices.UNFURL_CHOICE)
        return prefs.but(unfurl_my_links=value == "on")
    if name in ("visitor_fields", "account_fields"):
        schema = form.visitor_schema if name == "visitor_fields" else form.account_schema
        if schema is None:
            raise PreferenceError(notices.fields_unreadable(form.schema_problem))
        fields = parse_fields(_values(action), form_blocks.schema_paths(schema))
        return prefs.but(**{name: fields})
    if name == "tz":
        value = _value(action)
        return prefs.but(timezone=None if value == form_blocks.SLACK_ZONE else parse_timezone(value))
    raise PreferenceError(notices.STALE_CONTROL)


async def preference_changed(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """One control changed: keep that choice only, applied to what the store holds at that moment (a
    quick second click on another control is kept too), then draw the form once from what was kept."""
    await ack()
    user, team = str((body.get("user") or {}).get("id") or ""), team_of(body)
    name = str(action.get("action_id", "")).partition(":")[2]
    slack_tz, schemas = await _form_facts(deps, client, user)
    checks = _form(deps, Preferences(), slack_tz, schemas)  # the schemas a field choice is checked against
    notice, error = "", False
    kept: Preferences | None = None
    try:
        if name == "reset":
            await deps.preferences.reset(team, user)
            kept, notice = Preferences(), notices.saved_words(Preferences(), Preferences())
        else:
            before, kept = await deps.preferences.update(
                team, user, lambda current: changed(current, name, action, checks)
            )
            notice = notices.saved_words(before, kept)
    except PreferenceError as exc:
        notice, error = str(exc), True
    except PreferencesUnavailable as exc:
        log.warning("preferences not saved", extra={"error": str(exc), "store": deps.preferences.where})
        notice, error = exc.sentence, True
    log.info("preference changed", extra={"user": user, "choice": name, "kept": not error})
    if kept is None:
        kept = await deps.preferences.load(team, user)
    form = _form(deps, kept, slack_tz, schemas, notice=notice, error=error)
    view = body.get("view")
    await show_form(deps, client, team, user, form, view if isinstance(view, dict) else None)


ROUTES = [
    Route("action", re.compile(f"^{re.escape(form_blocks.ACTION)}:"), preference_changed),
]
