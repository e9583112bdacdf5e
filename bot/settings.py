"""The one settings object: read from the environment (and an optional .env) once, passed down.

Every option here is documented in docs/settings.md. A wrong value fails at start-up with a line naming
the variable (see `load_settings`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PENDO_REGION_HOSTS: dict[str, str] = {
    "us": "https://app.pendo.io",
    "us1": "https://us1.app.pendo.io",
    "eu": "https://app.eu.pendo.io",
    "jpn": "https://app.jpn.pendo.io",
    "au": "https://app.au.pendo.io",
}

_FIELD_PATH = re.compile(r"^[A-Za-z0-9_]+/[A-Za-z0-9_]+$")
# The kinds of event a timeline can show, as TIMELINE_KINDS and agents' preferences name them.
TIMELINE_KIND_NAMES: tuple[str, ...] = ("page", "feature", "track", "guide", "untagged")
_SLACK_ID = re.compile(r"^[A-Z0-9]+$")

CsvList = Annotated[list[str], NoDecode]
ALERT_RULES = ("detractor", "friction", "key_account", "new_user", "usage_drop", "renewal")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
_FIELD_MATCH = re.compile(r"[A-Za-z0-9_]+/[A-Za-z0-9_]+=.+")


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the variable and is safe to print."""


class Settings(BaseSettings):
    """All configuration. Field names match environment variables, case-insensitively."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # --- Pendo -----------------------------------------------------------------------------------
    pendo_integration_key: SecretStr | None = None
    pendo_region: Literal["us", "us1", "eu", "jpn", "au"] | None = None
    pendo_base_url: str | None = None
    pendo_email_field: str = ""
    pendo_subscription_id: str | None = None  # in Pendo's own URLs (/s/<id>/…): replay links need it
    pendo_renewal_field: str = ""  # an account date field (group/field): the "renews in" signal
    pendo_visitor_fields: CsvList = Field(
        default_factory=lambda: ["agent/role", "agent/language", "custom/planlevel"]
    )
    pendo_account_fields: CsvList = Field(default_factory=lambda: ["custom/planlevel", "custom/renewaldate"])
    pendo_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    lookup_deadline_seconds: float = Field(default=8.0, gt=0, le=60)
    timeline_hours: int = Field(default=24, ge=1, le=72)
    timeline_limit: int = Field(default=15, ge=1, le=50)
    top_items: int = Field(default=5, ge=1, le=10)
    show_untagged_pages: bool = False  # kept for older deployments: the same as `untagged` in TIMELINE_KINDS
    timeline_kinds: CsvList = Field(default_factory=lambda: ["page", "feature", "track", "guide"])
    default_view: Literal["compact", "full"] = "compact"
    cache_ttl_seconds: int = Field(default=300, ge=0, le=86400)
    catalog_ttl_seconds: int = Field(default=3600, ge=0, le=86400)
    display_timezone: str = "UTC"

    # --- Slack -----------------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(default=3000, ge=1, le=65535)
    allowed_users: CsvList = Field(default_factory=list)
    allowed_usergroups: CsvList = Field(default_factory=list)
    allowed_channels: CsvList = Field(default_factory=list)
    access_contact: str = "your Slack admin"
    audit_hash_key: SecretStr | None = None
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=300)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # GET /metrics on a port of its own
    metrics_host: str = "0.0.0.0"
    metrics_token: SecretStr | None = None  # GET /metrics on the main port too, for this bearer token
    body_read_timeout_seconds: float = Field(default=10.0, gt=0, le=300)  # a body not in by then: 408
    max_connections: int = Field(default=200, ge=1, le=100_000)  # open HTTP connections; more: 503
    forwarded_allow_ips: str = "127.0.0.1"  # who may set X-Forwarded-For (the client address logged)
    public_url: str | None = None  # this deployment's https://… (what `zendesk-setup --url` was given)

    # --- speed, politeness, several instances -----------------------------------------------------
    redis_url: SecretStr | None = None  # may carry a password: never logged
    pendo_max_in_flight: int = Field(default=50, ge=0, le=1000)
    pendo_rate_per_second: float = Field(default=25.0, ge=0, le=1000)
    pendo_rate_burst: int = Field(default=100, ge=1, le=10000)
    zendesk_max_in_flight: int = Field(default=10, ge=0, le=1000)
    zendesk_rate_per_second: float = Field(default=3.0, ge=0, le=1000)
    zendesk_rate_burst: int = Field(default=20, ge=1, le=10000)  # 20 + 3/s x 60 = 200 in any minute
    # Update Ticket and Add Tags calls the notes may send a minute (Zendesk's account limit: 100; 0: off)
    zendesk_updates_per_minute: int = Field(default=100, ge=0, le=10000)
    stale_answer_seconds: int = Field(default=3600, ge=0, le=86400)
    preferences_db: str = "pendo-preferences.sqlite3"  # agents' preferences without REDIS_URL

    # --- Zendesk ---------------------------------------------------------------------------------
    zendesk_subdomain: str | None = None
    zendesk_email: str | None = None
    zendesk_api_token: SecretStr | None = None
    zendesk_oauth_token: SecretStr | None = None
    zendesk_base_url: str | None = None
    zendesk_hosts: CsvList = Field(default_factory=list)
    zendesk_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    unfurl_channels: CsvList = Field(default_factory=list)
    unfurl_shared_channels: Literal["none", "ticket_number"] = "none"
    unfurl_max_links: int = Field(default=5, ge=1, le=10)
    unfurl_dedupe_seconds: int = Field(default=120, ge=0, le=3600)
    work_objects: bool = False  # WORK_OBJECTS=on: ticket unfurls as Slack Work Objects
    # --- Zendesk notes (docs/zendesk-notes.md) ---
    zendesk_webhook_secret: SecretStr | None = None  # set: POST /zendesk/webhook writes a note per new ticket
    zendesk_note_not_found: bool = False  # on: a note also when no Pendo visitor has the requester's email
    zendesk_ticket_tags: bool = False  # on: pendo_daily (and ZENDESK_TAG_FIELDS' tags) on the ticket
    zendesk_tag_fields: CsvList = Field(default_factory=list)  # categorical fields: pendo_planlevel_gold
    zendesk_field_map: Annotated[list[tuple[str, int]], NoDecode] = Field(default_factory=list)
    zendesk_add_to_ticket: bool = True  # the "Add to ticket" button on ticket answers
    notes_db: str = "pendo-notes.sqlite3"  # the notes' queue without REDIS_URL (docs/zendesk-notes.md)
    notes_retry_hours: float = Field(default=24.0, gt=0, le=168)  # a note Pendo keeps failing: then given up
    notes_max_waiting: int = Field(default=10_000, ge=1, le=1_000_000)  # more waiting: the webhook gets 503
    notes_retry_first_seconds: float = Field(default=30.0, ge=0.05, le=3600)  # later waits grow from it
    notes_lease_seconds: float = Field(default=300.0, ge=1, le=3600)  # a note being written, then taken over
    zendesk_notes: bool = True  # off: the Zendesk webhook writes no note (kept for the alerts)
    # --- alerts (docs/alerts.md) ---
    alerts_channel: str | None = None  # a channel id: ticket alerts on (they need ZENDESK_WEBHOOK_SECRET)
    alert_rules: CsvList = Field(default_factory=lambda: ["detractor", "friction"])
    alert_key_accounts: CsvList = Field(default_factory=list)  # account ids or group/field=value matches
    alert_routes: CsvList = Field(default_factory=list)  # rule or group/field=value, ">", channel id
    alert_max_delay_minutes: float = Field(default=15.0, gt=0, le=1440)  # later than this: dropped
    pendo_webhook_token: SecretStr | None = None  # POST /pendo/webhook/<token>: Pendo's NPS answers
    nps_alerts: Literal["detractor", "all"] = "detractor"

    _split = field_validator(
        "pendo_visitor_fields",
        "pendo_account_fields",
        "zendesk_tag_fields",
        "allowed_users",
        "allowed_usergroups",
        "allowed_channels",
        "zendesk_hosts",
        "unfurl_channels",
        "timeline_kinds",
        "alert_rules",
        "alert_key_accounts",
        "alert_routes",
        mode="before",
    )(_split_csv)

    @field_validator("zendesk_field_map", mode="before")
    @classmethod
    def _field_map(cls, value: object) -> object:
        """`custom/planlevel:360001234,agent/role:360005678` → [("custom/planlevel", 360001234), …]."""
        if not isinstance(value, str):
            return value
        pairs: list[tuple[str, int]] = []
        for item in (part.strip() for part in value.split(",")):
            if not item:
                continue
            path, _, field_id = item.rpartition(":")
            if not _FIELD_PATH.match(path) or not field_id.isdigit() or int(field_id) <= 0:
                raise ValueError(
                    f"entries must look like group/field:ticket_field_id (e.g. custom/planlevel:360001234); "
                    f"got {item!r}"
                )
            pairs.append((path, int(field_id)))
        return pairs

    @field_validator("pendo_email_field")
    @classmethod
    def _email_field(cls, value: str) -> str:
        value = value.strip()
        if value and not _FIELD_PATH.match(value):
            raise ValueError("must be empty (visitor ID is the email) or group/field, e.g. agent/email")
        return value

    @field_validator("alerts_channel")
    @classmethod
    def _alerts_channel(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value and not _CHANNEL_ID.fullmatch(value):
            raise ValueError(f"must be a Slack channel id such as C0123ABCD (not a #name); got {value!r}")
        return value or None

    @field_validator("alert_rules")
    @classmethod
    def _alert_rules(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in ALERT_RULES]
        if unknown:
            raise ValueError(f"unknown rule {unknown[0]!r}; the rules are {', '.join(ALERT_RULES)}")
        return value

    @field_validator("alert_key_accounts")
    @classmethod
    def _key_accounts(cls, value: list[str]) -> list[str]:
        for item in value:
            if "=" in item and not _FIELD_MATCH.fullmatch(item):
                raise ValueError(f"entries are account ids or group/field=value; got {item!r}")
        return value

    @field_validator("alert_routes")
    @classmethod
    def _alert_routes(cls, value: list[str]) -> list[str]:
        for item in value:
            left, _, channel = item.partition(">")
            left, channel = left.strip(), channel.strip()
            if not channel or not _CHANNEL_ID.fullmatch(channel):
                raise ValueError(
                    f"entries look like rule>C0123ABCD or group/field=value>C0123ABCD; got {item!r}"
                )
            if left not in ALERT_RULES and left != "key_account" and not _FIELD_MATCH.fullmatch(left):
                raise ValueError(
                    f"{left!r} is neither a rule ({', '.join(ALERT_RULES)}) nor a group/field=value match"
                )
        return value

    @field_validator("pendo_webhook_token")
    @classmethod
    def _webhook_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (it is the only secret in the webhook's URL)")
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]+", value.get_secret_value()):
            raise ValueError("may hold letters, digits, - and _ only (it goes in a URL path)")
        return value

    @field_validator("pendo_renewal_field")
    @classmethod
    def _renewal_field(cls, value: str) -> str:
        value = value.strip()
        if value and not _FIELD_PATH.match(value):
            raise ValueError("must be empty (no renewal signal) or group/field, e.g. salesforce/renewaldate")
        return value

    @field_validator("pendo_subscription_id")
    @classmethod
    def _subscription_id(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value and not re.fullmatch(r"[0-9]{1,20}", value):
            raise ValueError(
                "must be the number after /s/ in your Pendo address (e.g. 5629499534213120), or empty"
            )
        return value or None

    @field_validator("pendo_visitor_fields", "pendo_account_fields", "zendesk_tag_fields")
    @classmethod
    def _field_paths(cls, value: list[str]) -> list[str]:
        bad = [item for item in value if not _FIELD_PATH.match(item)]
        if bad:
            raise ValueError(f"entries must look like group/field (e.g. custom/planlevel); got {bad[0]!r}")
        return value

    @field_validator("timeline_kinds")
    @classmethod
    def _timeline_kinds(cls, value: list[str]) -> list[str]:
        kinds = list(dict.fromkeys(item.lower() for item in value))
        bad = [k for k in kinds if k not in TIMELINE_KIND_NAMES]
        if bad:
            raise ValueError(f"unknown kind {bad[0]!r}; choose from {', '.join(TIMELINE_KIND_NAMES)}")
        if not kinds:
            raise ValueError(f"name at least one of {', '.join(TIMELINE_KIND_NAMES)}")
        return kinds

    @field_validator("preferences_db")
    @classmethod
    def _preferences_db(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must be a file path (or :memory: for preferences that end with the process)")
        return value

    @field_validator("notes_db")
    @classmethod
    def _notes_db(cls, value: str) -> str:
        value = value.strip()
        if not value or value == ":memory:":
            raise ValueError("must be a file path: the notes' queue must outlive the process")
        return value

    @field_validator("allowed_users", "allowed_usergroups", "allowed_channels", "unfurl_channels")
    @classmethod
    def _slack_ids(cls, value: list[str]) -> list[str]:
        bad = [item for item in value if not _SLACK_ID.match(item)]
        if bad:
            raise ValueError(f"entries must be Slack IDs like U012ABC or C012ABC; got {bad[0]!r}")
        return value

    @field_validator("pendo_base_url", "zendesk_base_url", "slack_api_url", "public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _forwarded(cls, value: str) -> str:
        value = ",".join(part.strip() for part in value.split(",") if part.strip())
        if not value:
            raise ValueError('must be addresses or networks, comma-separated (e.g. 10.0.0.5), or "*"')
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"^(redis|rediss|unix)://", value.get_secret_value()):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("zendesk_subdomain")
    @classmethod
    def _subdomain(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.strip().lower()
        if value.endswith(".zendesk.com"):
            value = value[: -len(".zendesk.com")]
        if not re.match(r"^[a-z0-9][a-z0-9-]*$", value):
            raise ValueError("must be the account's subdomain, e.g. acme for acme.zendesk.com")
        return value

    @field_validator("zendesk_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        hosts = [item.lower().removeprefix("https://").removeprefix("http://").rstrip("/") for item in value]
        bad = [h for h in hosts if not re.match(r"^[a-z0-9.-]+\.[a-z]{2,}$", h)]
        if bad:
            raise ValueError(f"entries must be bare host names like support.acme.com; got {bad[0]!r}")
        return hosts

    @field_validator("display_timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as UTC or Europe/Paris") from exc
        return value

    @model_validator(mode="after")
    def _consistency(self) -> Settings:
        if self.slack_app_token is not None and not self.slack_app_token.get_secret_value().startswith(
            "xapp-"
        ):
            raise ValueError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        if self.metrics_token is not None and len(self.metrics_token.get_secret_value()) < 16:
            raise ValueError(
                "METRICS_TOKEN must be at least 16 characters (it guards /metrics on the main port)"
            )
        if self.metrics_port is not None and self.metrics_port == self.port:
            raise ValueError("METRICS_PORT must differ from PORT (use METRICS_TOKEN for /metrics on PORT)")
        if self.zendesk_subdomain:
            has_basic = self.zendesk_email and self.zendesk_api_token
            if not has_basic and self.zendesk_oauth_token is None:
                raise ValueError(
                    "ZENDESK_SUBDOMAIN is set but no credentials: set ZENDESK_EMAIL and "
                    "ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN"
                )
        self._alerts_consistency()
        return self

    def _alerts_consistency(self) -> None:
        """Alerts come from a webhook, and go only where customer data may go (docs/alerts.md)."""
        if self.alerts_channel is None and self.alert_routes:
            raise ValueError(
                "ALERT_ROUTES is set but ALERTS_CHANNEL is not: set ALERTS_CHANNEL (the channel of alerts no "
                "route sends elsewhere; it turns the alerts on)"
            )
        if (
            self.alerts_channel is not None
            and self.zendesk_webhook_secret is None
            and self.pendo_webhook_token is None
        ):
            raise ValueError(
                "ALERTS_CHANNEL is set but ZENDESK_WEBHOOK_SECRET is not: ticket alerts come from the "
                "Zendesk webhook (docs/zendesk-notes.md); set it, or unset ALERTS_CHANNEL"
            )
        if self.unfurl_channels:
            allowed = set(self.unfurl_channels)
            for variable, channel in [("ALERTS_CHANNEL", self.alerts_channel)] + [
                ("ALERT_ROUTES", route.partition(">")[2].strip()) for route in self.alert_routes
            ]:
                if channel and channel not in allowed:
                    raise ValueError(
                        f"{variable}: channel {channel} is not in UNFURL_CHANNELS, the channels where "
                        "customer data may go; add it there or choose another channel"
                    )

    # --- derived values ----------------------------------------------------------------------------
    @property
    def pendo_configured(self) -> bool:
        return self.pendo_integration_key is not None

    @property
    def zendesk_configured(self) -> bool:
        """A Zendesk account is set: the ticket features are on."""
        return self.zendesk_subdomain is not None

    @property
    def pendo_key(self) -> str:
        """The key to send (region suffix stripped: Pendo's own app sends the UUID only)."""
        if self.pendo_integration_key is None:
            raise SettingsError("PENDO_INTEGRATION_KEY is not set")
        return self.pendo_integration_key.get_secret_value().strip().split(".", 1)[0]

    @property
    def pendo_effective_region(self) -> str:
        if self.pendo_region:
            return self.pendo_region
        if self.pendo_integration_key is not None:
            parts = self.pendo_integration_key.get_secret_value().strip().rsplit(".", 1)
            if len(parts) == 2 and parts[1].lower() in PENDO_REGION_HOSTS:
                return parts[1].lower()
        return "us"

    @property
    def pendo_key_suffix_warning(self) -> str | None:
        """A sentence when the key ends in a region suffix the bot does not know (`.xyz`) and
        PENDO_REGION is unset: the bot then uses the US host, which is probably wrong. None otherwise."""
        if self.pendo_region or self.pendo_integration_key is None:
            return None
        parts = self.pendo_integration_key.get_secret_value().strip().rsplit(".", 1)
        if len(parts) < 2 or parts[1].lower() in PENDO_REGION_HOSTS:
            return None
        suffix = parts[1][:12]
        known = ", ".join(f".{r}" for r in PENDO_REGION_HOSTS)
        return (
            f"PENDO_INTEGRATION_KEY ends in a region suffix the bot does not know (.{suffix}; known: {known}), "
            "so the bot uses the US host (app.pendo.io); set PENDO_REGION to your subscription's region"
        )

    @property
    def pendo_app_url(self) -> str:
        """Where people open Pendo (links in messages): always the region's real host."""
        return PENDO_REGION_HOSTS[self.pendo_effective_region]

    @property
    def pendo_api_url(self) -> str:
        """Where the bot sends API calls: PENDO_BASE_URL if set, else the region's host."""
        return (self.pendo_base_url or self.pendo_app_url).rstrip("/")

    @property
    def email_field(self) -> tuple[str, str] | None:
        """(group, field) of the metadata field holding the email, or None when the ID is the email."""
        if not self.pendo_email_field:
            return None
        group, field = self.pendo_email_field.split("/", 1)
        return group, field

    @property
    def renewal_field(self) -> tuple[str, str] | None:
        """(group, field) of the account field holding the renewal date, or None."""
        if not self.pendo_renewal_field:
            return None
        group, field = self.pendo_renewal_field.split("/", 1)
        return group, field

    @property
    def zendesk_host(self) -> str:
        """The account's own host (empty when no Zendesk account is configured)."""
        return f"{self.zendesk_subdomain}.zendesk.com" if self.zendesk_subdomain else ""

    @property
    def zendesk_api_url(self) -> str:
        return (self.zendesk_base_url or f"https://{self.zendesk_host}").rstrip("/")

    @property
    def zendesk_ticket_hosts(self) -> frozenset[str]:
        """Hosts whose ticket links belong to the configured account."""
        if not self.zendesk_configured:
            return frozenset()
        return frozenset([self.zendesk_host, *self.zendesk_hosts])

    @property
    def default_timeline_kinds(self) -> frozenset[str]:
        """The kinds a timeline shows when the reader has not chosen: TIMELINE_KINDS (+ untagged with
        SHOW_UNTAGGED_PAGES)."""
        return frozenset(self.timeline_kinds) | ({"untagged"} if self.show_untagged_pages else set())

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def secrets(self) -> list[str]:
        """Every secret value in use, so logging can redact them wherever they might appear."""
        values = [
            self.pendo_integration_key,
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.zendesk_api_token,
            self.zendesk_oauth_token,
            self.audit_hash_key,
            self.redis_url,
            self.metrics_token,
            self.zendesk_webhook_secret,
            self.pendo_webhook_token,  # it is in a URL path: also cut from paths (bot.logs.PathTokenFilter)
        ]
        out = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        if self.pendo_integration_key is not None:
            out.append(self.pendo_key)
        return out


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one readable line per variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper() or "settings"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {msg}" if name != "settings" else msg)
        raise SettingsError("; ".join(lines)) from None
