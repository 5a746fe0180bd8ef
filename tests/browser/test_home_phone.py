"""The home page on a phone (390x844): the line, the steps and the search box, and still the map in the first
screen; the filters folded into one "Filters" disclosure and one control for the list. axe-core checks it, in
English and in Spanish, signed out and signed in (a longer header)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import submit

PHONE = {"width": 390, "height": 844}
TEXT = {
    "en-US": {"filters": "Filters", "list": "Show as a list", "apply": "Apply filters", "report": "Report a problem"},
    "es-ES": {
        "filters": "Filtros",
        "list": "Ver como lista",
        "apply": "Aplicar filtros",
        "report": "Avisa de un problema",
    },
}
MIN_MAP_VISIBLE_PX = 250  # not just a sliver of map at the bottom of the screen


@pytest.fixture
def phone(chromium, base_url):
    def open_page(locale: str):
        context = chromium.new_context(base_url=base_url, locale=locale, viewport=PHONE, is_mobile=True, has_touch=True)
        context.set_default_timeout(10_000)
        opened.append(context)
        return context.new_page()

    opened: list = []
    yield open_page
    for context in opened:
        context.close()


def _map_top(page) -> float:
    page.wait_for_function("() => window.civicMap !== undefined")
    box = page.locator(".map-frame--home").bounding_box()
    assert box is not None, "no map"
    return box["y"]


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_the_map_is_in_the_first_screen_of_a_phone(phone, check_a11y, locale):
    page = phone(locale)
    page.goto("/")
    words = TEXT[locale]
    expect(page.locator("main h1")).to_be_visible()
    expect(page.get_by_role("link", name=words["report"])).to_be_in_viewport()
    expect(page.get_by_role("searchbox")).to_be_in_viewport()
    top = _map_top(page)
    assert top < PHONE["height"] - MIN_MAP_VISIBLE_PX, f"the map starts at {top}px on a {PHONE['height']}px screen"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll

    # One control for the list; the filters stay folded until asked for, and the map moves down, not away.
    main = page.locator("main")
    expect(main.get_by_role("link", name=words["list"])).to_have_count(1)
    expect(main.get_by_role("button", name=words["apply"])).to_be_hidden()
    check_a11y(page)
    page.get_by_text(words["filters"], exact=True).click()
    expect(main.get_by_role("button", name=words["apply"])).to_be_visible()
    check_a11y(page)


def test_signed_in_the_map_is_still_in_the_first_screen(phone, check_a11y, make_live_user):
    page = phone("en-US")
    user = make_live_user(display_name="Phone Phil")
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=True).fill(user.password)
    submit(page, page.locator("main").get_by_role("button", name="Sign in"))
    page.goto("/")
    assert _map_top(page) < PHONE["height"], "the map is below the fold for a signed-in resident"
    check_a11y(page)


def test_the_search_box_opens_the_map_at_the_place(phone, check_a11y):
    page = phone("en-US")
    page.goto("/")
    page.get_by_role("searchbox").fill("Fishtown")
    submit(page, page.get_by_role("button", name="Find", exact=True))
    expect(page.get_by_text("Map centred on “Fishtown - Lower Kensington”.")).to_be_visible()
    page.wait_for_function("() => window.civicMap !== undefined")
    centre = page.evaluate(
        "() => { const c = civicMap.map.getCenter(); return [c.lat, c.lng, civicMap.map.getZoom()]; }"
    )
    assert centre[0] == pytest.approx(39.972, abs=0.005) and centre[1] == pytest.approx(-75.126, abs=0.005)
    assert centre[2] == 15
    assert _map_top(page) < PHONE["height"]
    check_a11y(page)
