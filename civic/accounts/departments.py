"""The city's departments as admins name them: in English and in Spanish (readers see `Department.label`)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from civic.accounts.models import Department, User
from civic.errors import Conflict, PermissionDenied
from civic.extensions import db
from civic.text import clean_text

NAME_MAX = 120


def all_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def rename_department(actor: User, department: Department, *, name: str, name_es: str) -> Department:
    """Set a department's names. Both are required: a Spanish reader should never meet the English one."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only administrators can rename departments."))
    name = clean_text(
        name, field="name", max_len=NAME_MAX, one_line=True, required=_("Give the name in English and in Spanish.")
    )
    name_es = clean_text(
        name_es,
        field="name_es",
        max_len=NAME_MAX,
        one_line=True,
        required=_("Give the name in English and in Spanish."),
    )
    clash = db.session.scalar(select(Department).where(Department.name == name, Department.id != department.id))
    if clash is not None:
        raise Conflict(_("Another department already has this name."), field="name")
    department.name, department.name_es = name, name_es
    db.session.flush()
    return department
