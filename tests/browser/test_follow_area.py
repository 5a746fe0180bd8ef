"""Follow an area in a browser: only the chosen way's fields show, the circle is drawn as its centre and
distance are set, the shape as corners are tapped, and a followed circle is named by its place."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import submit

PHONE = {"width": 390, "height": 844}


def test_follow_an_area_shows_the_chosen_way_and_draws_it(page, sign_in, make_live_user, check_a11y):
    page.set_viewport_size(PHONE)
    sign_in(page, make_live_user())
    page.goto("/follows")
    form = page.locator("#area-form")
    distance, neighbourhood = form.get_by_label("Distance", exact=True), form.get_by_label("Neighbourhood", exact=True)
    expect(distance).to_be_visible()
    expect(neighbourhood).to_be_hidden()  # not the chosen way: not shown
    expect(form.get_by_text("Tap the map at each corner of the area.")).to_be_hidden()

    # The circle appears where the map is tapped, and follows the distance chosen.
    frame = form.locator("[data-area-map]")
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(form.get_by_label("Centre latitude")).not_to_have_value("")
    circle = form.locator(".leaflet-overlay-pane path")
    expect(circle).to_have_count(1)
    before = circle.bounding_box()["width"]
    distance.select_option("1000")
    page.wait_for_timeout(300)
    assert circle.bounding_box()["width"] != before  # redrawn at the new distance (and the view fitted to it)
    check_a11y(page)

    form.get_by_label("A whole neighbourhood").check()
    expect(neighbourhood).to_be_visible()
    expect(distance).to_be_hidden()
    expect(frame).to_be_hidden()

    form.get_by_label("A shape I draw on the map").check()
    expect(form.get_by_text("Tap the map at each corner of the area.")).to_be_visible()
    box = frame.bounding_box()
    for dx, dy in ((-60, -60), (60, -60), (60, 60)):
        page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
    expect(form.locator("[data-shape-status]")).to_have_text("3 points")
    check_a11y(page)

    # Back to a circle around a place in Fishtown: the followed area is named by where it is.
    form.get_by_label("Everything within a distance of a point (my home by default)").check()
    form.get_by_label("Centre latitude").fill("39.9712")
    form.get_by_label("Centre longitude").fill("-75.1339")
    distance.select_option("500")
    submit(page, form.get_by_role("button", name="Follow this area"))
    expect(page.get_by_text("Within 500 m of Fishtown - Lower Kensington")).to_be_visible()
