"""The event page's sign-up box by the event's moment, in a real browser: a past event offers no sign-up to a
guest or a signed-in neighbour, only what happened; a full upcoming event offers the waiting list, in English
and in Spanish. axe-core checks each page."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import submit

# A point in Fishtown not used by the other browser tests.
PIN = (39.9726, -75.1335)


def _event(live_server, organiser, title: str, *, capacity: int | None = None) -> int:
    from civic.accounts.models import User
    from civic.events import services
    from civic.extensions import db

    day = datetime.now(ZoneInfo("America/New_York")).date() + timedelta(days=3)
    starts = datetime(day.year, day.month, day.day, 10, 0)
    with live_server.app.test_request_context(), unit_of_work():
        event = services.create_event(
            db.session.get(User, organiser.id),
            title=title,
            description="Bring gloves.",
            starts_local=starts,
            ends_local=starts + timedelta(hours=2),
            meeting_point="Corner of Girard and Front",
            lat=PIN[0],
            lon=PIN[1],
            capacity=capacity,
        )
        return event.id


def _sign_up(live_server, person, event_id: int) -> None:
    from civic.accounts.models import User
    from civic.events import services
    from civic.extensions import db

    with live_server.app.test_request_context(), unit_of_work():
        services.sign_up(db.session.get(User, person.id), event_id)


def _move_to_yesterday(live_server, event_id: int) -> None:
    from civic.database import utcnow
    from civic.events.models import Event
    from civic.extensions import db

    with live_server.app.app_context(), unit_of_work():
        event = db.session.get_one(Event, event_id)
        event.starts_at = utcnow() - timedelta(days=1)
        event.ends_at = event.starts_at + timedelta(hours=2)


def test_a_past_event_offers_no_sign_up(page, check_a11y, sign_in, make_live_user, live_server):
    tag = uuid.uuid4().hex[:6]
    event_id = _event(live_server, make_live_user(), f"Past clean-up {tag}")
    _move_to_yesterday(live_server, event_id)
    box = page.locator("#sign-up")

    page.goto(f"/events/{event_id}")  # a guest
    expect(box).to_contain_text("This event is over.")
    expect(page.get_by_role("button", name="Sign me up")).to_have_count(0)
    expect(page.get_by_label("Your name")).to_have_count(0)
    expect(page.get_by_role("button", name="Join the waiting list")).to_have_count(0)
    check_a11y(page)

    sign_in(page, make_live_user())
    page.goto(f"/events/{event_id}")
    expect(box).to_contain_text("This event is over.")
    expect(page.get_by_role("button", name="I’ll come")).to_have_count(0)
    expect(page.get_by_role("button", name="Join the waiting list")).to_have_count(0)
    check_a11y(page)


def test_a_full_event_offers_the_waiting_list_in_both_languages(
    page, chromium, base_url, check_a11y, sign_in, make_live_user, live_server
):
    tag = uuid.uuid4().hex[:6]
    event_id = _event(live_server, make_live_user(), f"Full clean-up {tag}", capacity=1)
    _sign_up(live_server, make_live_user(), event_id)

    page.goto(f"/events/{event_id}")  # a guest
    expect(page.get_by_role("button", name="Join the waiting list")).to_be_visible()
    expect(page.get_by_role("button", name="Sign me up")).to_have_count(0)
    check_a11y(page)

    sign_in(page, make_live_user())
    page.goto(f"/events/{event_id}")
    expect(page.get_by_role("button", name="I’ll come")).to_have_count(0)
    submit(page, page.get_by_role("button", name="Join the waiting list"))
    expect(page.locator("main")).to_contain_text("You are number 1 on the waiting list.")
    check_a11y(page)

    spanish = chromium.new_context(base_url=base_url, locale="es-ES")
    spanish.set_default_timeout(10_000)
    try:
        lector = spanish.new_page()
        lector.goto(f"/events/{event_id}")
        expect(lector.locator("html")).to_have_attribute("lang", "es")
        expect(lector.get_by_role("button", name="Apuntarme a la lista de espera")).to_be_visible()
        expect(lector.locator("main time").first).not_to_contain_text("10:00:00")
        check_a11y(lector)
    finally:
        spanish.close()
