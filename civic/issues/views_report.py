"""Reporting an issue (with the 'Already reported?' step) and the reporter's 24-hour edit."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from civic import panels
from civic.errors import DomainError
from civic.geo.geocoding import geocode
from civic.issues import bp, maps, services
from civic.issues.forms import EditIssueForm, ReportForm
from civic.issues.map_view import parse_view
from civic.ratelimits import limited_when_done
from civic.web import show_error, submit_form


def _report_form() -> ReportForm:
    form = ReportForm()
    form.category.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(c.id, c.label) for c in services.active_categories()
    ]
    if request.method == "GET":
        form.show_reporter_name.data = current_user.show_name  # the account's choice, changeable per report
        if request.args.get("category", "").isdigit():
            form.category.data = int(request.args["category"])
    return form


def _picker_start(form: ReportForm) -> maps.PickerStart:
    """Street level at the form's pin, else the reader's home, else the map they came from (its view in the
    report link: ?lat=..&lon=..&zoom=..), else the city."""
    home = (current_user.home_lat, current_user.home_lon) if current_user.has_home else None
    view = parse_view(request.args)
    return maps.picker_start(form.lat.data, form.lon.data, home, (view.lat, view.lon, view.zoom) if view else None)


def _render_report(form: ReportForm, status: int = 200, duplicates=None, placed=None, alternatives=()):
    start = _picker_start(form)
    return render_template(
        "issues/report.html",
        form=form,
        duplicates=duplicates or [],
        placed=placed,
        fmap=maps.picker_parts(start),
        picker_source=start.source,
        alternatives=alternatives,  # the other places the typed address may mean, to pick without JavaScript
        liaison=current_user.acts_as_liaison,
        fields=panels.collect("report-form", form=form),  # other domains' questions (the city's attributes)
    ), status


def _put_pin(form: ReportForm, place) -> None:
    """Fill latitude and longitude with the place found. The submitted text is what a field shows, so it is
    replaced too: a browser sends the empty fields, and the page would come back without the pin."""
    for field, value in ((form.lat, place.lat), (form.lon, place.lon)):
        field.data, field.raw_data = value, [str(value)]


@bp.route("/issues/new", methods=["GET", "POST"])
@login_required
@limited_when_done("REPORT_RATE_LIMIT")  # only a post that files the report counts, not the form's steps
def report():
    form = _report_form()
    if request.method == "GET":
        return _render_report(form)
    if not form.validate_on_submit():
        return _render_report(form, 400)
    picked = request.form.get("place")
    if (form.lat.data is None or picked) and form.address.data:
        # Typed an address instead of placing the pin (or picked one of the places it may mean): place the
        # pin there and let the reporter check it.
        places = geocode(form.address.data)
        places = sorted(places, key=lambda p: f"{p.lat},{p.lon}" != picked)  # the picked one first
        if not places:
            form.address.errors = [
                _(
                    "We could not find that place in %(city)s. Place the pin on the map or type coordinates.",
                    city=current_app.config["CITY_NAME"],
                )
            ]
            return _render_report(form, 400)
        _put_pin(form, places[0])
        return _render_report(form, 200, placed=places[0], alternatives=places[1:])
    if not form.duplicates_seen.data and form.lat.data is not None and form.lon.data is not None:
        duplicates = services.nearby_open_issues(form.lat.data, form.lon.data, form.category.data)
        if duplicates:
            form.duplicates_seen.data = "1"
            if services.issue_photos.real_uploads(form.photos.data):
                form.photos.errors = [_("Your photos were not kept: choose them again if you still report.")]
            return _render_report(form, 200, duplicates)
    draft = services.IssueDraft(
        category_id=form.category.data,
        title=form.title.data,
        description=form.description.data,
        lat=form.lat.data,
        lon=form.lon.data,
        address=form.address.data,
        show_reporter_name=form.show_reporter_name.data,
        on_behalf_name=form.on_behalf_name.data if current_user.acts_as_liaison else None,
        on_behalf_contact=form.on_behalf_contact.data if current_user.acts_as_liaison else None,
        extra_fields=request.form.to_dict(flat=False),  # other domains' fields (the city's attributes)
    )
    try:
        issue = services.report_issue(current_user, draft, form.photos.data)
    except DomainError as error:
        status = show_error(form, error)
        return _render_report(form, status)
    flash(_("Thank you! Your report is on the map. Neighbours can now add their vote."), "success")
    return redirect(url_for("issues.detail", issue_id=issue.id))


@bp.route("/issues/<int:issue_id>/edit", methods=["GET", "POST"])
@login_required
def edit(issue_id: int):
    issue = services.get_issue(issue_id)
    if not services.can_edit_issue(current_user, issue):
        flash(_("Only the reporter can edit an issue, within 24 hours of reporting it."), "error")
        return redirect(url_for("issues.detail", issue_id=issue.id)), 303
    form = EditIssueForm(obj=issue if request.method == "GET" else None)
    remove = {int(v) for v in request.form.getlist("remove_photo") if v.isdigit()}
    outcome = submit_form(
        form,
        lambda: services.edit_issue(
            current_user,
            issue,
            title=form.title.data,
            description=form.description.data,
            remove_photo_ids=remove,
            uploads=form.photos.data,
        ),
    )
    if outcome.done:
        flash(_("Your changes are saved. Earlier versions stay in the issue's history."), "success")
        return redirect(url_for("issues.detail", issue_id=issue.id))
    return render_template("issues/edit.html", issue=issue, form=form), outcome.status
