"""The unfurl decision as a table: every rule, and what wins when several apply."""

from __future__ import annotations

import pytest

from bot.gates import (
    AskFacts,
    ChannelKind,
    Decision,
    MentionFacts,
    Panel,
    PanelFacts,
    Preview,
    Reason,
    Refusal,
    Reply,
    Source,
    Surface,
    UnfurlFacts,
    UnfurlRules,
    access_needed,
    channel_kind_needed,
    decide_ask,
    decide_mention,
    decide_panel,
    decide_unfurl,
    may_share,
    share_needs_channel_kind,
)
from bot.settings import load_settings

COMPOSER, MESSAGE = Source.COMPOSER, Source.MESSAGE
INTERNAL, EXTERNAL, UNKNOWN = ChannelKind.INTERNAL, ChannelKind.EXTERNAL, ChannelKind.UNKNOWN
OPEN = UnfurlRules()
ALLOWED_ONLY = UnfurlRules(allowed_channels=frozenset({"C0OK"}))
PENDO_ONLY = UnfurlRules(pendo_channels=frozenset({"C0PENDO"}))
NUMBER_IN_SHARED = UnfurlRules(shared_channels="ticket_number")
BOTH = UnfurlRules(allowed_channels=frozenset({"C0OK", "C0PENDO"}), pendo_channels=frozenset({"C0PENDO"}))

TABLE = [
    # source, channel, kind, poster allowed, rules → preview, reason
    (MESSAGE, "C0", INTERNAL, True, OPEN, Preview.FULL, Reason.ALLOWED),
    (MESSAGE, "C0", INTERNAL, False, OPEN, Preview.NOTHING, Reason.POSTER_NOT_ALLOWED),
    (COMPOSER, "COMPOSER", UNKNOWN, True, OPEN, Preview.NUMBER_ONLY, Reason.COMPOSER),
    (COMPOSER, "COMPOSER", UNKNOWN, False, OPEN, Preview.NOTHING, Reason.POSTER_NOT_ALLOWED),
    # a composer preview carries no customer data, whatever the channel lists say
    (COMPOSER, "COMPOSER", UNKNOWN, True, ALLOWED_ONLY, Preview.NUMBER_ONLY, Reason.COMPOSER),
    (MESSAGE, "C0", EXTERNAL, True, OPEN, Preview.NOTHING, Reason.EXTERNAL),
    (MESSAGE, "C0", EXTERNAL, True, NUMBER_IN_SHARED, Preview.NUMBER_ONLY, Reason.EXTERNAL),
    (MESSAGE, "C0", UNKNOWN, True, OPEN, Preview.NOTHING, Reason.EXTERNAL),  # not provably internal
    (MESSAGE, "C0", EXTERNAL, False, NUMBER_IN_SHARED, Preview.NOTHING, Reason.POSTER_NOT_ALLOWED),
    (MESSAGE, "C0OK", INTERNAL, True, ALLOWED_ONLY, Preview.FULL, Reason.ALLOWED),
    (MESSAGE, "C0", INTERNAL, True, ALLOWED_ONLY, Preview.NOTHING, Reason.CHANNEL_NOT_ALLOWED),
    (MESSAGE, "C0OK", EXTERNAL, True, ALLOWED_ONLY, Preview.NOTHING, Reason.EXTERNAL),
    (MESSAGE, "C0PENDO", INTERNAL, True, PENDO_ONLY, Preview.FULL, Reason.ALLOWED),
    (MESSAGE, "C0", INTERNAL, True, PENDO_ONLY, Preview.HEADER, Reason.NO_PENDO_HERE),
    (MESSAGE, "C0PENDO", EXTERNAL, True, PENDO_ONLY, Preview.NOTHING, Reason.EXTERNAL),
    # ALLOWED_CHANNELS decides whether a link unfurls at all; UNFURL_CHANNELS, where Pendo data shows
    (MESSAGE, "C0OK", INTERNAL, True, BOTH, Preview.HEADER, Reason.NO_PENDO_HERE),
    (MESSAGE, "C0PENDO", INTERNAL, True, BOTH, Preview.FULL, Reason.ALLOWED),
    (MESSAGE, "C0", INTERNAL, True, BOTH, Preview.NOTHING, Reason.CHANNEL_NOT_ALLOWED),
]


@pytest.mark.parametrize(("source", "channel", "kind", "poster", "rules", "preview", "reason"), TABLE)
def test_unfurl_decision(
    source: Source,
    channel: str,
    kind: ChannelKind,
    poster: bool,
    rules: UnfurlRules,
    preview: Preview,
    reason: Reason,
) -> None:
    facts = UnfurlFacts(source, channel, kind, poster_allowed=poster)
    assert decide_unfurl(facts, rules) == Decision(preview, reason)


@pytest.mark.parametrize(("source", "channel", "kind", "poster", "rules", "preview", "reason"), TABLE)
def test_a_poster_who_turned_unfurls_off_gets_nothing_wherever_it_is(
    source: Source,
    channel: str,
    kind: ChannelKind,
    poster: bool,
    rules: UnfurlRules,
    preview: Preview,
    reason: Reason,
) -> None:
    facts = UnfurlFacts(source, channel, kind, poster_allowed=poster, poster_unfurls=False)
    assert decide_unfurl(facts, rules) == Decision(Preview.NOTHING, Reason.POSTER_OPTED_OUT)


@pytest.mark.parametrize(("source", "channel", "kind", "poster", "rules", "preview", "reason"), TABLE)
def test_a_poster_whose_choice_cannot_be_read_gets_at_most_the_header(
    source: Source,
    channel: str,
    kind: ChannelKind,
    poster: bool,
    rules: UnfurlRules,
    preview: Preview,
    reason: Reason,
) -> None:
    facts = UnfurlFacts(source, channel, kind, poster_allowed=poster, poster_unfurls=None)
    expected = (
        Decision(Preview.HEADER, Reason.POSTER_UNKNOWN)
        if preview is Preview.FULL
        else Decision(preview, reason)  # every other rule as for a poster who did not choose
    )
    assert decide_unfurl(facts, rules) == expected


def test_rules_come_from_the_settings() -> None:
    settings = load_settings(
        allowed_channels="C1,C2", unfurl_channels="C2", unfurl_shared_channels="ticket_number"
    )
    assert UnfurlRules.from_settings(settings) == UnfurlRules(
        allowed_channels=frozenset({"C1", "C2"}),
        pendo_channels=frozenset({"C2"}),
        shared_channels="ticket_number",
    )
    assert UnfurlRules.from_settings(load_settings()) == UnfurlRules()


# --- mentions -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "refusal", "same_team", "pendo_channels", "expected"),
    [
        (ChannelKind.INTERNAL, None, True, frozenset(), Reply.THREAD),
        (ChannelKind.INTERNAL, None, True, frozenset({"C0SUPPORT"}), Reply.THREAD),
        (ChannelKind.INTERNAL, None, True, frozenset({"C0OTHER"}), Reply.PRIVATE),
        (ChannelKind.INTERNAL, "no access", True, frozenset(), Reply.REFUSE),
        (ChannelKind.EXTERNAL, None, True, frozenset(), Reply.PRIVATE),
        (ChannelKind.EXTERNAL, None, False, frozenset(), Reply.REFUSE),
        (ChannelKind.EXTERNAL, "no access", True, frozenset(), Reply.REFUSE),
    ],
)
def test_where_a_mention_is_answered(
    kind: ChannelKind, refusal: str | None, same_team: bool, pendo_channels: frozenset[str], expected: Reply
) -> None:
    facts = MentionFacts(channel="C0SUPPORT", channel_kind=kind, refusal=refusal, same_team=same_team)
    assert decide_mention(facts, UnfurlRules(pendo_channels=pendo_channels)) is expected


# --- someone asks for customer data: buttons and lookups -----------------------------------
CLICK, LOOKUP = Surface.CLICK, Surface.LOOKUP
NO = "You don't have access."
ASK_TABLE = [
    # (surface, facts, rules, refusal)
    (CLICK, AskFacts("C1", stale=True, access_refusal=NO), OPEN, Refusal.STALE),  # stale first
    (CLICK, AskFacts("C1", access_refusal=NO, channel_kind=EXTERNAL), OPEN, Refusal.ACCESS),
    (CLICK, AskFacts("C1", channel_kind=EXTERNAL), OPEN, None),  # a private click: not asked, allowed
    (CLICK, AskFacts("C1", public=True, channel_kind=EXTERNAL), OPEN, Refusal.EXTERNAL),
    (CLICK, AskFacts("C1", public=True, channel_kind=INTERNAL), OPEN, None),
    (CLICK, AskFacts("C1", sharing=True, channel_kind=INTERNAL), OPEN, None),
    (CLICK, AskFacts("C1", sharing=True, channel_kind=EXTERNAL), OPEN, Refusal.EXTERNAL),
    (CLICK, AskFacts("C1", sharing=True, channel_kind=INTERNAL), PENDO_ONLY, Refusal.NOT_HERE),
    (CLICK, AskFacts("C1", sharing=True, channel_kind=EXTERNAL), PENDO_ONLY, Refusal.EXTERNAL),
    (CLICK, AskFacts("C0PENDO", sharing=True, channel_kind=INTERNAL), PENDO_ONLY, None),
    (LOOKUP, AskFacts("C1", access_refusal=NO), OPEN, Refusal.ACCESS),
    (LOOKUP, AskFacts("C1", same_team=False, channel_kind=EXTERNAL), OPEN, Refusal.OTHER_WORKSPACE),
    (LOOKUP, AskFacts("C1", same_team=False, channel_kind=INTERNAL), OPEN, None),
]


@pytest.mark.parametrize(("surface", "facts", "rules", "refusal"), ASK_TABLE)
def test_who_may_have_customer_data_and_how(
    surface: Surface, facts: AskFacts, rules: UnfurlRules, refusal: Refusal | None
) -> None:
    assert decide_ask(facts, rules, surface) is refusal


@pytest.mark.parametrize(
    ("surface", "facts", "needed"),
    [
        (CLICK, AskFacts("C1", stale=True, public=True), False),
        (CLICK, AskFacts("C1", access_refusal=NO, sharing=True), False),  # refused: Slack is not asked
        (CLICK, AskFacts("C1"), False),  # a private click needs no channel lookup
        (CLICK, AskFacts("C1", public=True), True),
        (CLICK, AskFacts("C1", sharing=True), True),
        (LOOKUP, AskFacts("C1"), False),  # a member of this workspace may look up anywhere
        (LOOKUP, AskFacts("C1", same_team=False), True),
        (LOOKUP, AskFacts("", same_team=False), False),
    ],
)
def test_the_channel_is_asked_about_only_when_the_decision_needs_it(
    surface: Surface, facts: AskFacts, needed: bool
) -> None:
    assert channel_kind_needed(facts, surface) is needed
    assert access_needed(facts) is not facts.stale


def test_sharing_needs_an_internal_channel_inside_unfurl_channels() -> None:
    assert may_share("C1", INTERNAL, OPEN) and not may_share("C1", EXTERNAL, OPEN)
    assert not may_share("C1", UNKNOWN, OPEN)  # not provably internal
    assert not share_needs_channel_kind("C1", PENDO_ONLY) and not may_share("C1", UNKNOWN, PENDO_ONLY)
    assert share_needs_channel_kind("C0PENDO", PENDO_ONLY) and may_share("C0PENDO", INTERNAL, PENDO_ONLY)


# --- the Work Object flexpane: fail closed ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("channel", "kind", "refusal", "foreign", "expected"),
    [
        ("C1", ChannelKind.INTERNAL, None, False, Panel.SHOW),
        ("C1", ChannelKind.INTERNAL, "ask #ops", False, Panel.REFUSE_ACCESS),
        ("", ChannelKind.UNKNOWN, "ask #ops", False, Panel.REFUSE_ACCESS),
        ("", ChannelKind.UNKNOWN, None, False, Panel.REFUSE_NO_CHANNEL),
        ("", ChannelKind.INTERNAL, None, False, Panel.REFUSE_NO_CHANNEL),
        ("C1", ChannelKind.EXTERNAL, None, False, Panel.REFUSE_EXTERNAL),
        ("C1", ChannelKind.UNKNOWN, None, False, Panel.REFUSE_EXTERNAL),
        ("C1", ChannelKind.INTERNAL, None, True, Panel.REFUSE_EXTERNAL),
    ],
)
def test_the_panel_shows_customer_data_only_when_every_fact_allows_it(
    channel: str, kind: ChannelKind, refusal: str | None, foreign: bool, expected: Panel
) -> None:
    assert decide_panel(PanelFacts(channel, kind, refusal, foreign)) is expected
