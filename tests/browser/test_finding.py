"""Finding things in a browser: a map popup with the first photo's thumbnail, where and how long ago; the
list searched by text, its cards with thumbnails, axe-clean on a phone and a desktop, in English and Spanish."""

from __future__ import annotations

import io
import uuid

import pytest
from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import submit

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# A corner of the city no other browser test uses (the live database is shared by the session).
SPOT = (40.0452, -75.0601)


@pytest.fixture(scope="session")
def upload_dir(live_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("finding-uploads")
    previous = live_server.app.config.get("UPLOAD_DIR")
    live_server.app.config["UPLOAD_DIR"] = str(path)
    yield path
    live_server.app.config["UPLOAD_DIR"] = previous


def _photo():
    from PIL import Image
    from werkzeug.datastructures import FileStorage

    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(buf, "JPEG")
    buf.seek(0)
    return FileStorage(stream=buf, filename="pothole.jpg", content_type="image/jpeg")


def _issue_with_photo(live_server, reporter, title: str, at: tuple[float, float]) -> int:
    from civic.accounts.models import User
    from civic.extensions import db
    from civic.issues.catalog import ensure_categories
    from civic.issues.services import IssueDraft, report_issue

    with live_server.app.test_request_context(), unit_of_work():
        category = ensure_categories()["pothole"]
        draft = IssueDraft(
            category_id=category.id, title=title, description="Wheel-deep, by the bus stop.", lat=at[0], lon=at[1]
        )
        return report_issue(db.session.get(User, reporter.id), draft, [_photo()]).id


def test_a_map_popup_shows_the_photo_the_place_and_the_age(live_server, page, make_live_user, upload_dir, check_a11y):
    title = f"Crater {uuid.uuid4().hex[:6]}"
    issue_id = _issue_with_photo(live_server, make_live_user(), title, SPOT)
    page.goto("/")
    page.wait_for_function("window.civicMap !== undefined")
    page.evaluate(f"window.civicMap.map.setView([{SPOT[0]}, {SPOT[1]}], 18)")
    marker = page.locator(f'.leaflet-marker-icon[title="{title}"]')
    expect(marker).to_be_visible()
    # Leaflet fades a popup in; axe would measure the contrast of text half-way there: show it at once.
    page.add_style_tag(content=".leaflet-popup { transition: none !important; opacity: 1 !important; }")
    marker.click()
    popup = page.locator(".leaflet-popup-content .issue-popup")
    expect(popup).to_be_visible()
    thumb = popup.locator("img.issue-popup__thumb")
    expect(thumb).to_be_visible()
    assert (thumb.get_attribute("src") or "").startswith("/media/")
    expect(thumb).to_have_attribute("alt", "")
    page.wait_for_function("document.querySelector('.issue-popup__thumb').naturalWidth > 0")  # it loaded
    expect(popup.get_by_role("link", name=title)).to_have_attribute("href", f"/issues/{issue_id}")
    expect(popup.locator("time")).to_have_text("now")  # Intl.RelativeTimeFormat, numeric: "auto"
    check_a11y(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_searching_the_list(chromium, base_url, live_server, make_live_user, upload_dir, check_a11y, viewport, locale):
    word = f"zanja{uuid.uuid4().hex[:6]}"
    _issue_with_photo(live_server, make_live_user(), f"Pothole {word} on Frankford", SPOT)
    context = chromium.new_context(base_url=base_url, locale=locale, viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/issues")
        label = "Search titles and descriptions" if locale == "en-US" else "Buscar en títulos y descripciones"
        page.get_by_label(label).fill(word[:-2])  # the start of the word is enough
        submit(page, page.locator("#issue-filters").get_by_role("button"))
        cards = page.locator("article.issue-card")
        expect(cards).to_have_count(1)
        expect(cards.first.locator("img.issue-card__thumb")).to_have_attribute("loading", "lazy")
        count = "1 issue matches" if locale == "en-US" else "1 aviso coincide con"
        expect(page.locator(".list-count")).to_have_text(f"{count} “{word[:-2]}”")
        expect(cards.first.locator("time")).to_be_visible()
        check_a11y(page)
    finally:
        context.close()
