"""Event rules: who organises, timezone-correct times, sign-ups with exact capacity and an ordered
waiting list, check-in. Capacity holds under concurrent sign-ups: every change first bumps the event's
rsvp_version, which takes the row's write lock, so counting and inserting happen one at a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from civic import signals
from civic.accounts.models import User
from civic.database import fits_id, utcnow
from civic.errors import InvalidToken, NotFound, PermissionDenied, ValidationError
from civic.events import reminders
from civic.events.models import Event, EventOrganiser, Rsvp, RsvpStatus, SuppliesStatus
from civic.extensions import db
from civic.geo import neighbourhoods
from civic.text import clean_text

MAX_CAPACITY = 10_000
GUEST_LINK_MAX_AGE = 7 * 24 * 3600
SUPPLIES_MAX = WHAT_TO_BRING_MAX = 1000
TITLE_MAX, DESCRIPTION_MAX, MEETING_POINT_MAX = 120, 4000, 200  # as the event form allows


def city_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time typed in the city (no zone) → UTC. Correct across DST changes."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=city_zone())
    return value.astimezone(ZoneInfo("UTC"))


def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id) if fits_id(event_id) else None
    if event is None:
        raise NotFound(_("There is no event number %(id)d.", id=event_id))
    return event


def has_started(event: Event) -> bool:
    """Sign-ups close when the event starts."""
    return event.starts_at <= utcnow()


def is_organiser(user: User | AnonymousUserMixin, event: Event) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.id == event.organiser_id or user.is_admin:
        return True
    return db.session.get(EventOrganiser, (event.id, user.id)) is not None


def validate_details(
    title: str,
    description: str,
    starts: datetime,
    ends: datetime,
    meeting_point: str,
    lat: float | None,
    lon: float | None,
    capacity: int | None,
) -> tuple[str, str, str]:
    """Refuse details no event can have; the title, description and meeting point as they are stored."""
    title = clean_text(title, field="title", max_len=TITLE_MAX, required=_("Give the event a title."))
    description = clean_text(description, field="description", max_len=DESCRIPTION_MAX) or ""
    meeting_point = clean_text(
        meeting_point, field="meeting_point", max_len=MEETING_POINT_MAX, required=_("Say where people meet.")
    )
    if ends <= starts:
        raise ValidationError(_("The event must end after it starts."), field="ends_at")
    if ends - starts > timedelta(days=2):
        raise ValidationError(_("An event lasts at most two days."), field="ends_at")
    if lat is None or lon is None or neighbourhoods.containing(lat, lon) is None:
        raise ValidationError(_("Place the meeting point inside the city."), field="lat")
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationError(
            _("Capacity is a number from 1 to %(n)d, or empty for no limit.", n=MAX_CAPACITY), field="capacity"
        )
    return title, description, meeting_point


def clean_what_to_bring(text: str | None) -> str | None:
    return clean_text(text, field="what_to_bring", max_len=WHAT_TO_BRING_MAX)


def check_area(slug: str | None) -> str | None:
    slug = (slug or "").strip() or None
    if slug is not None and neighbourhoods.by_slug(slug) is None:
        raise ValidationError(_("Choose a neighbourhood from the list, or none."), field="area_neighbourhood")
    return slug


def check_supplies(text: str | None, *, required: bool = False) -> str | None:
    return clean_text(
        text,
        field="supplies_request",
        max_len=SUPPLIES_MAX,
        required=_("Say what you need: for example 20 bags, 10 pairs of gloves, a skip.") if required else None,
    )


def create_event(
    user: User,
    *,
    title: str,
    description: str,
    starts_local: datetime,
    ends_local: datetime,
    meeting_point: str,
    lat: float | None,
    lon: float | None,
    capacity: int | None = None,
    what_to_bring: str | None = None,
    area_neighbourhood: str | None = None,
    supplies_request: str | None = None,
    organiser_attends: bool = False,
) -> Event:
    """Publish an event. The organiser takes one of its places only if they say they will attend."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to organise an event."))
    starts, ends = local_to_utc(starts_local), local_to_utc(ends_local)
    title, description, meeting_point = validate_details(
        title, description, starts, ends, meeting_point, lat, lon, capacity
    )
    if starts < utcnow():
        raise ValidationError(_("Choose a start time in the future."), field="starts_at")
    area, supplies = check_area(area_neighbourhood), check_supplies(supplies_request)
    event = Event(
        organiser_id=user.id,
        title=title,
        description=description,
        starts_at=starts,
        ends_at=ends,
        meeting_point=meeting_point,
        lat=lat,
        lon=lon,
        capacity=capacity,
        what_to_bring=clean_what_to_bring(what_to_bring),
        area_neighbourhood=area,
        supplies_request=supplies,
        supplies_status=SuppliesStatus.REQUESTED if supplies else None,
    )
    db.session.add(event)
    db.session.flush()
    if organiser_attends:
        sign_up(user, event.id)
    return event


def cancel_event(user: User, event: Event) -> None:
    if not is_organiser(user, event):
        raise PermissionDenied(_("Only the organisers can change this event."))
    event.cancelled_at = utcnow()
    db.session.flush()
    signals.event_changed.send(signals.sender(), event=event, change="cancelled", what=[])
    reminders.mail_guests(event, "cancelled")


# --- sign-ups ---------------------------------------------------------------------------------


def _lock(event_id: int) -> None:
    """Serialise sign-up changes for one event (see the module docstring)."""
    db.session.execute(update(Event).where(Event.id == event_id).values(rsvp_version=Event.rsvp_version + 1))


def going_count(event_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Rsvp).where(Rsvp.event_id == event_id, Rsvp.status == RsvpStatus.GOING)
        )
        or 0
    )


def counts_by_status(event_ids: list[int]) -> dict[int, dict[RsvpStatus, int]]:
    """{event id: {status: number of sign-ups}} for many events in one query (lists and the map)."""
    counts: dict[int, dict[RsvpStatus, int]] = {event_id: {} for event_id in event_ids}
    if event_ids:
        for event_id, status, n in db.session.execute(
            select(Rsvp.event_id, Rsvp.status, func.count())
            .where(Rsvp.event_id.in_(event_ids))
            .group_by(Rsvp.event_id, Rsvp.status)
        ):
            counts[event_id][status] = n
    return counts


def rsvp_of(user: User | AnonymousUserMixin, event_id: int) -> Rsvp | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.user_id == user.id))


def sign_up(user: User, event_id: int) -> Rsvp:
    """Going if there is room, otherwise on the waiting list (in order of asking)."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to sign up, or sign up as a guest with your e-mail."))
    _lock(event_id)
    event = get_event(event_id)
    _require_sign_ups_open(event)
    rsvp = rsvp_of(user, event_id)
    if rsvp is not None and rsvp.status in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
        db.session.flush()
        return rsvp
    if rsvp is None:
        # Pending until placed: _place counts who is going, and must not count this row.
        rsvp = Rsvp(event_id=event_id, user_id=user.id, status=RsvpStatus.PENDING)
        db.session.add(rsvp)
    else:
        rsvp.status = RsvpStatus.PENDING
    _place(rsvp, event)
    db.session.flush()
    return rsvp


def _require_sign_ups_open(event: Event) -> None:
    if event.is_cancelled:
        raise ValidationError(_("This event is cancelled or over."))
    if has_started(event):
        raise ValidationError(_("This event has started: sign-ups are closed."))


def _place(rsvp: Rsvp, event: Event) -> None:
    room = event.capacity is None or going_count(event.id) < event.capacity
    rsvp.status = RsvpStatus.GOING if room else RsvpStatus.WAITLISTED
    rsvp.created_at = utcnow()


def sign_up_guest(event_id: int, name: str, email: str) -> Rsvp:
    """A guest without an account: held as pending until they confirm the link we e-mail them."""
    from civic.mail.services import send_mail

    email = (email or "").strip().lower()
    name = clean_text(
        name, field="guest_name", max_len=120, required=_("Give your name (at most 120 characters)."), one_line=True
    )
    if "@" not in email or len(email) > 254 or any(c.isspace() or not c.isprintable() for c in email):
        raise ValidationError(_("Enter an email address like name@example.com."), field="guest_email")
    event = get_event(event_id)
    _require_sign_ups_open(event)
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.guest_email == email))
    if rsvp is None:
        rsvp = Rsvp(event_id=event_id, guest_name=name, guest_email=email, status=RsvpStatus.PENDING)
        db.session.add(rsvp)
        db.session.flush()
    if rsvp.status is RsvpStatus.PENDING:
        link = url_for("events.confirm_guest", token=_guest_serializer().dumps({"rsvp": rsvp.id}), _external=True)
        send_mail(
            email,
            _("Confirm your place at “%(title)s”", title=event.title),
            "guest_rsvp",
            name=name,
            event=event,
            link=link,
        )
    return rsvp


def _guest_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="civic.guest-rsvp")


def confirm_guest(token: str) -> Rsvp:
    try:
        data = _guest_serializer().loads(token, max_age=GUEST_LINK_MAX_AGE)
    except BadSignature:  # includes SignatureExpired
        raise InvalidToken(_("This confirmation link is not valid or has expired. Sign up again.")) from None
    rsvp = db.session.get(Rsvp, data.get("rsvp")) if isinstance(data, dict) else None
    if rsvp is None:
        raise InvalidToken(_("This confirmation link is not valid or has expired. Sign up again."))
    if rsvp.status is RsvpStatus.PENDING:
        _lock(rsvp.event_id)
        event = get_event(rsvp.event_id)
        if event.is_cancelled:
            raise ValidationError(_("This event is cancelled or over."))
        _place(rsvp, event)
        rsvp.confirmed_at = utcnow()
        db.session.flush()
    return rsvp


def withdraw(user: User, event_id: int) -> list[Rsvp]:
    """Not going any more; the first people on the waiting list take the freed place (and are told)."""
    _lock(event_id)
    rsvp = rsvp_of(user, event_id)
    if rsvp is None or rsvp.status is RsvpStatus.NOT_GOING:
        db.session.flush()
        return []
    rsvp.status = RsvpStatus.NOT_GOING
    promoted = _fill_free_places(get_event(event_id))
    db.session.flush()
    _announce_promotions(promoted)
    return promoted


def fill_free_places(event: Event) -> list[Rsvp]:
    """After the capacity grows: the waiting list moves up, in order, into the new places."""
    _lock(event.id)
    promoted = _fill_free_places(event)
    db.session.flush()
    _announce_promotions(promoted)
    return promoted


def _fill_free_places(event: Event) -> list[Rsvp]:
    db.session.flush()
    free = None if event.capacity is None else max(event.capacity - going_count(event.id), 0)
    if free == 0:
        return []
    waiting = (
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITLISTED)
        .order_by(Rsvp.created_at, Rsvp.id)
    )
    promoted = list(db.session.scalars(waiting if free is None else waiting.limit(free)))
    for person in promoted:
        person.status = RsvpStatus.GOING
    return promoted


def _announce_promotions(promoted: list[Rsvp]) -> None:
    app = signals.sender()
    for person in promoted:
        signals.rsvp_promoted.send(app, rsvp=person)  # an in-app notice for people with an account
        if person.user_id is None and person.guest_email:
            reminders.mail_guest(person, get_event(person.event_id), "promoted")


def attendee_by_code(user: User | AnonymousUserMixin, event: Event, code: str) -> Rsvp:
    """The person going to the event with this check-in code; only organisers may look it up."""
    if not is_organiser(user, event):
        raise PermissionDenied(_("Only the organisers can check people in."))
    rsvp = db.session.scalar(
        select(Rsvp).where(
            Rsvp.event_id == event.id,
            Rsvp.status == RsvpStatus.GOING,
            Rsvp.checkin_code == (code or "").strip().upper()[:12],
        )
    )
    if rsvp is None:
        raise ValidationError(_("No one going to this event has that code."), field="code")
    return rsvp


def check_in(user: User, event: Event, code: str) -> Rsvp:
    rsvp = attendee_by_code(user, event, code)
    rsvp.checked_in_at = rsvp.checked_in_at or utcnow()
    db.session.flush()
    return rsvp
