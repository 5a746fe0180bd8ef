"""An event page that reads right for its moment: sign-ups close at the start (signed in or guest), a full event
offers the waiting list, the tense follows the time, times read without seconds and with the short zone in the
reader's language; the organiser takes a place only when they say so; one notice per person per change."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from civic.accounts.models import User
from civic.database import unit_of_work, utcnow
from civic.errors import ValidationError
from civic.events import organising, services
from civic.events.models import Event, Rsvp, RsvpStatus
from civic.extensions import db
from civic.notifications.models import Notification
from tests.conftest import FISHTOWN

CITY = ZoneInfo("America/New_York")


def city_day(days: int, hour: int) -> datetime:
    """A naive wall-clock time in the city, as the form takes it."""
    day = datetime.now(CITY).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0)


@pytest.fixture
def new_event(app, make_user):
    def factory(organiser=None, *, capacity=None, starts=None, attends=False, issue_id=None):
        organiser = organiser or make_user()
        starts = starts or city_day(5, 10)
        with app.test_request_context(), unit_of_work():
            user = db.session.get(User, organiser.id)
            event = services.create_event(
                user,
                title="Alley clean-up",
                description="Bring gloves.",
                starts_local=starts,
                ends_local=starts + timedelta(hours=2),
                meeting_point="Corner of Norris & Front",
                lat=FISHTOWN[0],
                lon=FISHTOWN[1],
                capacity=capacity,
                organiser_attends=attends,
            )
            if issue_id is not None:
                organising.link_issues(user, event, [issue_id])
            return event.id

    return factory


def join(app, person, event_id) -> RsvpStatus:
    with app.test_request_context(), unit_of_work():
        return services.sign_up(db.session.get(User, person.id), event_id).status


def move_to_the_past(app, event_id, *, started_hours_ago: float = 26) -> None:
    with app.app_context(), unit_of_work():
        event = db.session.get_one(Event, event_id)
        event.starts_at = utcnow() - timedelta(hours=started_hours_ago)
        event.ends_at = event.starts_at + timedelta(hours=2)


def going(app, event_id) -> int:
    with app.app_context(), unit_of_work():
        return services.going_count(event_id)


def notices(app, user_id) -> list[str]:
    with app.app_context(), unit_of_work():
        return [
            n.kind.value for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id))
        ]


# --- the organiser's place ----------------------------------------------------------------------


def test_organising_takes_no_place_so_the_first_neighbour_goes(app, make_user, new_event):
    event_id = new_event(capacity=1)
    assert going(app, event_id) == 0
    assert join(app, make_user(), event_id) is RsvpStatus.GOING


def test_the_organiser_takes_a_place_only_by_ticking_the_box(app, client, auth, make_user):
    organiser = make_user()
    auth.login_as(organiser)
    form = client.get("/events/new").get_data(as_text=True)
    assert "I will attend (takes one place)" in form
    assert 'name="organiser_attends"' in form and "checked" not in form.split('name="organiser_attends"')[1][:40]
    starts = city_day(6, 9)
    data = {
        "title": "Tyre clean-up",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "meeting_point": "Norris & Front",
        "lat": str(FISHTOWN[0]),
        "lon": str(FISHTOWN[1]),
        "capacity": "1",
    }
    not_attending = client.post("/events/new", data=data)
    attending = client.post("/events/new", data={**data, "organiser_attends": "y"})
    assert not_attending.status_code == attending.status_code == 302
    first = int(not_attending.headers["Location"].rsplit("/", 1)[1])
    second = int(attending.headers["Location"].rsplit("/", 1)[1])
    assert (going(app, first), going(app, second)) == (0, 1)
    assert "0 of 1 taken" in client.get(f"/events/{first}").get_data(as_text=True)
    page = client.get(f"/events/{second}").get_data(as_text=True)
    assert "1 of 1 taken" in page and "Your check-in code" in page


# --- the sign-up box by state -------------------------------------------------------------------


def test_a_past_event_offers_no_sign_up_to_guests_or_members(app, client, auth, make_user, make_issue, new_event):
    event_id = new_event(issue_id=make_issue(title="Dumped tyres"))
    move_to_the_past(app, event_id)
    guest_page = client.get(f"/events/{event_id}").get_data(as_text=True)
    for offer in ("Sign me up", "or sign up as a guest", "guest_email", "Join the waiting list"):
        assert offer not in guest_page
    assert "This event is over." in guest_page and "The organisers have not posted a report yet." in guest_page
    assert "Issues it tackled" in guest_page and "Issues it will tackle" not in guest_page
    auth.login_as(make_user())
    member_page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "I’ll come" not in member_page and "Join the waiting list" not in member_page
    assert "This event is over." in member_page


def test_sign_ups_close_when_the_event_starts(app, client, auth, make_user, new_event):
    event_id = new_event()
    move_to_the_past(app, event_id, started_hours_ago=0.5)  # under way, not over
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "This event has started: sign-ups are closed." in page and "Sign me up" not in page
    with pytest.raises(ValidationError, match="started"):
        join(app, make_user(), event_id)
    with app.test_request_context(), unit_of_work(), pytest.raises(ValidationError, match="started"):
        services.sign_up_guest(event_id, "Gil Guest", "gil@example.org")
    person = make_user()
    auth.login_as(person)
    response = client.post(f"/events/{event_id}/rsvp", data={"going": "1"}, follow_redirects=True)
    assert "sign-ups are closed" in response.get_data(as_text=True)
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(Rsvp).where(Rsvp.user_id == person.id)) is None


def test_an_upcoming_event_speaks_in_the_future_tense(client, make_issue, new_event):
    event_id = new_event(issue_id=make_issue(title="Dumped tyres"))
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Issues it will tackle" in page and "Issues it tackled" not in page
    assert "Sign me up" in page and "Join the waiting list" not in page


def test_a_full_event_offers_the_waiting_list(app, client, auth, make_user, new_event):
    event_id = new_event(capacity=1)
    join(app, make_user(), event_id)
    guest_page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Join the waiting list" in guest_page and "Sign me up" not in guest_page
    auth.login_as(make_user())
    member_page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Join the waiting list" in member_page and "I’ll come" not in member_page
    auth.logout()
    spanish = client.get(f"/events/{event_id}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Apuntarme a la lista de espera" in spanish


# --- how times read -----------------------------------------------------------------------------


SPANISH_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def test_times_read_without_seconds_with_the_short_zone_in_both_languages(app, client, auth, make_user, new_event):
    person = make_user()
    event_id = new_event()
    with app.app_context(), unit_of_work():
        starts = db.session.get_one(Event, event_id).starts_at.astimezone(CITY)
    join(app, person, event_id)
    zone, hours_behind = starts.tzname(), -int(starts.utcoffset().total_seconds() // 3600)  # EST/EDT, 5/4
    english = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f"{starts:%A}, {starts:%B} {starts.day}, {starts.year}, 10:00\u202fAM – 12:00\u202fPM {zone}" in english
    assert "10:00:00" not in english and "Standard Time" not in english and "Daylight Time" not in english
    spanish = client.get(f"/events/{event_id}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert f"{SPANISH_DAYS[starts.weekday()]}, {starts.day} de " in spanish
    assert f"{starts.year}, 10:00 – 12:00 GMT-0{hours_behind}:00" in spanish and "10:00:00" not in spanish
    assert f"12:00\u202fPM {zone}" in client.get("/events/?near=all").get_data(as_text=True)
    auth.login_as(person)
    assert f"12:00\u202fPM {zone}" in client.get("/events/mine").get_data(as_text=True)


# --- one notice per change ----------------------------------------------------------------------


def test_raising_the_capacity_tells_each_person_once(app, make_user, new_event):
    organiser, first, second = make_user(), make_user(), make_user()
    event_id = new_event(organiser, capacity=1)
    assert [join(app, p, event_id) for p in (first, second)] == [RsvpStatus.GOING, RsvpStatus.WAITLISTED]
    with app.test_request_context(), unit_of_work():
        event = db.session.get_one(Event, event_id)
        organising.update_event(
            db.session.get(User, organiser.id),
            event,
            title=event.title,
            description=event.description,
            starts_local=event.starts_at.astimezone(CITY).replace(tzinfo=None),
            ends_local=event.ends_at.astimezone(CITY).replace(tzinfo=None),
            meeting_point=event.meeting_point,
            lat=event.lat,
            lon=event.lon,
            capacity=2,
            what_to_bring=None,
        )
    assert notices(app, second.id) == ["event_place"]  # the new place, not also "the event changed"
    assert len(notices(app, first.id)) <= 1
    assert notices(app, organiser.id) == []
