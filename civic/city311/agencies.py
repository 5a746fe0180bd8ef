"""The agency a 311 ticket names, in the reader's language where civic knows it: the city's `agency_responsible`
is its own text, but when it is the name of one of civic's departments, that department's name is shown in the
reader's language (the city's Streets Department reads "Departamento de Calles" to a Spanish reader)."""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import Department
from civic.extensions import db


def label(agency: str | None) -> str:
    """The agency's name as the reader should see it ("" for none)."""
    if not agency:
        return ""
    department = db.session.scalar(select(Department).where(Department.name == agency).limit(1))
    return department.label if department is not None else agency
