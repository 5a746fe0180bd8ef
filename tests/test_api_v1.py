"""/api/v1 beyond the map: report an issue, comments (paginated), follow, events and RSVPs, consistent JSON
errors, and the OpenAPI document that describes every route."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.extensions import db
from tests.conftest import FISHTOWN


def test_every_api_route_is_in_the_openapi_document(app, client):
    from civic.api.openapi import documented_endpoints

    endpoints, documented = documented_endpoints(app)
    assert endpoints - documented == set()
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {
        "/api/v1/issues/{issue_id}/comments",
        "/api/v1/events/{event_id}/rsvp",
        "/api/v1/issues/{issue_id}/follow",
        "/api/v1/issues",
        "/api/v1/events",
    } <= set(doc["paths"])
    assert set(doc["paths"]["/api/v1/issues"]) == {"get", "post"}
    assert doc["paths"]["/api/v1/issues/{issue_id}/comments"]["post"]["security"]
    assert client.get("/api/v1/").get_json()["openapi"] == "/api/v1/openapi.json"


def test_report_comment_follow_through_the_api(app, client, auth, make_user, categories):
    person = make_user()
    auth.login_as(person)
    bad = client.post("/api/v1/issues", json={"category_id": categories["pothole"], "title": "Hole"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"]
    assert "description" in bad.get_json()["error"]["message"]
    outside = client.post(
        "/api/v1/issues",
        json={
            "category_id": categories["pothole"],
            "title": "Hole in road",
            "description": "Deep",
            "lat": 0.0,
            "lon": 0.0,
        },
    )
    assert outside.status_code == 400
    created = client.post(
        "/api/v1/issues",
        json={
            "category_id": categories["pothole"],
            "title": "Hole in road",
            "description": "Deep",
            "lat": FISHTOWN[0],
            "lon": FISHTOWN[1],
        },
    )
    assert created.status_code == 201
    issue_id = created.get_json()["id"]
    for n in range(3):
        assert client.post(f"/api/v1/issues/{issue_id}/comments", json={"body": f"Comment {n}"}).status_code == 201
    assert client.post(f"/api/v1/issues/{issue_id}/comments", json={"body": ""}).status_code == 400
    assert client.post(f"/api/v1/issues/{issue_id}/comments", json={"text": "x"}).status_code == 400
    page = client.get(f"/api/v1/issues/{issue_id}/comments?per_page=2&page=2").get_json()
    assert (page["total"], page["pages"], [c["body"] for c in page["items"]]) == (3, 2, ["Comment 2"])
    assert page["items"][0]["author"] == person.display_name
    assert client.get(f"/api/v1/issues/{issue_id}/comments?per_page=500").status_code == 400
    assert client.get("/api/v1/issues/999999/comments").status_code == 404

    assert client.put(f"/api/v1/issues/{issue_id}/follow", json={"following": False}).get_json()["following"] is False
    assert client.put(f"/api/v1/issues/{issue_id}/follow", json={"following": "no"}).status_code == 400
    auth.logout()
    anonymous = client.post(f"/api/v1/issues/{issue_id}/comments", json={"body": "hi"})
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"]


def test_events_and_rsvps_through_the_api(app, client, auth, make_user):
    from civic.events import services as events

    organiser, first, second = make_user(), make_user(), make_user()
    starts = (datetime.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    with app.test_request_context(), unit_of_work():
        event_id = events.create_event(
            db.session.get(User, organiser.id),
            title="Tidy",
            description="Bring gloves",
            starts_local=starts,
            ends_local=starts + timedelta(hours=1),
            meeting_point="Gate",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
            capacity=1,
        ).id
    listing = client.get("/api/v1/events").get_json()
    assert [e["title"] for e in listing["items"]] == ["Tidy"] and listing["items"][0]["capacity"] == 1
    auth.login_as(first)
    going = client.put(f"/api/v1/events/{event_id}/rsvp", json={"going": True}).get_json()
    assert going["status"] == "going" and len(going["checkin_code"]) == 6
    auth.logout()
    auth.login_as(second)
    waiting = client.put(f"/api/v1/events/{event_id}/rsvp", json={"going": True}).get_json()
    assert (waiting["status"], waiting["waiting_position"], waiting["checkin_code"]) == ("waitlisted", 1, None)
    auth.logout()
    auth.login_as(first)
    assert client.put(f"/api/v1/events/{event_id}/rsvp", json={"going": False}).get_json()["status"] == "not_going"
    event = client.get(f"/api/v1/events/{event_id}").get_json()
    assert (event["going"], event["waiting"]) == (1, 0)  # the second person was promoted
    assert client.put(f"/api/v1/events/{event_id}/rsvp", json={}).status_code == 400
    assert client.get("/api/v1/events/999999").status_code == 404
