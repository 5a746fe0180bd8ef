"""Live pushes through the real Socket.IO server: issue rooms, map tiles, private user rooms."""

from __future__ import annotations

import pytest

from civic.extensions import socketio
from civic.issues.spatial import BBox
from civic.realtime.rooms import MAX_TILES, tile_rooms_for_point, tile_rooms_for_view
from tests.conftest import FISHTOWN, offset

FISHTOWN_VIEW = [-75.14, 39.965, -75.125, 39.98]
CENTER_CITY_VIEW = [-75.17, 39.945, -75.155, 39.955]


@pytest.fixture
def connect(app):
    """connect(flask_client=None) -> a Socket.IO test client sharing that HTTP client's session."""
    clients = []

    def factory(flask_client=None):
        sio = socketio.test_client(app, flask_test_client=flask_client)
        assert sio.is_connected()
        clients.append(sio)
        return sio

    yield factory
    for sio in clients:
        if sio.is_connected():
            sio.disconnect()


def events(sio, name):
    return [e["args"][0] for e in sio.get_received() if e["name"] == name]


def test_issue_page_hears_new_comments_and_votes(app, client, auth, make_user, make_issue, connect):
    issue_id = make_issue()
    watcher = connect()
    assert watcher.emit("watch_issue", {"issue_id": issue_id}, callback=True) == {"ok": True}
    auth.login_as(make_user(display_name="Neighbour Nia", show_name=True))  # a public name is pushed
    client.post(f"/issues/{issue_id}/comments", data={"body": "Still here <b>today</b> https://example.org"})
    client.post(f"/issues/{issue_id}/upvote", data={"upvoted": "1"})
    received = watcher.get_received()
    [comment] = [e["args"][0] for e in received if e["name"] == "comment"]
    assert comment["issue_id"] == issue_id and comment["comments"] == 1
    assert comment["comment"]["author"] == "Neighbour Nia"
    assert '<a href="https://example.org" rel="nofollow ugc noopener">' in comment["comment"]["body_html"]
    assert "<b>" not in comment["comment"]["body_html"]
    assert [e["args"][0]["upvotes"] for e in received if e["name"] == "upvotes"] == [1]


def test_watching_another_issue_hears_nothing(app, client, auth, make_user, make_issue, connect):
    watched, other = make_issue(), make_issue(at=offset(*FISHTOWN, north_m=300))
    watcher = connect()
    watcher.emit("watch_issue", {"issue_id": watched}, callback=True)
    auth.login_as(make_user())
    client.post(f"/issues/{other}/comments", data={"body": "Elsewhere"})
    assert events(watcher, "comment") == []


def test_bad_watch_requests_are_refused(connect):
    sio = connect()
    assert sio.emit("watch_issue", {"issue_id": 987654}, callback=True)["ok"] is False
    assert sio.emit("watch_issue", {"issue_id": "1; DROP"}, callback=True)["ok"] is False
    assert sio.emit("watch_area", {"bbox": "everything"}, callback=True)["ok"] is False
    assert sio.emit("watch_area", {"bbox": [1, 2, 0, 1]}, callback=True)["ok"] is False


def test_map_hears_only_about_its_own_area(app, make_user, make_issue, connect, categories):
    here, elsewhere = connect(), connect()
    assert here.emit("watch_area", {"bbox": FISHTOWN_VIEW}, callback=True)["ok"] is True
    elsewhere.emit("watch_area", {"bbox": CENTER_CITY_VIEW}, callback=True)
    issue_id = make_issue()
    assert [e["id"] for e in events(here, "issue_changed")] == [issue_id]
    assert events(elsewhere, "issue_changed") == []


def test_view_rooms_are_few_and_contain_the_points_inside(app):
    city = BBox(-75.28, 39.87, -74.96, 40.14)
    rooms = tile_rooms_for_view(city)
    assert 0 < len(rooms) <= MAX_TILES
    assert set(tile_rooms_for_point(*FISHTOWN)) & set(rooms)
    street = tile_rooms_for_view(BBox(*FISHTOWN_VIEW))
    assert set(tile_rooms_for_point(*FISHTOWN)) & set(street)
    assert street[0].startswith("tile:14/") or street[0].startswith("tile:13/")


def test_private_notifications_reach_only_their_owner(app, make_user, make_issue, connect):
    owner, stranger, commenter = make_user(), make_user(), make_user()
    issue_id = make_issue(owner)  # the reporter follows the issue
    owner_http, stranger_http, commenter_http = app.test_client(), app.test_client(), app.test_client()
    for http, who in ((owner_http, owner), (stranger_http, stranger), (commenter_http, commenter)):
        http.post("/login", data={"email": who.email, "password": who.password})
    owner_socket, stranger_socket, anonymous_socket = connect(owner_http), connect(stranger_http), connect()
    # On connect, a signed-in user gets their own count (a cached page may show a stale badge).
    assert events(owner_socket, "notifications") == [{"unread": 0}]
    assert events(stranger_socket, "notifications") == [{"unread": 0}]
    assert events(anonymous_socket, "notifications") == []
    commenter_http.post(f"/issues/{issue_id}/comments", data={"body": "Any news?"})
    assert events(owner_socket, "notifications") == [{"unread": 1}]
    assert events(stranger_socket, "notifications") == []
    assert events(anonymous_socket, "notifications") == []
    owner_http.post("/notifications/read")
    assert events(owner_socket, "notifications") == [{"unread": 0}]
