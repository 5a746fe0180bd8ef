"""The issue page's 311 ticket box tells residents the truth (no city connected, a kind of issue the city is
not sent, with how to reach the city themselves), shows the ticket's history (staff also the tries and the
city's errors), and linking a ticket a resident already has is checked: far away or about another kind of
problem is asked again, another issue's ticket is refused. Over real HTTP against the pretend city."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic import create_app
from civic.city311 import sending, sync
from civic.city311.models import Submission, SubmissionState, TicketEvent
from civic.config import TestConfig
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Comment
from tests.conftest import FISHTOWN, offset


def run_outbox(app, later_minutes: float = 0) -> int:
    with app.test_request_context():
        return sending.process_due(now=utcnow() + timedelta(minutes=later_minutes))


def run_sync(app) -> None:
    with app.test_request_context(), unit_of_work():
        sync.sync_all()


def box(page: str) -> str:
    """The ticket box's HTML on an issue page."""
    start = page.index('<section class="ticket" id="ticket"')
    return page[start : page.index("</section>", start)]


def text_of(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities decoded, spaces collapsed."""
    import re

    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def linked_submissions(app) -> list[tuple[int, str, str]]:
    with app.app_context(), unit_of_work():
        return [
            (s.issue_id, s.service_request_id, s.state.value)
            for s in db.session.scalars(sa.select(Submission).where(Submission.linked.is_(True)))
        ]


def event_count(app) -> int:
    with app.app_context(), unit_of_work():
        return db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent))


# --- what the box says when civic cannot send the issue --------------------------------------------


@pytest.fixture
def app_from_the_environment(database_url):
    """An app whose 311 phone and web address come from CIVIC_* variables only (build_app would pass the test
    configuration's own values over them)."""
    apps = []

    def factory():
        config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper() and not k.startswith("CITY_311")}
        apps.append(create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url}))
        return apps[-1]

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_without_a_city_the_box_says_so_with_the_phone_and_offers_no_link(
    app_from_the_environment, make_issue, make_user, monkeypatch
):
    monkeypatch.setenv("CIVIC_CITY_311_PHONE", "215-686-8686")
    monkeypatch.setenv("CIVIC_CITY_311_URL", "https://www.phila.gov/311/")
    app = app_from_the_environment()
    reporter = make_user()
    issue_id = make_issue(reporter)
    client = app.test_client()
    assert client.post("/login", data={"email": reporter.email, "password": reporter.password}).status_code == 302

    ticket = box(client.get(f"/issues/{issue_id}").get_data(as_text=True))
    seen = text_of(ticket)
    assert "This city’s 311 system is not connected to civic." in seen
    assert "To report it to the city too, call 311 (215-686-8686) or use www.phila.gov/311." in seen
    assert 'href="tel:2156868686"' in ticket and 'href="https://www.phila.gov/311/"' in ticket
    # No form that cannot work, even for the reporter (who may send an issue that has a route).
    assert "/311/link" not in ticket and "/311/send" not in ticket and "<form" not in ticket
    assert "No city 311 system is connected yet" not in seen and "Not sent to the city" not in seen

    # A link posted anyway is answered in the same words, and nothing is stored.
    client.post(f"/issues/{issue_id}/311/link", data={"service_request_id": "1001"})
    assert "This city’s 311 system is not connected to civic." in client.get(f"/issues/{issue_id}").get_data(
        as_text=True
    )
    assert linked_submissions(app) == []


def test_a_phone_of_311_and_a_web_address_that_is_not_http(app_from_the_environment, make_issue, monkeypatch):
    monkeypatch.setenv("CIVIC_CITY_311_PHONE", "311")  # Flask reads it as the number 311
    monkeypatch.setenv("CIVIC_CITY_311_URL", "javascript:alert(1)")
    app = app_from_the_environment()
    issue_id = make_issue()
    ticket = box(app.test_client().get(f"/issues/{issue_id}").get_data(as_text=True))
    assert text_of(ticket).endswith("To report it to the city too, call 311.")
    assert 'href="tel:311"' in ticket and "javascript" not in ticket


def test_a_kind_the_city_is_not_sent_says_so_and_offers_no_send(app, client, auth, connected, make_issue, make_user):
    reporter = make_user()
    issue_id = make_issue(reporter, category="other")  # the pretend city has no service for "Something else"
    auth.login_as(reporter)
    ticket = box(client.get(f"/issues/{issue_id}").get_data(as_text=True))
    seen = text_of(ticket)
    assert "Issues of this kind (Something else) are not sent to the city’s 311 system." in seen
    assert "To report it to the city too, call 311." in seen
    assert "/311/send" not in ticket and "Send to 311" not in seen
    assert f'action="/issues/{issue_id}/311/link"' in ticket  # the city is connected: a ticket can be linked
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0

    # A mapped kind with no submission yet (reported before the mapping, say) may be sent by its reporter.
    mapped_id = make_issue(reporter, title="Older pothole")
    with app.app_context(), unit_of_work():
        db.session.execute(sa.delete(Submission).where(Submission.issue_id == mapped_id))
        db.session.commit()
    mapped = box(client.get(f"/issues/{mapped_id}").get_data(as_text=True))
    assert "Not sent to the city’s 311 system yet." in text_of(mapped)
    assert f'action="/issues/{mapped_id}/311/send"' in mapped and "/311/link" in mapped


# --- the ticket's history ---------------------------------------------------------------------


def test_an_accepted_ticket_is_received_by_the_city_in_the_box_and_no_official_reply(
    app, client, city, connected, make_issue
):
    issue_id = make_issue(title="Crater on Norris")
    run_outbox(app)
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    seen = text_of(box(page))
    assert "311 ticket #1001, received by the city" in seen
    assert "Official response" not in page
    with app.app_context(), unit_of_work():
        assert db.session.scalars(sa.select(Comment).where(Comment.issue_id == issue_id)).all() == []
    assert "not connected" not in seen and "<form" not in box(page)  # a live ticket: nothing to send or link


def test_the_history_shows_the_citys_words_escaped_and_its_changes(app, client, city, connected, make_issue):
    issue_id = make_issue()
    run_outbox(app)
    city.update("1001", "in_progress", "Crew <b>booked</b> for Tuesday")
    run_sync(app)
    city.tickets["1001"]["agency_responsible"] = "Water <Dept>"
    city.close("1001", "Pothole filled")
    run_sync(app)

    ticket = box(client.get(f"/issues/{issue_id}").get_data(as_text=True))
    assert "Crew &lt;b&gt;booked&lt;/b&gt; for Tuesday" in ticket and "<b>booked" not in ticket
    history = text_of(ticket[ticket.index('id="ticket-history"') :])
    lines = [
        "311 ticket #1001, received by the city",
        "City status: in progress — Crew <b>booked</b> for Tuesday",
        "City status: closed — Pothole filled",
    ]
    positions = [history.index(line) for line in lines]
    assert positions == sorted(positions)
    assert "Now handled by Water <Dept>" in history


def test_staff_see_the_tries_and_the_citys_error_residents_do_not(app, city, connected, make_issue, make_user):
    city.mode = "fail"
    reporter = make_user()
    issue_id = make_issue(reporter)
    run_outbox(app)
    with app.app_context(), unit_of_work():
        queued = db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id))
        assert queued.state is SubmissionState.QUEUED and queued.attempts == 1
        city_words = queued.last_error
    assert city_words

    def box_for(user) -> str:
        client = app.test_client()
        if user:
            client.post("/login", data={"email": user.email, "password": user.password})
        return text_of(box(client.get(f"/issues/{issue_id}").get_data(as_text=True)))

    staff = box_for(make_user("staff", department="streets"))
    assert "For staff: 1 try · next try" in staff
    assert f"For staff — the city said: {text_of(city_words)}" in staff
    for resident in (box_for(reporter), box_for(None)):
        assert "Queued for 311" in resident
        assert "try" not in resident and "the city said" not in resident


def test_a_refusal_shows_staff_the_citys_words_and_residents_how_to_call(app, city, connected, make_issue, make_user):
    city.require_address_string = True  # the endpoint does not know it: the city refuses the POST
    reporter = make_user()
    issue_id = make_issue(reporter)
    run_outbox(app)
    staff_client, reporter_client = app.test_client(), app.test_client()
    staff = make_user("staff", department="streets")
    staff_client.post("/login", data={"email": staff.email, "password": staff.password})
    reporter_client.post("/login", data={"email": reporter.email, "password": reporter.password})

    for_staff = text_of(box(staff_client.get(f"/issues/{issue_id}").get_data(as_text=True)))
    assert "The city did not accept this issue." in for_staff
    assert "address_string required" in for_staff and "1 try" in for_staff
    for_reporter = box(reporter_client.get(f"/issues/{issue_id}").get_data(as_text=True))
    assert "The city did not accept this issue." in text_of(for_reporter)
    assert "To report it to the city too, call 311." in text_of(for_reporter)
    assert "address_string" not in for_reporter
    assert f'action="/issues/{issue_id}/311/send"' in for_reporter  # sent again once the cause is fixed


# --- linking a ticket the resident already has -------------------------------------------------


def test_a_ticket_far_away_asks_to_confirm_and_stores_nothing_until_confirmed(
    app, client, auth, city, connected, make_issue, make_user
):
    issue_id = make_issue()
    far = city.add_ticket("POTHOLE", "Called in by phone", lat=offset(*FISHTOWN, north_m=2400)[0], long=FISHTOWN[1])
    number = far["service_request_id"]
    auth.login_as(make_user())

    asked = client.post(f"/issues/{issue_id}/311/link", data={"service_request_id": number})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert f"Ticket #{number} is 2.4 km from this issue." in text_of(page)
    assert 'name="confirm" value="1"' in page and "Link it anyway" in page
    assert f'name="service_request_id" value="{number}"' in page
    assert linked_submissions(app) == [] and event_count(app) == 0

    done = client.post(f"/issues/{issue_id}/311/link", data={"service_request_id": number, "confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/issues/{issue_id}#ticket")
    assert linked_submissions(app) == [(issue_id, number, "accepted")]
    seen = text_of(box(client.get(f"/issues/{issue_id}").get_data(as_text=True)))
    assert f"311 ticket #{number}, linked by a resident" in seen


def test_a_ticket_near_by_or_without_coordinates_links_at_once(
    app, client, auth, city, connected, make_issue, make_user
):
    near_issue = make_issue()
    unplaced_issue = make_issue(title="Another pothole", at=offset(*FISHTOWN, east_m=-3000))
    near = city.add_ticket("POTHOLE", "By phone", lat=offset(*FISHTOWN, north_m=600)[0], long=FISHTOWN[1])
    unplaced = city.add_ticket("POTHOLE", "By phone", address="1200 Frankford Ave")
    auth.login_as(make_user())
    for issue_id, ticket in ((near_issue, near), (unplaced_issue, unplaced)):
        answer = client.post(f"/issues/{issue_id}/311/link", data={"service_request_id": ticket["service_request_id"]})
        assert answer.status_code == 302
    assert sorted(linked_submissions(app)) == sorted(
        [
            (near_issue, near["service_request_id"], "accepted"),
            (unplaced_issue, unplaced["service_request_id"], "accepted"),
        ]
    )


def test_a_ticket_about_another_kind_asks_to_confirm(app, client, auth, city, connected, make_issue, make_user):
    issue_id = make_issue()
    graffiti = city.add_ticket("GRAFFITI", "Tag on the wall", lat=FISHTOWN[0], long=FISHTOWN[1])
    number = graffiti["service_request_id"]
    auth.login_as(make_user())
    asked = client.post(f"/issues/{issue_id}/311/link", data={"service_request_id": number})
    assert asked.status_code == 200
    assert f"Ticket #{number} is about Graffiti Removal; this issue is about Pothole." in text_of(
        asked.get_data(as_text=True)
    )
    assert linked_submissions(app) == [] and event_count(app) == 0
    assert (
        client.post(f"/issues/{issue_id}/311/link", data={"service_request_id": number, "confirm": "1"}).status_code
        == 302
    )
    assert linked_submissions(app) == [(issue_id, number, "accepted")]


def test_a_ticket_linked_to_another_issue_is_refused_saying_which(
    app, client, auth, city, connected, make_issue, make_user
):
    first_id = make_issue(title="Crater on Norris")
    run_outbox(app)  # the first issue's ticket: #1001
    second_id = make_issue(title="Hole by the bus stop", at=offset(*FISHTOWN, north_m=50))
    auth.login_as(make_user())
    for confirm in ("", "1"):  # confirming does not help
        refused = client.post(f"/issues/{second_id}/311/link", data={"service_request_id": "1001", "confirm": confirm})
        page = refused.get_data(as_text=True)
        assert refused.status_code == 400
        assert "Ticket #1001 is already linked to issue “Crater on Norris”." in text_of(page)
        assert f'<a href="/issues/{first_id}">Crater on Norris</a>' in page
        assert 'id="service_request_id"' in page  # the form again, for another number
    assert linked_submissions(app) == []
    with app.app_context(), unit_of_work():
        rows = db.session.scalars(sa.select(Submission).where(Submission.service_request_id == "1001")).all()
        assert [s.issue_id for s in rows] == [first_id]


# --- in Spanish -------------------------------------------------------------------------------


def test_the_spanish_page_shows_the_spanish_box(app, client, auth, city, make_issue, make_user, connected):
    other_id = make_issue(category="other")
    issue_id = make_issue()
    run_outbox(app)
    client.post("/language/es", data={"next": "/"})

    accepted = text_of(box(client.get(f"/issues/{issue_id}").get_data(as_text=True)))
    assert "Caso 311 n.º 1001, recibido por la ciudad" in accepted and "Lo que hizo la ciudad con el caso" in accepted
    unmapped = text_of(box(client.get(f"/issues/{other_id}").get_data(as_text=True)))
    assert "Los avisos de este tipo (Otro problema) no se envían al sistema 311 de la ciudad." in unmapped
    assert "Para avisar también a la ciudad, llama al 311." in unmapped

    auth.login_as(make_user(locale="es"))
    far = city.add_ticket("POTHOLE", "Por teléfono", lat=offset(*FISHTOWN, north_m=2400)[0], long=FISHTOWN[1])
    asked = client.post(f"/issues/{other_id}/311/link", data={"service_request_id": far["service_request_id"]})
    seen = text_of(asked.get_data(as_text=True))
    assert f"El caso n.º {far['service_request_id']} está a 2,4 km de este aviso." in seen
    assert "trata de Pothole; este aviso trata de Otro problema." in seen  # the city's service name, as it is
    assert "Enlazarlo de todos modos" in seen


def test_the_spanish_box_without_a_city(client, make_issue):
    issue_id = make_issue()
    seen = text_of(box(client.get(f"/issues/{issue_id}", headers={"Accept-Language": "es"}).get_data(as_text=True)))
    assert "El sistema 311 de esta ciudad no está conectado a civic." in seen
    assert "Para avisar también a la ciudad, llama al 311." in seen
