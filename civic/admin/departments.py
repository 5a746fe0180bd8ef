"""Admin pages for the city's departments: their names in English and Spanish."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from civic.accounts.decorators import admin_required
from civic.accounts.departments import NAME_MAX, all_departments, rename_department
from civic.accounts.models import Department
from civic.admin import bp
from civic.extensions import db
from civic.web import submit_form


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name in English"), validators=[InputRequired(), Length(max=NAME_MAX)])
    name_es = StringField(
        _l("Name in Spanish"),
        description=_l("Spanish readers see this name on replies, tickets and the dashboard."),
        validators=[InputRequired(), Length(max=NAME_MAX)],
    )


@bp.get("/departments")
@admin_required
def departments():
    return render_template("admin/departments.html", departments=all_departments())


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@admin_required
def department(department_id: int):
    existing = db.session.get(Department, department_id)
    if existing is None:
        abort(404)
    form = DepartmentForm(obj=existing if request.method == "GET" else None)
    outcome = submit_form(
        form, lambda: rename_department(current_user, existing, name=form.name.data, name_es=form.name_es.data)
    )
    if outcome.done:
        flash(_("Saved “%(name)s”.", name=outcome.result.label), "success")
        return redirect(url_for("admin.departments"))
    return render_template("admin/department.html", form=form, department=existing), outcome.status
