"""Events: exact capacity under concurrent sign-ups, waiting-list order, time zones across DST, permissions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.errors import PermissionDenied, ValidationError
from civic.events import services
from civic.events.models import Rsvp, RsvpStatus
from civic.extensions import db
from tests.concurrency import run_together
from tests.conftest import FISHTOWN


@pytest.fixture
def make_event(app, make_user):
    def factory(organiser=None, *, capacity=None, starts_local=None, hours=3):
        organiser = organiser or make_user()
        starts = starts_local or (datetime.now() + timedelta(days=7)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        with app.test_request_context(), unit_of_work():
            event = services.create_event(
                db.session.get(User, organiser.id),
                title="Alley clean-up",
                description="Bring gloves.",
                starts_local=starts,
                ends_local=starts + timedelta(hours=hours),
                meeting_point="Corner of Norris & Front",
                lat=FISHTOWN[0],
                lon=FISHTOWN[1],
                capacity=capacity,
            )
            return event.id

    return factory


def sign_up(app, user_info, event_id):
    with app.test_request_context(), unit_of_work():
        rsvp = services.sign_up(db.session.get(User, user_info.id), event_id)
        return rsvp.status


def statuses(app, event_id) -> dict[int, RsvpStatus]:
    with app.app_context(), unit_of_work():
        return {r.user_id: r.status for r in db.session.scalars(sa.select(Rsvp).where(Rsvp.event_id == event_id))}


def test_capacity_is_exact_under_concurrent_sign_ups(app, make_user, make_event):
    event_id = make_event(capacity=3)
    people = [make_user() for _ in range(10)]

    def signing_up(person):
        def action():
            with app.app_context(), unit_of_work():
                services.sign_up(db.session.get(User, person.id), event_id)

        return action

    assert run_together([signing_up(p) for p in people]) == []
    result = list(statuses(app, event_id).values())
    assert result.count(RsvpStatus.GOING) == 3 and result.count(RsvpStatus.WAITLISTED) == 7


def test_waiting_list_is_promoted_in_order(app, make_user, make_event):
    event_id = make_event(capacity=1)
    first, second, third = make_user(), make_user(), make_user()
    assert [sign_up(app, p, event_id) for p in (first, second, third)] == [
        RsvpStatus.GOING,
        RsvpStatus.WAITLISTED,
        RsvpStatus.WAITLISTED,
    ]
    with app.test_request_context(), unit_of_work():
        promoted = services.withdraw(db.session.get(User, first.id), event_id)
        assert [p.user_id for p in promoted] == [second.id]
    assert statuses(app, event_id) == {
        first.id: RsvpStatus.NOT_GOING,
        second.id: RsvpStatus.GOING,
        third.id: RsvpStatus.WAITLISTED,
    }


def test_signing_up_twice_keeps_one_place(app, make_user, make_event):
    event_id = make_event(capacity=2)
    person = make_user()
    sign_up(app, person, event_id)
    sign_up(app, person, event_id)
    with app.app_context(), unit_of_work():
        assert services.going_count(event_id) == 1


def test_times_are_correct_across_a_dst_change(app, make_user, make_event):
    # Sunday 2027-03-14, 02:00 local: US clocks spring forward. 10:00 the day before is EST (UTC-5),
    # 10:00 the day after is EDT (UTC-4).
    before = make_event(starts_local=datetime(2027, 3, 13, 10, 0))
    after = make_event(starts_local=datetime(2027, 3, 15, 10, 0))
    with app.app_context(), unit_of_work():
        from civic.events.models import Event

        assert db.session.get(Event, before).starts_at.hour == 15
        assert db.session.get(Event, after).starts_at.hour == 14


def test_bad_events_are_refused(app, make_user):
    organiser = make_user()
    start = datetime.now() + timedelta(days=3)
    cases = [
        ({"ends_local": start - timedelta(hours=1)}, "end after it starts"),
        ({"lat": 40.7128, "lon": -74.006}, "inside the city"),
        ({"capacity": 0}, "Capacity is a number"),
        ({"starts_local": datetime.now() - timedelta(days=1), "ends_local": datetime.now()}, "in the future"),
    ]
    for overrides, message in cases:
        values = dict(
            title="Clean-up",
            description="",
            starts_local=start,
            ends_local=start + timedelta(hours=2),
            meeting_point="Here",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
            capacity=None,
        )
        values.update(overrides)
        with app.test_request_context(), unit_of_work():
            with pytest.raises(ValidationError, match=message):
                services.create_event(db.session.get(User, organiser.id), **values)


def test_only_organisers_cancel_and_check_in(app, make_user, make_event):
    organiser, attendee, stranger = make_user(), make_user(), make_user()
    event_id = make_event(organiser)
    sign_up(app, attendee, event_id)
    with app.test_request_context(), unit_of_work():
        event = services.get_event(event_id)
        code = services.rsvp_of(db.session.get(User, attendee.id), event_id).checkin_code
        with pytest.raises(PermissionDenied):
            services.check_in(db.session.get(User, stranger.id), event, code)
        with pytest.raises(PermissionDenied):
            services.cancel_event(db.session.get(User, stranger.id), event)
        with pytest.raises(ValidationError):
            services.check_in(db.session.get(User, organiser.id), event, "WRONG1")
        assert services.check_in(db.session.get(User, organiser.id), event, code.lower()).checked_in_at is not None
        services.cancel_event(db.session.get(User, organiser.id), event)
        with pytest.raises(ValidationError, match="cancelled"):
            services.sign_up(db.session.get(User, stranger.id), event_id)


def test_organise_from_an_issue_and_sign_up_through_the_pages(app, client, auth, make_user, make_issue):
    issue_id = make_issue(title="Dumped tyres")
    organiser = make_user(display_name="Olga Organiser")
    auth.login_as(organiser)
    form = client.get(f"/events/new?issue={issue_id}").get_data(as_text=True)
    assert "For the issue “Dumped tyres”." in form
    starts = (datetime.now() + timedelta(days=5)).replace(hour=9, minute=0)
    response = client.post(
        "/events/new",
        data={
            "title": "Tyre clean-up",
            "description": "Gloves provided.",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "meeting_point": "Norris & Front",
            "lat": str(FISHTOWN[0]),
            "lon": str(FISHTOWN[1]),
            "capacity": "2",
            "issue_id": str(issue_id),
            "organiser_attends": "y",  # the organiser takes one of the places
        },
    )
    assert response.status_code == 302
    event_url = response.headers["Location"]
    assert "A clean-up is planned for" in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    page = client.get(event_url).get_data(as_text=True)
    assert "1 of 2 taken" in page and "Your check-in code" in page and "For the organisers" in page

    auth.logout()
    auth.login_as(make_user())
    client.post(f"{event_url}/rsvp", data={"going": "1"})
    auth.logout()
    auth.login_as(make_user())
    client.post(f"{event_url}/rsvp", data={"going": "1"})
    assert "You are number 1 on the waiting list." in client.get(event_url).get_data(as_text=True)
    assert client.post(f"{event_url}/checkin", data={"code": "ABC123"}).status_code == 403


def test_ics_is_valid_with_the_citys_timezone(app, client, make_event):
    from icalendar import Calendar

    event_id = make_event(starts_local=datetime(2027, 3, 15, 10, 0))
    response = client.get(f"/events/{event_id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Alley clean-up"
    start = event.decoded("DTSTART")
    assert (start.hour, str(start.tzinfo)) == (10, "America/New_York")
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_bad_event_form_is_explained(client, auth, make_user):
    auth.login_as(make_user())
    response = client.post("/events/new", data={"title": "", "starts_at": "soon", "meeting_point": ""})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Give the event a title." in body and "Say where people meet." in body


def test_cancellation_and_promotion_are_notified(app, make_user, make_event):
    from civic.notifications.models import Notification, NotificationKind

    organiser, first, second = make_user(), make_user(), make_user()
    event_id = make_event(organiser, capacity=1)
    sign_up(app, first, event_id)
    sign_up(app, second, event_id)
    with app.test_request_context(), unit_of_work():
        services.withdraw(db.session.get(User, first.id), event_id)
    with app.app_context(), unit_of_work():
        [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == second.id))
        assert note.kind is NotificationKind.EVENT_PLACE and note.payload["event_id"] == event_id
    with app.test_request_context(), unit_of_work():
        services.cancel_event(db.session.get(User, organiser.id), services.get_event(event_id))
    with app.app_context(), unit_of_work():
        kinds = [
            n.kind
            for n in db.session.scalars(
                sa.select(Notification).where(Notification.user_id == second.id).order_by(Notification.id)
            )
        ]
        assert kinds == [NotificationKind.EVENT_PLACE, NotificationKind.EVENT_CANCELLED]
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == first.id)
            )
            == 0
        )  # no longer signed up
    http = app.test_client()
    http.post("/login", data={"email": second.email, "password": second.password})
    page = http.get("/notifications").get_data(as_text=True)
    assert "A place freed up: you are going to “Alley clean-up”." in page and "is cancelled" in page


def test_guest_signs_up_and_confirms_through_real_smtp(make_app, make_user, smtp_server):
    import re

    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    organiser, member = make_user(), make_user()
    starts = (datetime.now() + timedelta(days=6)).replace(hour=9, minute=0, second=0, microsecond=0)
    with app.test_request_context(), unit_of_work():
        event = services.create_event(
            db.session.get(User, organiser.id),
            title="Park tidy",
            description="",
            starts_local=starts,
            ends_local=starts + timedelta(hours=2),
            meeting_point="Gate",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
            capacity=1,
        )
        event_id = event.id
    guest_http = app.test_client()
    assert (
        guest_http.post(
            f"/events/{event_id}/guest", data={"guest_name": "Gus Guest", "guest_email": "gus@example.org"}
        ).status_code
        == 302
    )
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "gus@example.org" and "Park tidy" in message["Subject"]
    link = re.search(r"http://localhost(/events/confirm/\S+)", message.get_content()).group(1)
    with app.app_context(), unit_of_work():
        assert services.going_count(event_id) == 0  # a pending guest holds no place
    sign_up(app, member, event_id)  # the member takes the only place before the guest confirms
    page = guest_http.get(link)
    assert page.status_code == 200 and "on the waiting list" in page.get_data(as_text=True)
    with app.app_context(), unit_of_work():
        guest = db.session.scalar(sa.select(Rsvp).where(Rsvp.guest_email == "gus@example.org"))
        assert guest.status is RsvpStatus.WAITLISTED and guest.confirmed_at is not None
    assert guest_http.get(link[:-3] + "xyz").status_code == 400
    bad = guest_http.post(
        f"/events/{event_id}/guest", data={"guest_name": "", "guest_email": "nope"}, follow_redirects=True
    )
    assert "Give your name" in bad.get_data(as_text=True)


def test_the_events_page_lists_recent_clean_ups_and_whether_they_reported(app, client, make_event):
    """A newcomer finds what past clean-ups achieved from /events, not only from the issues they fixed."""
    from civic.events.models import Event, EventReport

    past, reported, upcoming = make_event(), make_event(), make_event()
    with app.app_context(), unit_of_work():
        for event_id, days_ago in ((past, 10), (reported, 3)):
            event = db.session.get(Event, event_id)
            event.starts_at -= timedelta(days=7 + days_ago)
            event.ends_at -= timedelta(days=7 + days_ago)
        db.session.add(EventReport(event_id=reported, summary="Twelve bags of litter."))
        db.session.get(Event, upcoming).title = "Next Saturday's pick"
    page = client.get("/events/?near=all").get_data(as_text=True)
    upcoming_part, past_part = page.split("Recent clean-ups and what they achieved")
    assert "Next Saturday&#39;s pick" in upcoming_part
    assert past_part.count("Alley clean-up") == 2
    assert past_part.index(f"/events/{reported}") < past_part.index(f"/events/{past}")  # latest first
    assert "Report with photos" in past_part and "No report yet" in past_part
