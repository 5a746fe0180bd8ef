"""Pages for after an event is published: edit it, co-organisers, the issues it tackles (also from an issue
page), supplies asked of the city (and staff's public answer), and the after-event report."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.errors import DomainError
from civic.events import bp, organising, reports, services
from civic.events.forms import EditEventForm, ReportForm, area_choices
from civic.forms import ActionForm
from civic.issues import maps
from civic.web import flash_or_raise, require_action_form, submit_form


def _back(event_id: int, anchor: str | None = None):
    return redirect(url_for("events.detail", event_id=event_id, _anchor=anchor))


def _ids(values: list[str]) -> list[int]:
    return sorted({int(v) for v in values if v.strip().isdigit()})


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = services.get_event(event_id)
    organising.require_organiser(current_user, event)
    form = EditEventForm(obj=event if request.method == "GET" else None)
    form.area_neighbourhood.choices = area_choices()
    if request.method == "GET":
        zone = services.city_zone()
        form.starts_at.data = event.starts_at.astimezone(zone).replace(tzinfo=None)
        form.ends_at.data = event.ends_at.astimezone(zone).replace(tzinfo=None)
        form.area_neighbourhood.data = event.area_neighbourhood or ""
    outcome = submit_form(form, lambda: organising.update_event(current_user, event, **form.details()))
    if outcome.done:
        flash(_("Saved. Everyone signed up has been told of the change.") if outcome.result else _("Saved."), "success")
        return _back(event.id)
    return render_template(
        "events/edit.html",
        form=form,
        event=event,
        action=ActionForm(),
        co_organisers=organising.co_organisers(event),
        linked=organising.linked_issues(event),
        offered=organising.issues_to_offer(event),
        fmap=maps.picker_map(form.lat.data, form.lon.data),
    ), outcome.status


@bp.post("/<int:event_id>/organisers")
@login_required
def add_organiser(event_id: int):
    require_action_form()
    event = services.get_event(event_id)
    try:
        person = organising.add_co_organiser(current_user, event, request.form.get("email", ""))
    except DomainError as error:
        flash_or_raise(error)
    else:
        flash(_("%(name)s can now edit this event and check people in.", name=person.display_name), "success")
    return redirect(url_for("events.edit", event_id=event_id, _anchor="organisers-heading"))


@bp.post("/<int:event_id>/organisers/<int:user_id>/remove")
@login_required
def remove_organiser(event_id: int, user_id: int):
    require_action_form()
    event = services.get_event(event_id)
    organising.remove_co_organiser(current_user, event, user_id)
    flash(_("Removed from the organisers."), "success")
    if services.is_organiser(current_user, event):
        return redirect(url_for("events.edit", event_id=event_id, _anchor="organisers-heading"))
    return _back(event_id)


@bp.post("/<int:event_id>/issues")
@login_required
def link_issues(event_id: int):
    """Link issues: ticked in the list of nearby ones, typed by number, or sent from an issue page."""
    require_action_form()
    event = services.get_event(event_id)
    try:
        added = organising.link_issues(current_user, event, _ids(request.form.getlist("issue_ids")))
    except DomainError as error:
        flash_or_raise(error)
    else:
        flash(_("The event will tackle %(n)d more issue(s).", n=added), "success")
    return redirect(url_for("events.edit", event_id=event_id, _anchor="issues-heading"))


@bp.post("/add-issue")
@login_required
def add_issue_to_event():
    """From an issue page: add this issue to one of the clean-ups I organise."""
    require_action_form()
    issue_id = request.form.get("issue_id", type=int)
    event = services.get_event(request.form.get("event_id", type=int) or 0)
    try:
        organising.link_issues(current_user, event, [issue_id] if issue_id else [])
    except DomainError as error:
        flash_or_raise(error)
    else:
        flash(_("The clean-up “%(title)s” will tackle this issue.", title=event.title), "success")
    return redirect(
        url_for("issues.detail", issue_id=issue_id) if issue_id else url_for("events.detail", event_id=event.id)
    )


@bp.post("/<int:event_id>/issues/<int:issue_id>/remove")
@login_required
def unlink_issue(event_id: int, issue_id: int):
    require_action_form()
    organising.unlink_issue(current_user, services.get_event(event_id), issue_id)
    flash(_("The event no longer lists that issue."), "success")
    return redirect(url_for("events.edit", event_id=event_id, _anchor="issues-heading"))


@bp.post("/<int:event_id>/supplies")
@login_required
def request_supplies(event_id: int):
    require_action_form()
    event = services.get_event(event_id)
    try:
        organising.request_supplies(current_user, event, request.form.get("supplies_request", ""))
    except DomainError as error:
        flash_or_raise(error)
    else:
        flash(_("Your request is with the city. Its answer will appear on this page."), "success")
    return _back(event_id, "supplies-heading")


@bp.post("/<int:event_id>/supplies/answer")
@login_required
def answer_supplies(event_id: int):
    require_action_form()
    event = services.get_event(event_id)
    try:
        organising.decide_supplies(
            current_user, event, request.form.get("decision") == "accept", request.form.get("supplies_response", "")
        )
    except DomainError as error:
        flash_or_raise(error)
    else:
        flash(_("Your answer is public on the event page; the organisers are told."), "success")
    return _back(event_id, "supplies-heading")


@bp.route("/<int:event_id>/report", methods=["GET", "POST"])
@login_required
def report(event_id: int):
    event = services.get_event(event_id)
    organising.require_organiser(current_user, event)
    existing = reports.report_of(event)
    form = ReportForm(obj=existing if request.method == "GET" else None)
    links = organising.linked_issues(event)
    outcome = submit_form(
        form,
        lambda: reports.post_report(
            current_user,
            event,
            summary=form.summary.data,
            before=request.files.getlist(form.before.name),
            after=request.files.getlist(form.after.name),
            fixed_issue_ids=_ids(request.form.getlist("fixed")),
        ),
    )
    if outcome.done:
        flash(_("Thank you! The report is on the event page, and the issues you marked are fixed."), "success")
        return _back(event.id, "report-heading")
    return render_template(
        "events/report.html",
        form=form,
        event=event,
        links=links,
        can_report=reports.can_report(current_user, event),
        checked=set(_ids(request.form.getlist("fixed"))),
    ), outcome.status
