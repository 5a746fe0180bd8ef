"""The maps with no street tiles, in a real browser: every tile request is refused (page.route), as on a city
intranet or with no internet. The neighbourhood outlines and names are drawn and a notice says why there are
no streets; the report picker opens at street level at a resident's home and its pin moves with the arrow keys;
a shared link opens the home map at its view with its filter. axe-core checks each state, on a phone and in
Spanish too. Set CIVIC_SCREENSHOTS=<dir> to keep a screenshot of each."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civic.database import unit_of_work

PHONE = {"width": 390, "height": 844}
PIXEL = bytes.fromhex(  # a 1x1 light grey PNG: a stand-in tile
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6378f7eedd7f00096203cad51777e30000000049454e44ae426082"
)
HOME = (39.9712, -75.1339)  # Fishtown
NOTICE = {
    "en": "Street map unavailable — showing neighbourhoods",
    "es": "Mapa de calles no disponible: se muestran los barrios",
}


@pytest.fixture(scope="module", autouse=True)
def _categories(live_server):
    """The default categories in the live database (a shared link filters by one)."""
    from civic.issues.catalog import ensure_categories

    with live_server.app.app_context(), unit_of_work():
        ensure_categories()


def _tile_requests(live_server) -> re.Pattern:
    host = re.escape(re.sub(r"^https?://([^/]+)/.*$", r"\1", live_server.app.config["TILE_URL"]))
    return re.compile(rf"^https?://{host}/")


@pytest.fixture
def no_tiles(live_server):
    """block(page): every request to the tile server fails, as with no internet."""
    blocked: list[str] = []

    def block(page) -> list[str]:
        def refuse(route):
            blocked.append(route.request.url)
            route.abort()

        page.route(_tile_requests(live_server), refuse)
        return blocked

    return block


def look(page, check_a11y, name: str) -> None:
    check_a11y(page)
    shots = os.environ.get("CIVIC_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/offline-map-{name}.png", full_page=True)


def _in_spanish(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Español").click()
    assert page.locator("html").get_attribute("lang") == "es"


def _resident_with_home(live_server, make_live_user):
    from civic.accounts.models import User
    from civic.extensions import db

    user = make_live_user(display_name="Hana Home")
    with live_server.app.app_context(), unit_of_work():
        me = db.session.get(User, user.id)
        me.home_lat, me.home_lon = HOME
        db.session.commit()
    return user


def _view(page, name: str) -> dict:
    centre = f"{name}.getCenter()"
    return page.evaluate(f"() => ({{ lat: {centre}.lat, lon: {centre}.lng, zoom: {name}.getZoom() }})")


@pytest.mark.parametrize("language, size", [("en", None), ("es", PHONE)])
def test_without_tiles_the_home_map_shows_neighbourhoods_and_says_why(page, check_a11y, no_tiles, language, size):
    blocked = no_tiles(page)
    if size:
        page.set_viewport_size(size)
    page.goto("/")
    if language == "es":
        _in_spanish(page)
    notice = page.locator(".map-notice")
    expect(notice).to_have_text(NOTICE[language])
    assert blocked, "the map asked for no tiles at all"
    outlines = page.locator(".leaflet-civic-outlines-pane path")
    expect(outlines.first).to_be_attached()
    assert outlines.count() > 150  # every neighbourhood
    names = page.locator(".leaflet-civic-labels-pane .hood-label span")
    expect(names.first).to_be_visible()
    assert 3 <= names.count() < 60, "names should be readable, not one on top of another"
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("Abaca Labs")
    credit = {"en": "Neighbourhood boundaries © Abaca Labs", "es": "Límites de los barrios © Abaca Labs"}[language]
    expect(page.locator(".leaflet-control-attribution")).to_contain_text(credit)
    zoom_in = {"en": "Zoom in", "es": "Acercar"}[language]  # Leaflet's own buttons, in the reader's language
    expect(page.locator(".leaflet-control-zoom-in")).to_have_attribute("title", zoom_in)
    expect(page.locator(".leaflet-control-zoom-in")).to_have_attribute("aria-label", zoom_in)
    # Markers go above the outlines; a name never takes a tap meant for the map.
    pane_style = "getComputedStyle(document.querySelector('.leaflet-civic-labels-pane'))"
    assert page.evaluate(f"() => {pane_style}.pointerEvents") == "none"
    look(page, check_a11y, f"home-city-{language}")
    # At street zoom the outlines stay: without tiles they are all there is.
    page.evaluate("() => map_city.setView([39.9712, -75.1339], 17, {animate: false})")
    expect(page.locator(".leaflet-civic-labels-pane .hood-label span").first).to_be_visible()
    assert page.locator(".leaflet-civic-outlines-pane path").count() > 150
    look(page, check_a11y, f"home-street-{language}")


def test_with_tiles_the_outlines_show_at_city_zoom_only(page, live_server):
    """A stand-in tile server that answers every tile: no notice, outlines and names at city zoom, none at
    street zoom."""
    page.route(_tile_requests(live_server), lambda route: route.fulfill(body=PIXEL, content_type="image/png"))
    page.goto("/")
    expect(page.locator(".leaflet-civic-labels-pane .hood-label span").first).to_be_visible()
    page.evaluate("() => map_city.setView([39.9712, -75.1339], 17, {animate: false})")
    expect(page.locator(".leaflet-civic-labels-pane .hood-label")).to_have_count(0)
    expect(page.locator(".leaflet-civic-outlines-pane path")).to_have_count(0)
    expect(page.locator(".map-notice")).to_have_text("")


def test_the_street_map_comes_back_when_tiles_load_again(page, live_server):
    """A phone out of coverage, then back: the notice goes once a tile loads, and the outlines leave street zoom."""
    answering = {"yes": False}

    def tiles(route):
        if answering["yes"]:
            route.fulfill(body=PIXEL, content_type="image/png")
        else:
            route.abort()

    page.route(_tile_requests(live_server), tiles)
    page.goto("/?lat=39.9712&lon=-75.1339&zoom=17")
    expect(page.locator(".map-notice")).to_have_text(NOTICE["en"])
    expect(page.locator(".leaflet-civic-outlines-pane path").first).to_be_attached()
    answering["yes"] = True
    page.evaluate("() => map_city.setView([39.9800, -75.1200], 17, {animate: false})")  # new tiles asked for
    expect(page.locator(".map-notice")).to_have_text("")
    expect(page.locator(".leaflet-civic-outlines-pane path")).to_have_count(0)


@pytest.mark.parametrize("language, size", [("en", None), ("es", PHONE)])
def test_the_picker_opens_at_home_and_the_pin_moves_with_arrow_keys(
    page, check_a11y, sign_in, make_live_user, live_server, no_tiles, language, size
):
    no_tiles(page)
    if size:
        page.set_viewport_size(size)
    sign_in(page, _resident_with_home(live_server, make_live_user))
    if language == "es":
        _in_spanish(page)
    page.goto("/issues/new")
    view = _view(page, "map_picker")
    assert view["zoom"] == 17
    assert view["lat"] == pytest.approx(HOME[0], abs=1e-6) and view["lon"] == pytest.approx(HOME[1], abs=1e-6)
    expect(page.locator(".map-notice")).to_have_text(NOTICE[language])
    expect(page.locator("[data-pin-keys]")).to_be_visible()  # the keys are written next to the map
    expect(page.locator("[data-zoom-hint]")).to_be_hidden()  # street level already

    # Keyboard only: focus the map, Enter drops the pin in its middle and focuses it; arrows move the pin.
    page.locator("#map_picker").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#lat")).not_to_have_value("")
    start_lat, start_lon = float(page.locator("#lat").input_value()), float(page.locator("#lon").input_value())
    assert start_lat == pytest.approx(HOME[0], abs=1e-4)
    pin = page.locator(".leaflet-marker-pane .leaflet-marker-icon[role=button]")
    expect(pin).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowRight")
    moved_lat, moved_lon = float(page.locator("#lat").input_value()), float(page.locator("#lon").input_value())
    # 30 px north and 10 px east at zoom 17 (0.92 m a pixel at this latitude): 27 m and 9 m.
    assert 24 < (moved_lat - start_lat) * 111_000 < 31
    assert 7 < (moved_lon - start_lon) * 111_000 * 0.766 < 11
    assert _view(page, "map_picker")["lat"] == pytest.approx(HOME[0], abs=1e-6), "the map panned instead of the pin"
    page.keyboard.press("Shift+ArrowDown")
    assert float(page.locator("#lat").input_value()) < moved_lat
    expect(page.locator("[data-pin-announce]")).to_contain_text(page.locator("#lat").input_value())
    look(page, check_a11y, f"picker-{language}")


def test_the_picker_opens_where_the_home_map_was(page, sign_in, make_live_user, no_tiles):
    """No home: the report link from the home map carries its view; at city zoom a hint says to zoom in."""
    no_tiles(page)
    sign_in(page, make_live_user(display_name="Vera View"))
    page.goto("/?lat=39.9525&lon=-75.1652&zoom=15")
    report = page.locator("main a[data-map-view-link]")
    expect(report).to_have_attribute("href", re.compile(r"lat=39\.952"))
    with page.expect_navigation():
        report.click()
    view = _view(page, "map_picker")
    assert view["zoom"] == 17 and view["lat"] == pytest.approx(39.9525, abs=1e-4)
    page.goto("/issues/new")  # nothing in the link: the home map's last view, kept for this tab
    view = _view(page, "map_picker")
    assert view["zoom"] == 17 and view["lat"] == pytest.approx(39.9525, abs=1e-4)
    page.evaluate("() => sessionStorage.clear()")
    page.goto("/issues/new")
    assert _view(page, "map_picker")["zoom"] == 13
    expect(page.locator("[data-zoom-hint]")).to_be_visible()


@pytest.mark.parametrize("language, size", [("en", None), ("es", PHONE)])
def test_a_shared_link_opens_the_map_at_its_view_with_its_filter(page, check_a11y, no_tiles, language, size):
    no_tiles(page)
    if size:
        page.set_viewport_size(size)
    if language == "es":
        page.goto("/")
        _in_spanish(page)
    page.goto("/?lat=39.9712&lon=-75.1339&zoom=16&category=pothole")
    view = _view(page, "map_city")
    assert view == {"lat": pytest.approx(39.9712, abs=1e-6), "lon": pytest.approx(-75.1339, abs=1e-6), "zoom": 16}
    expect(page.locator("#filter-category")).to_have_value("pothole")
    counted = {"en": r"^\d+ issues? in this view$", "es": r"^\d+ avisos? en esta vista$"}[language]
    expect(page.locator("#map-status")).to_have_text(re.compile(counted))
    look(page, check_a11y, f"shared-{language}")

    # Moving the map and changing a filter keep the address a link to what is shown.
    page.evaluate("() => map_city.setView([39.95, -75.16], 15, {animate: false})")
    page.locator("#filter-status").select_option("open")
    expect(page).to_have_url(re.compile(r"\?category=pothole&status=open&lat=39\.95000&lon=-75\.16000&zoom=15$"))
    share = page.locator("[data-share-view]")
    expect(share).to_have_attribute("href", re.compile(r"status=open.*lat=39\.95000"))
    expect(page.locator("#list-link")).to_have_attribute("href", re.compile(r"category=pothole&status=open$"))
    shared = page.url
    page.goto("/")
    page.goto(shared)
    assert _view(page, "map_city")["zoom"] == 15
    expect(page.locator("#filter-status")).to_have_value("open")
