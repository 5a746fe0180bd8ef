"""Who may do what, in one place: official replies need any verified staff; status changes, notes and
assignment need staff of the department that owns the issue's category (or an admin)."""
from __future__ import annotations

from flask_babel import gettext as _

from civic.errors import PermissionDenied
from civic.issues.models import Issue


def is_any_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and (user.acts_as_staff or user.is_admin))


def owns(user, issue: Issue) -> bool:
    """Verified staff of the department that handles the issue's category, or an admin."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or (user.acts_as_staff and user.department_id == issue.category.department_id)


def require_any_staff(user) -> None:
    if not is_any_staff(user):
        raise PermissionDenied(_("Only verified city staff can do this."))


def require_owner(user, issue: Issue) -> None:
    if not owns(user, issue):
        raise PermissionDenied(_("Only staff of %(dept)s can change this issue.", dept=issue.category.department.name))
