"""Admin pages for the service list (categories)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from civic.accounts.decorators import admin_required
from civic.accounts.models import Department
from civic.admin import bp
from civic.extensions import db
from civic.issues.category_services import save_category
from civic.issues.models import Category
from civic.web import submit_form


class CategoryForm(FlaskForm):
    name = StringField(_l("Name in English"), validators=[InputRequired(), Length(max=80)])
    name_es = StringField(_l("Name in Spanish"), validators=[InputRequired(), Length(max=80)])
    slug = StringField(
        _l("Short name"),
        description=_l("Used in links and filters, like “street-light”."),
        validators=[InputRequired(), Length(max=60)],
    )
    department = SelectField(_l("Department"), coerce=int, choices=[], validators=[InputRequired()])
    position = IntegerField(_l("Order in lists"), default=0, validators=[Optional(), NumberRange(0, 999)])
    active = BooleanField(_l("Residents can choose it when reporting"), default=True)


@bp.get("/categories")
@admin_required
def categories():
    rows = db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()
    return render_template("admin/categories.html", categories=rows)


@bp.route("/categories/new", methods=["GET", "POST"])
@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@admin_required
def category(category_id: int | None = None):
    existing = db.session.get(Category, category_id) if category_id else None
    if category_id and existing is None:
        abort(404)
    form = CategoryForm(obj=existing if request.method == "GET" else None)
    if request.method == "GET" and existing:
        form.department.data = existing.department_id
    form.department.choices = [
        SelectChoice(d.id, d.label) for d in db.session.scalars(select(Department).order_by(Department.name))
    ]
    outcome = submit_form(
        form,
        lambda: save_category(
            current_user,
            existing,
            slug=form.slug.data,
            name=form.name.data,
            name_es=form.name_es.data,
            department_id=form.department.data,
            active=form.active.data,
            position=form.position.data or 0,
        ),
    )
    if outcome.done:
        flash(_("Saved “%(name)s”.", name=outcome.result.name), "success")
        return redirect(url_for("admin.categories"))
    return render_template("admin/category.html", form=form, category=existing), outcome.status
