"""Moderation: flags hide content after N distinct people, the queue, hide/restore with reasons, edits kept
in a moderators-only history, purges, photo redaction, suspension, the audit log; authors remove their own
personal details at any time."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from civic.accounts.models import User
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Comment, CommentRevision, Issue, IssueRevision, Photo
from civic.media import storage
from civic.moderation.models import ActionKind, Flag, ModerationAction
from tests.conftest import FISHTOWN


def jpeg(colour: str = "red") -> tuple[io.BytesIO, str]:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG")
    buf.seek(0)
    return buf, f"{colour}.jpg"


def flag_as(client, auth, person, kind: str, target_id: int, reason: str = "spam", **extra):
    auth.logout()
    auth.login_as(person)
    return client.post(
        "/moderation/flag",
        data={"kind": kind, "target_id": str(target_id), "reason": reason, "next": "/", **extra},
        follow_redirects=True,
    )


def actions(app) -> list[tuple[ActionKind, str, int]]:
    with app.app_context(), unit_of_work():
        return [
            (a.action, a.target_kind, a.target_id)
            for a in db.session.scalars(sa.select(ModerationAction).order_by(ModerationAction.id))
        ]


def hidden(app, model, target_id) -> bool:
    with app.app_context(), unit_of_work():
        return db.session.get(model, target_id).hidden_at is not None


@pytest.fixture
def moderator(make_user):
    return make_user("moderator", display_name="Mo Moderator")


def test_three_distinct_flags_hide_an_issue_until_review(app, client, auth, make_user, make_issue, moderator):
    reporter = make_user()
    issue_id = make_issue(reporter, title="Buy cheap watches")
    first, second, third = make_user(), make_user(), make_user()
    assert "Thank you. Moderators will look at it." in flag_as(client, auth, first, "issue", issue_id).get_data(
        as_text=True
    )
    flag_as(client, auth, first, "issue", issue_id, reason="abuse")  # the same person again: still one flag
    flag_as(client, auth, second, "issue", issue_id)
    assert not hidden(app, Issue, issue_id)
    flag_as(client, auth, third, "issue", issue_id, reason="off_topic", note="An advert")
    assert hidden(app, Issue, issue_id)
    assert actions(app) == [(ActionKind.AUTO_HIDE, "issue", issue_id)]

    # Out of every public view...
    page = client.get(f"/issues/{issue_id}")
    assert page.status_code == 404 and "hidden while the moderators review it" in page.get_data(as_text=True)
    assert "Buy cheap watches" not in client.get("/issues").get_data(as_text=True)
    lat, lon = FISHTOWN
    in_view = client.get(f"/api/v1/issues?bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}&zoom=17").get_json()
    assert issue_id not in [f["properties"].get("id") for f in in_view["features"]]
    assert client.get(f"/issues/{issue_id}/feed.atom").status_code == 404
    assert client.get(f"/api/v1/issues/{issue_id}").status_code == 404
    georeport = client.get("/open311/v2/requests.json").get_json()
    assert str(issue_id) not in [r["service_request_id"] for r in georeport]

    # ... but in the moderators' queue, with the reasons.
    assert client.get("/moderation/").status_code == 403
    auth.logout()
    auth.login_as(moderator)
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "Buy cheap watches" in queue and "Hidden, waiting for review" in queue
    assert "Spam or advertising (2)" in queue and "Not about the neighbourhood (1)" in queue
    review = client.get(f"/moderation/issue/{issue_id}").get_data(as_text=True)
    assert "An advert" in review
    assert client.get(f"/issues/{issue_id}").status_code == 200  # moderators still see it

    # Restoring needs a reason, then clears the queue.
    assert "Give a reason" in client.post(
        f"/moderation/issue/{issue_id}/restore", data={"reason": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert hidden(app, Issue, issue_id)
    client.post(f"/moderation/issue/{issue_id}/restore", data={"reason": "A real report after all"})
    assert not hidden(app, Issue, issue_id)
    assert "Nothing is waiting" in client.get("/moderation/").get_data(as_text=True)
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag).where(Flag.resolved_at.is_(None))) == 0
    assert actions(app)[-1] == (ActionKind.RESTORE, "issue", issue_id)


def test_flags_are_checked(app, client, auth, make_user, make_issue):
    reporter = make_user()
    issue_id = make_issue(reporter)
    own = flag_as(client, auth, reporter, "issue", issue_id)
    assert "This is your own post" in own.get_data(as_text=True)
    other = make_user()
    assert "Choose why you are flagging it." in flag_as(
        client, auth, other, "issue", issue_id, reason="because"
    ).get_data(as_text=True)
    assert flag_as(client, auth, other, "issue", 999999).status_code == 404
    assert flag_as(client, auth, other, "nonsense", issue_id).status_code == 404
    auth.logout()
    assert (
        client.post(
            "/moderation/flag", data={"kind": "issue", "target_id": str(issue_id), "reason": "spam"}
        ).status_code
        == 302
    )  # to sign in
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 0


def test_hidden_comment_edit_history_and_purge(app, client, auth, make_user, make_issue, moderator):
    author = make_user(display_name="Carla Commenter")
    issue_id = make_issue()
    auth.login_as(author)
    client.post(f"/issues/{issue_id}/comments", data={"body": "Call me on 215-555-0199 any time"})
    with app.app_context(), unit_of_work():
        comment_id = db.session.scalar(sa.select(Comment.id).where(Comment.issue_id == issue_id))
    auth.logout()
    auth.login_as(moderator)
    client.post(f"/moderation/comment/{comment_id}/hide", data={"reason": "A phone number"})
    assert "Hidden from the public by the moderators." in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    auth.logout()
    public = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "215-555-0199" not in public and "Comment hidden by the moderators." in public
    feed = client.get(f"/issues/{issue_id}/feed.atom")
    assert feed.status_code == 200 and "215-555-0199" not in feed.get_data(as_text=True)

    auth.login_as(moderator)
    client.post(
        f"/moderation/comment/{comment_id}/edit", data={"body": "Call me (number removed)", "reason": "Personal data"}
    )
    client.post(f"/moderation/comment/{comment_id}/restore", data={"reason": "Number removed"})
    review = client.get(f"/moderation/comment/{comment_id}").get_data(as_text=True)
    assert "215-555-0199" in review  # the earlier version, for moderators
    auth.logout()
    public = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Call me (number removed)" in public and "215-555-0199" not in public

    auth.login_as(moderator)
    client.post(f"/moderation/comment/{comment_id}/purge", data={"reason": "Must not be kept"})
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentRevision)) == 0
    assert "215-555-0199" not in client.get(f"/moderation/comment/{comment_id}").get_data(as_text=True)
    assert [a[0] for a in actions(app)] == [ActionKind.HIDE, ActionKind.EDIT, ActionKind.RESTORE, ActionKind.PURGE]


def test_author_removes_personal_data_at_any_time(app, client, auth, make_user, make_issue, moderator):
    reporter = make_user()
    issue_id = make_issue(reporter, title="Broken light", description="Outside my house, 12 Elm St, ring Maria")
    with app.app_context(), unit_of_work():  # long past the 24-hour edit window
        db.session.get(Issue, issue_id).created_at = utcnow() - timedelta(days=40)
        db.session.commit()
    auth.login_as(reporter)
    assert "Remove personal details from your report" in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    response = client.post(
        f"/moderation/mine/issue/{issue_id}", data={"title": "Broken light", "description": "Outside a house on Elm St"}
    )
    assert response.status_code == 302
    assert "ring Maria" not in client.get(f"/issues/{issue_id}").get_data(as_text=True)  # not even to the author
    empty = client.post(f"/moderation/mine/issue/{issue_id}", data={"title": "Broken light", "description": ""})
    assert empty.status_code == 400
    auth.logout()
    assert "ring Maria" not in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    auth.login_as(make_user())
    assert client.get(f"/moderation/mine/issue/{issue_id}").status_code == 403
    auth.logout()
    auth.login_as(moderator)
    assert "ring Maria" in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    with app.app_context(), unit_of_work():
        [revision] = db.session.scalars(sa.select(IssueRevision))
        assert revision.reason == "Personal details removed by the author." and "Maria" in revision.description


def test_moderator_redacts_a_photo_by_replacing_it(app, client, auth, make_user, make_issue, moderator, upload_dir):
    issue_id = make_issue()
    reporter = make_user()
    with app.test_request_context(), unit_of_work():
        from werkzeug.datastructures import FileStorage

        from civic.issues import services

        buf, name = jpeg("red")
        issue = services.report_issue(
            db.session.get(User, reporter.id),
            services.IssueDraft(
                category_id=db.session.get(Issue, issue_id).category_id,
                title="Car number plate",
                description="Plate visible",
                lat=FISHTOWN[0],
                lon=FISHTOWN[1],
            ),
            [FileStorage(stream=buf, filename=name, content_type="image/jpeg")],
        )
        photo = issue.photos[0]
        photo_id, old_key, old_thumb = photo.id, photo.key, photo.thumb_key
    auth.logout()
    auth.login_as(moderator)
    buf, name = jpeg("blue")
    refused = client.post(
        f"/moderation/photo/{photo_id}/replace",
        data={"reason": "", "photo": (buf, name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Give a reason" in refused.get_data(as_text=True)
    buf, name = jpeg("blue")
    client.post(
        f"/moderation/photo/{photo_id}/replace",
        data={"reason": "Number plate", "photo": (buf, name)},
        content_type="multipart/form-data",
    )
    with app.app_context(), unit_of_work():
        photo = db.session.get(Photo, photo_id)
        assert photo.key != old_key and storage.path_for(photo.key).exists()
        assert not storage.path_for(old_key).exists() and not storage.path_for(old_thumb).exists()
    assert media_status(client, old_key) == 404
    assert actions(app)[-1] == (ActionKind.REPLACE_PHOTO, "photo", photo_id)


def test_suspension_ends_sessions_and_only_admins_suspend_moderators(app, make_user, moderator):
    resident = make_user()
    admin = make_user("admin")
    resident_http, moderator_http, admin_http = app.test_client(), app.test_client(), app.test_client()
    for http, person in ((resident_http, resident), (moderator_http, moderator), (admin_http, admin)):
        assert http.post("/login", data={"email": person.email, "password": person.password}).status_code == 302
    assert resident_http.get("/account").status_code == 200

    moderator_http.post(f"/moderation/users/{resident.id}", data={"suspend": "1", "reason": "Spam in 40 threads"})
    assert resident_http.get("/account").status_code == 302  # signed out at once
    again = resident_http.post("/login", data={"email": resident.email, "password": resident.password})
    assert again.status_code == 403 and "This account is suspended" in again.get_data(as_text=True)
    assert resident_http.get("/account").status_code == 302  # cannot sign back in

    assert moderator_http.post(f"/moderation/users/{admin.id}", data={"suspend": "1", "reason": "x"}).status_code == 403
    admin_http.post(f"/moderation/users/{moderator.id}", data={"suspend": "1", "reason": "Abused the tools"})
    with app.app_context(), unit_of_work():
        assert db.session.get(User, moderator.id).is_suspended
    admin_http.post(f"/moderation/users/{resident.id}", data={"suspend": "0", "reason": "Appeal accepted"})
    assert (
        resident_http.post("/login", data={"email": resident.email, "password": resident.password}).status_code == 302
    )

    log = admin_http.get("/moderation/log").get_data(as_text=True)
    assert "Spam in 40 threads" in log and "Abused the tools" in log and "Appeal accepted" in log
    assert moderator_http.get("/moderation/log").status_code == 302  # suspended: signed out


def test_hidden_event_leaves_lists_and_map(app, client, auth, make_user, moderator):
    from datetime import datetime

    from civic.events import services

    organiser = make_user()
    starts = (datetime.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    with app.test_request_context(), unit_of_work():
        event_id = services.create_event(
            db.session.get(User, organiser.id),
            title="Free crypto meetup",
            description="",
            starts_local=starts,
            ends_local=starts + timedelta(hours=1),
            meeting_point="Park",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
        ).id
    auth.login_as(moderator)
    client.post(f"/moderation/event/{event_id}/hide", data={"reason": "Scam"})
    auth.logout()
    assert client.get(f"/events/{event_id}").status_code == 404
    assert "Free crypto meetup" not in client.get("/events/?near=all").get_data(as_text=True)
    lat, lon = FISHTOWN
    assert (
        client.get(f"/events/in-view.json?bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}").get_json()[
            "features"
        ]
        == []
    )


def media_status(client, key: str) -> int:
    response = client.get(f"/media/{key}")
    response.close()  # a served file stays open until the response is closed
    return response.status_code


def test_hidden_photo_is_not_served_to_the_public(app, client, auth, make_user, categories, moderator, upload_dir):
    from werkzeug.datastructures import FileStorage

    from civic.issues import services

    buf, name = jpeg("green")
    with app.test_request_context(), unit_of_work():
        issue = services.report_issue(
            db.session.get(User, make_user().id),
            services.IssueDraft(
                category_id=categories["pothole"], title="Hole", description="Deep", lat=FISHTOWN[0], lon=FISHTOWN[1]
            ),
            [FileStorage(stream=buf, filename=name, content_type="image/jpeg")],
        )
        photo_id, key, issue_id = issue.photos[0].id, issue.photos[0].key, issue.id
    assert media_status(client, key) == 200
    auth.login_as(moderator)
    client.post(f"/moderation/photo/{photo_id}/hide", data={"reason": "A face"})
    assert media_status(client, key) == 200  # moderators still see it
    auth.logout()
    assert media_status(client, key) == 404
    assert key not in client.get(f"/issues/{issue_id}").get_data(as_text=True)
