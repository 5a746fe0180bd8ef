"""A pothole reported through the real form goes to the city's 311 system and the city's answer comes back,
all seen on the reporter's open issue page without a reload.

The city is tools.pretend_city.SandboxCity, a real GeoReport v2 server over HTTP. The background jobs
(the outbox, the status sync) are run from the test, in a request context of the live app, exactly as the
worker runs them; their pushes reach the browser through the same signal receivers
(civic/realtime/rooms.py) as a form's would. Before each job the test waits until the server has put the
page's socket in the issue's room (as test_live.py does), so it tests the push rather than racing it.

axe-core checks the issue page as served, after the live updates, and after a reload.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import submit
from tests.browser.test_live import _assert_not_reloaded, _mark_not_reloaded, _wait_in_room

# Fishtown, more than 100 m from every pothole the other browser tests report (test_staff_flow.py's
# nearest pin is ~260 m west), so the "Already reported?" step should not appear; if it does, the test
# sends the report again, as a resident would.
PIN = (39.9705, -75.1270)
LIVE_TIMEOUT = 3_000  # ms: how soon a job's push must show on the open page
CITY_NOTE = "Pothole filled by the Streets crew"


@pytest.fixture
def live_sio(live_server):
    """The live server's python-socketio server, whose room table _wait_in_room reads."""
    from civic.extensions import socketio

    server = live_server.app.wsgi_app.engineio_app
    assert socketio.server is server, "civic.extensions.socketio is bound to another app than the live server's"
    return server


@pytest.fixture
def city(live_server):
    """A sandbox city, connected as the only active endpoint, its POTHOLE service mapped to "pothole".

    The live database is shared by the whole session, so the test leaves it as it found it: other endpoints
    are deactivated only while it runs, and its own services are unmapped and its endpoint deactivated
    afterwards (so later tests' reports are not queued for a city that is gone, and the report form does not
    ask them the sandbox's street-light questions).
    """
    from sqlalchemy import select

    from civic.city311.models import CityService, Endpoint
    from civic.city311.services_list import refresh
    from civic.extensions import db
    from civic.issues.catalog import ensure_categories
    from tools.pretend_city import SandboxCity

    with SandboxCity() as sandbox:
        with live_server.app.app_context(), unit_of_work():
            categories = ensure_categories()
            others = list(db.session.scalars(select(Endpoint).where(Endpoint.active.is_(True))))
            for other in others:
                other.active = False
            endpoint = Endpoint(
                name=f"Sandbox city {uuid.uuid4().hex[:8]}",
                base_url=sandbox.base_url,
                api_key=sandbox.api_key,
                active=True,
            )
            db.session.add(endpoint)
            db.session.commit()
            services = refresh(endpoint)
            by_code = {s.service_code: s for s in services}
            assert by_code["POTHOLE"].category_id == categories["pothole"].id, "POTHOLE is not mapped to pothole"
            for service in services:  # only potholes go to this city
                if service.service_code != "POTHOLE":
                    service.category_id = None
            db.session.commit()
            endpoint_id, other_ids = endpoint.id, [o.id for o in others]
        try:
            yield sandbox
        finally:
            with live_server.app.app_context(), unit_of_work():
                for service in db.session.scalars(select(CityService).where(CityService.endpoint_id == endpoint_id)):
                    service.category_id = None
                db.session.get(Endpoint, endpoint_id).active = False
                for other_id in other_ids:
                    db.session.get(Endpoint, other_id).active = True
                db.session.commit()


def _run_job(live_server, job) -> None:
    """Run a background job as the worker does: in a request context of the live app (for url_for)."""
    with live_server.app.test_request_context(base_url=live_server.url), unit_of_work():
        job()


def _submission(live_server, issue_id: int) -> tuple[str, str | None]:
    from civic.city311.outbox import current_submission

    with live_server.app.app_context(), unit_of_work():
        submission = current_submission(issue_id)
        assert submission is not None, f"issue {issue_id} was not queued for 311"
        return submission.state.value, submission.service_request_id


def test_a_reported_pothole_becomes_a_311_ticket_and_the_citys_fix_comes_back_live(
    page, check_a11y, sign_in, make_live_user, live_server, live_sio, city
):
    from civic.city311 import sending, sync
    from civic.realtime.rooms import issue_room

    tag = uuid.uuid4().hex[:6]
    resident = make_live_user(display_name="Paula Pothole")
    lat, lon = PIN
    title = f"Pothole swallowing bike wheels on Girard Ave {tag}"
    defects: list[str] = []  # how the pages fall short once the flow itself has worked

    # --- 2. the report, through the real form -------------------------------------------------
    sign_in(page, resident)
    page.goto("/issues/new")
    page.get_by_label("What kind of problem?").select_option(label="Pothole")
    page.get_by_label("Latitude").fill(str(lat))
    page.get_by_label("Longitude").fill(str(lon))
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Description").fill("Right where the bike lane starts; two riders fell this week.")
    submit(page, page.get_by_role("button", name="Send report"))
    if page.locator("section.duplicates--server").count():  # an open pothole near the pin after all
        submit(page, page.get_by_role("button", name="Send report"))

    expect(page).to_have_url(re.compile(r"/issues/\d+$"))
    issue_id = int(re.search(r"/issues/(\d+)$", page.url).group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    ticket_status = page.locator("#ticket-status")
    expect(ticket_status).to_contain_text("Queued for 311")
    assert _submission(live_server, issue_id) == ("queued", None)
    assert city.tickets == {}, "nothing is sent before the outbox runs"
    check_a11y(page)

    # --- 3. the outbox sends it; the ticket number appears live -------------------------------
    _wait_in_room(live_sio, page, [issue_room(issue_id)])
    _mark_not_reloaded(page)
    _run_job(live_server, sending.process_due)

    assert len(city.tickets) == 1, f"the city has {len(city.tickets)} tickets, not one"
    ticket_id, ticket = next(iter(city.tickets.items()))
    assert title in ticket["description"]
    assert ticket["service_code"] == "POTHOLE"
    assert _submission(live_server, issue_id) == ("accepted", ticket_id)
    expect(ticket_status).to_contain_text(f"311 ticket #{ticket_id}", timeout=LIVE_TIMEOUT)
    expect(ticket_status).not_to_contain_text("Queued for 311")
    _assert_not_reloaded(page)

    # --- 4. the city fixes it; the note and the status come back live -------------------------
    _wait_in_room(live_sio, page, [issue_room(issue_id)])
    city.close(ticket_id, CITY_NOTE, status="fixed")
    _run_job(live_server, sync.sync_all)

    comments = page.locator("ol.comments")
    expect(comments).to_contain_text(CITY_NOTE, timeout=LIVE_TIMEOUT)
    expect(comments.locator("li.comment").filter(has_text=CITY_NOTE)).to_have_count(1)
    expect(page.locator("#comments-heading")).to_have_text("1 comment")
    expect(page.locator(".issue__meta .status")).to_have_text("Fixed", timeout=LIVE_TIMEOUT)
    expect(page.locator(".issue__meta .status")).to_have_class(re.compile(r"\bstatus--fixed\b"))
    expect(ticket_status).to_contain_text(f"311 ticket #{ticket_id}")
    _assert_not_reloaded(page)
    check_a11y(page)  # with what the script changed
    # The comment the script inserted should look like the one the server renders (see step 5): an
    # official update, named. Checked at the end, so the rest of the flow is still tested.
    live_comment = comments.locator("li.comment").filter(has_text=CITY_NOTE)
    if not re.search(r"\bcomment--official\b", live_comment.get_attribute("class") or ""):
        defects.append(
            "the city's note inserted live is not marked as official (no comment--official class, "
            'no "Official" badge), unlike the same comment after a reload'
        )
    if not live_comment.locator(".comment__meta strong").inner_text().strip():
        defects.append("the city's note inserted live has an empty author name (<strong></strong>)")

    # --- 5. after a reload, everything is as the server renders it ----------------------------
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    official = page.locator("#official-response")
    expect(official).to_contain_text(CITY_NOTE)
    expect(official.get_by_role("heading", level=2)).to_contain_text("Official response")
    city_comment = page.locator("ol.comments li.comment").filter(has_text=CITY_NOTE)
    expect(city_comment).to_have_count(1)
    expect(city_comment).to_have_class(re.compile(r"\bcomment--official\b"))
    expect(city_comment).to_contain_text(f"311 #{ticket_id}")
    expect(page.locator(".issue__meta .status")).to_have_text("Fixed")
    expect(page.locator("ol.history")).to_contain_text("→ Fixed")
    expect(page.locator("ol.history")).to_contain_text(re.compile(r"Open\s*→\s*Fixed"))
    expect(ticket_status).to_contain_text(f"311 ticket #{ticket_id}")
    expect(ticket_status).to_contain_text("City status: closed")
    # The city said "fixed": the reporter is asked whether it really is.
    expect(page.get_by_role("heading", name="The city says this is fixed. Is it?")).to_be_visible()
    check_a11y(page)
    author = city_comment.locator(".comment__meta strong").inner_text().strip()
    if author == "A former member":
        defects.append(
            'after a reload the thread attributes the city\'s note to "A former member" '
            "(an official comment with no author)"
        )

    assert len(city.tickets) == 1, "the sync must not create tickets"
    assert not defects, "the flow works, but:\n- " + "\n- ".join(defects)
