import pytest

from bot.domain.models import InvalidInput
from bot.domain.resolver import parse_email


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@acme.com", "jane@acme.com"),
        ("  Jane@Acme.com  ", "Jane@Acme.com"),
        ("<mailto:jane@acme.com|jane@acme.com>", "jane@acme.com"),
        ("<mailto:Jane@Acme.com>", "Jane@Acme.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
    ],
)
def test_accepts_emails_in_the_forms_slack_sends(text: str, expected: str) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "Give me an email"),
        ("jane", "has no @"),
        ("jane@@acme.com", "more than one @"),
        ("jane@acme", "not a domain"),
        ("jane@acme.123", "not a domain"),
        ("jane@-acme.com", "not a domain"),
        ("jane doe@acme.com", "spaces"),
        ("jane@acme.com bob@acme.com", "spaces"),
        (".jane@acme.com", "before @"),
        ("ja..ne@acme.com", "before @"),
        ('a" || true || "@x.com', "spaces"),
        ('a"||true||"@x.com', "before @"),
        ("x" * 65 + "@acme.com", "too long"),
        ("<mailto:|>", "Give me an email"),
        ("<@U0123ABC|jane>", "Slack mention"),
        ("<#C0123ABC|support>", "Slack mention"),
    ],
)
def test_rejects_what_is_not_an_email_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_email(text)
    assert why in str(info.value)
    assert "/pendo jane@acme.com" in str(info.value)  # an example of what works
