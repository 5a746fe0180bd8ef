"""Browser: home location from the device, and the admin verifying a liaison on a phone."""

from __future__ import annotations

import pytest

from civic.database import unit_of_work
from tests.browser.conftest import submit


@pytest.fixture
def located_page(chromium, base_url):
    """A phone-sized page whose device reports Independence Hall as its position."""
    context = chromium.new_context(
        base_url=base_url,
        locale="en-US",
        viewport={"width": 360, "height": 740},
        geolocation={"latitude": 39.9489, "longitude": -75.15},
        permissions=["geolocation"],
    )
    page = context.new_page()
    yield page
    context.close()


def test_use_my_current_location_sets_home(located_page, check_a11y, sign_in, make_live_user, live_server):
    page = located_page
    user = make_live_user()
    sign_in(page, user)
    page.goto("/account")
    check_a11y(page)
    page.get_by_role("button", name="Use my current location").click()
    page.get_by_text("Location filled in. Save to keep it.").wait_for()
    assert page.get_by_label("Home latitude").input_value() == "39.948900"
    submit(page, page.get_by_role("button", name="Save profile"))
    assert page.get_by_text("Your profile is saved.").is_visible()
    # The neighbourhood was worked out from the point.
    assert page.get_by_label("Home neighbourhood").locator("option:checked").inner_text() == "Old City"
    check_a11y(page)


def test_admin_verifies_a_liaison_on_a_phone(page, check_a11y, sign_in, make_live_user, live_server):
    page.set_viewport_size({"width": 360, "height": 740})
    admin = make_live_user("admin")
    liaison = make_live_user("resident", display_name="Pending Liaison")
    from civic.accounts.models import Role, User
    from civic.extensions import db

    with live_server.app.app_context(), unit_of_work():
        db.session.get(User, liaison.id).role = Role.LIAISON
        db.session.commit()

    sign_in(page, admin)
    page.goto("/admin/users?pending=1")
    check_a11y(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    row = page.get_by_role("row").filter(has_text=liaison.email)
    assert "Waiting for verification" in row.inner_text()
    submit(page, row.get_by_role("button", name="Verify"))
    assert page.get_by_text("Pending Liaison is verified.").is_visible()
    check_a11y(page)
    with live_server.app.app_context(), unit_of_work():
        assert db.session.get(User, liaison.id).verified_at is not None
