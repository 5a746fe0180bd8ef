"""Admin forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField
from wtforms.validators import InputRequired, Optional

from civic.accounts.models import Role

ROLE_LABELS = {
    Role.RESIDENT: _l("Resident"),
    Role.LIAISON: _l("Liaison"),
    Role.STAFF: _l("City staff"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Administrator"),
}


class UserRoleForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[InputRequired()],
    )
    department = SelectField(_l("Department (staff only)"), choices=[], validators=[Optional()])
    verified = BooleanField(_l("Verified (staff and liaisons act in their role only once verified)"))
