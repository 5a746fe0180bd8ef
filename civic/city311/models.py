"""City endpoints, their service lists, and the outbox of submissions (and links to existing tickets).
Table names keep their open311_ prefix (the migrations made them)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.database import UTCDateTime, string_enum, utcnow
from civic.extensions import Model
from civic.issues.models import Category, Issue


class Endpoint(Model):
    """A city's GeoReport v2 server (base URL ending before `services.json`)."""

    __tablename__ = "open311_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    base_url: Mapped[str] = mapped_column(String(500))
    api_key: Mapped[str | None] = mapped_column(String(200))
    jurisdiction_id: Mapped[str | None] = mapped_column(String(120))
    format: Mapped[str] = mapped_column(String(4), default="json")  # json or xml
    page_size: Mapped[int] = mapped_column(Integer, default=50)  # most ids per GET requests call
    needs_address: Mapped[bool] = mapped_column(Boolean, default=False)  # some cities want address_string too
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Which optional endpoints the city has: {"servicerequestupdates": {"available": false, "checked_at": iso}}.
    capabilities: Mapped[dict] = mapped_column(JSON, default=dict)
    # Health, for staff: the last call that worked, and the last that did not with the city's own words.
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class CityService(Model):
    """One service of a city's list, mapped (by an admin or `flask open311 services`) to one of our categories."""

    __tablename__ = "open311_services"
    __table_args__ = (UniqueConstraint("endpoint_id", "service_code", name="uq_open311_services_endpoint_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("open311_endpoints.id", ondelete="CASCADE"))
    service_code: Mapped[str] = mapped_column(String(120))
    service_name: Mapped[str] = mapped_column(String(200))
    has_metadata: Mapped[bool] = mapped_column(Boolean, default=False)
    attributes: Mapped[list] = mapped_column(JSON, default=list)  # the service definition's attributes
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"), index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    endpoint: Mapped[Endpoint] = relationship()
    category: Mapped[Category | None] = relationship()


class SubmissionState(str, enum.Enum):
    QUEUED = "queued"  # recorded, not yet accepted by the city (retried with backoff)
    AWAITING_TOKEN = "token"  # noqa: S105 - a state, not a secret: the city answered with a token; the ticket number comes later
    ACCEPTED = "accepted"  # we hold the city's service_request_id
    FAILED = "failed"  # the city refused it (4xx): staff see the city's error text


class Submission(Model):
    """The outbox row for one community issue's 311 ticket: written before anything is sent, so a crash
    or an unreachable city never loses it, and its idempotency key stops a second ticket."""

    __tablename__ = "open311_submissions"
    __table_args__ = (
        Index("ix_open311_submissions_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_open311_submissions_service_request_id", "endpoint_id", "service_request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("open311_endpoints.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    linked: Mapped[bool] = mapped_column(Boolean, default=False)  # an existing ticket a resident linked
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[SubmissionState] = mapped_column(string_enum(SubmissionState), default=SubmissionState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    token: Mapped[str | None] = mapped_column(String(200))
    service_request_id: Mapped[str | None] = mapped_column(String(200))
    service_notice: Mapped[str | None] = mapped_column(Text)
    agency_responsible: Mapped[str | None] = mapped_column(String(200))
    city_status: Mapped[str | None] = mapped_column(String(40))
    city_status_notes: Mapped[str | None] = mapped_column(Text)
    city_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Before a re-send: how many lookups in a row found no ticket with our reference, and when the first did
    # (sending.py re-posts only after two, some minutes apart).
    absent_lookups: Mapped[int] = mapped_column(Integer, default=0)
    # A POST went out and no clear answer came back (a timeout, a dropped connection, a 5xx, an unreadable
    # reply): the city may hold a ticket, so every later try looks for it first. A refusal or an unreachable
    # city leaves it as it was: no ticket was made.
    maybe_at_city: Mapped[bool] = mapped_column(Boolean, default=False)
    first_absent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Further city tickets found carrying this submission's reference (the first one is kept).
    duplicate_ticket_ids: Mapped[list] = mapped_column(JSON, default=list)

    issue: Mapped[Issue] = relationship()
    endpoint: Mapped[Endpoint] = relationship()
    requested_by: Mapped[User | None] = relationship()


class TicketEventKind(str, enum.Enum):
    RECEIVED = "received"  # the city accepted the submission and gave its number
    LINKED = "linked"  # a resident linked a ticket they already had
    STATUS = "status"  # the city's status changed (text: its notes, if any)
    NOTES = "notes"  # the city's notes changed, status unchanged
    AGENCY = "agency"  # the city handed the ticket to another agency (value: its name)
    EXPECTED = "expected"  # the city moved its expected date (value: ISO datetime)
    DUPLICATE = "duplicate"  # a second city ticket carried our reference (value: its number)


class TicketEvent(Model):
    """What happened to a 311 ticket, as the city told it: the ticket box's history. Rendered in the reader's
    language at display time (`text` is the city's own words, never civic's)."""

    __tablename__ = "open311_ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("open311_submissions.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TicketEventKind] = mapped_column(string_enum(TicketEventKind))
    city_status: Mapped[str | None] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    city_update_id: Mapped[str | None] = mapped_column(String(200))  # servicerequestupdates' id: applied once
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
