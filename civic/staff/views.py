"""Staff home: my department and its verified members."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from civic.accounts.decorators import staff_required
from civic.accounts.models import Role, User
from civic.extensions import db
from civic.staff import bp


@bp.get("/")
@staff_required
def home():
    department = current_user.department
    colleagues = []
    if department is not None:
        colleagues = db.session.scalars(
            select(User)
            .where(User.department_id == department.id, User.role == Role.STAFF, User.verified_at.is_not(None))
            .order_by(User.display_name)
        ).all()
    return render_template("staff/home.html", department=department, colleagues=colleagues)
