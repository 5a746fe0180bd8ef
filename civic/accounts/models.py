"""User, Role and Department, and what each role may do (the role predicates every domain asks: staff,
owner of an issue's department, moderator, admin), on the signed-in user and on `Anonymous` alike."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Protocol

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import Boolean, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.database import UTCDateTime, string_enum, utcnow
from civic.errors import PermissionDenied
from civic.extensions import Model


class HandledIssue(Protocol):
    """What the role predicates need of an issue (issues sit above accounts, so no import of Issue)."""

    @property
    def category(self): ...


class Role(str, enum.Enum):
    RESIDENT = "resident"
    LIAISON = "liaison"  # reports on behalf of residents without internet; needs verification
    STAFF = "staff"  # belongs to a department; needs verification before acting as staff
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def needs_verification(self) -> bool:
        return self in (Role.LIAISON, Role.STAFF)


class EmailFrequency(str, enum.Enum):
    """How often notification e-mail goes out."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    NEVER = "never"


class Department(Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_es: Mapped[str | None] = mapped_column(String(120))  # the Spanish name; English where missing
    slug: Mapped[str] = mapped_column(String(60), unique=True)

    members: Mapped[list[User]] = relationship(back_populates="department", foreign_keys="User.department_id")

    @property
    def label(self) -> str:
        """The department's name in the reader's language."""
        locale = get_locale()
        return self.name_es if locale is not None and locale.language == "es" and self.name_es else self.name

    def __repr__(self) -> str:
        return f"<Department {self.slug}>"


def _new_session_nonce() -> str:
    return secrets.token_hex(8)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (trimmed, lower-case) so uniqueness is case-insensitive on every backend.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    # The one rule for names: shown to neighbours next to reports and comments, or only to the person and city
    # staff. Chosen at sign-up (accounts from before the choice existed keep showing it, as they were told).
    show_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default="1")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(string_enum(Role), default=Role.RESIDENT)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locale: Mapped[str | None] = mapped_column(String(5))
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    home_neighbourhood: Mapped[str | None] = mapped_column(String(80))
    # Part of the session id: rotating it signs the user out everywhere (done on password reset).
    session_nonce: Mapped[str] = mapped_column(String(16), default=_new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_frequency: Mapped[EmailFrequency] = mapped_column(
        string_enum(EmailFrequency), default=EmailFrequency.DAILY, server_default=EmailFrequency.DAILY.value
    )
    near_me_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the "near me" page's last visit
    # Suspended by a moderator: cannot sign in; sessions end (civic/moderation).
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_reason: Mapped[str | None] = mapped_column(Text)

    department: Mapped[Department | None] = relationship(back_populates="members", foreign_keys=[department_id])
    verified_by: Mapped[User | None] = relationship(remote_side=[id], foreign_keys=[verified_by_id])

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def rotate_session_nonce(self) -> None:
        self.session_nonce = _new_session_nonce()

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def acts_as_staff(self) -> bool:
        """Verified staff of a department. Unverified staff are plain residents."""
        return self.role is Role.STAFF and self.is_verified and self.department_id is not None

    @property
    def acts_as_liaison(self) -> bool:
        return self.role is Role.LIAISON and self.is_verified

    @property
    def is_any_staff(self) -> bool:
        """Verified staff of any department, or an admin: may reply officially and see the staff tools."""
        return self.acts_as_staff or self.is_admin

    def owns_issue(self, issue: HandledIssue) -> bool:
        """Verified staff of the department that handles the issue's category, or an admin."""
        return self.is_admin or (self.acts_as_staff and self.department_id == issue.category.department_id)

    def require_any_staff(self) -> None:
        if not self.is_any_staff:
            raise PermissionDenied(_("Only verified city staff can do this."))

    def require_owner(self, issue: HandledIssue) -> None:
        if not self.owns_issue(issue):
            raise PermissionDenied(
                _("Only staff of %(dept)s can change this issue.", dept=issue.category.department.label)
            )

    @property
    def awaiting_verification(self) -> bool:
        return self.role.needs_verification and not self.is_verified

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login: a suspended account cannot sign in
        return not self.is_suspended

    @property
    def has_home(self) -> bool:
        return self.home_lat is not None and self.home_lon is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class Anonymous(AnonymousUserMixin):
    """Flask-Login's visitor who has not signed in: every role predicate says no."""

    is_admin = is_moderator = acts_as_staff = acts_as_liaison = is_any_staff = False

    def owns_issue(self, issue: HandledIssue) -> bool:
        return False

    def require_any_staff(self) -> None:
        raise PermissionDenied(_("Only verified city staff can do this."))

    def require_owner(self, issue: HandledIssue) -> None:
        raise PermissionDenied(_("Only staff of %(dept)s can change this issue.", dept=issue.category.department.label))
