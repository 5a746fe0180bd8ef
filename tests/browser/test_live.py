"""Live updates over Socket.IO, in real browsers: a comment and a vote reach a neighbour's open issue
page, the header's notification badge counts up while the resident looks at another page, and the city
map shows a new report without a reload. Nothing here reloads the page that is expected to change;
axe-core checks the pages after the script has changed them.

The pages talk to the live server of conftest.py (werkzeug, threaded); static/js/live.js asks for a
WebSocket first and falls back to long-polling. The pushes are made by signal receivers
(civic/realtime/rooms.py), so an issue reported from this test thread through the services reaches the
browsers the same way as one reported through a form.

Before the action that should be heard, each test waits until the server has put the page's socket in
the right room (checked in the server's own room table, by the socket's id): the page's "watch" message
travels asynchronously, and without that wait a fast test would race it rather than test the push.
"""

from __future__ import annotations

import re
import time
import uuid
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import submit

# Fishtown, away from the points test_issue_flow.py uses (39.9712/-75.1339 and 39.9675/-75.1290), and
# several hundred metres from each other, so the home map never clusters one test's marker with another's.
COMMENT_PIN = (39.9745, -75.1339)
BADGE_PIN = (39.9745, -75.1290)
MAP_PIN = (39.9690, -75.1390)

LIVE_TIMEOUT = 2_000  # ms: how soon a push must show on an open page
MAP_TIMEOUT = 3_000  # ms: the map waits 400 ms to coalesce bursts, then fetches the area again


# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture(scope="session")
def categories(live_server) -> dict[str, int]:
    from civic.issues.catalog import ensure_categories

    with live_server.app.app_context(), unit_of_work():
        return {slug: category.id for slug, category in ensure_categories().items()}


@pytest.fixture
def live_sio(live_server):
    """The live server's python-socketio server, whose room table the tests read.

    Pushes go through the global `civic.extensions.socketio`, which follows the app bound last; the browser
    conftest points it back at the live server for every browser test. Should that ever fail, say so plainly
    instead of timing out.
    """
    from civic.extensions import socketio

    server = live_server.app.wsgi_app.engineio_app
    assert socketio.server is server, (
        "civic.extensions.socketio is bound to another app than the live server's: pushes would not reach the browsers"
    )
    return server


def _tag() -> str:
    return uuid.uuid4().hex[:6]


@contextmanager
def _browser_context(chromium, base_url):
    context = chromium.new_context(base_url=base_url, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def _report(live_server, reporter, category_id: int, lat: float, lon: float, title: str) -> int:
    """Report an issue through the service, as `reporter` (who then follows it)."""
    from civic.accounts.models import User
    from civic.extensions import db
    from civic.issues.services import IssueDraft, report_issue

    with live_server.app.test_request_context(), unit_of_work():
        user = db.session.get(User, reporter.id)
        issue = report_issue(
            user,
            IssueDraft(category_id=category_id, title=title, description="Seen on my way to work.", lat=lat, lon=lon),
        )
        issue_id = issue.id
        return issue_id


def _unread(live_server, user_id: int) -> int:
    from civic.accounts.models import User
    from civic.extensions import db
    from civic.notifications.services import unread_count

    with live_server.app.app_context(), unit_of_work():
        return unread_count(db.session.get(User, user_id))


def _wait_in_room(live_sio, page, rooms: list[str], timeout: float = 5.0) -> str:
    """Wait until the page's socket is connected and the server has put it in one of `rooms`."""
    page.wait_for_function(
        "() => window.civicSocket !== undefined && window.civicSocket.connected", timeout=timeout * 1000
    )
    sid = page.evaluate("() => window.civicSocket.id")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        table = dict(live_sio.manager.rooms.get("/", {}))
        if any(sid in dict(table.get(room) or {}) for room in rooms):
            return sid
        time.sleep(0.02)
    table = dict(live_sio.manager.rooms.get("/", {}))
    mine = sorted(str(r) for r, members in table.items() if sid in dict(members or {}) and r not in (None, sid))
    handlers = sorted(live_sio.handlers.get("/", {}))
    pytest.fail(
        f"socket {sid} of {page.url} never joined any of {rooms} (it is in {mine}); "
        f"Socket.IO event handlers on the live server: {handlers or 'none'}",
        pytrace=False,
    )


def _mark_not_reloaded(page) -> None:
    page.evaluate("() => { window.__civicNoReload = true; }")


def _assert_not_reloaded(page) -> None:
    assert page.evaluate("() => window.__civicNoReload === true"), f"{page.url} was reloaded"


# --- 1. an open issue page hears comments and votes ------------------------------------------


def test_comment_and_vote_reach_a_neighbours_open_issue_page(
    chromium, base_url, check_a11y, sign_in, make_live_user, live_server, live_sio, categories
):
    from civic.realtime.rooms import issue_room

    tag = _tag()
    reporter = make_live_user(display_name="Rita Reporter")
    alice = make_live_user(display_name="Alice Writer", show_name=True)  # a public name
    bob = make_live_user(display_name="Bob Reader")
    title = f"Broken bench in the park {tag}"
    issue_id = _report(live_server, reporter, categories["pothole"], *COMMENT_PIN, title)
    room = [issue_room(issue_id)]
    text = f"The slats are split, someone will get hurt {tag}"

    with _browser_context(chromium, base_url) as context_a, _browser_context(chromium, base_url) as context_b:
        page_a, page_b = context_a.new_page(), context_b.new_page()
        sign_in(page_a, alice)
        sign_in(page_b, bob)
        for page in (page_a, page_b):
            page.goto(f"/issues/{issue_id}")
            expect(page.locator("#comments-heading")).to_have_text("0 comments")
            expect(page.locator("#vote-count")).to_have_text("0 neighbours want this fixed")
        _wait_in_room(live_sio, page_a, room)
        _wait_in_room(live_sio, page_b, room)
        _mark_not_reloaded(page_b)

        # --- Alice comments; Bob's page shows it without a reload ---------------------------
        page_a.get_by_label("Your comment").fill(text)
        submit(page_a, page_a.get_by_role("button", name="Post comment"))
        comments_b = page_b.locator("ol.comments")
        expect(comments_b).to_contain_text(text, timeout=LIVE_TIMEOUT)
        expect(page_b.locator("#comments-heading")).to_have_text("1 comment", timeout=LIVE_TIMEOUT)
        _assert_not_reloaded(page_b)
        live_comment = comments_b.locator("li.comment").filter(has_text=text)
        expect(live_comment).to_have_count(1)
        expect(live_comment).to_contain_text("Alice Writer")
        expect(live_comment).to_have_attribute("id", re.compile(r"^comment-\d+$"))
        expect(page_b.locator("#live-announcer")).to_have_text("New comment by Alice Writer")
        # Alice's own page is the one the form led to, with her comment rendered by the server.
        expect(page_a.get_by_text("Your comment is posted.")).to_be_visible()
        expect(page_a.locator("ol.comments li.comment").filter(has_text=text)).to_have_count(1)
        check_a11y(page_b)  # with the comment the script inserted

        # --- Bob votes; Alice's page shows the count without a reload -----------------------
        _wait_in_room(live_sio, page_a, room)  # the page Alice's form led to has its own socket
        _mark_not_reloaded(page_a)
        submit(page_b, page_b.get_by_role("button", name="I want this fixed too"))
        expect(page_a.locator("#vote-count")).to_have_text("1 neighbour wants this fixed", timeout=LIVE_TIMEOUT)
        _assert_not_reloaded(page_a)
        expect(page_b.locator("#vote-count")).to_have_text("1 neighbour wants this fixed")
        check_a11y(page_a)


# --- 2. the notification badge ---------------------------------------------------------------


def test_notification_badge_counts_up_live_and_clears_once_read(
    page, chromium, base_url, check_a11y, sign_in, make_live_user, live_server, live_sio, categories
):
    from civic.realtime.rooms import user_room

    tag = _tag()
    rosa = make_live_user(display_name="Rosa Reporter")
    carl = make_live_user(display_name="Carl Commenter", show_name=True)  # a public name
    title = f"Overflowing litter bin {tag}"
    issue_id = _report(live_server, rosa, categories["pothole"], *BADGE_PIN, title)  # Rosa follows it

    sign_in(page, rosa)
    page.goto("/")
    badge = page.locator("[data-unread-count]")
    expect(badge).to_be_hidden()
    expect(page.locator("[data-unread-label]")).to_have_text("")
    _wait_in_room(live_sio, page, [user_room(rosa.id)])
    _mark_not_reloaded(page)

    with _browser_context(chromium, base_url) as other:
        page_c = other.new_page()
        sign_in(page_c, carl)
        page_c.goto(f"/issues/{issue_id}")
        page_c.get_by_label("Your comment").fill(f"Still full this morning {tag}")
        submit(page_c, page_c.get_by_role("button", name="Post comment"))
        expect(badge).to_be_visible(timeout=LIVE_TIMEOUT)
        expect(badge).to_have_text("1")
        expect(page.locator("[data-unread-label]")).to_have_text("(1)")
        _assert_not_reloaded(page)
        expect(page_c.get_by_text("Your comment is posted.")).to_be_visible()
    assert _unread(live_server, rosa.id) == 1

    page.goto("/notifications")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(badge).to_have_text("1")
    item = page.locator("ul.notifications li.notification--unread")
    expect(item).to_have_count(1)
    link = item.get_by_role("link", name=f"Carl Commenter commented on “{title}”")
    expect(link).to_be_visible()
    check_a11y(page)

    submit(page, link)
    expect(page).to_have_url(re.compile(rf"/issues/{issue_id}#comment-\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(badge).to_be_hidden()
    assert _unread(live_server, rosa.id) == 0

    # Back: Chromium shows /notifications again from its cache (a history navigation), as it was when
    # left, with a new socket. Whatever the copy says, the badge must end up saying there is nothing unread.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    expect(badge).to_be_hidden()
    expect(page.locator("[data-unread-label]")).to_have_text("")


# --- 3. the city map -------------------------------------------------------------------------


def test_city_map_shows_a_new_report_without_a_reload(page, make_live_user, live_server, live_sio, categories):
    from civic.realtime.rooms import tile_rooms_for_point

    tag = _tag()
    reporter = make_live_user(display_name="Mo Mapper")
    lat, lon = MAP_PIN
    title = f"Fallen tree across the pavement {tag}"

    page.goto("/")
    page.wait_for_function("() => window.civicMap !== undefined && window.map_city !== undefined")
    page.evaluate("([lat, lon]) => civicMap.map.setView([lat, lon], 17, {animate: false})", [lat, lon])
    status = page.locator("#map-status")
    expect(status).to_have_text(re.compile(r"^\d+ issues? in this view$"))
    marker = page.locator(f'.leaflet-marker-icon[title="{title}"]')
    expect(marker).to_have_count(0)
    _wait_in_room(live_sio, page, tile_rooms_for_point(lat, lon))
    _mark_not_reloaded(page)

    _report(live_server, reporter, categories["pothole"], lat, lon, title)
    expect(marker).to_be_visible(timeout=MAP_TIMEOUT)
    _assert_not_reloaded(page)
