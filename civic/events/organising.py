"""After an event is published: organisers edit it (attendees are told what changed), add and remove
co-organisers, choose the issues it will tackle, and ask the city for supplies, which staff accept or
decline in public. Every rule is checked here, whatever the page shows."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select

from civic import signals
from civic.accounts.models import User
from civic.database import utcnow
from civic.errors import PermissionDenied, ValidationError
from civic.events import reminders
from civic.events.models import Event, EventIssue, EventOrganiser, SuppliesStatus
from civic.events.services import (
    SUPPLIES_MAX,
    check_area,
    check_supplies,
    clean_what_to_bring,
    fill_free_places,
    is_organiser,
    local_to_utc,
    validate_details,
)
from civic.extensions import db
from civic.issues import services as issue_services
from civic.issues.models import Issue

MAX_LINKED_ISSUES = 50
MAX_CO_ORGANISERS = 10
LINK_RADIUS_M = 1000  # issues offered for linking: open ones within a kilometre of the meeting point


def require_organiser(user, event: Event) -> None:
    if not is_organiser(user, event):
        raise PermissionDenied(_("Only the organisers can change this event."))


def _require_open(event: Event) -> None:
    if event.is_cancelled:
        raise ValidationError(_("This event is cancelled: it can no longer be changed."))


def update_event(
    user: User,
    event: Event,
    *,
    title: str,
    description: str,
    starts_local: datetime,
    ends_local: datetime,
    meeting_point: str,
    lat: float | None,
    lon: float | None,
    capacity: int | None,
    what_to_bring: str | None,
    area_neighbourhood: str | None = None,
) -> list[str]:
    """Save an organiser's edit. Returns what changed that attendees need to know (time, place,
    capacity); they are told through the event_changed signal."""
    require_organiser(user, event)
    _require_open(event)
    starts, ends = local_to_utc(starts_local), local_to_utc(ends_local)
    title, description, meeting_point = validate_details(
        title, description, starts, ends, meeting_point, lat, lon, capacity
    )
    if starts != event.starts_at and starts < utcnow():
        raise ValidationError(_("Choose a start time in the future."), field="starts_at")
    area = check_area(area_neighbourhood)
    noticed = []
    if starts != event.starts_at or ends != event.ends_at:
        noticed.append("time")
    if meeting_point != event.meeting_point or (lat, lon) != (event.lat, event.lon):
        noticed.append("place")
    if capacity != event.capacity:
        noticed.append("capacity")
    event.title, event.description = title, description
    event.starts_at, event.ends_at, event.meeting_point = starts, ends, meeting_point
    event.lat, event.lon = lat, lon  # type: ignore[assignment]  # validate_details refused a missing point
    event.capacity, event.what_to_bring = capacity, clean_what_to_bring(what_to_bring)
    event.area_neighbourhood, event.updated_at = area, utcnow()
    db.session.flush()
    promoted = fill_free_places(event) if "capacity" in noticed else []  # more places: the waiting list moves up
    # Someone promoted has just been told of their place; a second notice for the same change is noise,
    # unless the time or the place changed too.
    told = {rsvp.id for rsvp in promoted} if noticed == ["capacity"] else set()
    if noticed:
        signals.event_changed.send(
            signals.sender(),
            event=event,
            change="edited",
            what=noticed,
            except_users={rsvp.user_id for rsvp in promoted if rsvp.id in told},
        )
        reminders.mail_guests(event, "edited", except_rsvps=told)
    return noticed


# --- co-organisers -------------------------------------------------------------------------------


def co_organisers(event: Event) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(EventOrganiser, EventOrganiser.user_id == User.id)
            .where(EventOrganiser.event_id == event.id)
            .order_by(User.display_name)
        )
    )


def add_co_organiser(user: User, event: Event, email: str) -> User:
    """By e-mail address: the organiser knows it; nobody else's address is ever shown."""
    require_organiser(user, event)
    email = (email or "").strip().lower()
    person = db.session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
    if person is None:
        raise ValidationError(
            _("No one has a civic account with that e-mail address. Ask them to register first."), field="email"
        )
    if person.id == event.organiser_id or db.session.get(EventOrganiser, (event.id, person.id)):
        return person
    count = db.session.scalar(
        select(func.count()).select_from(EventOrganiser).where(EventOrganiser.event_id == event.id)
    )
    if (count or 0) >= MAX_CO_ORGANISERS:
        raise ValidationError(_("An event can have at most %(n)d co-organisers.", n=MAX_CO_ORGANISERS), field="email")
    db.session.add(EventOrganiser(event_id=event.id, user_id=person.id))
    db.session.flush()
    return person


def remove_co_organiser(user: User, event: Event, person_id: int) -> None:
    """The organisers remove a co-organiser; a co-organiser may also step down."""
    if not (is_organiser(user, event) or (user.is_authenticated and user.id == person_id)):
        raise PermissionDenied(_("Only the organisers can change this event."))
    link = db.session.get(EventOrganiser, (event.id, person_id))
    if link is not None:
        db.session.delete(link)
        db.session.flush()


# Asked on every open issue's page a signed-in person reads: built once, run with parameters.
_ORGANISING_UPCOMING = (
    select(Event)
    .where(
        or_(
            Event.organiser_id == bindparam("user_id"),
            Event.id.in_(select(EventOrganiser.event_id).where(EventOrganiser.user_id == bindparam("user_id"))),
        ),
        Event.cancelled_at.is_(None),
        Event.ends_at >= bindparam("now", type_=Event.ends_at.type),
    )
    .order_by(Event.starts_at)
)


def upcoming_organised_by(user: User) -> list[Event]:
    """Upcoming, not cancelled events among my events that I may change: those I organise or co-organise
    (admins: also those they signed up for, since they may change any event)."""
    now = utcnow()
    if user.is_admin:
        return [e for e in reminders.my_events(user) if not e.is_cancelled and e.ends_at >= now]
    return list(db.session.scalars(_ORGANISING_UPCOMING, {"user_id": user.id, "now": now}))


# --- issues the event will tackle ----------------------------------------------------------------


def linked_issues(event: Event) -> list[EventIssue]:
    return list(
        db.session.scalars(select(EventIssue).where(EventIssue.event_id == event.id).order_by(EventIssue.issue_id))
    )


def issues_to_offer(event: Event) -> list[tuple[Issue, float]]:
    """Open issues near the meeting point that are not linked yet: the list alternative to the map."""
    linked = {link.issue_id for link in linked_issues(event)}
    found = issue_services.nearby_open_issues(event.lat, event.lon, None, radius_m=LINK_RADIUS_M, limit=60)
    return [(issue, d) for issue, d in found if issue.id not in linked][:30]


def link_issues(user: User, event: Event, issue_ids: list[int]) -> int:
    require_organiser(user, event)
    _require_open(event)
    already = {link.issue_id for link in linked_issues(event)}
    wanted = set(issue_ids) - already
    if not wanted:
        return 0
    found = set(db.session.scalars(select(Issue.id).where(Issue.id.in_(wanted))))
    if found != wanted:
        raise ValidationError(_("Issue %(id)d does not exist.", id=min(wanted - found)), field="issue_ids")
    if len(already) + len(found) > MAX_LINKED_ISSUES:
        raise ValidationError(_("An event can tackle at most %(n)d issues.", n=MAX_LINKED_ISSUES), field="issue_ids")
    db.session.add_all(EventIssue(event_id=event.id, issue_id=issue_id) for issue_id in sorted(found))
    db.session.flush()
    return len(found)


def unlink_issue(user: User, event: Event, issue_id: int) -> None:
    require_organiser(user, event)
    link = db.session.get(EventIssue, (event.id, issue_id))
    if link is not None and not link.fixed_at_event:
        db.session.delete(link)
        db.session.flush()


# --- supplies from the city ----------------------------------------------------------------------


def request_supplies(user: User, event: Event, text: str) -> None:
    """Ask (or ask again, after a change) for supplies: the request waits for staff to answer."""
    require_organiser(user, event)
    _require_open(event)
    text = check_supplies(text, required=True) or ""  # required: never None
    event.supplies_request, event.supplies_status = text, SuppliesStatus.REQUESTED
    event.supplies_response = event.supplies_decided_by_id = event.supplies_decided_at = None
    db.session.flush()


def decide_supplies(staff: User, event: Event, accept: bool, response: str) -> None:
    """A public answer from verified city staff; the organisers are told."""
    staff.require_any_staff()
    if event.supplies_status is not SuppliesStatus.REQUESTED:
        raise ValidationError(_("There is no request for supplies waiting for an answer."))
    response = (response or "").strip()
    if not response:
        raise ValidationError(
            _("Give an answer the organisers and neighbours can read: what, when and where, or why not."),
            field="supplies_response",
        )
    if len(response) > SUPPLIES_MAX:
        raise ValidationError(_("Use at most %(n)d characters.", n=SUPPLIES_MAX), field="supplies_response")
    event.supplies_status = SuppliesStatus.ACCEPTED if accept else SuppliesStatus.DECLINED
    event.supplies_response, event.supplies_decided_by_id, event.supplies_decided_at = response, staff.id, utcnow()
    db.session.flush()
    signals.event_changed.send(signals.sender(), event=event, change="supplies", what=[])


def waiting_supplies_requests() -> list[Event]:
    """For the staff queue: upcoming events whose request has no answer yet, soonest first."""
    return list(
        db.session.scalars(
            select(Event)
            .where(
                Event.supplies_status == SuppliesStatus.REQUESTED,
                Event.cancelled_at.is_(None),
                Event.ends_at >= utcnow(),
            )
            .order_by(Event.starts_at)
        )
    )
