"""/api/v1: upcoming events (paginated), one event, and signing up or withdrawing (RSVP)."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from civic.api import bp
from civic.api.openapi import operation, ref
from civic.api.paging import paginated
from civic.api.schemas import PageQuery, Rsvp
from civic.api.validation import body_of
from civic.database import utcnow
from civic.errors import NotFound
from civic.events import services
from civic.events.models import Event, EventIssue, RsvpStatus
from civic.events.models import Rsvp as RsvpRow
from civic.extensions import db


def _visible_event(event_id: int) -> Event:
    event = services.get_event(event_id)
    if event.hidden_at is not None and not (current_user.is_authenticated and current_user.is_moderator):
        raise NotFound(_("This event is hidden while the moderators review it."))
    return event


def events_json(events: list[Event]) -> list[dict]:
    """Events as JSON, with their sign-up counts and linked issues loaded in one query each."""
    ids = [event.id for event in events]
    counts = services.counts_by_status(ids)
    issues: dict[int, list[int]] = {event_id: [] for event_id in ids}
    for event_id, issue_id in db.session.execute(
        select(EventIssue.event_id, EventIssue.issue_id)
        .where(EventIssue.event_id.in_(ids))
        .order_by(EventIssue.issue_id)
    ):
        issues[event_id].append(issue_id)
    return [
        {
            "id": e.id,
            "title": e.title,
            "description": e.description,
            "starts_at": e.starts_at.isoformat(),
            "ends_at": e.ends_at.isoformat(),
            "meeting_point": e.meeting_point,
            "lat": e.lat,
            "lon": e.lon,
            "capacity": e.capacity,
            "going": counts[e.id].get(RsvpStatus.GOING, 0),
            "waiting": counts[e.id].get(RsvpStatus.WAITLISTED, 0),
            "what_to_bring": e.what_to_bring,
            "cancelled": e.is_cancelled,
            "url": url_for("events.detail", event_id=e.id),
            "issue_ids": issues[e.id],
        }
        for e in events
    ]


@bp.get("/events")
@operation("Upcoming events, soonest first", ok=ref("EventPage"), query=PageQuery, errors=(400,))
def events():
    stmt = (
        select(Event)
        .where(Event.ends_at >= utcnow(), Event.cancelled_at.is_(None), Event.hidden_at.is_(None))
        .order_by(Event.starts_at, Event.id)
    )
    return jsonify(paginated(stmt, events_json))


@bp.get("/events/<int:event_id>")
@operation("One event", ok=ref("Event"), errors=(404,))
def event(event_id: int):
    return jsonify(events_json([_visible_event(event_id)])[0])


def rsvp_json(event_id: int) -> dict:
    mine = services.rsvp_of(current_user, event_id)
    status = mine.status.value if mine is not None and mine.status is not RsvpStatus.PENDING else "none"
    position = None
    if mine is not None and mine.status is RsvpStatus.WAITLISTED:
        position = db.session.scalar(
            select(func.count())
            .select_from(RsvpRow)
            .where(
                RsvpRow.event_id == event_id,
                RsvpRow.status == RsvpStatus.WAITLISTED,
                (RsvpRow.created_at < mine.created_at)
                | ((RsvpRow.created_at == mine.created_at) & (RsvpRow.id <= mine.id)),
            )
        )
    return {
        "event_id": event_id,
        "status": status,
        "waiting_position": position,
        "checkin_code": mine.checkin_code if mine is not None and mine.status is RsvpStatus.GOING else None,
    }


@bp.put("/events/<int:event_id>/rsvp")
@login_required
@operation(
    "Sign up for an event (going, or on the waiting list when full), or withdraw",
    ok=ref("RsvpResult"),
    body=Rsvp,
    errors=(400, 404),
    write=True,
)
def rsvp(event_id: int):
    _visible_event(event_id)
    if body_of(Rsvp).going:
        services.sign_up(current_user, event_id)
    else:
        services.withdraw(current_user, event_id)
    return jsonify(rsvp_json(event_id))
