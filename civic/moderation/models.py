"""Flags, and the audit log of every moderation action."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.database import UTCDateTime, string_enum, utcnow
from civic.extensions import Model


class ContentKind(str, enum.Enum):
    ISSUE = "issue"
    COMMENT = "comment"
    PHOTO = "photo"
    EVENT = "event"


class FlagReason(str, enum.Enum):
    SPAM = "spam"
    ABUSE = "abuse"
    PERSONAL_DATA = "personal_data"
    OFF_TOPIC = "off_topic"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(FLAG_REASON_LABELS[self])


FLAG_REASON_LABELS = {
    FlagReason.SPAM: _l("Spam or advertising"),
    FlagReason.ABUSE: _l("Abusive, hateful or threatening"),
    FlagReason.PERSONAL_DATA: _l("Shows someone's personal details"),
    FlagReason.OFF_TOPIC: _l("Not about the neighbourhood"),
    FlagReason.OTHER: _l("Something else"),
}


class Flag(Model):
    """One person's report about one piece of content; resolved when a moderator acts on it."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("kind", "target_id", "user_id", name="uq_flags_kind_target_id_user_id"),
        Index("ix_flags_resolved_at_kind_target_id", "resolved_at", "kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ContentKind] = mapped_column(string_enum(ContentKind))
    target_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[FlagReason] = mapped_column(string_enum(FlagReason))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class ActionKind(str, enum.Enum):
    AUTO_HIDE = "auto_hide"  # enough flags from different people
    HIDE = "hide"
    RESTORE = "restore"
    DISMISS = "dismiss"  # flags looked at, nothing wrong
    EDIT = "edit"
    REPLACE_PHOTO = "replace_photo"
    PURGE = "purge"  # earlier versions deleted for good
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"


class ModerationAction(Model):
    """The audit log: who did what to which content or account, and why. Never edited, never deleted."""

    __tablename__ = "moderation_actions"
    __table_args__ = (Index("ix_moderation_actions_kind_target_id", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # None: automatic
    action: Mapped[ActionKind] = mapped_column(string_enum(ActionKind))
    target_kind: Mapped[str] = mapped_column(String(20))  # a ContentKind value, or "user"
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    moderator: Mapped[User | None] = relationship()
