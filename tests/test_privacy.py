"""Privacy: e-mail addresses and liaison-held contacts never leave civic; "download my data" holds everything
about me and nothing about others; "delete my account" anonymises my posts and erases the rest."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta

import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.extensions import db
from civic.issues.models import Comment, Issue, Upvote
from civic.notifications.models import Follow, Notification
from tests.conftest import FISHTOWN

SECRET_EMAIL = "rosa.private@example.org"
SECRET_CONTACT = "Mr Ortiz, 215-555-0123"


def photo_upload() -> FileStorage:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), "purple").save(buf, "JPEG")
    buf.seek(0)
    return FileStorage(stream=buf, filename="pothole.jpg", content_type="image/jpeg")


def test_personal_data_never_appears_anywhere_public(app, client, auth, make_user, categories, upload_dir):
    from civic.issues import services

    rosa = make_user(email=SECRET_EMAIL, display_name="Rosa")
    liaison = make_user("liaison", display_name="Lia Liaison")
    with app.test_request_context(), unit_of_work():
        issue = services.report_issue(
            db.session.get(User, liaison.id),
            services.IssueDraft(
                category_id=categories["pothole"],
                title="Crater on Norris St",
                description="Deep.",
                lat=FISHTOWN[0],
                lon=FISHTOWN[1],
                on_behalf_name="Mr Ortiz",
                on_behalf_contact=SECRET_CONTACT,
            ),
        )
        issue_id = issue.id
        services.add_comment(db.session.get(User, rosa.id), db.session.get(Issue, issue_id), "Same outside my door")
    lat, lon = FISHTOWN
    bbox = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    surfaces = [
        f"/issues/{issue_id}",
        "/issues",
        f"/api/v1/issues/{issue_id}",
        f"/api/v1/issues?bbox={bbox}&zoom=17",
        f"/issues/{issue_id}/feed.atom",
        "/open-data/issues.csv",
        "/open-data/issues.geojson",
        "/open-data/status-history.csv",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        f"/open311/v2/requests/{issue_id}.json",
    ]
    for viewer, sees_contact in ((None, False), (make_user(), False), (make_user("staff"), True)):
        auth.logout()
        if viewer:
            auth.login_as(viewer)
        for url in surfaces:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.get_data(as_text=True)
            assert SECRET_EMAIL not in body, url
            if not sees_contact:  # the liaison's contact for the resident: staff only
                assert SECRET_CONTACT not in body and "215-555-0123" not in body, (url, viewer)


def test_download_my_data_holds_everything_about_me_only(app, client, auth, make_user, categories, upload_dir):
    from civic.events import services as events
    from civic.issues import services
    from civic.notifications.services import set_following

    me, other = make_user(display_name="Maya Me"), make_user(email="someone.else@example.org")
    with app.test_request_context(), unit_of_work():
        user = db.session.get(User, me.id)
        mine = services.report_issue(
            user,
            services.IssueDraft(
                category_id=categories["pothole"],
                title="My pothole",
                description="By the school.",
                lat=FISHTOWN[0],
                lon=FISHTOWN[1],
            ),
            [photo_upload()],
        )
        theirs = services.report_issue(
            db.session.get(User, other.id),
            services.IssueDraft(
                category_id=categories["pothole"],
                title="Their pothole",
                description="Secret of theirs.",
                lat=FISHTOWN[0],
                lon=FISHTOWN[1],
            ),
        )
        services.add_comment(user, db.session.get(Issue, theirs.id), "I saw it too")
        services.set_upvote(user, theirs.id, True)
        set_following(user, theirs.id, True)
        starts = (datetime.now() + timedelta(days=3)).replace(second=0, microsecond=0)
        event = events.create_event(
            user,
            title="My clean-up",
            description="",
            starts_local=starts,
            ends_local=starts + timedelta(hours=2),
            meeting_point="Gate",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
        )
        events.sign_up(user, event.id)
        mine_id, theirs_id = mine.id, theirs.id
    auth.login_as(me)
    assert client.get("/account/my-data").status_code == 200
    response = client.post("/account/my-data")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == me.email and data["account"]["display_name"] == "Maya Me"
    assert [i["title"] for i in data["issues_reported"]] == ["My pothole"]
    assert [c["body"] for c in data["comments"]] == ["I saw it too"]
    assert [v["issue_id"] for v in data["upvotes"]] == [theirs_id]
    assert theirs_id in [f["issue_id"] for f in data["follows"]] and mine_id in [f["issue_id"] for f in data["follows"]]
    assert [e["title"] for e in data["events_organised"]] == ["My clean-up"]
    assert [r["status"] for r in data["event_sign_ups"]] == ["going"]
    [photo] = data["photos"]
    assert archive.read(f"photos/{photo['key']}")[:2] == b"\xff\xd8"  # the JPEG itself
    raw = archive.read("data.json").decode()
    assert "someone.else@example.org" not in raw and "Secret of theirs." not in raw
    assert client.post("/account/my-data", headers={}).status_code == 200  # repeatable
    auth.logout()
    assert client.post("/account/my-data").status_code == 302  # to sign in


def test_delete_my_account_anonymises_and_erases(app, client, auth, make_user, make_issue):
    from civic.events import services as events
    from civic.issues import services
    from civic.mail.models import OutgoingMail

    leaving, neighbour = make_user(display_name="Leo Leaving"), make_user()
    reported = make_issue(leaving, title="Leo's pothole", show_reporter_name=True)
    other_issue = make_issue(neighbour)
    waiting = make_user()  # also the other vote on other_issue
    with app.test_request_context(), unit_of_work():
        user = db.session.get(User, leaving.id)
        services.add_comment(user, db.session.get(Issue, other_issue), "Leo was here")
        services.set_upvote(user, other_issue, True)
        services.set_upvote(db.session.get(User, waiting.id), other_issue, True)  # not its reporter's: they cannot
        starts = (datetime.now() + timedelta(days=3)).replace(second=0, microsecond=0)
        event_id = events.create_event(
            db.session.get(User, neighbour.id),
            title="Tidy",
            description="",
            starts_local=starts,
            ends_local=starts + timedelta(hours=1),
            meeting_point="Gate",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
            capacity=2,
        ).id
        events.sign_up(db.session.get(User, neighbour.id), event_id)
        events.sign_up(user, event_id)
        events.sign_up(db.session.get(User, waiting.id), event_id)
        db.session.add(OutgoingMail(to_address=leaving.email, subject="Hello Leo", body_text="Dear Leo"))
        db.session.commit()

    auth.login_as(leaving)
    wrong = client.post("/account/delete", data={"password": "nope", "confirm": "DELETE"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.get_data(as_text=True)
    unconfirmed = client.post("/account/delete", data={"password": leaving.password, "confirm": ""})
    assert unconfirmed.status_code == 400 and "Type DELETE to confirm." in unconfirmed.get_data(as_text=True)
    assert client.post("/account/delete", data={"password": leaving.password, "confirm": "delete"}).status_code == 302

    assert client.get("/account").status_code == 302  # signed out
    assert client.post("/login", data={"email": leaving.email, "password": leaving.password}).status_code != 302
    with app.app_context(), unit_of_work():
        assert db.session.get(User, leaving.id) is None
        issue = db.session.get(Issue, reported)
        assert issue is not None and issue.reporter_id is None
        comment = db.session.scalar(sa.select(Comment).where(Comment.body == "Leo was here"))
        assert comment.author_id is None
        assert db.session.get(Issue, other_issue).upvote_count == 1
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Upvote).where(Upvote.user_id == leaving.id)) == 0
        )
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Follow).where(Follow.user_id == leaving.id)) == 0
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == leaving.id)
            )
            == 0
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(OutgoingMail).where(OutgoingMail.to_address == leaving.email)
            )
            == 0
        )
        from civic.events.models import Rsvp, RsvpStatus

        assert db.session.scalar(sa.select(Rsvp.status).where(Rsvp.user_id == waiting.id)) is RsvpStatus.GOING
    page = client.get(f"/issues/{reported}").get_data(as_text=True)
    assert "Leo Leaving" not in page and "Leo&#39;s pothole" in page
    assert "Leo Leaving" not in client.get(f"/issues/{other_issue}").get_data(as_text=True)


def test_the_last_admin_cannot_delete_their_account(client, auth, make_user):
    admin = make_user("admin")
    auth.login_as(admin)
    response = client.post("/account/delete", data={"password": admin.password, "confirm": "DELETE"})
    assert response.status_code == 400 and "last administrator" in response.get_data(as_text=True)


def test_privacy_page_explains(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "What we keep, and why" in page and "Download everything we hold about you." in page
