"""Finding events: upcoming ones near a point (the list), and those inside a map view (the map's events
layer, as GeoJSON). Events are few next to issues, so a bounding-box filter on lat/lon is enough."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import bindparam, select

from civic.database import utcnow
from civic.events.models import Event, EventIssue, EventReport, RsvpStatus
from civic.events.services import counts_by_status
from civic.events.times import event_time
from civic.extensions import db
from civic.issues.spatial import BBox, distance_m

RADII_KM = (1, 3, 10)
DEFAULT_RADIUS_KM = 3
MAX_EVENTS = 500


def _upcoming(now: datetime | None = None):
    return (
        select(Event)
        .where(Event.ends_at >= (now or utcnow()), Event.cancelled_at.is_(None), Event.hidden_at.is_(None))
        .order_by(Event.starts_at, Event.id)
    )


def upcoming(limit: int = 100) -> list[Event]:
    return list(db.session.scalars(_upcoming().limit(limit)))


def recent_past(limit: int = 5, days: int = 180) -> list[tuple[Event, bool]]:
    """Clean-ups that ended in the last `days`, latest first, each with whether its report is written."""
    now = utcnow()
    stmt = (
        select(Event, EventReport.event_id.is_not(None))
        .outerjoin(EventReport, EventReport.event_id == Event.id)
        .where(Event.ends_at < now, Event.ends_at >= now - timedelta(days=days))
        .where(Event.cancelled_at.is_(None), Event.hidden_at.is_(None))
        .order_by(Event.ends_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return [(event, bool(reported)) for event, reported in db.session.execute(stmt)]


def upcoming_near(lat: float, lon: float, radius_km: float) -> list[tuple[Event, float]]:
    """Upcoming events within radius_km of the point, soonest first, each with its distance in metres."""
    box = BBox.around(lat, lon, radius_km * 1000)
    stmt = _upcoming().where(Event.lat.between(box.min_lat, box.max_lat), Event.lon.between(box.min_lon, box.max_lon))
    found = [
        (event, distance_m(lat, lon, event.lat, event.lon)) for event in db.session.scalars(stmt.limit(MAX_EVENTS))
    ]
    return [(event, d) for event, d in found if d <= radius_km * 1000]


def in_view(box: BBox) -> dict:
    """Upcoming events inside the map view, as a GeoJSON FeatureCollection."""
    stmt = _upcoming().where(Event.lat.between(box.min_lat, box.max_lat), Event.lon.between(box.min_lon, box.max_lon))
    events = list(db.session.scalars(stmt.limit(MAX_EVENTS)))
    counts = counts_by_status([event.id for event in events])
    return {
        "type": "FeatureCollection",
        "features": [_feature(event, counts[event.id].get(RsvpStatus.GOING, 0)) for event in events],
    }


def _feature(event: Event, going: int) -> dict:
    places_left = None if event.capacity is None else max(event.capacity - going, 0)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [event.lon, event.lat]},
        "properties": {
            "id": event.id,
            "title": event.title,  # plain text: the map script sets textContent, never HTML
            "starts": event_time(event.starts_at),
            "starts_at": event.starts_at.isoformat(),
            "meeting_point": event.meeting_point,
            "places_left": places_left,
            "url": url_for("events.detail", event_id=event.id),
        },
    }


# Asked by every issue page: built once, run with the issue and the time as parameters.
_PLANNED = (
    select(Event)
    .join(EventIssue, EventIssue.event_id == Event.id)
    .where(
        EventIssue.issue_id == bindparam("issue_id"),
        Event.cancelled_at.is_(None),
        Event.ends_at >= bindparam("now", type_=Event.ends_at.type),
        Event.hidden_at.is_(None),
    )
    .order_by(Event.starts_at)
)


def planned_for_issue(issue_id: int) -> list[Event]:
    """Upcoming events that will tackle the issue (the issues domain stays unaware)."""
    return list(db.session.scalars(_PLANNED, {"issue_id": issue_id, "now": utcnow()}))
