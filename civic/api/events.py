"""/api/v1: upcoming events (paginated), one event, and signing up or withdrawing (RSVP)."""
from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from civic.api import bp
from civic.api.openapi import PAGE_PARAMS, operation, ref
from civic.api.paging import paginated
from civic.api.participation import json_object
from civic.database import utcnow
from civic.errors import NotFound, ValidationError
from civic.events import services
from civic.events.models import Event, EventIssue, Rsvp, RsvpStatus
from civic.extensions import db


def _visible_event(event_id: int) -> Event:
    event = services.get_event(event_id)
    if event.hidden_at is not None and not (current_user.is_authenticated and current_user.is_moderator):
        raise NotFound(_("This event is hidden while the moderators review it."))
    return event


def _count(event_id: int, status: RsvpStatus) -> int:
    return db.session.scalar(select(func.count()).select_from(Rsvp)
                             .where(Rsvp.event_id == event_id, Rsvp.status == status)) or 0


def event_json(event: Event) -> dict:
    return {"id": event.id, "title": event.title, "description": event.description,
            "starts_at": event.starts_at.isoformat(), "ends_at": event.ends_at.isoformat(),
            "meeting_point": event.meeting_point, "lat": event.lat, "lon": event.lon, "capacity": event.capacity,
            "going": _count(event.id, RsvpStatus.GOING), "waiting": _count(event.id, RsvpStatus.WAITLISTED),
            "what_to_bring": event.what_to_bring, "cancelled": event.is_cancelled,
            "url": url_for("events.detail", event_id=event.id),
            "issue_ids": list(db.session.scalars(select(EventIssue.issue_id).where(EventIssue.event_id == event.id)
                                                 .order_by(EventIssue.issue_id)))}


@bp.get("/events")
@operation("Upcoming events, soonest first", ok=ref("EventPage"), params=PAGE_PARAMS, errors=(400,))
def events():
    stmt = (select(Event).where(Event.ends_at >= utcnow(), Event.cancelled_at.is_(None), Event.hidden_at.is_(None))
            .order_by(Event.starts_at, Event.id))
    return jsonify(paginated(stmt, event_json))


@bp.get("/events/<int:event_id>")
@operation("One event", ok=ref("Event"), errors=(404,))
def event(event_id: int):
    return jsonify(event_json(_visible_event(event_id)))


def rsvp_json(event_id: int) -> dict:
    mine = services.rsvp_of(current_user, event_id)
    status = mine.status.value if mine is not None and mine.status is not RsvpStatus.PENDING else "none"
    position = None
    if mine is not None and mine.status is RsvpStatus.WAITLISTED:
        position = db.session.scalar(select(func.count()).select_from(Rsvp).where(
            Rsvp.event_id == event_id, Rsvp.status == RsvpStatus.WAITLISTED,
            (Rsvp.created_at < mine.created_at) | ((Rsvp.created_at == mine.created_at) & (Rsvp.id <= mine.id))))
    return {"event_id": event_id, "status": status, "waiting_position": position,
            "checkin_code": mine.checkin_code if mine is not None and mine.status is RsvpStatus.GOING else None}


@bp.put("/events/<int:event_id>/rsvp")
@login_required
@operation("Sign up for an event (going, or on the waiting list when full), or withdraw", ok=ref("RsvpResult"),
           body="Rsvp", errors=(400, 404), write=True)
def rsvp(event_id: int):
    _visible_event(event_id)
    data = json_object({"going"}, {"going"})
    if not isinstance(data["going"], bool):
        raise ValidationError(_("going must be true or false."), field="going")
    if data["going"]:
        services.sign_up(current_user, event_id)
    else:
        services.withdraw(current_user, event_id)
    return jsonify(rsvp_json(event_id))
