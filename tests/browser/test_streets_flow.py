"""A typed address with the city's streets imported, in a real browser without JavaScript: the pin goes
to the address, an ambiguous one offers the other places it may mean, and the issue page then names its
block. axe-core checks each page as it was served."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete

from civic.database import unit_of_work
from tests.browser.conftest import submit
from tests.browser.test_issue_flow import _check_a11y_as_served

STREETS = Path(__file__).parent.parent / "data" / "street_centerline.geojson"


@pytest.fixture
def imported_streets(live_server):
    """The test file's streets in the live database, for this test only (the database is shared)."""
    from civic.extensions import db
    from civic.geo.models import StreetSegment
    from civic.issues.catalog import ensure_categories

    with live_server.app.app_context(), unit_of_work():
        ensure_categories()
    result = live_server.app.test_cli_runner().invoke(args=["geo", "import-streets", str(STREETS)])
    assert result.exit_code == 0, result.output
    yield
    with live_server.app.app_context(), unit_of_work():
        db.session.execute(delete(StreetSegment))


def test_without_javascript_a_typed_address_places_the_pin_and_the_page_names_the_block(
    chromium, base_url, check_a11y, make_live_user, live_server, imported_streets
):
    resident = make_live_user()
    title = f"Broken curb {uuid.uuid4().hex[:6]}"
    context = chromium.new_context(base_url=base_url, locale="en-US", java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(resident.email)
        page.get_by_label("Password", exact=True).fill(resident.password)
        submit(page, page.locator("main").get_by_role("button", name="Sign in"))

        page.goto("/issues/new")
        page.get_by_label("What kind of problem?").select_option(label="Pothole")
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_label("Description").fill("The curb stone is broken.")
        page.get_by_label("Address or nearest landmark (optional)").fill("1400 Columbia Ave")
        submit(page, page.get_by_role("button", name="Send report"))

        expect(page.get_by_role("status").filter(has_text="We found")).to_contain_text("1400 E Columbia Ave")
        other = page.get_by_role("button", name="1400 W Columbia Ave")
        expect(other).to_be_visible()
        _check_a11y_as_served(
            chromium, base_url, check_a11y, page.url, page.content(), shows="Or did you mean one of these places?"
        )
        submit(page, other)
        expect(page.get_by_role("status").filter(has_text="We found")).to_contain_text("1400 W Columbia Ave")
        assert float(page.get_by_label("Longitude").input_value()) < -75.15  # the pin moved west

        submit(page, page.get_by_role("button", name="Send report"))
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator(".issue__place strong")).to_have_text("1400 block of W Columbia Ave")
        _check_a11y_as_served(
            chromium, base_url, check_a11y, page.url, page.content(), shows="1400 block of W Columbia Ave"
        )
    finally:
        context.close()
