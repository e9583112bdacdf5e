"""load_settings: defaults, regions, key suffixes, validation messages, and no secret in any error."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import (
    PENDO_REGION_HOSTS,
    SettingsError,
    load_settings,
)

KEY = "63bd1cda-db5a-4a2b-633b-37b8b0c54aa1"
BOT_TOKEN = "xoxb-1111-2222-secretbot"
SIGNING = "signing-secret-0123456789abcdef"
APP_TOKEN = "xapp-1-A111-222-secretapp"
ZD_TOKEN = "zendesk-api-token-secret-987"
ZD_OAUTH = "zendesk-oauth-token-secret-654"


def settings_error(**kwargs: object) -> str:
    with pytest.raises(SettingsError) as info:
        load_settings(**kwargs)
    return str(info.value)


# --- defaults ------------------------------------------------------------------------------------
def test_defaults_are_unconfigured_and_us() -> None:
    s = load_settings()
    assert s.pendo_configured is False
    assert s.zendesk_configured is False
    with pytest.raises(SettingsError, match="PENDO_INTEGRATION_KEY"):
        _ = s.pendo_key
    assert s.pendo_effective_region == "us"
    assert s.pendo_app_url == s.pendo_api_url == "https://app.pendo.io"
    assert s.email_field is None
    assert s.pendo_visitor_fields == ["agent/role", "agent/language", "custom/planlevel"]
    assert s.pendo_account_fields == ["custom/planlevel", "custom/renewaldate"]
    assert s.allowed_users == s.allowed_channels == s.zendesk_hosts == []
    assert s.socket_mode is False
    assert s.secrets() == []
    assert s.zendesk_host == ""
    assert s.zendesk_ticket_hosts == frozenset()


def test_settings_hold_no_sample_constant() -> None:
    import bot.settings

    source = Path(bot.settings.__file__).read_text(encoding="utf-8").lower()
    assert "sample" not in source and "sandbox" not in source


def test_env_file_in_cwd_is_read(tmp_path: Path) -> None:
    # proves the isolation fixture matters: a .env in the working directory is a settings source
    (tmp_path / ".env").write_text("PENDO_REGION=jpn\n", encoding="utf-8")
    assert load_settings().pendo_effective_region == "jpn"


def test_key_makes_it_live() -> None:
    s = load_settings(pendo_integration_key=KEY)
    assert s.pendo_configured is True
    assert s.pendo_key == KEY
    assert s.pendo_effective_region == "us"


# --- regions and URLs ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("us", "https://app.pendo.io"),
        ("us1", "https://us1.app.pendo.io"),
        ("eu", "https://app.eu.pendo.io"),
        ("jpn", "https://app.jpn.pendo.io"),
        ("au", "https://app.au.pendo.io"),
    ],
)
def test_region_hosts(monkeypatch: pytest.MonkeyPatch, region: str, host: str) -> None:
    assert PENDO_REGION_HOSTS[region] == host
    monkeypatch.setenv("PENDO_REGION", region)
    monkeypatch.setenv("PENDO_INTEGRATION_KEY", KEY)
    s = load_settings()
    assert s.pendo_effective_region == region
    assert s.pendo_app_url == s.pendo_api_url == host


def test_every_region_has_a_host() -> None:
    assert set(PENDO_REGION_HOSTS) == {"us", "us1", "eu", "jpn", "au"}
    for region in PENDO_REGION_HOSTS:
        assert load_settings(pendo_region=region).pendo_app_url == PENDO_REGION_HOSTS[region]


@pytest.mark.parametrize(("suffix", "region"), [("eu", "eu"), ("EU", "eu"), ("us", "us"), ("jpn", "jpn")])
def test_key_suffix_picks_region_and_is_stripped(
    monkeypatch: pytest.MonkeyPatch, suffix: str, region: str
) -> None:
    monkeypatch.setenv("PENDO_INTEGRATION_KEY", f"{KEY}.{suffix}")
    s = load_settings()
    assert s.pendo_effective_region == region
    assert s.pendo_app_url == PENDO_REGION_HOSTS[region]
    assert s.pendo_key == KEY


def test_key_whitespace_is_stripped() -> None:
    s = load_settings(pendo_integration_key=f"  {KEY}.eu\n")
    assert s.pendo_key == KEY
    assert s.pendo_effective_region == "eu"


def test_explicit_region_wins_over_key_suffix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENDO_INTEGRATION_KEY", f"{KEY}.eu")
    monkeypatch.setenv("PENDO_REGION", "us")
    s = load_settings()
    assert s.pendo_effective_region == "us"
    assert s.pendo_app_url == "https://app.pendo.io"
    assert s.pendo_key == KEY


def test_base_url_overrides_api_url_but_not_app_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENDO_INTEGRATION_KEY", f"{KEY}.eu")
    monkeypatch.setenv("PENDO_BASE_URL", "http://127.0.0.1:8081/")
    s = load_settings()
    assert s.pendo_api_url == "http://127.0.0.1:8081"
    assert s.pendo_app_url == "https://app.eu.pendo.io"


@pytest.mark.parametrize("url", ["app.pendo.io", "ftp://x", "https://", "not a url"])
def test_bad_base_url_rejected(url: str) -> None:
    assert "PENDO_BASE_URL" in settings_error(pendo_base_url=url)


def test_bad_region_rejected() -> None:
    assert "PENDO_REGION" in settings_error(pendo_region="mars")


# --- Pendo fields --------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["agent/email", "salesforce/email", " custom/work_email "])
def test_email_field_valid(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PENDO_EMAIL_FIELD", value)
    s = load_settings()
    assert s.email_field == tuple(value.strip().split("/"))


@pytest.mark.parametrize("value", ["email", "a/b/c", "agent/", "/email", "agent/e-mail", "agent email"])
def test_email_field_invalid_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PENDO_EMAIL_FIELD", value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith("PENDO_EMAIL_FIELD: ")
    assert "agent/email" in str(info.value)


def test_comma_lists_parse_from_env_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENDO_VISITOR_FIELDS", "agent/role, custom/planlevel")
    monkeypatch.setenv("PENDO_ACCOUNT_FIELDS", " custom/industry ,,")
    monkeypatch.setenv("ALLOWED_USERS", "U012ABC,U034DEF")
    monkeypatch.setenv("ALLOWED_CHANNELS", "C012ABC")
    monkeypatch.setenv("ALLOWED_USERGROUPS", "")
    s = load_settings()
    assert s.pendo_visitor_fields == ["agent/role", "custom/planlevel"]
    assert s.pendo_account_fields == ["custom/industry"]
    assert s.allowed_users == ["U012ABC", "U034DEF"]
    assert s.allowed_channels == ["C012ABC"]
    assert s.allowed_usergroups == []


def test_comma_lists_accept_python_lists() -> None:
    s = load_settings(pendo_visitor_fields=["agent/role"], allowed_users=["U1"])
    assert s.pendo_visitor_fields == ["agent/role"]
    assert s.allowed_users == ["U1"]


def test_bad_field_path_in_list_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENDO_VISITOR_FIELDS", "agent/role,planlevel")
    message = settings_error()
    assert message.startswith("PENDO_VISITOR_FIELDS: ")
    assert "'planlevel'" in message


# --- Slack ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("var", "value", "bad"),
    [
        ("ALLOWED_USERS", "U012ABC,@jane", "@jane"),
        ("ALLOWED_USERS", "u012abc", "u012abc"),
        ("ALLOWED_CHANNELS", "#support", "#support"),
        ("ALLOWED_USERGROUPS", "S01 X", "S01 X"),
        ("UNFURL_CHANNELS", "C1,general", "general"),
    ],
)
def test_bad_slack_ids_rejected(monkeypatch: pytest.MonkeyPatch, var: str, value: str, bad: str) -> None:
    monkeypatch.setenv(var, value)
    message = settings_error()
    assert message.startswith(f"{var}: ")
    assert repr(bad) in message


def test_app_token_must_start_with_xapp() -> None:
    message = settings_error(slack_app_token=BOT_TOKEN)
    assert "SLACK_APP_TOKEN" in message and "xapp-" in message
    assert BOT_TOKEN not in message


def test_app_token_enables_socket_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    assert load_settings().socket_mode is True


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("PORT", "0"),
        ("PORT", "70000"),
        ("TIMELINE_HOURS", "73"),
        ("LOG_LEVEL", "TRACE"),
        ("DISPLAY_TIMEZONE", "Mars/Olympus"),
    ],
)
def test_out_of_range_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    assert settings_error().startswith(f"{var}: ")


def test_several_errors_are_all_reported() -> None:
    message = settings_error(pendo_region="mars", port=0, pendo_email_field="email")
    for var in ("PENDO_REGION", "PORT", "PENDO_EMAIL_FIELD"):
        assert var in message
    assert message.count("; ") == 2


# --- Zendesk -------------------------------------------------------------------------------------
def test_zendesk_subdomain_without_credentials_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "acme")
    message = settings_error()
    assert "ZENDESK_SUBDOMAIN" in message
    assert "ZENDESK_API_TOKEN" in message and "ZENDESK_OAUTH_TOKEN" in message


def test_zendesk_email_without_token_is_not_enough() -> None:
    assert "ZENDESK_SUBDOMAIN" in settings_error(zendesk_subdomain="acme", zendesk_email="bot@acme.com")


def test_zendesk_token_without_email_is_not_enough() -> None:
    assert "ZENDESK_SUBDOMAIN" in settings_error(zendesk_subdomain="acme", zendesk_api_token=ZD_TOKEN)


def test_zendesk_basic_credentials_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "acme.zendesk.com")
    monkeypatch.setenv("ZENDESK_EMAIL", "bot@acme.com")
    monkeypatch.setenv("ZENDESK_API_TOKEN", ZD_TOKEN)
    s = load_settings()
    assert s.zendesk_subdomain == "acme"
    assert s.zendesk_configured is True
    assert s.zendesk_host == "acme.zendesk.com"
    assert s.zendesk_api_url == "https://acme.zendesk.com"


@pytest.mark.parametrize("raw", ["acme.zendesk.com", "ACME.Zendesk.com", " acme ", "Acme"])
def test_zendesk_subdomain_normalised(raw: str) -> None:
    s = load_settings(zendesk_subdomain=raw, zendesk_oauth_token=ZD_OAUTH)
    assert s.zendesk_subdomain == "acme"


@pytest.mark.parametrize("raw", ["https://acme.zendesk.com", "acme_corp", "-acme", "acme.example.com"])
def test_zendesk_subdomain_invalid(raw: str) -> None:
    message = settings_error(zendesk_subdomain=raw, zendesk_oauth_token=ZD_OAUTH)
    assert message.startswith("ZENDESK_SUBDOMAIN: ")


def test_empty_zendesk_subdomain_means_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "")
    s = load_settings()
    assert s.zendesk_configured is False
    assert s.zendesk_ticket_hosts == frozenset()


def test_zendesk_hosts_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "acme")
    monkeypatch.setenv("ZENDESK_OAUTH_TOKEN", ZD_OAUTH)
    monkeypatch.setenv("ZENDESK_HOSTS", "https://Support.Acme.com/, http://help.acme.co.uk ,HELP.example.org")
    s = load_settings()
    assert s.zendesk_hosts == ["support.acme.com", "help.acme.co.uk", "help.example.org"]
    assert s.zendesk_ticket_hosts == frozenset(
        {"acme.zendesk.com", "support.acme.com", "help.acme.co.uk", "help.example.org"}
    )


@pytest.mark.parametrize("raw", ["localhost", "support.acme.com/hc", "sup port.acme.com"])
def test_bad_zendesk_hosts_rejected(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("ZENDESK_HOSTS", raw)
    assert settings_error().startswith("ZENDESK_HOSTS: ")


# --- secrets -------------------------------------------------------------------------------------
def all_secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENDO_INTEGRATION_KEY", f"{KEY}.eu")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "acme")
    monkeypatch.setenv("ZENDESK_EMAIL", "bot@acme.com")
    monkeypatch.setenv("ZENDESK_API_TOKEN", ZD_TOKEN)
    monkeypatch.setenv("ZENDESK_OAUTH_TOKEN", ZD_OAUTH)


def test_secrets_lists_every_secret_value(monkeypatch: pytest.MonkeyPatch) -> None:
    all_secret_env(monkeypatch)
    s = load_settings()
    assert set(s.secrets()) == {f"{KEY}.eu", KEY, BOT_TOKEN, SIGNING, APP_TOKEN, ZD_TOKEN, ZD_OAUTH}
    assert "bot@acme.com" not in s.secrets()


def test_secrets_are_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    all_secret_env(monkeypatch)
    s = load_settings()
    text = repr(s) + str(s) + repr(s.model_dump())
    for secret in s.secrets():
        assert secret not in text


def test_settings_error_never_contains_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    all_secret_env(monkeypatch)
    monkeypatch.setenv("PENDO_REGION", "mars")
    monkeypatch.setenv("ALLOWED_USERS", "nobody")
    monkeypatch.setenv("PENDO_EMAIL_FIELD", "email")
    message = settings_error()
    assert "PENDO_REGION" in message and "ALLOWED_USERS" in message
    for secret in (f"{KEY}.eu", KEY, KEY[:8], BOT_TOKEN, SIGNING, APP_TOKEN, ZD_TOKEN, ZD_OAUTH):
        assert secret not in message


@pytest.mark.parametrize(
    "overrides",
    [
        {"slack_app_token": f"xoxb-{KEY}"},
        {"pendo_integration_key": KEY, "pendo_region": "mars"},
        {"pendo_integration_key": KEY, "pendo_base_url": f"not-a-url-{KEY[:4]}"},
        {"zendesk_subdomain": "acme", "zendesk_api_token": ZD_TOKEN},
        {"slack_bot_token": BOT_TOKEN, "port": "not-a-port"},
    ],
)
def test_settings_error_from_kwargs_never_contains_a_secret(overrides: dict[str, object]) -> None:
    message = settings_error(**overrides)
    for secret in (KEY, BOT_TOKEN, ZD_TOKEN):
        assert secret not in message


def test_settings_error_is_a_value_error_without_a_chained_cause() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(pendo_region="mars", pendo_integration_key=KEY)
    assert isinstance(info.value, ValueError)
    # `from None`: a traceback would otherwise print pydantic's error, which includes the input values
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is True


def test_empty_integration_key_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENDO_INTEGRATION_KEY", "")
    try:
        s = load_settings()
    except SettingsError as exc:  # rejecting it with a clear message would be fine too
        assert "PENDO_INTEGRATION_KEY" in str(exc)
        return
    assert s.pendo_configured is False


def test_zendesk_tag_fields_are_field_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().zendesk_tag_fields == []  # none by default: only pendo_<frequency>
    monkeypatch.setenv("ZENDESK_TAG_FIELDS", " custom/planlevel, agent/role ,")
    assert load_settings().zendesk_tag_fields == ["custom/planlevel", "agent/role"]
    monkeypatch.setenv("ZENDESK_TAG_FIELDS", "planlevel")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith("ZENDESK_TAG_FIELDS: ") and "custom/planlevel" in str(info.value)
