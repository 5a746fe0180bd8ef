"""A clean-up organised from an issue, in a real browser: resident A publishes an event for one place,
resident B lands on the waiting list, A withdraws and B is promoted, B downloads the .ics, and the issue
page announces the planned clean-up. axe-core checks the pages.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import report_issue_as, submit

# A point in Fishtown not used by the other browser tests.
PIN = (39.9740, -75.1310)


def test_organise_clean_up_waiting_list_promotion_and_ics(
    page, chromium, base_url, check_a11y, sign_in, make_live_user, live_server
):
    tag = uuid.uuid4().hex[:6]
    reporter = make_live_user(display_name="Dana Dumping")
    organiser = make_live_user(display_name="Alex Organiser")
    neighbour = make_live_user(display_name="Bo Neighbour")
    issue_title = f"Rubbish dumped on Girard Ave {tag}"
    issue_id = report_issue_as(
        live_server, reporter, "illegal-dumping", issue_title, PIN, "Bags and a mattress by the fence."
    )
    title = f"Girard Ave clean-up {tag}"

    day = datetime.now(ZoneInfo("America/New_York")).date() + timedelta(days=4)
    starts, ends = f"{day.isoformat()}T10:00", f"{day.isoformat()}T12:00"

    # --- A organises the clean-up from the issue page ------------------------------------------
    sign_in(page, organiser)
    page.goto(f"/issues/{issue_id}")
    submit(page, page.get_by_role("link", name="Organise a clean-up for it"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Organise an event")
    expect(page.get_by_label("Meeting point", exact=True)).not_to_have_value("")
    assert float(page.get_by_label("Latitude").input_value()) == pytest.approx(PIN[0], abs=1e-6)
    assert float(page.get_by_label("Longitude").input_value()) == pytest.approx(PIN[1], abs=1e-6)
    check_a11y(page)

    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Starts (city time)").fill(starts)
    page.get_by_label("Ends (city time)").fill(ends)
    page.get_by_label(re.compile(r"^How many people at most")).fill("1")
    page.get_by_label("I will attend (takes one place)").check()
    submit(page, page.get_by_role("button", name="Publish the event"))

    expect(page).to_have_url(re.compile(r"/events/\d+$"))
    event_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("main")).to_contain_text("1 of 1 taken")
    expect(page.locator("main")).to_contain_text("Your check-in code")
    check_a11y(page)

    # --- B signs up and lands on the waiting list ----------------------------------------------
    other = chromium.new_context(base_url=base_url, locale="en-US", accept_downloads=True)
    other.set_default_timeout(10_000)
    try:
        page2 = other.new_page()
        sign_in(page2, neighbour)
        page2.goto(event_url)
        submit(page2, page2.get_by_role("button", name="Join the waiting list"))
        expect(page2.locator("main")).to_contain_text("You are number 1 on the waiting list.")
        check_a11y(page2)

        # --- A withdraws; B is promoted ------------------------------------------------------------
        page.goto(event_url)
        submit(page, page.get_by_role("button", name="I can’t come"))
        expect(page.locator("main")).to_contain_text("You are no longer signed up.")

        page2.reload()
        expect(page2.locator("main")).to_contain_text("You are going. Your check-in code")

        # --- B downloads the calendar file ---------------------------------------------------------
        with page2.expect_download() as info:
            page2.get_by_role("link", name="Add to my calendar (.ics)").click()
        ics = Path(info.value.path()).read_text(encoding="utf-8")
        assert "BEGIN:VCALENDAR" in ics
        assert "BEGIN:VTIMEZONE" in ics
        assert "TZID:America/New_York" in ics
        assert title in ics.replace("\r\n ", "").replace("\n ", "")  # unfolded
    finally:
        other.close()

    # --- the issue page announces the clean-up -------------------------------------------------
    page.goto(f"/issues/{issue_id}")
    expect(page.locator("main")).to_contain_text("A clean-up is planned for")
    expect(page.get_by_role("link", name=re.compile(re.escape(title)))).to_have_count(1)
