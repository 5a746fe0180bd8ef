"""Event pages for everyone: upcoming near me, the map layer's data, organise (optionally for an issue),
the event page, sign up, check in, cancel, .ics files and my calendar feed. What organisers do after
publishing lives in views_organise.py."""

from __future__ import annotations

import segno
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select

from civic.database import utcnow
from civic.errors import DomainError, InvalidToken, NotFound
from civic.events import bp, finding, organising, reminders, reports, services
from civic.events.forms import EventForm, area_choices
from civic.events.ical import calendar_for
from civic.events.models import Event, Rsvp, RsvpStatus
from civic.extensions import db
from civic.forms import ActionForm
from civic.geo import neighbourhoods
from civic.issues import maps
from civic.issues import services as issue_services
from civic.issues.queries import parse_bbox
from civic.web import submit_form


@bp.get("/")
def index():
    """Upcoming events, near a chosen neighbourhood or my home when there is one (a list: no map needed)."""
    place, radius = request.args.get("near", ""), request.args.get("radius", type=int)
    radius = radius if radius in finding.RADII_KM else finding.DEFAULT_RADIUS_KM
    centre, centre_name = None, None
    if place == "home" and current_user.is_authenticated and current_user.has_home:
        centre, centre_name = (current_user.home_lat, current_user.home_lon), _("your home")
    elif place and place != "all" and (hood := neighbourhoods.by_slug(place)):
        centre, centre_name = hood.centre, hood.name
    elif not place and current_user.is_authenticated and current_user.has_home:
        return redirect(url_for("events.index", near="home"))
    found: list[tuple[Event, float | None]]
    if centre is not None:
        found = list(finding.upcoming_near(*centre, radius))
    else:
        found = [(event, None) for event in finding.upcoming()]
    return render_template(
        "events/index.html",
        found=found,
        past=finding.recent_past(),
        near=place,
        radius=radius,
        radii=finding.RADII_KM,
        centre_name=centre_name,
        hoods=neighbourhoods.all_neighbourhoods(),
    )


@bp.get("/in-view.json")
def in_view():
    """The map's events layer: upcoming events in a bbox, as GeoJSON."""
    try:
        box = parse_bbox(request.args.get("bbox", ""))
    except DomainError as error:
        return jsonify(error=error.message, field=error.field), error.status_code
    return jsonify(finding.in_view(box))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = EventForm()
    form.area_neighbourhood.choices = area_choices()
    issue = None
    wanted = request.values.get("issue", type=int) or (
        int(form.issue_id.data) if (form.issue_id.data or "").isdigit() else None
    )
    if wanted:
        issue = issue_services.get_issue(wanted)
        if request.method == "GET":
            form.issue_id.data = str(issue.id)
            form.lat.data, form.lon.data = issue.lat, issue.lon
            form.meeting_point.data = issue.address or issue.title

    def organise():
        """The event, its link to the issue it was organised for and the organiser's place if they take one:
        one unit of work."""
        event = services.create_event(
            current_user,
            **form.details(),
            supplies_request=form.supplies_request.data,
            organiser_attends=bool(form.organiser_attends.data),
        )
        if issue is not None:
            organising.link_issues(current_user, event, [issue.id])
        return event

    outcome = submit_form(form, organise)
    if outcome.done:
        flash(_("Your event is published. Share its page so neighbours can sign up."), "success")
        return redirect(url_for("events.detail", event_id=outcome.result.id))
    return render_template(
        "events/new.html", form=form, issue=issue, fmap=maps.picker_map(form.lat.data, form.lon.data)
    ), outcome.status


@bp.get("/<int:event_id>")
def detail(event_id: int):
    event = services.get_event(event_id)
    if event.hidden_at is not None and not (current_user.is_authenticated and current_user.is_moderator):
        raise NotFound(_("This event is hidden while the moderators review it."))
    rsvps = db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id).order_by(Rsvp.created_at)).all()
    mine = services.rsvp_of(current_user, event.id)
    waiting = [r for r in rsvps if r.status is RsvpStatus.WAITLISTED]
    going = [r for r in rsvps if r.status is RsvpStatus.GOING]
    return render_template(
        "events/detail.html",
        event=event,
        mine=mine,
        going=going,
        started=services.has_started(event),
        over=event.ends_at <= utcnow(),
        full=event.capacity is not None and len(going) >= event.capacity,
        waiting=waiting,
        position=(waiting.index(mine) + 1) if mine in waiting else None,
        organiser=services.is_organiser(current_user, event),
        action=ActionForm(),
        issues=organising.linked_issues(event),
        co_organisers=organising.co_organisers(event),
        report=reports.report_of(event),
        photos=reports.photos_of(event),
        can_report=reports.can_report(current_user, event),
        staff=current_user.is_any_staff,
        area=neighbourhoods.by_slug(event.area_neighbourhood) if event.area_neighbourhood else None,
        fmap=maps.issue_map(event.lat, event.lon),
    )


def _back(event_id: int):
    return redirect(url_for("events.detail", event_id=event_id))


@bp.post("/<int:event_id>/rsvp")
@login_required
def rsvp(event_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if request.form.get("going") == "1":
            result = services.sign_up(current_user, event_id)
            flash(
                _("You are going. See you there!")
                if result.status is RsvpStatus.GOING
                else _("The event is full: you are on the waiting list and will be told if a place frees up."),
                "success",
            )
        else:
            services.withdraw(current_user, event_id)
            flash(_("You are no longer signed up."), "success")
    except DomainError as error:
        flash(error.message, "error")
    return _back(event_id)


@bp.post("/<int:event_id>/guest")
def guest(event_id: int):
    """Sign up without an account: name and e-mail, confirmed through a link sent by e-mail."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.sign_up_guest(event_id, request.form.get("guest_name", ""), request.form.get("guest_email", ""))
    except DomainError as error:
        if error.status_code == 404:
            raise
        flash(error.message, "error")
    else:
        flash(_("Almost done: open the link we sent to your e-mail to confirm your place."), "success")
    return _back(event_id)


@bp.get("/confirm/<token>")
def confirm_guest(token: str):
    try:
        rsvp = services.confirm_guest(token)
    except DomainError as error:
        return render_template("events/confirm.html", error=error.message), 400
    return render_template("events/confirm.html", rsvp=rsvp, event=services.get_event(rsvp.event_id))


@bp.post("/<int:event_id>/checkin")
@login_required
def checkin(event_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    event = services.get_event(event_id)
    try:
        person = services.check_in(current_user, event, request.form.get("code", ""))
    except DomainError as error:
        if error.status_code == 403:
            raise
        flash(error.message, "error")
    else:
        flash(
            _("%(name)s is checked in.", name=person.user.display_name if person.user else person.guest_name), "success"
        )
    return _back(event_id)


@bp.get("/<int:event_id>/checkin/<code>")
@login_required
def checkin_scan(event_id: int, code: str):
    """Where an attendee's QR code leads: the organiser's phone opens it and confirms (a GET changes nothing)."""
    event = services.get_event(event_id)
    person = services.attendee_by_code(current_user, event, code)
    return render_template("events/checkin.html", event=event, person=person, code=code, action=ActionForm())


@bp.app_template_global("checkin_qr")
def checkin_qr(event_id: int, code: str) -> Markup:
    """An attendee's check-in code as an inline SVG QR code, pointing at the organisers' check-in page."""
    url = url_for("events.checkin_scan", event_id=event_id, code=code, _external=True)
    svg = segno.make(url, error="m").svg_inline(scale=4, light="#fff", svgclass="qr-code")
    label = escape(_("QR code to show the organisers: %(code)s", code=code))
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S704 - segno's SVG, label escaped


@bp.post("/<int:event_id>/cancel")
@login_required
def cancel(event_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    services.cancel_event(current_user, services.get_event(event_id))
    flash(_("The event is cancelled. Everyone signed up will be told."), "success")
    return _back(event_id)


@bp.get("/<int:event_id>.ics")
def ics(event_id: int):
    event = services.get_event(event_id)
    return Response(
        calendar_for([event], event.title),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="civic-event-{event.id}.ics"'},
    )


@bp.get("/mine")
@login_required
def mine():
    feed = url_for("events.calendar_feed", token=reminders.calendar_token(current_user), _external=True)
    return render_template(
        "events/mine.html",
        events=reminders.my_events(current_user),
        feed=feed,
        webcal=feed.replace("https://", "webcal://").replace("http://", "webcal://"),
    )


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """My events as a calendar that apps subscribe to and refresh; the token in the address is the key."""
    try:
        user = reminders.user_from_calendar_token(token)
    except InvalidToken as error:
        return Response(error.message, status=404, mimetype="text/plain")
    return Response(
        calendar_for(reminders.my_events(user), _("My civic events")),
        mimetype="text/calendar",
        headers={"Cache-Control": "private, max-age=900"},
    )
