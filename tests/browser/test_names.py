"""One rule for names, in a real browser on a phone: a resident signs up leaving "Show my name to neighbours"
unticked, comments, and sees her own name marked "only you and city staff see this name"; a second resident
sees "A neighbour" instead. axe-core checks the sign-up, account and issue pages."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import report_issue_as, submit
from tests.browser.test_live import LIVE_TIMEOUT, _wait_in_room
from tests.conftest import DEFAULT_PASSWORD, FISHTOWN
from tests.signup import confirm_path

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(chromium, base_url):
    """phone() -> a new page in its own phone-sized context (its own cookies: one person each)."""
    opened: list = []

    def open_page():
        context = chromium.new_context(
            base_url=base_url, locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True
        )
        context.set_default_timeout(10_000)
        opened.append(context)
        return context.new_page()

    yield open_page
    for context in opened:
        context.close()


@pytest.fixture
def sio_server(live_server):
    """The live server's Socket.IO server, whose room table says when a page is listening (as in test_live)."""
    return live_server.app.wsgi_app.engineio_app


def test_a_private_name_reads_a_neighbour_to_other_residents(
    phone, check_a11y, sign_in, make_live_user, live_server, sio_server, unique_email
):
    from civic.realtime.rooms import issue_room

    tag = uuid.uuid4().hex[:6]
    name = f"Priya Private {tag}"
    reporter = make_live_user(display_name="Rita Reporter")
    issue_id = report_issue_as(live_server, reporter, "pothole", f"Loose kerb stone {tag}", FISHTOWN)

    # --- sign-up states the rule; the box stays unticked ----------------------------------------
    page = phone()
    page.goto("/register")
    rule = page.locator("#name-rule")
    expect(rule).to_contain_text("neighbours see it next to your reports and comments only if you choose to")
    box = page.get_by_label("Show my name to neighbours next to my reports and comments")
    expect(box).not_to_be_checked()
    check_a11y(page)
    email = unique_email("private")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    submit(page, page.get_by_role("button", name="Continue"))
    page.goto(confirm_path(live_server.app, email))
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    submit(page, page.get_by_role("button", name="Create account"))
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_label("Show my name to neighbours next to my reports and comments")).not_to_be_checked()
    check_a11y(page)

    # --- a second resident has the issue open; she comments and sees her own name, marked private -----
    other = phone()
    sign_in(other, make_live_user(display_name="Nico Neighbour"))
    other.goto(f"/issues/{issue_id}")
    _wait_in_room(sio_server, other, [issue_room(issue_id)])

    text = f"The stone rocks when you step on it {tag}"
    page.goto(f"/issues/{issue_id}")
    page.get_by_label("Your comment").fill(text)
    submit(page, page.get_by_role("button", name="Post comment"))
    mine = page.locator("li.comment").filter(has_text=text)
    expect(mine.locator(".comment__author strong")).to_have_text(name)
    expect(mine.locator(".comment__author .hint")).to_have_text("(only you and city staff see this name)")
    check_a11y(page)

    # --- the second resident sees "A neighbour": pushed live, then on the page itself ---------------
    live = other.locator("li.comment").filter(has_text=text)
    expect(live.locator(".comment__author strong")).to_have_text("A neighbour", timeout=LIVE_TIMEOUT)
    expect(other.locator("#live-announcer")).to_have_text("New comment by a neighbour")
    other.reload()
    theirs = other.locator("li.comment").filter(has_text=text)
    expect(theirs.locator(".comment__author strong")).to_have_text("A neighbour")
    expect(theirs.locator(".comment__author .hint")).to_have_count(0)
    expect(other.locator("main")).not_to_contain_text(name)
    assert other.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
    check_a11y(other)


# Away from the points the other browser tests use, so only this test's issues are near it.
OWN_PIN = (39.9760, -75.1250)


def test_the_report_form_offers_no_vote_on_my_own_nearby_report(
    phone, check_a11y, sign_in, make_live_user, live_server
):
    tag = uuid.uuid4().hex[:6]
    me, neighbour = make_live_user(display_name="Mia Mine"), make_live_user(display_name="Theo Theirs")
    mine = f"My pothole {tag}"
    theirs = f"Their pothole {tag}"
    report_issue_as(live_server, me, "pothole", mine, OWN_PIN)
    report_issue_as(live_server, neighbour, "pothole", theirs, (OWN_PIN[0] + 0.0003, OWN_PIN[1]))

    page = phone()
    sign_in(page, me)
    page.goto("/issues/new")
    page.locator("#lat").fill(str(OWN_PIN[0]))
    page.locator("#lon").fill(str(OWN_PIN[1]))
    page.get_by_label("What kind of problem?").select_option(label="Pothole")
    duplicates = page.locator("section#duplicates")
    expect(duplicates).to_be_visible()
    own = duplicates.locator("li").filter(has_text=mine)
    expect(own).to_contain_text("You reported this")
    expect(own.get_by_role("button")).to_have_count(0)
    other = duplicates.locator("li").filter(has_text=theirs)
    expect(other.get_by_role("button", name=f"Add my vote: {theirs}")).to_be_visible()
    check_a11y(page)
