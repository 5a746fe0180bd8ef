"""Event signals turned into notifications for people with an account: everyone signed up (or waiting)
hears of a cancellation or a new time or place, the organisers hear the city's answer to their request for
supplies, a person off the waiting list hears of their place. (Guests, who have no account, get e-mail from
civic/events/reminders.py.)"""

from __future__ import annotations

from sqlalchemy import select

from civic import signals
from civic.events.models import Event, EventOrganiser, Rsvp, RsvpStatus
from civic.extensions import db
from civic.notifications import services as notifications
from civic.notifications.models import NotificationKind


@signals.event_changed.connect
def _event_changed(app, event, change, what=(), except_users=(), **_extra) -> None:
    """Everyone signed up (or waiting) hears of a cancellation or a new time or place (but except_users,
    already told); the organisers hear the city's answer to their request for supplies."""
    payload = {"event_id": event.id, "event_title": event.title}
    organisers = {
        event.organiser_id,
        *db.session.scalars(select(EventOrganiser.user_id).where(EventOrganiser.event_id == event.id)),
    } - {None}
    if change == "supplies":
        notifications.notify(
            sorted(organisers),
            NotificationKind.SUPPLIES,
            issue=None,
            actor_id=event.supplies_decided_by_id,
            payload={**payload, "supplies": event.supplies_status.value},
        )
        return
    kind = {"cancelled": NotificationKind.EVENT_CANCELLED, "edited": NotificationKind.EVENT_EDITED}.get(change)
    if kind is None:
        return
    people = db.session.scalars(
        select(Rsvp.user_id).where(
            Rsvp.event_id == event.id,
            Rsvp.user_id.is_not(None),
            Rsvp.status.in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED]),
        )
    )
    # The organisers made the change: they need no notice of it.
    notifications.notify(
        [p for p in people if p is not None and p not in organisers and p not in except_users],
        kind,
        issue=None,
        payload={**payload, "what": list(what)},
    )


@signals.rsvp_promoted.connect
def _promoted(app, rsvp, **_extra) -> None:
    if rsvp.user_id:
        event = db.session.get_one(Event, rsvp.event_id)
        notifications.notify(
            [rsvp.user_id],
            NotificationKind.EVENT_PLACE,
            issue=None,
            payload={"event_id": event.id, "event_title": event.title},
        )
