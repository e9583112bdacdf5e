"""Wire models for the Zendesk Support API (only the fields the bot reads) and the joined `TicketBundle`.

Lenient on purpose: unknown keys are ignored, and enumerations (status, priority, via channel) stay plain
strings, so a value Zendesk adds tomorrow is shown rather than rejected. Null priority, assignee,
organization and group are normal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from bot.http.client import WireModel


class Record(WireModel):
    """Any Zendesk record: all have an integer id."""

    id: int


class Via(WireModel):
    """How the ticket was created: `channel` is a via-type string ("web", "email") or, rarely, an id."""

    channel: str | int | None = None
    source: dict[str, Any] | None = None


class Ticket(Record):
    subject: str | None = None
    raw_subject: str | None = None
    status: str
    priority: str | None = None
    type: str | None = None
    requester_id: int | None = None
    submitter_id: int | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    organization_id: int | None = None
    tags: list[str] = Field(default_factory=list)
    via: Via | None = None
    created_at: datetime
    updated_at: datetime | None = None
    custom_status_id: int | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _null_tags(cls, value: object) -> object:
        return [] if value is None else value

    @property
    def created_ms(self) -> int:
        return int(self.created_at.timestamp() * 1000)

    @property
    def title(self) -> str:
        """The subject to show: `subject`, else `raw_subject`, else a placeholder (some have none)."""
        return (self.subject or "").strip() or (self.raw_subject or "").strip() or "(no subject)"

    @property
    def via_channel(self) -> str | None:
        """The via channel as a string ("web", "email", or a numeric via id as text), or None."""
        if self.via is None or self.via.channel is None:
            return None
        return str(self.via.channel)


class User(Record):
    name: str | None = None
    email: str | None = None
    role: str | None = None
    phone: str | None = None
    organization_id: int | None = None


class CustomStatus(Record):
    """A custom ticket status (accounts with custom statuses on): the label agents see."""

    status_category: str | None = None
    agent_label: str | None = None


class Organization(Record):
    name: str | None = None


class Group(Record):
    name: str | None = None


@dataclass(frozen=True)
class TicketBundle:
    """A ticket with the records it refers to, joined from the sideloads by id (None when absent)."""

    ticket: Ticket
    requester: User | None
    assignee: User | None
    organization: Organization | None
    group: Group | None
    host: str
    custom_status: CustomStatus | None = None  # sideloaded `custom_statuses` entry for the ticket

    @property
    def ticket_id(self) -> int:
        return self.ticket.id

    @property
    def status_label(self) -> str:
        """What agents see as the status: the custom status's agent label, else the status itself."""
        if self.custom_status is not None and (self.custom_status.agent_label or "").strip():
            return (self.custom_status.agent_label or "").strip()
        return self.ticket.status

    @property
    def agent_url(self) -> str:
        """Where an agent opens the ticket."""
        return f"https://{self.host}/agent/tickets/{self.ticket.id}"

    @property
    def requester_email(self) -> str | None:
        """The requester's primary email, if Zendesk has one (messaging/phone requesters may not)."""
        if self.requester is None or not self.requester.email:
            return None
        return self.requester.email.strip() or None


@dataclass(frozen=True)
class OpenTickets:
    """A requester's unsolved tickets (new, open, pending, on hold), newest first, as one Search API call
    found them: `count` is how many there are in all (Search's `count`), `tickets` the first few."""

    tickets: list[TicketBundle]
    count: int


# --- writing notes, and the webhook and trigger that ask for them ----------------------------------------
class Comment(Record):
    """A ticket comment: `body` is plain text (Zendesk derives it from `html_body`); `public` False is an
    internal note."""

    body: str | None = None
    html_body: str | None = None
    public: bool = True
    author_id: int | None = None


class Webhook(WireModel):
    """A webhook (ids are strings such as `01GZ…`)."""

    id: str
    name: str | None = None
    endpoint: str | None = None
    status: str | None = None


class Trigger(Record):
    title: str | None = None
    active: bool = True
    actions: list[dict[str, Any]] = Field(default_factory=list)


class FieldOption(WireModel):
    """One choice of a drop-down (`tagger`) or multi-select field: `name` shown, `value` its tag."""

    name: str | None = None
    value: str


class TicketField(Record):
    """A ticket field's definition (`GET /api/v2/ticket_fields/{id}.json`): its `type` says what a value
    must be (checkbox a JSON boolean, date `YYYY-MM-DD`, drop-down one option's tag)."""

    type: str
    title: str | None = None
    custom_field_options: list[FieldOption] = Field(default_factory=list)

    @field_validator("custom_field_options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        return [] if value is None else value
