"""Keeping people in step with their events: the day-before reminder (in-app and e-mail), notices to guests
(who have no account, so no notification centre), and the subscribable calendar of my events.

A reminder goes out exactly once per sign-up, however many processes run `send_due_reminders`: each one is
claimed by a conditional UPDATE (reminded_at IS NULL) before anything is sent."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from civic.accounts.models import User
from civic.accounts.tokens import make_standing_token, user_from_standing_token
from civic.database import unit_of_work, utcnow
from civic.events.models import Event, EventOrganiser, Rsvp, RsvpStatus
from civic.extensions import db

REMIND_AHEAD = timedelta(hours=24)
MY_EVENTS_PAST = timedelta(days=30)  # the calendar keeps last month's events too


# --- the day before ------------------------------------------------------------------------------


def send_due_reminders(now: datetime | None = None) -> int:
    """Remind everyone going to an event that starts within the next 24 hours. Returns how many."""
    from civic.notifications import services as notifications
    from civic.notifications.models import NotificationKind

    now = now or utcnow()
    due = db.session.execute(
        select(Rsvp.id, Rsvp.event_id)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            Rsvp.status == RsvpStatus.GOING,
            Rsvp.reminded_at.is_(None),
            Event.cancelled_at.is_(None),
            Event.starts_at > now,
            Event.starts_at <= now + REMIND_AHEAD,
        )
        .order_by(Event.starts_at, Rsvp.id)
    ).all()
    sent = 0
    for rsvp_id, event_id in due:
        with unit_of_work():  # the claim, the notification and the mail: one reminder, all or nothing
            claimed = db.session.execute(
                update(Rsvp).where(Rsvp.id == rsvp_id, Rsvp.reminded_at.is_(None)).values(reminded_at=now)
            ).rowcount  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
            if not claimed:
                continue  # another process took this one
            rsvp, event = db.session.get_one(Rsvp, rsvp_id), db.session.get_one(Event, event_id)
            if rsvp.user_id is not None:
                notifications.notify(
                    [rsvp.user_id],
                    NotificationKind.EVENT_REMINDER,
                    issue=None,
                    payload={"event_id": event.id, "event_title": event.title},
                )
            elif rsvp.guest_email:
                mail_guest(rsvp, event, "reminder")
            sent += 1
    return sent


# --- guests ----------------------------------------------------------------------------------------

GUEST_SUBJECTS = {
    "reminder": lambda event: _("Tomorrow: “%(title)s”", title=event.title),
    "edited": lambda event: _("“%(title)s” has changed", title=event.title),
    "cancelled": lambda event: _("“%(title)s” is cancelled", title=event.title),
    "promoted": lambda event: _("A place freed up at “%(title)s”", title=event.title),
}


def mail_guest(rsvp: Rsvp, event: Event, notice: str) -> None:
    from civic.mail.services import send_mail

    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        send_mail(
            rsvp.guest_email or "",
            GUEST_SUBJECTS[notice](event),
            "guest_event_notice",
            notice=notice,
            name=rsvp.guest_name,
            event=event,
            link=url_for("events.detail", event_id=event.id, _external=True),
        )


def mail_guests(event: Event, notice: str, *, except_rsvps: Collection[int] = ()) -> int:
    """Every confirmed guest going or waiting hears about an edit or a cancellation (but those in
    except_rsvps, already told)."""
    guests = db.session.scalars(
        select(Rsvp).where(
            Rsvp.event_id == event.id,
            Rsvp.user_id.is_(None),
            Rsvp.guest_email.is_not(None),
            Rsvp.status.in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED]),
            Rsvp.id.not_in(except_rsvps),
        )
    ).all()
    for rsvp in guests:
        mail_guest(rsvp, event, notice)
    return len(guests)


# --- my events, and their calendar feed ------------------------------------------------------------


def my_events(user: User, now: datetime | None = None) -> list[Event]:
    """Events I organise or signed up for (going or waiting), from a month ago onwards, soonest first."""
    now = now or utcnow()
    signed_up = select(Rsvp.event_id).where(
        Rsvp.user_id == user.id, Rsvp.status.in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED])
    )
    organising = select(EventOrganiser.event_id).where(EventOrganiser.user_id == user.id)
    return list(
        db.session.scalars(
            select(Event)
            .where(
                or_(Event.organiser_id == user.id, Event.id.in_(signed_up), Event.id.in_(organising)),
                Event.ends_at >= now - MY_EVENTS_PAST,
            )
            .order_by(Event.starts_at)
        )
    )


CALENDAR_SALT = "civic.my-calendar"


def calendar_token(user: User) -> str:
    """A private, unguessable feed address: calendar apps cannot sign in, so the link is the key."""
    return make_standing_token(user, CALENDAR_SALT)


def user_from_calendar_token(token: str) -> User:
    return user_from_standing_token(
        token, CALENDAR_SALT, _("This calendar address is not valid. Copy it again from your events page.")
    )
