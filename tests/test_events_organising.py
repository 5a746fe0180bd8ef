"""Events after publishing: edits (and who is told), co-organisers, linked issues, supplies answered by
staff, the day-before reminders (exactly once), my calendar feed, QR check-in, the events map layer and
"near me" list."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from civic.accounts.models import EmailFrequency, User
from civic.database import unit_of_work
from civic.events import organising, reminders, services
from civic.events.models import Event, EventIssue, Rsvp, RsvpStatus, SuppliesStatus
from civic.extensions import db
from civic.notifications.models import Notification, NotificationKind
from tests.concurrency import run_together
from tests.conftest import FISHTOWN

CITY = ZoneInfo("America/New_York")
FAR = (39.9260, -75.1700)  # South Philadelphia, about 6 km from FISHTOWN


def city_time(**delta) -> datetime:
    """A wall-clock time in the city, as typed into the form (naive), `delta` from now."""
    return (datetime.now(CITY) + timedelta(**delta)).replace(tzinfo=None, second=0, microsecond=0)


@pytest.fixture
def new_event(app, make_user):
    def factory(organiser=None, *, starts=None, hours=2, capacity=None, at=FISHTOWN, title="Alley clean-up", **extra):
        organiser = organiser or make_user()
        starts = starts or city_time(days=5)
        with app.test_request_context(), unit_of_work():
            event = services.create_event(
                db.session.get(User, organiser.id),
                title=title,
                description="Bring gloves.",
                starts_local=starts,
                ends_local=starts + timedelta(hours=hours),
                meeting_point="Corner of Norris & Front",
                lat=at[0],
                lon=at[1],
                capacity=capacity,
                **extra,
            )
            services.sign_up(db.session.get(User, organiser.id), event.id)
            return event.id

    return factory


def join(app, person, event_id) -> RsvpStatus:
    with app.test_request_context(), unit_of_work():
        return services.sign_up(db.session.get(User, person.id), event_id).status


def notes_for(app, user_id) -> list[Notification]:
    with app.app_context(), unit_of_work():
        found = list(
            db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        )
        db.session.expunge_all()
        return found


def edit_form(event: Event, **changes) -> dict:
    starts, ends = event.starts_at.astimezone(CITY), event.ends_at.astimezone(CITY)
    data = {
        "title": event.title,
        "description": event.description,
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": ends.strftime("%Y-%m-%dT%H:%M"),
        "meeting_point": event.meeting_point,
        "lat": str(event.lat),
        "lon": str(event.lon),
        "capacity": str(event.capacity or ""),
        "what_to_bring": "",
        "area_neighbourhood": "",
    }
    data.update(changes)
    return data


def load_event(app, event_id) -> Event:
    with app.app_context(), unit_of_work():
        event = db.session.get(Event, event_id)
        db.session.expunge(event)
        return event


# --- edits ---------------------------------------------------------------------------------------


def test_edit_keeps_city_time_and_tells_attendees_what_changed(app, client, auth, make_user, new_event):
    organiser, attendee, waiting = make_user(), make_user(), make_user()
    event_id = new_event(organiser, capacity=2, starts=datetime(2030, 3, 9, 10, 0))  # the day before DST
    join(app, attendee, event_id)
    join(app, waiting, event_id)
    auth.login_as(organiser)
    form = client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    assert 'value="2030-03-09T10:00"' in form  # shown in the city's time, as typed

    event = load_event(app, event_id)
    # Only the title: nobody needs telling.
    assert (
        client.post(f"/events/{event_id}/edit", data=edit_form(event, title="Alley & park clean-up")).status_code == 302
    )
    assert notes_for(app, attendee.id) == []
    # A week later, across the DST change: 10:00 city time is now 14:00 UTC, not 15:00.
    response = client.post(
        f"/events/{event_id}/edit",
        data=edit_form(event, title="Alley & park clean-up", starts_at="2030-03-16T10:00", ends_at="2030-03-16T12:00"),
    )
    assert response.status_code == 302
    edited = load_event(app, event_id)
    assert (edited.title, edited.starts_at.hour) == ("Alley & park clean-up", 14)
    [note] = notes_for(app, attendee.id)
    assert note.kind is NotificationKind.EVENT_EDITED and note.payload["what"] == ["time"]
    assert [n.kind for n in notes_for(app, waiting.id)] == [NotificationKind.EVENT_EDITED]  # waiting: told too
    assert notes_for(app, organiser.id) == []  # made the change
    auth.logout()
    auth.login_as(attendee)
    page = client.get("/notifications").get_data(as_text=True)
    assert "“Alley &amp; park clean-up” has a new time." in page


def test_bad_edit_is_explained_and_changes_nothing(app, client, auth, make_user, new_event):
    organiser = make_user()
    event_id = new_event(organiser)
    event = load_event(app, event_id)
    auth.login_as(organiser)
    response = client.post(
        f"/events/{event_id}/edit",
        data=edit_form(event, title="Changed", ends_at=event.starts_at.astimezone(CITY).strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The event must end after it starts." in body
    assert load_event(app, event_id).title == "Alley clean-up"
    response = client.post(f"/events/{event_id}/edit", data=edit_form(event, area_neighbourhood="atlantis"))
    assert response.status_code == 400 and "Choose a neighbourhood from the list" in response.get_data(as_text=True)


def test_more_places_promote_the_waiting_list_in_order(app, make_user, new_event):
    organiser, a, b, c = make_user(), make_user(), make_user(), make_user()
    event_id = new_event(organiser, capacity=1)  # the organiser takes the place
    assert [join(app, p, event_id) for p in (a, b, c)] == [RsvpStatus.WAITLISTED] * 3
    event = load_event(app, event_id)
    with app.test_request_context(), unit_of_work():
        organising.update_event(
            db.session.get(User, organiser.id),
            db.session.get(Event, event_id),
            title=event.title,
            description=event.description,
            starts_local=event.starts_at.astimezone(CITY).replace(tzinfo=None),
            ends_local=event.ends_at.astimezone(CITY).replace(tzinfo=None),
            meeting_point=event.meeting_point,
            lat=event.lat,
            lon=event.lon,
            capacity=3,
            what_to_bring=None,
        )
    with app.app_context(), unit_of_work():
        got = {r.user_id: r.status for r in db.session.scalars(sa.select(Rsvp).where(Rsvp.event_id == event_id))}
    assert (got[a.id], got[b.id], got[c.id]) == (RsvpStatus.GOING, RsvpStatus.GOING, RsvpStatus.WAITLISTED)
    assert NotificationKind.EVENT_PLACE in [n.kind for n in notes_for(app, b.id)]
    assert NotificationKind.EVENT_PLACE not in [n.kind for n in notes_for(app, c.id)]


def test_co_organisers_edit_and_check_in_strangers_cannot(app, client, auth, make_user, new_event):
    organiser, helper, stranger = make_user(), make_user(), make_user()
    event_id = new_event(organiser)
    event = load_event(app, event_id)
    auth.login_as(stranger)
    assert client.get(f"/events/{event_id}/edit").status_code == 403
    assert client.post(f"/events/{event_id}/edit", data=edit_form(event, title="Mine now")).status_code == 403
    assert client.post(f"/events/{event_id}/organisers", data={"email": stranger.email}).status_code == 403
    assert client.post(f"/events/{event_id}/issues", data={"issue_ids": "1"}).status_code == 403

    auth.logout()
    auth.login_as(organiser)
    missing = client.post(f"/events/{event_id}/organisers", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert "No one has a civic account with that e-mail address." in missing.get_data(as_text=True)
    added = client.post(f"/events/{event_id}/organisers", data={"email": helper.email.upper()}, follow_redirects=True)
    assert f"{helper.display_name} can now edit this event" in added.get_data(as_text=True)
    assert helper.display_name in client.get(f"/events/{event_id}").get_data(as_text=True)  # "Organised by"

    auth.logout()
    auth.login_as(helper)
    assert client.post(f"/events/{event_id}/edit", data=edit_form(event, title="Helper's title")).status_code == 302
    assert load_event(app, event_id).title == "Helper's title"
    with app.app_context(), unit_of_work():
        code = db.session.scalar(
            sa.select(Rsvp.checkin_code).where(Rsvp.event_id == event_id, Rsvp.user_id == organiser.id)
        )
    checked = client.post(f"/events/{event_id}/checkin", data={"code": code.lower()}, follow_redirects=True)
    assert "is checked in." in checked.get_data(as_text=True)
    # The helper steps down: no more editing.
    client.post(f"/events/{event_id}/organisers/{helper.id}/remove")
    assert client.get(f"/events/{event_id}/edit").status_code == 403


# --- issues the event tackles ----------------------------------------------------------------------


def test_issues_are_linked_from_the_nearby_list_and_from_an_issue_page(
    app, client, auth, make_user, new_event, make_issue
):
    organiser = make_user()
    event_id = new_event(organiser)
    near = make_issue(title="Bags by the fence")
    make_issue(title="Far away pothole", at=FAR)
    other = make_issue(title="Broken bench")
    auth.login_as(organiser)
    edit_page = client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    assert "Bags by the fence" in edit_page and "Far away pothole" not in edit_page  # within a kilometre only
    client.post(f"/events/{event_id}/issues", data={"issue_ids": [str(near), ""]})
    unknown = client.post(f"/events/{event_id}/issues", data={"issue_ids": "999999"}, follow_redirects=True)
    assert "Issue 999999 does not exist." in unknown.get_data(as_text=True)

    issue_page = client.get(f"/issues/{other}").get_data(as_text=True)
    assert "Add it to a clean-up you organise" in issue_page
    response = client.post("/events/add-issue", data={"event_id": str(event_id), "issue_id": str(other)})
    assert response.status_code == 302 and response.location.endswith(f"/issues/{other}")
    with app.app_context(), unit_of_work():
        linked = set(db.session.scalars(sa.select(EventIssue.issue_id).where(EventIssue.event_id == event_id)))
    assert linked == {near, other}
    assert "A clean-up is planned for" in client.get(f"/issues/{other}").get_data(as_text=True)

    client.post(f"/events/{event_id}/issues/{other}/remove")
    with app.app_context(), unit_of_work():
        assert db.session.get(EventIssue, (event_id, other)) is None


# --- supplies --------------------------------------------------------------------------------------


def test_supplies_request_is_answered_publicly_by_staff(app, client, auth, make_user, new_event):
    organiser, resident = make_user(), make_user()
    staff = make_user("staff", department="sanitation")
    event_id = new_event(organiser, supplies_request="20 bags and 10 pairs of gloves")
    assert load_event(app, event_id).supplies_status is SuppliesStatus.REQUESTED

    auth.login_as(staff)
    queue = client.get("/staff/").get_data(as_text=True)
    assert "1 clean-up is waiting for an answer about supplies" in queue and "Alley clean-up" in queue
    empty = client.post(
        f"/events/{event_id}/supplies/answer",
        data={"decision": "accept", "supplies_response": " "},
        follow_redirects=True,
    )
    assert "Give an answer the organisers and neighbours can read" in empty.get_data(as_text=True)
    assert load_event(app, event_id).supplies_status is SuppliesStatus.REQUESTED

    auth.logout()
    auth.login_as(resident)
    assert (
        client.post(
            f"/events/{event_id}/supplies/answer", data={"decision": "accept", "supplies_response": "Sure"}
        ).status_code
        == 403
    )

    auth.logout()
    auth.login_as(staff)
    client.post(
        f"/events/{event_id}/supplies/answer",
        data={"decision": "accept", "supplies_response": "Collect them at the Front St depot on Friday."},
    )
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Accepted by the city" in page and "Collect them at the Front St depot on Friday." in page
    assert staff.display_name in page
    [note] = notes_for(app, organiser.id)
    assert note.kind is NotificationKind.SUPPLIES and note.payload["supplies"] == "accepted"
    # Asking again re-opens the request for staff.
    auth.logout()
    auth.login_as(organiser)
    client.post(f"/events/{event_id}/supplies", data={"supplies_request": "Also a skip, please"})
    event = load_event(app, event_id)
    assert (event.supplies_status, event.supplies_request, event.supplies_response) == (
        SuppliesStatus.REQUESTED,
        "Also a skip, please",
        None,
    )


# --- reminders -------------------------------------------------------------------------------------


def test_day_before_reminders_go_out_once_by_app_and_mail(make_app, make_user, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    organiser, daily, quiet = make_user(), make_user(), make_user()
    with app.app_context(), unit_of_work():
        for person, frequency in (
            (organiser, EmailFrequency.IMMEDIATE),
            (daily, EmailFrequency.DAILY),
            (quiet, EmailFrequency.NEVER),
        ):
            db.session.get(User, person.id).email_frequency = frequency
        db.session.commit()
    with app.test_request_context(), unit_of_work():
        soon = services.create_event(
            db.session.get(User, organiser.id),
            title="Tomorrow's tidy",
            description="",
            starts_local=city_time(hours=20),
            ends_local=city_time(hours=22),
            meeting_point="Gate",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
        )
        later = services.create_event(
            db.session.get(User, organiser.id),
            title="Next week's tidy",
            description="",
            starts_local=city_time(days=6),
            ends_local=city_time(days=6, hours=2),
            meeting_point="Gate",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
        )
        soon_id, later_id = soon.id, later.id
        for person in (organiser, daily, quiet):
            services.sign_up(db.session.get(User, person.id), soon_id)
            services.sign_up(db.session.get(User, person.id), later_id)
        services.sign_up_guest(soon_id, "Gus Guest", "gus@example.org")
    [confirmation] = smtp_server.wait_for(1)
    link = re.search(r"http://localhost(/events/confirm/\S+)", confirmation.get_content()).group(1)
    app.test_client().get(link)

    # Two processes' worth of workers at once: each reminder is claimed by exactly one.
    counts = []

    def worker():
        with app.test_request_context(), unit_of_work():
            counts.append(reminders.send_due_reminders())

    assert run_together([worker, worker]) == []
    assert sum(counts) == 4  # three members and the guest; nothing for next week's event
    with app.test_request_context(), unit_of_work():
        assert reminders.send_due_reminders() == 0
    for person in (organiser, daily, quiet):
        kinds = [n.kind for n in notes_for(app, person.id)]
        assert kinds.count(NotificationKind.EVENT_REMINDER) == 1
    mails = smtp_server.wait_for(4)[1:]  # after the guest's confirmation
    assert sorted(m["To"] for m in mails) == sorted([organiser.email, daily.email, "gus@example.org"])
    assert all("Tomorrow" in m["Subject"] for m in mails)
    with app.app_context(), unit_of_work():
        later_reminded = db.session.scalar(
            sa.select(sa.func.count()).select_from(Rsvp).where(Rsvp.event_id == later_id, Rsvp.reminded_at.is_not(None))
        )
    assert later_reminded == 0


def test_guests_hear_of_edits_and_cancellation_by_mail(make_app, make_user, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    organiser = make_user()
    with app.test_request_context(), unit_of_work():
        event = services.create_event(
            db.session.get(User, organiser.id),
            title="Park tidy",
            description="",
            starts_local=city_time(days=3),
            ends_local=city_time(days=3, hours=2),
            meeting_point="Gate",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
        )
        event_id = event.id
        services.sign_up_guest(event_id, "Gus Guest", "gus@example.org")
    [confirmation] = smtp_server.wait_for(1)
    app.test_client().get(re.search(r"http://localhost(/events/confirm/\S+)", confirmation.get_content()).group(1))
    with app.test_request_context(), unit_of_work():
        user, event = db.session.get(User, organiser.id), db.session.get(Event, event_id)
        organising.update_event(
            user,
            event,
            title=event.title,
            description="",
            starts_local=city_time(days=4),
            ends_local=city_time(days=4, hours=2),
            meeting_point="The other gate",
            lat=event.lat,
            lon=event.lon,
            capacity=None,
            what_to_bring=None,
        )
        services.cancel_event(user, db.session.get(Event, event_id))
    edited, cancelled = smtp_server.wait_for(3)[1:]
    assert edited["Subject"] == "“Park tidy” has changed" and "The other gate" in edited.get_content()
    when = re.search(r"When: (.+)", edited.get_content()).group(1).strip()  # no seconds, the short zone
    assert re.fullmatch(r"\w+, \w+ \d+, \d{4}, \d+:\d\d\W[AP]M – \d+:\d\d\W[AP]M E[SD]T", when), when
    assert cancelled["Subject"] == "“Park tidy” is cancelled"


# --- my events, the calendar feed, QR check-in -------------------------------------------------------


def test_my_calendar_feed_lists_my_events_only(app, client, auth, make_user, new_event):
    from icalendar import Calendar

    me, someone = make_user(), make_user()
    organising_id = new_event(me, title="My own clean-up")
    going_id = new_event(someone, title="Their clean-up")
    new_event(someone, title="Not for me")
    join(app, me, going_id)
    auth.login_as(me)
    page = client.get("/events/mine").get_data(as_text=True)
    assert "My own clean-up" in page and "Their clean-up" in page and "Not for me" not in page
    feed = re.search(r'id="feed-url" value="http://localhost([^"]+)"', page).group(1)
    auth.logout()
    response = client.get(feed)  # a calendar app: no session
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    summaries = sorted(str(e["SUMMARY"]) for e in Calendar.from_ical(response.data).walk("VEVENT"))
    assert summaries == ["My own clean-up", "Their clean-up"]
    assert organising_id != going_id
    assert client.get(feed.replace(".ics", "x.ics")).status_code == 404


def test_qr_code_leads_organisers_to_check_in(app, client, auth, make_user, new_event):
    organiser, attendee = make_user(), make_user()
    event_id = new_event(organiser)
    join(app, attendee, event_id)
    with app.app_context(), unit_of_work():
        code = db.session.scalar(sa.select(Rsvp.checkin_code).where(Rsvp.user_id == attendee.id))
    auth.login_as(attendee)
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f'<svg role="img" aria-label="QR code to show the organisers: {code}"' in page
    assert client.get(f"/events/{event_id}/checkin/{code}").status_code == 403  # not an organiser
    auth.logout()
    auth.login_as(organiser)
    confirm = client.get(f"/events/{event_id}/checkin/{code}")
    assert confirm.status_code == 200 and f"Check in {attendee.display_name}" in confirm.get_data(as_text=True)
    with app.app_context(), unit_of_work():
        assert (
            db.session.scalar(sa.select(Rsvp.checked_in_at).where(Rsvp.user_id == attendee.id)) is None
        )  # GET changes nothing
    assert client.get(f"/events/{event_id}/checkin/ZZZZZZ").status_code == 400
    client.post(f"/events/{event_id}/checkin", data={"code": code})
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(Rsvp.checked_in_at).where(Rsvp.user_id == attendee.id)) is not None
    assert "1 of 2 checked in" in client.get(f"/events/{event_id}").get_data(as_text=True)


# --- finding events: near me, and the map layer -----------------------------------------------------


def test_upcoming_near_a_place_and_in_the_map_view(app, client, auth, make_user, new_event):
    near_id = new_event(title="Fishtown sweep")
    new_event(title="South Philly sweep", at=FAR)
    gone_id = new_event(title="Cancelled sweep")
    with app.test_request_context(), unit_of_work():
        services.cancel_event(
            db.session.get(User, db.session.get(Event, gone_id).organiser_id), db.session.get(Event, gone_id)
        )
    listing = client.get("/events/?near=fishtown&radius=1").get_data(as_text=True)
    assert "Fishtown sweep" in listing and "South Philly sweep" not in listing and "Cancelled sweep" not in listing
    everywhere = client.get("/events/?near=all").get_data(as_text=True)
    assert "Fishtown sweep" in everywhere and "South Philly sweep" in everywhere

    resident = make_user()
    with app.app_context(), unit_of_work():
        user = db.session.get(User, resident.id)
        user.home_lat, user.home_lon = FAR
        db.session.commit()
    auth.login_as(resident)
    mine = client.get("/events/", follow_redirects=True).get_data(as_text=True)  # near my home by default
    assert "South Philly sweep" in mine and "Fishtown sweep" not in mine

    lat, lon = FISHTOWN
    data = client.get(f"/events/in-view.json?bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}").get_json()
    assert [f["properties"]["title"] for f in data["features"]] == ["Fishtown sweep"]
    feature = data["features"][0]
    assert feature["geometry"]["coordinates"] == [lon, lat] and feature["properties"]["url"] == f"/events/{near_id}"
    bad = client.get("/events/in-view.json?bbox=nonsense")
    assert bad.status_code == 400 and "bbox" in bad.get_json()["error"]
    home = client.get("/").get_data(as_text=True)
    assert 'id="show-events"' in home and "Upcoming clean-ups near you, as a list" in home


def test_an_issue_page_offers_the_clean_ups_i_organise_and_no_others(
    app, client, auth, make_user, new_event, make_issue
):
    """ "Add it to a clean-up you organise" lists upcoming events I organise or co-organise: not those I only
    signed up for, nor cancelled or past ones."""
    me, neighbour = make_user(), make_user()
    mine = new_event(me, title="My clean-up")
    theirs = new_event(neighbour, title="Their clean-up")
    attended = new_event(neighbour, title="Clean-up I attend")
    cancelled = new_event(me, title="Called off")
    past = new_event(me, title="Last month")
    join(app, me, attended)
    with app.test_request_context(), unit_of_work():
        held = db.session.get(Event, past)  # as if it had happened a month ago
        held.starts_at, held.ends_at = held.starts_at - timedelta(days=35), held.ends_at - timedelta(days=35)
        organiser = db.session.get(User, neighbour.id)
        organising.add_co_organiser(organiser, db.session.get(Event, theirs), me.email)
        services.cancel_event(db.session.get(User, me.id), db.session.get(Event, cancelled))
    issue = make_issue(title="Bags by the fence")

    auth.login_as(me)
    page = client.get(f"/issues/{issue}").get_data(as_text=True)
    offered = re.findall(
        r'<option value="(\d+)">([^<(]+) \(', page.split('id="add-to-event-choice"')[1].split("</select>")[0]
    )
    assert [(int(i), title.strip()) for i, title in offered] == [(mine, "My clean-up"), (theirs, "Their clean-up")]
    assert past and cancelled  # made, and not offered
