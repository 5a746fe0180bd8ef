"""With JavaScript off, no page shows text or controls that only work with it: maps, legends, layer toggles,
"tap the map" hints and script-only buttons are hidden, and each map leaves words or a list link in its place.
The report form works with typed coordinates or a typed address, and the home page's place search leads to
the issues near the place as a list. axe-core checks the home page and the report form as served without it.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import report_issue_as, submit

# Points of our own, away from the other browser tests' pins (the live database is shared).
ISSUE_AT = (39.9905, -75.1545)
COORDINATES_AT = (39.9952, -75.1611)
# Words that only make sense with a working map or script.
MAP_ONLY = re.compile(r"tap the map|drag it|drag the|toca el mapa|arrastra", re.I)

PAGES = [
    "/",
    "/?lat=39.9731&lon=-75.1322&zoom=16&place=Somewhere",
    "/find?place=Kensington",
    "/find?place=Atlantis",
    "/issues",
    "/issues/new",
    "/issues/{issue}",
    "/issues/{issue}/edit",
    "/near-me",
    "/follows",
    "/account",
    "/events/",
    "/events/new",
    "/events/{event}",
    "/events/{event}/edit",
    "/staff/",
    "/dashboard",
    "/dashboard/neighbourhoods",
    "/admin/users",
    "/admin/categories",
    "/admin/311",
]


@pytest.fixture
def admin_with_things(live_server, make_live_user):
    """An admin (who sees every page), an issue of theirs and a clean-up they organise."""
    from civic.accounts.models import User
    from civic.events import services as events
    from civic.extensions import db

    admin = make_live_user("admin", display_name="Nora NoScript")
    issue_id = report_issue_as(live_server, admin, "graffiti", f"Tagged shutter {uuid.uuid4().hex[:6]}", ISSUE_AT)
    starts = (datetime.now() + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
    with live_server.app.test_request_context(), unit_of_work():
        event = events.create_event(
            db.session.get(User, admin.id),
            title="Shutter scrub",
            description="Brushes provided.",
            starts_local=starts,
            ends_local=starts + timedelta(hours=2),
            meeting_point="The corner shop",
            lat=ISSUE_AT[0],
            lon=ISSUE_AT[1],
        )
        event_id = event.id
    return admin, issue_id, event_id


@pytest.fixture
def no_js_page(chromium, base_url):
    context = chromium.new_context(base_url=base_url, locale="en-US", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=True).fill(user.password)
    submit(page, page.locator("main").get_by_role("button", name="Sign in"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _check_nothing_needs_javascript(page) -> None:
    where = page.url
    for frame in page.locator(".map-frame, .folium-map").all():
        expect(frame, f"a map region shows on {where}").to_be_hidden()
    text = page.locator("main").inner_text()
    assert not MAP_ONLY.search(text), f"{where} says {MAP_ONLY.search(text)[0]!r} without a map"
    script_buttons = page.locator("main button[type=button]:visible")
    assert script_buttons.count() == 0, f"{where} shows script-only buttons: {script_buttons.all_inner_texts()}"
    for toggle in page.locator(".legend, .map-layers, #map-status, .map-filters").all():
        expect(toggle, f"a map control shows on {where}").to_be_hidden()


def _check_a11y_without_javascript(chromium, base_url, check_a11y, url: str, html: str) -> None:
    """axe-core is JavaScript: serve the no-JS resident's HTML again to a page that runs scripts, refuse every
    script file (so no map starts) and put back the `no-js` class the page's first line of script removed."""
    context = chromium.new_context(base_url=base_url, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.route("**/*.js", lambda route: route.abort())
        page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
        page.goto(url)
        page.evaluate("() => { document.body.className = 'no-js'; }")
        expect(page.locator(".map-frame").first).to_be_hidden()
        check_a11y(page)
    finally:
        context.close()


def test_no_page_shows_what_only_works_with_javascript(no_js_page, chromium, base_url, check_a11y, admin_with_things):
    admin, issue_id, event_id = admin_with_things
    page = no_js_page
    _sign_in(page, admin)
    for path in PAGES:
        response = page.goto(path.format(issue=issue_id, event=event_id))
        assert response and response.status == 200, f"{path}: {response and response.status}"
        _check_nothing_needs_javascript(page)

    # Each map leaves an alternative in words: the home map a list link, the issue its place, the event its spot.
    page.goto("/")
    expect(page.get_by_text("The map needs JavaScript, which is off in this browser.")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="All issues, as a list")).to_be_visible()
    _check_a11y_without_javascript(chromium, base_url, check_a11y, page.url, page.content())
    page.goto(f"/issues/{issue_id}")
    expect(page.locator("section[aria-labelledby=where-heading]")).to_contain_text("Latitude 39.99050")
    page.goto(f"/events/{event_id}")
    expect(page.locator("section[aria-labelledby=where-heading]")).to_contain_text("The corner shop")
    page.goto("/dashboard/neighbourhoods")
    expect(page.get_by_text("The map needs JavaScript; the table below shows the same figures.")).to_be_visible()
    page.goto("/issues/new")
    expect(page.get_by_text("Type the address (or the nearest crossing or place), or the coordinates")).to_be_visible()
    _check_a11y_without_javascript(chromium, base_url, check_a11y, page.url, page.content())


def test_the_place_search_leads_to_the_issues_near_it_as_a_list(no_js_page, live_server, make_live_user):
    reporter = make_live_user()
    title = f"Loose paving in Fishtown {uuid.uuid4().hex[:6]}"
    report_issue_as(live_server, reporter, "pothole", title, (39.97235, -75.12570))
    page = no_js_page
    page.goto("/")
    page.locator("#place-search").fill("Fishtown")
    submit(page, page.get_by_role("button", name="Find", exact=True))
    assert re.search(r"/\?lat=39\.97\d*&lon=-75\.12\d*&zoom=15&place=Fishtown", page.url), page.url
    _check_nothing_needs_javascript(page)
    link = page.get_by_role("link", name="Issues near “Fishtown - Lower Kensington”, as a list")
    submit(page, link)
    expect(page.get_by_role("link", name=title)).to_be_visible()


def _fill_report(page, title: str) -> None:
    page.goto("/issues/new")
    page.get_by_label("What kind of problem?").select_option(label="Abandoned vehicle")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Description").fill("Flat tyres, there for weeks.")


def _issue_at(live_server, title: str) -> tuple[float, float] | None:
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.issues.models import Issue

    with live_server.app.app_context():
        row = db.session.execute(sa.select(Issue.lat, Issue.lon).where(Issue.title == title)).first()
        db.session.remove()
        return (row.lat, row.lon) if row else None


def test_the_report_form_works_with_typed_coordinates_or_address(no_js_page, live_server, make_live_user):
    page = no_js_page
    _sign_in(page, make_live_user(display_name="Typing Tess"))

    by_coordinates = f"Abandoned van {uuid.uuid4().hex[:6]}"
    _fill_report(page, by_coordinates)
    page.get_by_label("Latitude").fill(str(COORDINATES_AT[0]))
    page.get_by_label("Longitude").fill(str(COORDINATES_AT[1]))
    submit(page, page.get_by_role("button", name="Send report"))
    expect(page.get_by_role("heading", level=1)).to_have_text(by_coordinates)
    assert _issue_at(live_server, by_coordinates) == pytest.approx(COORDINATES_AT)

    by_address = f"Abandoned car {uuid.uuid4().hex[:6]}"
    _fill_report(page, by_address)
    page.get_by_label("Address or nearest landmark").fill("Chestnut Hill")
    submit(page, page.get_by_role("button", name="Send report"))
    found = page.get_by_text("We found “Chestnut Hill” and filled in its coordinates.")
    expect(found).to_be_visible()
    _check_nothing_needs_javascript(page)
    lat = float(page.get_by_label("Latitude").input_value())
    assert 40.05 < lat < 40.09  # Chestnut Hill, in the north-west of the city
    submit(page, page.get_by_role("button", name="Send report"))
    expect(page.get_by_role("heading", level=1)).to_have_text(by_address)
    assert _issue_at(live_server, by_address) is not None
