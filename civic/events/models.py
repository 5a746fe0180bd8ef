"""Event, its co-organisers and linked issues, sign-ups (RSVPs, with a waiting list), the supplies asked of
the city, and the report afterwards with its before/after photos."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.database import UTCDateTime, string_enum, utcnow
from civic.extensions import Model
from civic.issues.models import Issue


class SuppliesStatus(str, enum.Enum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Event(Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # stored in UTC, shown in the city's zone
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    meeting_point: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    what_to_bring: Mapped[str | None] = mapped_column(Text)
    area_neighbourhood: Mapped[str | None] = mapped_column(String(80))  # optional: the slug of the area covered
    # Supplies asked of the city (bags, gloves, a skip); staff accept or decline publicly.
    supplies_request: Mapped[str | None] = mapped_column(Text)
    supplies_status: Mapped[SuppliesStatus | None] = mapped_column(string_enum(SuppliesStatus))
    supplies_response: Mapped[str | None] = mapped_column(Text)
    supplies_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    supplies_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by every sign-up change: taking this row's write lock first serialises sign-ups (capacity).
    rsvp_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last edit by an organiser
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # by moderators (civic/moderation)

    organiser: Mapped[User | None] = relationship(foreign_keys=[organiser_id])
    supplies_decided_by: Mapped[User | None] = relationship(foreign_keys=[supplies_decided_by_id])

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class EventOrganiser(Model):
    """A co-organiser: may edit the event and check people in."""

    __tablename__ = "event_organisers"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)

    user: Mapped[User] = relationship()


class EventIssue(Model):
    """An issue the event will tackle."""

    __tablename__ = "event_issues"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True, index=True)
    fixed_at_event: Mapped[bool] = mapped_column(Boolean, default=False)  # marked fixed in the report

    issue: Mapped[Issue] = relationship()


class RsvpStatus(str, enum.Enum):
    PENDING = "pending"  # a guest who has not yet confirmed by e-mail (holds no place)
    GOING = "going"
    WAITLISTED = "waitlisted"
    NOT_GOING = "not_going"


def _checkin_code() -> str:
    return secrets.token_hex(3).upper()  # six characters, read aloud or typed by the organiser


class Rsvp(Model):
    __tablename__ = "rsvps"
    __table_args__ = (Index("ix_rsvps_event_id_status_created_at", "event_id", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    guest_name: Mapped[str | None] = mapped_column(String(120))
    guest_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[RsvpStatus] = mapped_column(string_enum(RsvpStatus))
    # Order on the waiting list: when the person last asked to come.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # guests confirm by e-mail
    checkin_code: Mapped[str] = mapped_column(String(12), default=_checkin_code)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the day-before reminder went out

    user: Mapped[User | None] = relationship()


class EventReport(Model):
    """What the clean-up achieved, posted by an organiser afterwards (one per event, editable)."""

    __tablename__ = "event_reports"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()


class PhotoMoment(str, enum.Enum):
    BEFORE = "before"
    AFTER = "after"


class EventPhoto(Model):
    """A processed image (see civic.media) in an event's report: before or after the clean-up."""

    __tablename__ = "event_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    moment: Mapped[PhotoMoment] = mapped_column(string_enum(PhotoMoment))
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(80))
    thumb_key: Mapped[str] = mapped_column(String(80))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
