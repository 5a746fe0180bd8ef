"""The city's service list, edited by admins: each category has an English and Spanish name and a department."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from civic.accounts.models import Department, User
from civic.errors import Conflict, PermissionDenied, ValidationError
from civic.extensions import db
from civic.issues.models import Category

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _require_admin(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_admin):
        raise PermissionDenied(_("Only administrators can change the service list."))


def save_category(
    actor: User,
    category: Category | None,
    *,
    slug: str,
    name: str,
    name_es: str,
    department_id: int | None,
    active: bool,
    position: int,
) -> Category:
    """Create (category=None) or update a category."""
    _require_admin(actor)
    slug, name, name_es = slug.strip().lower(), name.strip(), name_es.strip()
    if not SLUG.match(slug) or len(slug) > 60:
        raise ValidationError(_("Use lower-case letters, digits and hyphens, like “street-light”."), field="slug")
    if not name or not name_es:
        raise ValidationError(_("Give the name in English and in Spanish."), field="name" if not name else "name_es")
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        raise ValidationError(_("Choose the department that handles it."), field="department")
    clash = db.session.scalar(select(Category).where(Category.slug == slug))
    if clash is not None and clash is not category:
        raise Conflict(_("Another category already uses this short name."), field="slug")
    if category is None:
        category = Category()
        db.session.add(category)
    category.slug, category.name, category.name_es = slug, name[:80], name_es[:80]
    category.department, category.active, category.position = department, active, position
    db.session.flush()
    return category
