"""Category, Issue and what hangs off an issue: photos, upvotes, comments, status history, edit history."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic import stored_text
from civic.accounts.models import Department, User
from civic.database import UTCDateTime, string_enum, utcnow
from civic.extensions import Model


class IssueStatus(str, enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    CLOSED = "closed"  # closed without a fix: never shown as fixed

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


OPEN_STATUSES = (IssueStatus.OPEN, IssueStatus.ACKNOWLEDGED, IssueStatus.IN_PROGRESS)
STATUS_LABELS = {
    IssueStatus.OPEN: _l("Open"),
    IssueStatus.ACKNOWLEDGED: _l("Acknowledged"),
    IssueStatus.IN_PROGRESS: _l("In progress"),
    IssueStatus.FIXED: _l("Fixed"),
    IssueStatus.CLOSED: _l("Closed without a fix"),
}


class Category(Model):
    """One of the city's services (pothole, graffiti...). Admins edit the list; each maps to a department."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_es: Mapped[str] = mapped_column(String(80))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    department: Mapped[Department] = relationship()

    @property
    def label(self) -> str:
        locale = get_locale()
        return self.name_es if locale is not None and locale.language == "es" and self.name_es else self.name

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Issue(Model):
    __tablename__ = "issues"
    __table_args__ = (
        Index("ix_issues_category_id_status", "category_id", "status"),
        Index("ix_issues_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    show_reporter_name: Mapped[bool] = mapped_column(Boolean, default=False)
    # A liaison reporting for a resident without an account: private to staff and the liaison.
    on_behalf_name: Mapped[str | None] = mapped_column(String(120))
    on_behalf_contact: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(200))
    neighbourhood: Mapped[str | None] = mapped_column(String(80), index=True)
    # The nearest block in the city's street gazetteer (civic/issues/places.py): 1400, "E Columbia Ave".
    block_number: Mapped[int | None] = mapped_column(Integer)
    block_street: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[IssueStatus] = mapped_column(string_enum(IssueStatus), default=IssueStatus.OPEN)
    upvote_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by the staff workflow (civic/staff/workflow.py).
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first official reply
    # Fixed by neighbours at a clean-up (civic/events), not by the city; staff may confirm it.
    fixed_by_community: Mapped[bool] = mapped_column(Boolean, default=False)
    community_fix_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    community_fix_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Hidden by moderators, or automatically after enough flags, until reviewed (civic/moderation).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    category: Mapped[Category] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    duplicate_of: Mapped[Issue | None] = relationship(remote_side=[id], foreign_keys=[duplicate_of_id])
    photos: Mapped[list[Photo]] = relationship(
        primaryjoin="and_(Photo.issue_id == Issue.id, Photo.comment_id.is_(None), Photo.removed_at.is_(None), "
        "Photo.hidden_at.is_(None))",
        order_by="Photo.position",
        viewonly=True,
    )
    status_changes: Mapped[list[StatusChange]] = relationship(order_by="StatusChange.id", viewonly=True)
    revisions: Mapped[list[IssueRevision]] = relationship(order_by="IssueRevision.id", viewonly=True)

    def __repr__(self) -> str:
        return f"<Issue {self.id} {self.status.value}>"


class Photo(Model):
    """A processed image on disk (see civic.media): on an issue, or on one of its comments."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(80))
    thumb_key: Mapped[str] = mapped_column(String(80))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)  # by moderators (civic/moderation)


class Upvote(Model):
    __tablename__ = "upvotes"

    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Comment(Model):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_issue_id_created_at", "issue_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # by moderators (civic/moderation)
    # An official response: posted by verified staff, on behalf of their department.
    official: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    # Text civic wrote itself (the city's 311 note, a reply from a response template): a code and its parameters,
    # rendered per reader by civic.stored_text; `body` keeps the English for search and moderation.
    system_code: Mapped[str | None] = mapped_column(String(40))
    system_params: Mapped[dict | None] = mapped_column(JSON)

    author: Mapped[User | None] = relationship()
    department: Mapped[Department | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(
        primaryjoin="and_(Photo.comment_id == Comment.id, Photo.removed_at.is_(None), Photo.hidden_at.is_(None))",
        viewonly=True,
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def text(self) -> str:
        """What readers see, in their language: the stored code rendered, or the words as written."""
        if self.system_code and not self.is_deleted:
            return stored_text.render(self.system_code, self.system_params, self.body)
        return self.body


class StatusChange(Model):
    """The status history shown on an issue page; every change carries who and why."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[IssueStatus | None] = mapped_column(string_enum(IssueStatus))
    to_status: Mapped[IssueStatus] = mapped_column(string_enum(IssueStatus))
    reason: Mapped[str | None] = mapped_column(Text)
    # A reason civic wrote itself ("Reopened by a resident: …"): rendered per reader (civic.stored_text);
    # `reason` keeps the English.
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason_params: Mapped[dict | None] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A fix reported by neighbours after a clean-up: not the city's, so not in its time-to-fix figures.
    by_community: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language (a staff member's own words are shown as written)."""
        if self.reason_code:
            return stored_text.render(self.reason_code, self.reason_params, self.reason or "")
        return self.reason or ""


class IssueRevision(Model):
    """What an issue said before an edit: by its reporter (within 24 hours, or at any time to remove personal
    data), or by a moderator. Shown to moderators only; a moderator's purge deletes them for good."""

    __tablename__ = "issue_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    photo_ids: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was edited (None: the reporter's own edit)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CommentRevision(Model):
    """What a comment said before an edit (by its author, or by a moderator with a reason)."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
