"""The admin's user list and per-user role page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms import SelectChoice

from civic.accounts import services
from civic.accounts.decorators import admin_required
from civic.accounts.models import Department, Role, User
from civic.admin import bp
from civic.admin.forms import ROLE_LABELS, UserRoleForm
from civic.errors import DomainError
from civic.extensions import db
from civic.forms import ActionForm
from civic.web import submit_form

PAGE_SIZE = 50


@bp.get("/users")
@admin_required
def users():
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    q = request.args.get("q", "").strip()[:100]
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(like), User.display_name.ilike(like)))
    role = request.args.get("role", "")
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    if request.args.get("pending"):
        query = query.where(User.role.in_([Role.STAFF, Role.LIAISON]), User.verified_at.is_(None))
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "admin/users.html",
        page=page,
        q=q,
        role=role,
        pending=bool(request.args.get("pending")),
        role_labels=ROLE_LABELS,
        confirm=ActionForm(),
    )


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _role_form(user: User) -> UserRoleForm:
    form = UserRoleForm(
        formdata=request.form if request.method == "POST" else None,
        role=user.role.value,
        department=str(user.department_id or ""),
        verified=user.is_verified,
    )
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    form.department.choices = [SelectChoice("", _("None"))] + [SelectChoice(str(d.id), d.label) for d in departments]
    return form


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id: int):
    user = _get_user(user_id)
    form = _role_form(user)

    def save_role():
        department = db.session.get(Department, int(form.department.data)) if form.department.data else None
        services.set_role(current_user, user, Role(form.role.data), department, verified=form.verified.data)

    outcome = submit_form(form, save_role)
    if outcome.done:
        flash(_("Saved the role of %(name)s.", name=user.display_name), "success")
        return redirect(url_for("admin.user", user_id=user.id))
    return (
        render_template("admin/user.html", user=user, form=form, role_labels=ROLE_LABELS, confirm=ActionForm()),
        outcome.status,
    )


@bp.post("/users/<int:user_id>/verify")
@admin_required
def verify(user_id: int):
    return _one_click(user_id, services.verify, _("%(name)s is verified."))


@bp.post("/users/<int:user_id>/revoke")
@admin_required
def revoke(user_id: int):
    return _one_click(user_id, services.revoke, _("%(name)s is no longer verified and acts as a resident."))


def _one_click(user_id: int, action, done_message: str):
    user = _get_user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(current_user, user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done_message % {"name": user.display_name}, "success")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/admin/") else url_for("admin.user", user_id=user.id))
