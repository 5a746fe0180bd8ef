"""Staff-only records: internal notes, response templates, and residents' "is it fixed?" answers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import Department, User
from civic.database import UTCDateTime, string_enum, utcnow
from civic.extensions import Model
from civic.issues.models import Category, IssueStatus


class ClosedReason(str, enum.Enum):
    """Why an issue was closed without a fix. Closed is never shown as fixed."""

    DUPLICATE = "duplicate"
    NOT_RESPONSIBLE = "not_responsible"
    NO_FURTHER_ACTION = "no_further_action"
    CANNOT_LOCATE = "cannot_locate"


class InternalNote(Model):
    """A note between staff about an issue. Kept apart from comments so no public query can reach it."""

    __tablename__ = "internal_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()


class ResponseTemplate(Model):
    """A department's standard answer, optionally for one category and one status change."""

    __tablename__ = "response_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    status: Mapped[IssueStatus | None] = mapped_column(string_enum(IssueStatus))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    # The Spanish version; where missing, Spanish readers get the English with a visible note.
    title_es: Mapped[str | None] = mapped_column(String(120))
    body_es: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    department: Mapped[Department] = relationship()
    category: Mapped[Category | None] = relationship()
    revisions: Mapped[list[ResponseTemplateRevision]] = relationship(
        order_by="ResponseTemplateRevision.id.desc()", viewonly=True
    )


class ResponseTemplateRevision(Model):
    """What a response template said before an edit, and who changed it."""

    __tablename__ = "response_template_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("response_templates.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    title_es: Mapped[str | None] = mapped_column(String(120))
    body_es: Mapped[str | None] = mapped_column(Text)
    status: Mapped[IssueStatus | None] = mapped_column(string_enum(IssueStatus))
    category_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    editor: Mapped[User | None] = relationship()


class FixConfirmation(Model):
    """A reporter's or follower's answer to "is it fixed?" within 30 days of the fix."""

    __tablename__ = "fix_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    confirmed: Mapped[bool] = mapped_column(Boolean)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
