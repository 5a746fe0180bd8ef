"""The city's default departments and service list, loaded by `flask categories defaults` (idempotent).

Admins edit the list afterwards (/admin/categories); this is only the starting point.
"""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import Department
from civic.extensions import db
from civic.issues.models import Category

DEPARTMENTS = [
    ("streets", "Streets Department"),
    ("sanitation", "Sanitation"),
    ("licenses-inspections", "Licenses & Inspections"),
    ("parks-recreation", "Parks & Recreation"),
    ("police-traffic", "Police — Traffic Unit"),
    ("community-life", "Community Life Improvement Program"),
]

# slug, English, Spanish, department
CATEGORIES = [
    ("pothole", "Pothole", "Bache", "streets"),
    ("street-light", "Street light out", "Farola apagada", "streets"),
    ("illegal-dumping", "Illegal dumping", "Basura tirada ilegalmente", "sanitation"),
    ("trash-collection", "Missed trash collection", "Basura no recogida", "sanitation"),
    ("graffiti", "Graffiti", "Grafiti", "community-life"),
    ("abandoned-vehicle", "Abandoned vehicle", "Vehículo abandonado", "police-traffic"),
    ("other", "Something else", "Otro problema", "licenses-inspections"),
]


def ensure_departments() -> dict[str, Department]:
    existing = {d.slug: d for d in db.session.scalars(select(Department))}
    for slug, name in DEPARTMENTS:
        if slug not in existing:
            existing[slug] = Department(slug=slug, name=name)
            db.session.add(existing[slug])
    db.session.flush()
    return existing


def ensure_categories() -> dict[str, Category]:
    departments = ensure_departments()
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
    for position, (slug, name, name_es, dept) in enumerate(CATEGORIES):
        if slug not in existing:
            existing[slug] = Category(
                slug=slug, name=name, name_es=name_es, department=departments[dept], position=position, active=True
            )
            db.session.add(existing[slug])
    db.session.flush()
    return existing
