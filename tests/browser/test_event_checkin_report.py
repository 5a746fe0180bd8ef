"""Check-in and the report after a clean-up, in a real browser.

An attendee opens the event page and sees their check-in code with its QR code; the organiser, in another
browser, types the code in and the attendee is marked checked in (the QR code's link then says so too).
Once the event has started, the organiser posts the report with a before and an after photo and ticks the
linked issue as fixed: the event page shows the report and the issue page shows it fixed by the
neighbourhood, not yet confirmed by the city. axe-core checks the pages along the way.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import report_issue_as, submit

# A point in Fishtown not used by the other browser tests.
PIN = (39.9712, -75.1290)


@pytest.fixture
def report_upload_dir(live_server, tmp_path):
    """Report photos go to this test's temporary folder, not the checkout's instance/uploads."""
    path = tmp_path / "uploads"
    path.mkdir()
    previous = live_server.app.config.get("UPLOAD_DIR")
    live_server.app.config["UPLOAD_DIR"] = str(path)
    yield path
    live_server.app.config["UPLOAD_DIR"] = previous


# --- set-up through the services ---------------------------------------------------------------


def _event_for(live_server, organiser, attendee, issue_id: int, title: str) -> int:
    """A clean-up in four days, tackling the issue; the organiser and the attendee are going."""
    from civic.accounts.models import User
    from civic.events import services
    from civic.events.models import EventIssue
    from civic.extensions import db

    day = datetime.now(ZoneInfo("America/New_York")).date() + timedelta(days=4)
    starts = datetime(day.year, day.month, day.day, 10, 0)
    with live_server.app.test_request_context(), unit_of_work():
        event = services.create_event(
            db.session.get(User, organiser.id),
            title=title,
            description="Bring gloves; we have bags.",
            starts_local=starts,
            ends_local=starts + timedelta(hours=2),
            meeting_point="Corner of Girard and Marlborough",
            lat=PIN[0],
            lon=PIN[1],
        )
        event_id = event.id
        db.session.add(EventIssue(event_id=event_id, issue_id=issue_id))
        db.session.commit()
        services.sign_up(db.session.get(User, organiser.id), event_id)
        services.sign_up(db.session.get(User, attendee.id), event_id)
        return event_id


def _make_it_started(live_server, event_id: int) -> None:
    """Move the event into the past (started two hours ago, over an hour ago): the report is now allowed."""
    from civic.database import utcnow
    from civic.events.models import Event
    from civic.extensions import db

    with live_server.app.app_context(), unit_of_work():
        event = db.session.get(Event, event_id)
        now = utcnow()
        event.starts_at, event.ends_at = now - timedelta(hours=2), now - timedelta(hours=1)
        db.session.commit()


def _jpeg(path: Path, colour: tuple[int, int, int]) -> Path:
    from PIL import Image

    Image.new("RGB", (320, 240), colour).save(path, "JPEG", quality=85)
    return path


def _other_page(chromium, base_url):
    """A second browser context (its own cookies): another person on another phone."""
    context = chromium.new_context(base_url=base_url, locale="en-US")
    context.set_default_timeout(10_000)
    return context, context.new_page()


# --- the test ----------------------------------------------------------------------------------


def test_checkin_by_code_then_report_marks_the_issue_fixed_by_the_neighbourhood(
    page, chromium, base_url, tmp_path, check_a11y, sign_in, make_live_user, live_server, report_upload_dir
):
    tag = uuid.uuid4().hex[:6]
    reporter = make_live_user(display_name="Rita Reporter")
    organiser = make_live_user(display_name="Omar Organiser")
    attendee = make_live_user(display_name=f"Ada Attendee {tag}")
    issue_title = f"Dumped tyres behind Marlborough St {tag}"
    issue_id = report_issue_as(
        live_server, reporter, "illegal-dumping", issue_title, PIN, "Tyres and paint tins in the alley."
    )
    event_id = _event_for(live_server, organiser, attendee, issue_id, f"Marlborough St clean-up {tag}")
    event_url = f"/events/{event_id}"

    # --- the attendee sees their code and its QR code ------------------------------------------
    sign_in(page, attendee)
    page.goto(event_url)
    going = page.get_by_text(re.compile(r"You are going\. Your check-in code: [0-9A-F]{6}"))
    expect(going).to_be_visible()
    code = re.search(r"Your check-in code: ([0-9A-F]{6})", going.inner_text()).group(1)
    qr = page.get_by_role("img", name=re.compile(code))
    expect(qr).to_have_count(1)
    assert qr.evaluate("node => node.tagName.toLowerCase()") == "svg"
    expect(qr).to_have_attribute("aria-label", re.compile(rf"\b{code}\b"))
    check_a11y(page)

    # --- the organiser, on another phone, checks the attendee in by code -----------------------
    context, organiser_page = _other_page(chromium, base_url)
    try:
        sign_in(organiser_page, organiser)
        organiser_page.goto(event_url)
        # By role: the field's label is the one thing on the page named "Check-in code".
        organiser_page.get_by_role("textbox", name="Check-in code").fill(code)
        submit(organiser_page, organiser_page.get_by_role("button", name="Check in", exact=True))
        main = organiser_page.locator("main")
        expect(main).to_contain_text(f"{attendee.display_name} is checked in.")
        expect(organiser_page.locator("#attendance li").filter(has_text=attendee.display_name)).to_contain_text(
            "checked in"
        )
        expect(organiser_page.locator("#attendance li").filter(has_text=organiser.display_name)).not_to_contain_text(
            "checked in"
        )
        expect(main).to_contain_text("1 of 2 checked in")
        check_a11y(organiser_page)

        # The QR code's link, opened again on the organiser's phone, changes nothing.
        organiser_page.goto(f"{event_url}/checkin/{code}")
        expect(organiser_page.locator("main")).to_contain_text(f"{attendee.display_name} is already checked in.")
        expect(organiser_page.get_by_role("button", name=re.compile(r"^Check in"))).to_have_count(0)
        check_a11y(organiser_page)

        # --- after the clean-up: the organiser posts the report --------------------------------
        _make_it_started(live_server, event_id)
        organiser_page.goto(event_url)
        submit(organiser_page, organiser_page.get_by_role("link", name="Post the report"))
        expect(organiser_page.get_by_role("heading", level=1)).to_contain_text("Report on")
        check_a11y(organiser_page)

        summary = f"Twelve bags and four tyres gone from the alley {tag}."
        organiser_page.get_by_label("What did the clean-up do?").fill(summary)
        organiser_page.get_by_label("Photos before (up to 4)").set_input_files(
            _jpeg(tmp_path / "before.jpg", (120, 90, 60))
        )
        organiser_page.get_by_label("Photos after (up to 4)").set_input_files(
            _jpeg(tmp_path / "after.jpg", (60, 140, 70))
        )
        organiser_page.get_by_label(issue_title).check()
        submit(organiser_page, organiser_page.get_by_role("button", name="Publish the report"))

        expect(organiser_page).to_have_url(re.compile(rf"/events/{event_id}(#report-heading)?$"))
        expect(organiser_page.get_by_role("heading", name="How it went")).to_be_visible()
        report = organiser_page.locator("section[aria-labelledby=report-heading]")
        expect(report).to_contain_text(summary)
        for alt in ("Photo 1 before the clean-up", "Photo 1 after the clean-up"):
            photo = report.get_by_role("img", name=alt)
            expect(photo).to_have_attribute("src", re.compile(r"^/media/"))
            photo.scroll_into_view_if_needed()  # loading="lazy"
            organiser_page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
        tackled = organiser_page.locator("section[aria-labelledby=tackles-heading] li").filter(has_text=issue_title)
        expect(tackled).to_contain_text("fixed by the neighbourhood")
        assert any(report_upload_dir.rglob("*.jpg")), "the report's photos were not stored in UPLOAD_DIR"
        check_a11y(organiser_page)
    finally:
        context.close()

    # --- the issue page: fixed by the neighbourhood, not yet confirmed -------------------------
    page.goto(f"/issues/{issue_id}")
    expect(page.locator(".issue__meta .status")).to_have_text("Fixed")
    community_fix = page.locator("#community-fix")
    expect(community_fix).to_contain_text("Fixed by the neighbourhood at the clean-up")
    expect(community_fix).to_contain_text("Not yet confirmed by the city")
    check_a11y(page)
    _assert_fixed_by_community(live_server, issue_id)


def _assert_fixed_by_community(live_server, issue_id: int) -> None:
    from sqlalchemy import select

    from civic.extensions import db
    from civic.issues.models import Issue, IssueStatus, StatusChange

    with live_server.app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        assert issue.status is IssueStatus.FIXED
        assert issue.fixed_by_community is True
        latest = db.session.scalar(
            select(StatusChange)
            .where(StatusChange.issue_id == issue_id)
            .order_by(StatusChange.created_at.desc(), StatusChange.id.desc())
            .limit(1)
        )
        assert latest.to_status is IssueStatus.FIXED
        assert latest.by_community is True
