"""Following, the notification centre, "near me", e-mail settings and one-click unsubscribe."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from civic.accounts.models import EmailFrequency
from civic.errors import DomainError, InvalidToken
from civic.extensions import csrf, db
from civic.forms import ActionForm
from civic.geo import neighbourhoods
from civic.issues import maps
from civic.issues.services import active_categories, comment_author
from civic.notifications import bp, services
from civic.notifications.email import user_from_unsubscribe_token
from civic.notifications.forms import AreaForm, EmailSettingsForm
from civic.notifications.messages import describe, link
from civic.notifications.models import AreaKind, Notification
from civic.web import safe_next, show_error


@bp.post("/issues/<int:issue_id>/follow")
@login_required
def follow_issue(issue_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    following = request.form.get("following") == "1"
    services.set_following(current_user, issue_id, following)
    flash(
        _("You follow this issue: you will hear about comments and status changes.")
        if following
        else _("You no longer follow this issue."),
        "success",
    )
    return redirect(safe_next(request.form.get("next"), url_for("issues.detail", issue_id=issue_id)))


# --- notification centre ----------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def centre():
    page = services.notifications_page(current_user, page=request.args.get("page", 1, type=int))
    items = [
        {"n": n, "text": describe(n), "link": url_for("notifications.open_one", notification_id=n.id)}
        for n in page.items
    ]
    return render_template("notifications/centre.html", page=page, items=items, action=ActionForm())


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id: int):
    """Follow a notification's link and mark it read on the way."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    services.mark_read(current_user, [notification.id])
    return redirect(link(notification))


@bp.post("/notifications/read")
@login_required
def mark_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    ids = [int(v) for v in request.form.getlist("id") if v.isdigit()]
    services.mark_read(current_user, ids or None)
    flash(_("Marked as read."), "success")
    return redirect(url_for("notifications.centre"))


# --- following areas --------------------------------------------------------------------------


def _area_form() -> AreaForm:
    form = AreaForm()
    form.neighbourhood.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(h.slug, h.name) for h in neighbourhoods.all_neighbourhoods()
    ]
    form.category.choices = [SelectChoice("", _("Every kind"))] + [
        SelectChoice(str(c.id), c.label) for c in active_categories()
    ]
    if request.method == "GET" and current_user.has_home:
        form.lat.data, form.lon.data = current_user.home_lat, current_user.home_lon
    return form


def _render_follows(form: AreaForm, status: int = 200):
    return render_template(
        "notifications/follows.html",
        form=form,
        areas=services.user_areas(current_user),
        issues=services.followed_issues(current_user),
        action=ActionForm(),
        fmap=maps.picker_map(None, None),
    ), status


@bp.get("/follows")
@login_required
def follows():
    return _render_follows(_area_form())


@bp.post("/follows/areas")
@login_required
def add_area():
    form = _area_form()
    if not form.validate_on_submit():
        return _render_follows(form, 400)
    try:
        shape = json.loads(form.shape.data) if form.kind.data == "shape" and form.shape.data else None
    except ValueError:
        shape = "invalid"
    try:
        services.follow_area(
            current_user,
            name=form.name.data,
            kind=AreaKind(form.kind.data),
            lat=form.lat.data,
            lon=form.lon.data,
            radius_m=form.radius_m.data,
            neighbourhood=form.neighbourhood.data or None,
            shape=shape,
            category_id=int(form.category.data) if form.category.data else None,
        )
    except DomainError as error:
        return _render_follows(form, show_error(form, error))
    flash(_("You follow this area. New issues there will appear in your notifications."), "success")
    return redirect(url_for("notifications.follows"))


@bp.post("/follows/areas/<int:area_id>/delete")
@login_required
def delete_area(area_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    services.stop_following_area(current_user, area_id)
    flash(_("You no longer follow that area."), "success")
    return redirect(url_for("notifications.follows"))


@bp.get("/near-me")
@login_required
def near_me():
    changes = services.near_me(current_user)
    authors = {c.id: comment_author(c, current_user) for c in changes["comments"]}  # the one rule for names
    response = render_template("notifications/near_me.html", authors=authors, **changes)
    services.mark_near_me_seen(current_user)  # after rendering: this visit's news is shown once
    return response


# --- e-mail settings and unsubscribe ----------------------------------------------------------


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def email_settings():
    form = EmailSettingsForm(email_frequency=current_user.email_frequency.value)
    if form.validate_on_submit():
        services.set_email_frequency(current_user, EmailFrequency(form.email_frequency.data))
        flash(_("Your e-mail settings are saved."), "success")
        return redirect(url_for("notifications.email_settings"))
    return render_template("notifications/email_settings.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no CSRF token; the signed token is the proof.
@csrf.exempt
def unsubscribe(token: str):
    try:
        user = user_from_unsubscribe_token(token)
    except InvalidToken as error:
        return render_template("notifications/unsubscribe.html", error=error.message, done=False), 400
    if request.method == "POST":
        services.set_email_frequency(user, EmailFrequency.NEVER)
        return render_template("notifications/unsubscribe.html", done=True, user=user)
    return render_template("notifications/unsubscribe.html", done=False, user=user, token=token)
