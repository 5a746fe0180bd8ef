"""The privacy page (what is kept and why), and the account pages to download my data or delete my account."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from civic.errors import DomainError
from civic.forms import ActionForm
from civic.privacy import bp, services


@bp.get("/privacy")
def policy():
    return render_template("privacy/policy.html")


@bp.get("/account/my-data")
@login_required
def my_data():
    return render_template("privacy/my_data.html", action=ActionForm())


@bp.post("/account/my-data")
@login_required
def download():
    if not ActionForm().validate_on_submit():
        abort(400)
    return Response(
        services.export_zip(current_user),
        mimetype="application/zip",
        headers={"Content-Disposition": 'attachment; filename="civic-my-data.zip"'},
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form, error, status = ActionForm(), None, 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.delete_account(
                current_user._get_current_object(), request.form.get("password", ""), request.form.get("confirm", "")
            )
        except DomainError as failure:
            error, status = failure, failure.status_code
        else:
            logout_user()
            flash(_("Your account is deleted. What you posted stays, without your name. Goodbye!"), "info")
            return redirect(url_for("core.index"))
    elif request.method == "POST":
        status = 400
    return render_template("privacy/delete.html", action=form, error=error, confirm_word=services.CONFIRM_WORD), status
