"""Follow (an issue), AreaFollow (a circle, a neighbourhood or a drawn shape), Notification."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.database import UTCDateTime, string_enum, utcnow
from civic.extensions import Model
from civic.issues.models import Category, Issue


class FollowReason(str, enum.Enum):
    REPORTED = "reported"
    COMMENTED = "commented"
    UPVOTED = "upvoted"
    CHOSEN = "chosen"


class Follow(Model):
    """A user follows an issue. Stopping keeps the row (active=False), so taking part again later
    does not silently re-subscribe someone who chose to stop."""

    __tablename__ = "follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[FollowReason] = mapped_column(string_enum(FollowReason), default=FollowReason.CHOSEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    issue: Mapped[Issue] = relationship()


class AreaKind(str, enum.Enum):
    CIRCLE = "circle"
    NEIGHBOURHOOD = "neighbourhood"
    SHAPE = "shape"


class AreaFollow(Model):
    """A followed area. Its bounding box is stored for a quick first filter; the exact test is in areas.py."""

    __tablename__ = "area_follows"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[AreaKind] = mapped_column(string_enum(AreaKind))
    lat: Mapped[float | None] = mapped_column(Float)  # circle centre
    lon: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[int | None] = mapped_column(Integer)
    neighbourhood: Mapped[str | None] = mapped_column(String(80))
    shape: Mapped[list | None] = mapped_column(JSON)  # [[lon, lat], ...] ring of a drawn polygon
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    category: Mapped[Category | None] = relationship()


class NotificationKind(str, enum.Enum):
    COMMENT = "comment"
    STATUS = "status"
    NEW_ISSUE_NEARBY = "new_issue_nearby"
    EVENT_CANCELLED = "event_cancelled"
    EVENT_PLACE = "event_place"  # off the waiting list: a place is yours
    EVENT_EDITED = "event_edited"  # the time or place of an event you signed up for changed
    EVENT_REMINDER = "event_reminder"  # the day before
    SUPPLIES = "supplies"  # the city answered an event's request for supplies


class Notification(Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(string_enum(NotificationKind))
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the message needs besides the issue (comment id, statuses, area name); text is made at display
    # time, in the reader's language.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    issue: Mapped[Issue | None] = relationship()
