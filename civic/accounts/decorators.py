"""View decorators for roles. They guard pages; services check authorisation again for every write."""

from __future__ import annotations

from functools import wraps

from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.errors import PermissionDenied


def staff_required(view):
    """Verified staff of a department (admins too). Unverified staff are told why they can't enter."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.is_any_staff:
            return view(*args, **kwargs)
        if current_user.awaiting_verification:
            raise PermissionDenied(_("Your staff account is waiting for an administrator to verify it."))
        raise PermissionDenied(_("This page is for verified city staff."))

    return wrapped


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            raise PermissionDenied(_("This page is for administrators."))
        return view(*args, **kwargs)

    return wrapped
