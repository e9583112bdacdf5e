"""Command line: `pendo-bot lookup|account|ticket|check|zendesk-setup|notes|serve|demo` (same as `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.answers import render_account, render_result
from bot.deps import Deps, build_deps
from bot.domain.customers import LookupResult
from bot.domain.models import (
    AccountNotFound,
    Ambiguous,
    InvalidInput,
    NotFoundInPendo,
    TimelinePage,
    VisitorFacts,
)
from bot.http.errors import AuthError, NotFound, RateLimited, Reason, Unavailable, UpstreamError
from bot.logs import setup_logging
from bot.render import accounts as ac
from bot.render import text as terminal_text
from bot.render import words
from bot.settings import Settings, SettingsError, load_settings
from bot.zendesk.links import parse_ticket_query


def open_deps(settings: Settings, *, sample: bool, slack: bool = False) -> Deps:
    """The one place that chooses live or sample: the sample only when asked, never as a fallback.
    `slack`: give the deps the bot's Web API client (`serve`: the ticket alerts post with it)."""
    client = None
    if slack:
        from bot.slack.app import slack_client

        client = slack_client(settings)
    if not sample:
        return build_deps(settings, slack=client)
    from bot.sample import connect

    wired = connect(settings)
    return build_deps(
        wired.settings,
        pendo_transport=wired.pendo,
        zendesk_transport=wired.zendesk,
        sample=True,
        slack=client,
    )


async def _lookup(settings: Settings, args: argparse.Namespace) -> int:
    tz = ZoneInfo(settings.display_timezone)
    try:
        anchor = _anchor(args.at, tz)
    except ValueError:
        print(
            f"--at {args.at!r} is not a date and time: give it like 2026-11-30T14:05 "
            f"(in {settings.display_timezone}) or 2026-11-30T14:05+01:00.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    deps = open_deps(settings, sample=args.sample)
    page = TimelinePage(every=True) if args.all else None  # --all: every event of the window
    try:
        result: LookupResult
        if args.visitor_id:
            result = await deps.customers.for_visitor_id(args.visitor_id, anchor_ms=anchor, page=page)
        else:
            result = await deps.customers.lookup(args.email or "", anchor_ms=anchor, page=page)
    except InvalidInput as exc:
        print(str(exc).replace("`/pendo ", "`pendo-bot lookup "), file=sys.stderr)
        return EXIT_BAD_INPUT
    except UpstreamError as exc:
        print(words.admin_sentence(exc), file=sys.stderr)
        return EXIT_NOT_FOUND if isinstance(exc, NotFound) else EXIT_UPSTREAM
    finally:
        await deps.aclose()
    if args.json:
        message = render_result(result, deps.customers.now_ms()).message
        print(json.dumps(message, indent=2, ensure_ascii=False))
        return 0
    if isinstance(result, VisitorFacts):
        print(terminal_text.render_visitor(result, tz))
    elif isinstance(result, Ambiguous):
        print(terminal_text.render_ambiguous(result, tz))
    elif isinstance(result, NotFoundInPendo):
        print(terminal_text.render_not_found(result))
        return EXIT_NOT_FOUND
    return 0


# The same exit codes for `lookup` and `ticket`, so scripts can tell "not found" from a failure.
EXIT_UPSTREAM, EXIT_BAD_INPUT, EXIT_NOT_FOUND = 1, 2, 3


def _anchor(at: str | None, tz: ZoneInfo) -> int | None:
    """`--at` as epoch ms; a time without an offset is in DISPLAY_TIMEZONE. Raises ValueError."""
    if not at:
        return None
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp() * 1000)


async def _account(settings: Settings, args: argparse.Namespace) -> int:
    deps = open_deps(settings, sample=args.sample)
    try:
        result = await deps.customers.account(" ".join(args.query))
    except InvalidInput as exc:
        print(str(exc).replace("`/pendo ", "`pendo-bot "), file=sys.stderr)
        return EXIT_BAD_INPUT
    except UpstreamError as exc:
        print(words.admin_sentence(exc), file=sys.stderr)
        return EXIT_UPSTREAM
    finally:
        await deps.aclose()
    if args.json:
        print(json.dumps(render_account(result, full=args.full).message, indent=2, ensure_ascii=False))
    else:
        print(ac.account_text(result, ZoneInfo(settings.display_timezone)))
    return EXIT_NOT_FOUND if isinstance(result, AccountNotFound) else 0


async def _ticket(settings: Settings, args: argparse.Namespace) -> int:
    deps = open_deps(settings, sample=args.sample)
    if deps.tickets is None:
        await deps.aclose()
        print("Zendesk is not connected: set ZENDESK_SUBDOMAIN and its credentials.", file=sys.stderr)
        return 2
    hosts = deps.settings.zendesk_ticket_hosts
    ticket_id = parse_ticket_query(args.ticket, hosts)
    if ticket_id is None:
        await deps.aclose()
        where = ", ".join(sorted(hosts))
        print(f"Give a ticket number (12345 or #12345) or a ticket link on {where}.", file=sys.stderr)
        return 2
    try:
        tc = await deps.tickets.requester_facts(await deps.tickets.ticket(ticket_id))
    except UpstreamError as exc:
        print(words.admin_sentence(exc), file=sys.stderr)
        return EXIT_NOT_FOUND if isinstance(exc, NotFound) else EXIT_UPSTREAM
    finally:
        await deps.aclose()
    print(terminal_text.render_ticket(tc, ZoneInfo(settings.display_timezone)))
    return EXIT_NOT_FOUND if isinstance(tc.pendo, NotFoundInPendo) else 0


def pendo_failure_kind(exc: UpstreamError) -> str:
    """What kind of Pendo failure `check` met: the network, the key, or Pendo itself."""
    if isinstance(exc, Unavailable) and exc.unreachable:
        return "cannot reach Pendo"
    if isinstance(exc, AuthError) or exc.reason in (Reason.KEY_REFUSED, Reason.KEY_OR_REGION):
        return "Pendo refused the key"
    if isinstance(exc, RateLimited | Unavailable):
        return "Pendo is busy"
    return "Pendo"


async def _check(settings: Settings, args: argparse.Namespace) -> int:
    """Settings are valid (we got here), Pendo answers with the key, Zendesk's webhook, and what `serve`
    needs from Slack (unless --no-slack). Non-zero when any of it fails."""
    failed = False
    if not args.no_slack:
        from bot.slack.check import slack_lines

        slack_ok, lines = await slack_lines(settings)
        failed = not slack_ok
        for line in lines:
            print(line)
    deps = open_deps(settings, sample=args.sample)
    print(f"Pendo API: {'sample workspace' if deps.sample else settings.pendo_api_url}")
    print(
        f"Pendo region: {settings.pendo_effective_region}; email lookup: {deps.customers.resolver.searched}"
    )
    if (suffix_warning := settings.pendo_key_suffix_warning) and not deps.sample:
        print(f"WARN {suffix_warning}.")
    try:
        await deps.pendo.verify()
        schema = await deps.pendo.schema("visitor")
        account_schema = await deps.pendo.schema("account") if settings.renewal_field else {}
    except UpstreamError as exc:
        print(f"FAIL {pendo_failure_kind(exc)}: {words.admin_sentence(exc)}")
        if exc.hint:
            print(f"     {exc.hint}")
        return 1
    finally:
        await deps.aclose()
    print(f"OK   Pendo answered with the integration key ({len(schema)} visitor metadata groups).")
    if settings.email_field:
        group, field = settings.email_field
        if field not in schema.get(group, {}):
            print(f"WARN Pendo's visitor schema has no field {group}/{field}: check PENDO_EMAIL_FIELD.")
    for line in _pendo_extras(settings, account_schema):
        print(line)
    if deps.tickets is not None:
        from bot.zendesk.setup import status

        deps = open_deps(settings, sample=args.sample)  # the first is closed: its clients are gone
        try:
            assert deps.tickets is not None
            zendesk = deps.tickets.zendesk
            for line in await status(zendesk, explain=words.admin_sentence, public_url=settings.public_url):
                print(line)
                failed = failed or line.startswith("FAIL")
            if deps.note_queue is not None and settings.redis_url is not None:
                from bot.notes.admin import redis_warnings

                for warning in await redis_warnings(deps.note_queue.jobs.client):  # type: ignore[attr-defined]
                    print(f"WARN notes' queue: {warning}")
        finally:
            await deps.aclose()
    return 1 if failed else 0


def _pendo_extras(settings: Settings, account_schema: dict[str, Any]) -> list[str]:
    """Replay links (PENDO_SUBSCRIPTION_ID) and the renewal signal (PENDO_RENEWAL_FIELD): on, or why not."""
    lines = []
    if settings.pendo_subscription_id:
        base = f"{settings.pendo_app_url}/s/{settings.pendo_subscription_id}/replay/player/"
        lines.append(f"OK   replay links open Pendo's player at {base}… (recorded sessions only).")
    else:
        lines.append(
            "INFO no replay links: set PENDO_SUBSCRIPTION_ID (the number after /s/ in your Pendo address) "
            "to link Session Replay recordings."
        )
    if settings.renewal_field:
        group, field = settings.renewal_field
        if field not in account_schema.get(group, {}):
            lines.append(
                f"WARN Pendo's account schema has no field {group}/{field}: check PENDO_RENEWAL_FIELD."
            )
        else:
            lines.append(f"OK   renewal dates from the account field {group}/{field}.")
    return lines


async def _zendesk_setup(settings: Settings, args: argparse.Namespace) -> int:
    """Create or update the webhook and trigger that ask for a note on every new ticket."""
    from bot.zendesk.setup import setup, webhook_endpoint, webhook_url_problem

    if not args.url and settings.public_url:  # PUBLIC_URL: this deployment's address
        args.url = webhook_endpoint(settings.public_url)
    problem = webhook_url_problem(args.url or "")
    if problem is not None:
        print(f"--url: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    deps = open_deps(settings, sample=args.sample)
    try:
        if deps.tickets is None:
            print("Zendesk is not connected: set ZENDESK_SUBDOMAIN and its credentials.", file=sys.stderr)
            return EXIT_BAD_INPUT
        return await setup(
            deps.tickets.zendesk,
            args.url,
            dry_run=args.dry_run,
            say=print,
            explain=words.admin_sentence,
            replace=args.replace,
        )
    finally:
        await deps.aclose()


async def _notes(settings: Settings, args: argparse.Namespace) -> int:
    """The notes' queue: what waits, what was given up; --retry a ticket (or all) given up."""
    from bot.notes.admin import notes_command

    deps = open_deps(settings, sample=args.sample)
    try:
        if deps.note_queue is None:
            print(
                "There is no notes queue: the Zendesk webhook is not configured (set ZENDESK_WEBHOOK_SECRET "
                "and connect Zendesk).",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        return await notes_command(deps.note_queue.jobs, retry=args.retry, say=print)
    finally:
        await deps.aclose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pendo-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """A subcommand that knows its own parser, for its usage on a bad flag (`parse_args`)."""
        made = sub.add_parser(name, **kwargs)
        made.set_defaults(subparser=made)
        return made

    lookup = command("lookup", help="print what Pendo knows about a visitor")
    lookup.add_argument("email", nargs="?", help="the customer's email")
    lookup.add_argument("--visitor-id", help="look up a Pendo visitor ID instead of an email")
    lookup.add_argument("--at", help="anchor the timeline at this ISO time (default: now)")
    lookup.add_argument("--json", action="store_true", help="print the Slack Block Kit message instead")
    lookup.add_argument(
        "--all", action="store_true", help="every event of the activity window (default: the newest 15)"
    )
    account = command("account", help="an account's summary, by account ID or name")
    account.add_argument("query", nargs="+", help="an account ID, or its name (any case)")
    account.add_argument("--json", action="store_true", help="print the Slack Block Kit message")
    account.add_argument("--full", action="store_true", help="with --json: the Show more view")
    ticket = command("ticket", help="a Zendesk ticket and what its requester did before filing it")
    ticket.add_argument("ticket", help="a ticket number (12345, #12345) or a ticket link")
    check = command(
        "check",
        help="verify the settings, that Pendo accepts the key, the Zendesk webhook, and Slack (for serve)",
    )
    check.add_argument(
        "--no-slack",
        action="store_true",
        help="skip the Slack checks (the bot token and its scopes): for command-line use only",
    )
    zsetup = command(
        "zendesk-setup", help="create or update the Zendesk webhook and trigger for notes on new tickets"
    )
    zsetup.add_argument(
        "--url",
        help="the bot's public webhook URL, https://YOUR-HOST/zendesk/webhook (default: from PUBLIC_URL)",
    )
    zsetup.add_argument(
        "--replace",
        action="store_true",
        help="re-point the bot's webhook when it already points at another URL (another deployment's)",
    )
    zsetup.add_argument("--dry-run", action="store_true", help="print the JSON it would send, send nothing")
    notes = command("notes", help="the notes the webhook queued: waiting, given up; retry them")
    notes.add_argument(
        "--retry", metavar="TICKET", help="queue a given-up note again (a ticket number, or all)"
    )
    serve = command("serve", help="run the Slack bot")
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--socket", action="store_true", help="Socket Mode (needs SLACK_APP_TOKEN)")
    mode.add_argument("--http", action="store_true", help="HTTP mode (needs SLACK_SIGNING_SECRET)")
    serve.add_argument("--port", type=int, help="HTTP port (default: $PORT or 3000)")
    serve.add_argument(
        "--sample",
        "--sandbox",
        dest="sample",
        action="store_true",
        help="answer from the embedded sample workspace instead of Pendo and Zendesk (a demo)",
    )
    demo = command("demo", help="try the bot without Slack: a local Slack-like page on the sample workspace")
    demo.add_argument("--host", default="127.0.0.1", help="address to serve on (default: this machine only)")
    demo.add_argument("--port", type=int, default=3000, help="port of the page (default: 3000)")
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The arguments; an unknown flag is refused with its subcommand's usage (`pendo-bot lookup --bogus`
    shows lookup's), not the list of subcommands."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.subparser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(build_parser(), argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(
        settings.log_level if args.command == "serve" else "WARNING", settings.log_format, settings.secrets()
    )
    if args.command == "demo":
        from bot.sample.preview import run_demo

        return run_demo(settings, host=args.host, port=args.port)
    if args.command != "serve":
        # The CLI's zero-credential start: without a Pendo key, the sample workspace, and it says so.
        args.sample = not settings.pendo_configured
        if args.sample:
            print("Using the embedded sample workspace (no PENDO_INTEGRATION_KEY set).", file=sys.stderr)
    if args.command == "lookup":
        if not args.email and not args.visitor_id:
            print("Give an email (pendo-bot lookup jane@acme.com) or --visitor-id ID.", file=sys.stderr)
            return 2
        return asyncio.run(_lookup(settings, args))
    if args.command == "ticket":
        return asyncio.run(_ticket(settings, args))
    if args.command == "account":
        return asyncio.run(_account(settings, args))
    if args.command == "check":
        return asyncio.run(_check(settings, args))
    if args.command == "notes":
        return asyncio.run(_notes(settings, args))
    if args.command == "zendesk-setup":
        return asyncio.run(_zendesk_setup(settings, args))
    from bot.slack.server import serve

    if args.sample and settings.pendo_configured:
        print("--sample: answering from the sample workspace, not the configured Pendo.", file=sys.stderr)
    return serve(
        settings,
        lambda: open_deps(settings, sample=args.sample, slack=True),
        socket=args.socket,
        http=args.http,
        port=args.port,
    )


if __name__ == "__main__":
    sys.exit(main())
