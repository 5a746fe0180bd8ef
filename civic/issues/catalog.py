"""The city's default departments and service list, loaded by `flask categories defaults` (idempotent).

Admins edit the list afterwards (/admin/categories); this is only the starting point.
"""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import Department
from civic.extensions import db
from civic.issues.models import Category

# slug, English, Spanish (the names Philadelphia's own Spanish pages use where it has them)
DEPARTMENTS = [
    ("streets", "Streets Department", "Departamento de Calles"),
    ("sanitation", "Sanitation", "Servicio de Limpieza"),
    ("licenses-inspections", "Licenses & Inspections", "Licencias e Inspecciones"),
    ("parks-recreation", "Parks & Recreation", "Parques y Recreación"),
    ("police-traffic", "Police — Traffic Unit", "Policía — Unidad de Tráfico"),
    ("community-life", "Community Life Improvement Program", "Programa de Mejora de la Vida Comunitaria"),
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
    for slug, name, name_es in DEPARTMENTS:
        if slug not in existing:
            existing[slug] = Department(slug=slug, name=name, name_es=name_es)
            db.session.add(existing[slug])
        elif not existing[slug].name_es and existing[slug].name == name:  # a city from before Spanish names
            existing[slug].name_es = name_es
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
