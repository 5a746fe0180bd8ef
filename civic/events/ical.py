"""iCalendar (RFC 5545) for events, built with the icalendar library, times in the city's zone."""

from __future__ import annotations

from flask import url_for
from icalendar import Calendar
from icalendar import Event as VEvent

from civic.database import utcnow
from civic.events.models import Event
from civic.events.services import city_zone


def calendar_for(events: list[Event], name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//civic//events//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    zone = city_zone()
    for event in events:
        item = VEvent()
        item.add("uid", f"event-{event.id}@civic")
        item.add("summary", event.title)
        item.add("description", event.description + (f"\n\n{event.what_to_bring}" if event.what_to_bring else ""))
        item.add("location", event.meeting_point)
        item.add("geo", (event.lat, event.lon))
        item.add("dtstart", event.starts_at.astimezone(zone))
        item.add("dtend", event.ends_at.astimezone(zone))
        item.add("dtstamp", utcnow())
        item.add("url", url_for("events.detail", event_id=event.id, _external=True))
        item.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
        calendar.add_component(item)
    calendar.add_missing_timezones()  # a VTIMEZONE for the city's zone, so clients show the right hour
    return calendar.to_ical()
