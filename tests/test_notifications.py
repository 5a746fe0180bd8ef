"""Following issues and areas, the notification centre and the near-me page."""

from __future__ import annotations

import json

import sqlalchemy as sa

from civic.database import unit_of_work
from civic.extensions import db
from civic.issues.models import Issue, IssueStatus, StatusChange
from civic.notifications.models import AreaFollow, Follow, Notification
from tests.conftest import FISHTOWN, offset


def notes(app, user_id) -> list[Notification]:
    with app.app_context(), unit_of_work():
        rows = list(
            db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def following(app, user_id, issue_id) -> bool | None:
    with app.app_context(), unit_of_work():
        follow = db.session.get(Follow, (user_id, issue_id))
        return None if follow is None else follow.active


def logged_in(app, user):
    http = app.test_client()
    http.post("/login", data={"email": user.email, "password": user.password})
    return http


def test_taking_part_follows_the_issue(app, make_user, make_issue):
    reporter, commenter, voter = make_user(), make_user(), make_user()
    issue_id = make_issue(reporter)
    logged_in(app, commenter).post(f"/issues/{issue_id}/comments", data={"body": "Me too"})
    logged_in(app, voter).post(f"/issues/{issue_id}/upvote", data={"upvoted": "1"})
    assert [following(app, u.id, issue_id) for u in (reporter, commenter, voter)] == [True, True, True]


def test_followers_hear_about_comments_but_not_their_own(app, make_user, make_issue):
    reporter, commenter = make_user(), make_user(display_name="Chatty", show_name=True)  # a public name
    issue_id = make_issue(reporter, title="Broken light")
    logged_in(app, commenter).post(f"/issues/{issue_id}/comments", data={"body": "Me too"})
    [note] = notes(app, reporter.id)
    assert note.kind.value == "comment" and note.issue_id == issue_id
    assert notes(app, commenter.id) == []
    page = logged_in(app, reporter).get("/notifications").get_data(as_text=True)
    assert "Chatty commented on “Broken light”" in page


def test_stopping_to_follow_is_respected(app, make_user, make_issue):
    reporter, other = make_user(), make_user()
    issue_id = make_issue(reporter)
    reporter_http = logged_in(app, reporter)
    assert reporter_http.post(f"/issues/{issue_id}/follow", data={"following": "0"}).status_code == 302
    logged_in(app, other).post(f"/issues/{issue_id}/comments", data={"body": "Hello"})
    assert notes(app, reporter.id) == []
    reporter_http.post(f"/issues/{issue_id}/comments", data={"body": "My own comment"})
    assert following(app, reporter.id, issue_id) is False  # taking part again does not re-subscribe


def test_status_changes_notify_followers(app, make_user, make_issue):
    from civic import signals

    reporter, staff = make_user(), make_user("staff")
    issue_id = make_issue(reporter)
    with app.test_request_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        change = StatusChange(
            issue_id=issue_id,
            from_status=IssueStatus.OPEN,
            to_status=IssueStatus.FIXED,
            reason="Patched on Tuesday",
            actor_id=staff.id,
        )
        issue.status = IssueStatus.FIXED
        db.session.add(change)
        db.session.commit()
        signals.status_changed.send(app, issue=issue, change=change)
    [note] = notes(app, reporter.id)
    assert note.payload == {"from": "open", "to": "fixed", "reason": "Patched on Tuesday"}
    page = logged_in(app, reporter).get("/notifications").get_data(as_text=True)
    assert "is now: Fixed — Patched on Tuesday" in page


def test_area_follows_by_circle_neighbourhood_and_shape(app, make_user, make_issue, categories):
    circle_fan, hood_fan, shape_fan, graffiti_fan = make_user(), make_user(), make_user(), make_user()
    north = offset(*FISHTOWN, north_m=80)
    assert (
        logged_in(app, circle_fan)
        .post(
            "/follows/areas",
            data={"kind": "circle", "lat": str(FISHTOWN[0]), "lon": str(FISHTOWN[1]), "radius_m": "200"},
        )
        .status_code
        == 302
    )
    logged_in(app, hood_fan).post(
        "/follows/areas", data={"kind": "neighbourhood", "neighbourhood": "fishtown", "radius_m": "500"}
    )
    square = [
        [FISHTOWN[1] - 0.002, FISHTOWN[0] - 0.002],
        [FISHTOWN[1] + 0.002, FISHTOWN[0] - 0.002],
        [FISHTOWN[1] + 0.002, FISHTOWN[0] + 0.002],
        [FISHTOWN[1] - 0.002, FISHTOWN[0] + 0.002],
    ]
    logged_in(app, shape_fan).post(
        "/follows/areas", data={"kind": "shape", "shape": json.dumps(square), "radius_m": "500", "name": "My block"}
    )
    logged_in(app, graffiti_fan).post(
        "/follows/areas",
        data={
            "kind": "circle",
            "lat": str(FISHTOWN[0]),
            "lon": str(FISHTOWN[1]),
            "radius_m": "500",
            "category": str(categories["graffiti"]),
        },
    )

    make_issue(title="Pothole nearby", at=north)
    assert [n.payload["area"] for n in notes(app, shape_fan.id)] == ["My block"]
    for fan in (circle_fan, hood_fan):
        assert len(notes(app, fan.id)) == 1
    assert notes(app, graffiti_fan.id) == []  # a pothole, not graffiti

    make_issue(title="Far pothole", at=offset(*FISHTOWN, north_m=900))  # outside the circle and the shape
    assert len(notes(app, circle_fan.id)) == 1 and len(notes(app, shape_fan.id)) == 1


def test_bad_areas_are_explained(app, client, auth, make_user):
    auth.login_as(make_user())
    cases = [
        ({"kind": "circle", "lat": "40.7128", "lon": "-74.006", "radius_m": "500"}, "Choose a centre inside the city."),
        ({"kind": "circle", "radius_m": "500"}, "Give a centre and a distance."),
        ({"kind": "neighbourhood", "neighbourhood": "", "radius_m": "500"}, "Choose a neighbourhood from the list."),
        ({"kind": "shape", "shape": "[[1,2],[3,4]]", "radius_m": "500"}, "Draw a shape with 3 to 200 points."),
        ({"kind": "shape", "shape": "not json", "radius_m": "500"}, "list of [longitude, latitude] points"),
        (
            {
                "kind": "shape",
                "radius_m": "500",
                "shape": json.dumps([[-75.14, 39.96], [-75.12, 39.98], [-75.14, 39.98], [-75.12, 39.96]]),
            },
            "crosses itself",
        ),
    ]
    for data, message in cases:
        response = client.post("/follows/areas", data=data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaFollow)) == 0


def test_notification_centre_marks_read_and_keeps_others_out(app, make_user, make_issue):
    reporter, commenter, snoop = make_user(), make_user(), make_user()
    issue_id = make_issue(reporter)
    logged_in(app, commenter).post(f"/issues/{issue_id}/comments", data={"body": "One"})
    [note] = notes(app, reporter.id)
    assert logged_in(app, snoop).get(f"/notifications/{note.id}").status_code == 404
    reporter_http = logged_in(app, reporter)
    assert reporter_http.get("/api/v1/notifications/unread").get_json() == {"unread": 1}
    response = reporter_http.get(f"/notifications/{note.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith(f"/issues/{issue_id}#comment-")
    assert reporter_http.get("/api/v1/notifications/unread").get_json() == {"unread": 0}
    assert notes(app, reporter.id)[0].read_at is not None


def test_header_badge_counts_unread(app, make_user, make_issue):
    reporter, commenter = make_user(), make_user()
    issue_id = make_issue(reporter)
    for body in ("One", "Two"):
        logged_in(app, commenter).post(f"/issues/{issue_id}/comments", data={"body": body})
    page = logged_in(app, reporter).get("/").get_data(as_text=True)
    assert "data-unread-count >2</span>" in page


def test_near_me_shows_changes_since_the_last_visit(app, make_user, make_issue):
    resident = make_user()
    http = logged_in(app, resident)
    http.post(
        "/follows/areas",
        data={"kind": "neighbourhood", "neighbourhood": "fishtown", "radius_m": "500", "name": "Home turf"},
    )
    make_issue(title="Dumped sofa", category="illegal-dumping")
    first = http.get("/near-me").get_data(as_text=True)
    assert "Home turf" in first and "Dumped sofa" in first
    second = http.get("/near-me").get_data(as_text=True)
    assert "Dumped sofa" not in second and "No new or changed issues here." in second


def test_a_circle_without_a_name_is_named_by_its_place(app, make_user, categories):
    """Not "Within 200 m of a point": the list of areas says where each circle is."""

    fan = make_user()
    data = {"kind": "circle", "lat": str(FISHTOWN[0]), "lon": str(FISHTOWN[1]), "radius_m": "200"}
    assert logged_in(app, fan).post("/follows/areas", data=data).status_code == 302
    with app.app_context(), unit_of_work():
        names = list(db.session.scalars(sa.select(AreaFollow.name).where(AreaFollow.user_id == fan.id)))
    assert names == ["Within 200 m of Fishtown - Lower Kensington"]


def test_an_official_reply_is_notified_as_the_department_replying(app, make_user, make_issue):
    reporter, staff = make_user(), make_user("staff", display_name="Dana Streets")
    issue_id = make_issue(reporter, title="Broken light")
    staff_http = logged_in(app, staff)
    form = {"status": "fixed", "reason": "Patched", "also_reply": "y", "reply": "We patched it."}
    assert staff_http.post(f"/staff/issues/{issue_id}/status", data=form).status_code == 302
    page = logged_in(app, reporter).get("/notifications").get_data(as_text=True)
    assert "The Streets Department replied to “Broken light”" in page
    assert "“Broken light” is now: Fixed — Patched" in page
    assert "Dana Streets commented" not in page
    assert len(notes(app, reporter.id)) == 2
