"""The admin's 311 pages in a browser: axe-core on each (overview with refused submissions, endpoint form with
its errors, services and categories, the connection test), on a phone and on a desktop, in English and
Spanish. Set CIVIC_SCREENSHOTS=<dir> to keep a screenshot of each page."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from civic.database import unit_of_work
from tests.browser.conftest import report_issue_as, submit

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
PIN = (39.9690, -75.1300)


@pytest.fixture
def refusing_city_and_issues(live_server, make_live_user):
    """A sandbox city as an endpoint (services mapped), and two issues whose submissions it refused. The live
    database is shared: the endpoint is deactivated and unmapped afterwards."""
    from sqlalchemy import select

    from civic.city311 import sending
    from civic.city311.models import CityService, Endpoint, Submission
    from civic.city311.services_list import refresh
    from civic.extensions import db
    from civic.issues.catalog import ensure_categories
    from tools.pretend_city import SandboxCity

    reporter = make_live_user(display_name="Rita Reporter")
    with SandboxCity() as city:
        with live_server.app.app_context(), unit_of_work():
            ensure_categories()
            endpoint = Endpoint(name=f"Sandbox {uuid.uuid4().hex[:6]}", base_url=city.base_url, api_key=city.api_key)
            db.session.add(endpoint)
            db.session.flush()
            refresh(endpoint)
            endpoint_id = endpoint.id
        city.require_address_string = True  # the endpoint does not say it needs one: the city refuses
        issue_ids = [
            report_issue_as(live_server, reporter, "pothole", f"Sunken drain cover {n}", PIN) for n in range(2)
        ]
        with live_server.app.test_request_context(base_url=live_server.url), unit_of_work():
            for issue_id in issue_ids:
                submission = db.session.scalar(select(Submission).where(Submission.issue_id == issue_id))
                if submission is not None and submission.endpoint_id == endpoint_id:
                    sending.send(submission)
        try:
            yield endpoint_id, city, issue_ids, reporter
        finally:
            with live_server.app.app_context(), unit_of_work():
                for service in db.session.scalars(select(CityService).where(CityService.endpoint_id == endpoint_id)):
                    service.category_id = None
                db.session.get(Endpoint, endpoint_id).active = False


@pytest.fixture
def refusing_city(refusing_city_and_issues):
    return refusing_city_and_issues[0]


@pytest.mark.parametrize("language", ["English", "Español"])
@pytest.mark.parametrize("size", list(SIZES))
def test_the_311_admin_pages_pass_axe(page, check_a11y, sign_in, make_live_user, refusing_city, size, language):
    shots = os.environ.get("CIVIC_SCREENSHOTS")

    def look(name: str) -> None:
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/{name}-{size}-{language[:2].lower()}.png", full_page=True)

    page.set_viewport_size(SIZES[size])
    sign_in(page, make_live_user("admin", display_name="Ada Admin"))
    if language == "Español":
        page.get_by_role("button", name="Español").click()
        page.wait_for_load_state()
    page.goto("/admin/311")
    assert page.get_by_text("address_string required").first.is_visible()
    look("overview")
    page.goto(f"/admin/311/endpoints/{refusing_city}")
    look("endpoint")
    page.goto("/admin/311/endpoints/new")
    page.locator("#base_url").fill("ftp://nowhere")
    submit(page, page.locator("main form.form button[type=submit]"))
    assert page.locator("#base_url-error").is_visible()
    look("endpoint-errors")
    page.goto(f"/admin/311/endpoints/{refusing_city}/services")
    look("services")
    page.goto(f"/admin/311/endpoints/{refusing_city}")
    submit(page, page.locator(f"form[action='/admin/311/endpoints/{refusing_city}/test'] button"))
    assert page.locator(".checks li").count() == 4
    look("test")


def test_linking_a_far_away_ticket_asks_first_and_passes_axe(page, check_a11y, sign_in, refusing_city_and_issues):
    """The reporter links a ticket 3 km away: a confirmation page (phone, Spanish) says why, then links it."""
    _endpoint_id, city, issue_ids, reporter = refusing_city_and_issues
    far = city.add_ticket("POTHOLE", "Phoned in elsewhere", lat=PIN[0] + 0.027, long=PIN[1])  # about 3 km north
    page.set_viewport_size(SIZES["phone"])
    sign_in(page, reporter)
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    page.goto(f"/issues/{issue_ids[0]}")
    page.locator("#service_request_id").fill(far["service_request_id"])
    submit(page, page.locator("form[action$='/311/link'] button[type=submit]"))
    assert page.get_by_text("km").first.is_visible()
    check_a11y(page)
    submit(page, page.locator("button[name=confirm]"))
    assert far["service_request_id"] in page.locator("#ticket-status").inner_text()
    check_a11y(page)
