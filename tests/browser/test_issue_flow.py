"""A report from first tap to a neighbour's comment, in a real browser: the pin picker and its
"Already reported?" suggestion, a photo upload, the new issue on the city map and in the list, a second
resident's vote and comment. A smaller test does the same report without JavaScript, where the server
offers the nearby issue and its "Add my vote" button works as a plain form. axe-core checks every page.

Map tiles come from the internet and fail to load here; Leaflet itself is served from static/vendor.
"""

from __future__ import annotations

import io
import re
import uuid

import pytest
from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import submit

# A point in Fishtown, Philadelphia, for the JavaScript flow (no other browser test reports within 400 m of it), and
# another for the no-JS one.
PIN = (39.9779, -75.1402)
NOJS_PIN = (39.9675, -75.1290)
# The open issue already there sits ~60 m north: within the 100 m "Already reported?" radius, yet far
# enough (~65 px at zoom 17) that the home map's marker cluster (40 px radius) shows both markers apart.
NEARBY_DLAT = 0.00054


@pytest.fixture(scope="session")
def categories(live_server) -> dict[str, int]:
    """The default service list in the live database: {slug: category id}."""
    from civic.issues.catalog import ensure_categories

    with live_server.app.app_context(), unit_of_work():
        return {slug: category.id for slug, category in ensure_categories().items()}


@pytest.fixture(scope="session")
def upload_dir(live_server, tmp_path_factory):
    """Photos go to a temporary folder, not the checkout's instance/uploads."""
    path = tmp_path_factory.mktemp("uploads")
    previous = live_server.app.config.get("UPLOAD_DIR")
    live_server.app.config["UPLOAD_DIR"] = str(path)
    yield path
    live_server.app.config["UPLOAD_DIR"] = previous


def _tag() -> str:
    return uuid.uuid4().hex[:6]


def _existing_issue(live_server, reporter, category_id: int, lat: float, lon: float, title: str) -> int:
    """An open issue reported by someone else through the service (no browser, no photos)."""
    from civic.accounts.models import User
    from civic.extensions import db
    from civic.issues.services import IssueDraft, report_issue

    with live_server.app.app_context(), unit_of_work():
        user = db.session.get(User, reporter.id)
        issue = report_issue(
            user,
            IssueDraft(category_id=category_id, title=title, description="Seen on my way to work.", lat=lat, lon=lon),
        )
        return issue.id


def _issue_state(live_server, issue_id: int) -> tuple[int, int]:
    """(upvote_count, comment_count) as stored."""
    from civic.extensions import db
    from civic.issues.models import Issue

    with live_server.app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        return issue.upvote_count, issue.comment_count


def _issues_titled(live_server, title: str) -> int:
    from sqlalchemy import func, select

    from civic.extensions import db
    from civic.issues.models import Issue

    with live_server.app.app_context(), unit_of_work():
        return db.session.scalar(select(func.count()).select_from(Issue).where(Issue.title == title))


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 90, 95)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _click_map_at(page, map_var: str, lat: float, lon: float) -> None:
    """Zoom the folium map to the point and click exactly there, as a resident tapping the map."""
    page.wait_for_function(f"() => window.{map_var} !== undefined")
    point = page.evaluate(
        f"""([lat, lon]) => {{
            {map_var}.setView([lat, lon], 17, {{animate: false}});
            const p = {map_var}.latLngToContainerPoint([lat, lon]);
            return {{x: p.x, y: p.y}};
        }}""",
        [lat, lon],
    )
    page.locator(f"#{map_var}").click(position=point)


def test_report_with_pin_and_photo_then_a_neighbour_votes_and_comments(
    page, chromium, base_url, check_a11y, sign_in, make_live_user, live_server, categories, upload_dir
):
    tag = _tag()
    reporter = make_live_user(display_name="Rosa Reporter")
    neighbour = make_live_user(display_name="Sam Neighbour")
    earlier = make_live_user(display_name="Early Bird")
    lat, lon = PIN
    existing_title = f"Pothole by the corner store {tag}"
    existing_id = _existing_issue(live_server, earlier, categories["pothole"], lat + NEARBY_DLAT, lon, existing_title)
    title = f"Deep pothole on Frankford Ave {tag}"

    # --- the report form -------------------------------------------------------------------
    sign_in(page, reporter)
    page.goto("/issues/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report an issue")
    duplicates = page.locator("section#duplicates")
    expect(duplicates).to_be_hidden()
    check_a11y(page)

    _click_map_at(page, "map_picker", lat, lon)
    expect(page.get_by_role("button", name="Issue location: drag to adjust")).to_be_visible()  # the pin
    expect(page.locator("#lat")).not_to_have_value("")
    assert float(page.locator("#lat").input_value()) == pytest.approx(lat, abs=5e-5)  # ~5 m
    assert float(page.locator("#lon").input_value()) == pytest.approx(lon, abs=5e-5)

    page.get_by_label("What kind of problem?").select_option(label="Pothole")
    expect(duplicates).to_be_visible()
    expect(duplicates.get_by_role("heading", level=2)).to_have_text("Already reported? Add your vote instead")
    expect(duplicates.get_by_role("link", name=existing_title)).to_have_attribute(
        "href", re.compile(rf"/issues/{existing_id}$")
    )
    expect(duplicates.get_by_role("button", name="Add my vote")).to_have_count(1)
    check_a11y(page)  # with the suggestion shown

    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Description").fill("About a foot across, right in the bike lane.")
    page.get_by_label("Photos (up to 4)").set_input_files(
        files=[{"name": "hole.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    submit(page, page.get_by_role("button", name="Send report"))

    # --- the new issue's page ---------------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/issues/\d+$"))
    issue_id = int(re.search(r"/issues/(\d+)$", page.url).group(1))
    assert issue_id != existing_id
    expect(page.get_by_text("Thank you! Your report is on the map.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    thumbnail = page.get_by_role("img", name="Photo 1 of the issue")
    expect(thumbnail).to_have_attribute("src", re.compile(r"^/media/"))
    thumbnail.scroll_into_view_if_needed()  # loading="lazy"
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert any(upload_dir.rglob("*.jpg")), "the photo was not stored in UPLOAD_DIR"
    check_a11y(page)

    # --- on the city map --------------------------------------------------------------------
    page.goto("/")
    page.wait_for_function("() => window.civicMap !== undefined && window.map_city !== undefined")
    page.evaluate("([lat, lon]) => map_city.setView([lat, lon], 17, {animate: false})", [lat, lon])
    marker = page.locator(f'.leaflet-marker-icon[title="{title}"]')
    expect(marker).to_be_visible()
    expect(page.locator(f'.leaflet-marker-icon[title="{existing_title}"]')).to_be_visible()
    check_a11y(page)

    # --- in the list ------------------------------------------------------------------------
    page.goto("/issues")
    expect(page.get_by_role("heading", level=2, name=title).get_by_role("link", name=title)).to_have_attribute(
        "href", f"/issues/{issue_id}"
    )
    check_a11y(page)

    # --- a second resident votes and comments -----------------------------------------------
    other = chromium.new_context(base_url=base_url, locale="en-US")
    other.set_default_timeout(10_000)
    try:
        page2 = other.new_page()
        sign_in(page2, neighbour)
        page2.goto(f"/issues/{issue_id}")
        count = page2.locator("#vote-count")
        expect(count).to_have_text("0 neighbours want this fixed")

        submit(page2, page2.get_by_role("button", name="I want this fixed too"))
        expect(count).to_have_text("1 neighbour wants this fixed")
        expect(page2.get_by_role("button", name="Withdraw my vote")).to_have_attribute("aria-pressed", "true")

        page2.get_by_label("Your comment").fill("Nearly lost a tyre here, see https://example.org/photo")
        submit(page2, page2.get_by_role("button", name="Post comment"))
        expect(page2.get_by_text("Your comment is posted.")).to_be_visible()
        comment = page2.locator("li.comment").filter(has_text="Nearly lost a tyre here")
        expect(comment).to_have_count(1)
        expect(comment).to_contain_text("Sam Neighbour")
        link = comment.locator('a[href="https://example.org/photo"]')
        expect(link).to_have_text("https://example.org/photo")
        assert "nofollow" in (link.get_attribute("rel") or "").split()
        check_a11y(page2)
    finally:
        other.close()

    assert _issue_state(live_server, issue_id) == (1, 1)
    assert _issue_state(live_server, existing_id) == (0, 0)  # the suggestion was seen, not voted


# --- without JavaScript ----------------------------------------------------------------------


def _check_a11y_as_served(chromium, base_url, check_a11y, url: str, html: str, shows: str) -> None:
    """axe-core is JavaScript and cannot run in a context with JavaScript disabled (it hangs).

    So the HTML the no-JS resident got is served again, at the same URL, to a JavaScript-enabled page
    whose script files are all refused: with Leaflet and picker.js missing, folium's inline map script
    stops at once (`L` is undefined) and nothing changes the DOM, so axe sees what that resident saw,
    styles included.
    """
    context = chromium.new_context(base_url=base_url, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        axe_page = context.new_page()
        axe_page.route("**/*.js", lambda route: route.abort())
        axe_page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
        axe_page.goto(url)
        expect(axe_page.locator("main")).to_contain_text(shows)  # the right page, with its styles
        expect(axe_page.locator('link[rel=stylesheet][href*="/css/civic."]')).to_have_count(1)
        check_a11y(axe_page)
    finally:
        context.close()


def test_without_javascript_typed_coordinates_offer_the_nearby_issue_to_vote_for(
    chromium, base_url, check_a11y, make_live_user, live_server, categories
):
    tag = _tag()
    resident = make_live_user(display_name="Nadia NoScript")
    earlier = make_live_user(display_name="Early Bird")
    lat, lon = NOJS_PIN
    existing_title = f"Street light out at Memphis St {tag}"
    existing_id = _existing_issue(
        live_server, earlier, categories["street-light"], lat + NEARBY_DLAT, lon, existing_title
    )
    title = f"Dark corner by the playground {tag}"

    context = chromium.new_context(base_url=base_url, locale="en-US", java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(resident.email)
        page.get_by_label("Password", exact=True).fill(resident.password)
        submit(page, page.locator("main").get_by_role("button", name="Sign in"))
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        page.goto("/issues/new")
        page.get_by_label("What kind of problem?").select_option(label="Street light out")
        page.get_by_label("Latitude").fill(str(lat))
        page.get_by_label("Longitude").fill(str(lon))
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_label("Description").fill("The lamp has been out for a week.")
        submit(page, page.get_by_role("button", name="Send report"))

        # The server stops before reporting, and offers the open issue ~60 m away.
        section = page.locator("section.duplicates--server")
        expect(section.get_by_role("heading", level=2)).to_have_text("Already reported? Add your vote instead")
        expect(section.get_by_role("link", name=existing_title)).to_have_attribute("href", f"/issues/{existing_id}")
        # The button's name carries the issue's title (visually hidden), so several buttons stay distinct.
        vote = section.get_by_role("button", name=re.compile(rf"^Add my vote\s*:\s*{re.escape(existing_title)}$"))
        expect(vote).to_have_count(1)
        # The form keeps what was typed, so "send it again" is one click.
        expect(page.get_by_label("Latitude")).to_have_value(str(lat))
        expect(page.get_by_label("Title", exact=True)).to_have_value(title)
        assert _issues_titled(live_server, title) == 0
        _check_a11y_as_served(
            chromium, base_url, check_a11y, page.url, page.content(), shows="Already reported? Add your vote instead"
        )

        submit(page, vote)
        expect(page).to_have_url(re.compile(rf"/issues/{existing_id}$"))
        expect(page.get_by_text("Your vote is counted.")).to_be_visible()
        expect(page.locator("#vote-count")).to_have_text("1 neighbour wants this fixed")
        expect(page.get_by_role("button", name="Withdraw my vote")).to_have_attribute("aria-pressed", "true")
        _check_a11y_as_served(
            chromium, base_url, check_a11y, page.url, page.content(), shows="1 neighbour wants this fixed"
        )
    finally:
        context.close()

    assert _issue_state(live_server, existing_id) == (1, 0)
    assert _issues_titled(live_server, title) == 0
