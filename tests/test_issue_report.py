"""Reporting an issue: where, what, photos, privacy of the reporter, liaisons, and the 24-hour edit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from civic.accounts.models import User
from civic.database import unit_of_work, utcnow
from civic.errors import PermissionDenied, ValidationError
from civic.extensions import db
from civic.issues import services
from civic.issues.models import Issue, IssueRevision, IssueStatus, Photo
from tests.conftest import FISHTOWN


def jpeg(colour="red", size=(640, 480)) -> tuple[io.BytesIO, str]:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG")
    buf.seek(0)
    return buf, f"{colour}.jpg"


def upload(colour="red") -> FileStorage:
    """A photo as the services receive it from a form."""
    buf, name = jpeg(colour)
    return FileStorage(stream=buf, filename=name, content_type="image/jpeg")


def report_form(categories, **overrides) -> dict:
    data = {
        "category": str(categories["pothole"]),
        "title": "Deep pothole",
        "description": "Outside the bakery.",
        "lat": str(FISHTOWN[0]),
        "lon": str(FISHTOWN[1]),
        "duplicates_seen": "1",
    }
    data.update(overrides)
    return data


def issue_count(app) -> int:
    with app.app_context(), unit_of_work():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Issue))


def test_report_with_photos_through_the_form(app, client, auth, make_user, categories, upload_dir):
    auth.login_as(make_user())
    data = report_form(categories, photos=[jpeg("red"), jpeg("blue")])
    response = client.post("/issues/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context(), unit_of_work():
        issue = db.session.scalar(sa.select(Issue))
        assert (issue.title, issue.status, issue.neighbourhood) == ("Deep pothole", IssueStatus.OPEN, "fishtown")
        assert [c.to_status for c in issue.status_changes] == [IssueStatus.OPEN]
        photos = list(issue.photos)
        assert len(photos) == 2
        for photo in photos:
            assert (upload_dir / photo.key).exists() and (upload_dir / photo.thumb_key).exists()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deep pothole" in page and page.count('src="/media/') == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lat": "", "lon": ""}, "Place the pin on the map"),
        ({"lat": "40.7128", "lon": "-74.0060"}, "That point is outside Philadelphia"),
        ({"title": "ab"}, "at least 3 characters"),
        ({"description": "x" * 4001}, "Field cannot be longer than 4000 characters."),
        ({"category": ""}, "Choose what kind of problem it is."),
        ({"category": "99999"}, "Not a valid choice"),
    ],
)
def test_bad_reports_are_explained_and_nothing_is_saved(app, client, auth, make_user, categories, overrides, message):
    auth.login_as(make_user())
    response = client.post("/issues/new", data=report_form(categories, **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert issue_count(app) == 0


def test_one_bad_photo_refuses_the_report_and_keeps_the_form(app, client, auth, make_user, categories, upload_dir):
    auth.login_as(make_user())
    fake = (io.BytesIO(b"%PDF-1.4 not an image"), "scan.jpg")
    data = report_form(categories, title="Broken light on Girard", photos=[jpeg(), fake])
    response = client.post("/issues/new", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is not a photo we can use" in body and "scan.jpg" in body
    assert 'value="Broken light on Girard"' in body  # the rest of the form is kept
    assert issue_count(app) == 0
    assert not upload_dir.exists() or not any(p.is_file() for p in upload_dir.rglob("*"))


def test_at_most_four_photos(app, client, auth, make_user, categories, upload_dir):
    auth.login_as(make_user())
    data = report_form(categories, photos=[jpeg() for _ in range(5)])
    response = client.post("/issues/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "You can add up to 4 photos." in response.get_data(as_text=True)
    assert issue_count(app) == 0


def test_anonymous_visitors_cannot_report(client, categories):
    response = client.post("/issues/new", data=report_form(categories))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_reporter_name_is_hidden_unless_chosen(app, make_user, make_issue, client, auth):
    reporter = make_user(display_name="Rosa Reporter")
    private_id = make_issue(reporter)
    public_id = make_issue(reporter, show_reporter_name=True, at=(39.9760, -75.1300))
    assert "Rosa Reporter" not in client.get(f"/issues/{private_id}").get_data(as_text=True)
    assert "Reported by a neighbour on" in client.get(f"/issues/{private_id}").get_data(as_text=True)
    public_page = client.get(f"/issues/{public_id}").get_data(as_text=True)
    assert "Reported by Rosa Reporter on" in public_page and "see this name" not in public_page
    auth.login_as(make_user("staff"))
    staff_view = client.get(f"/issues/{private_id}").get_data(as_text=True)
    assert "Rosa Reporter" in staff_view and "(only the reporter and city staff see this name)" in staff_view
    auth.logout()
    auth.login_as(reporter)
    own_view = client.get(f"/issues/{private_id}").get_data(as_text=True)
    assert "Rosa Reporter" in own_view and "(only you and city staff see this name)" in own_view


def test_liaison_reports_for_a_resident_and_keeps_their_details_private(app, client, auth, make_user, categories):
    liaison = make_user("liaison", display_name="Carmen Liaison")
    auth.login_as(liaison)
    data = report_form(categories, on_behalf_name="Mr. Ortiz", on_behalf_contact="215-555-0101")
    assert client.post("/issues/new", data=data).status_code == 302
    with app.app_context(), unit_of_work():
        issue = db.session.scalar(sa.select(Issue))
        assert (issue.on_behalf_name, issue.on_behalf_contact, issue.reporter_id) == (
            "Mr. Ortiz",
            "215-555-0101",
            liaison.id,
        )
    assert "215-555-0101" in client.get(f"/issues/{issue.id}").get_data(as_text=True)
    auth.logout()
    for viewer in (None, make_user()):
        if viewer:
            auth.login_as(viewer)
        page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
        assert "Mr. Ortiz" not in page and "215-555-0101" not in page
    auth.logout()
    auth.login_as(make_user("staff"))
    assert "Mr. Ortiz" in client.get(f"/issues/{issue.id}").get_data(as_text=True)


def test_only_verified_liaisons_report_for_others(app, make_user, categories):
    for role, verified in (("resident", True), ("liaison", False)):
        info = make_user(role, verified=verified)
        with app.test_request_context(), unit_of_work():
            user = db.session.get(User, info.id)
            draft = services.IssueDraft(
                categories["pothole"], "Deep pothole", "Here.", *FISHTOWN, on_behalf_name="Someone"
            )
            with pytest.raises(PermissionDenied):
                services.report_issue(user, draft)
    assert issue_count(app) == 0


def test_reporter_edits_within_a_day_and_history_is_kept(app, client, auth, make_user, make_issue):
    reporter = make_user()
    issue_id = make_issue(reporter, title="Pothole", description="Small.")
    auth.login_as(reporter)
    response = client.post(
        f"/issues/{issue_id}/edit", data={"title": "Pothole getting bigger", "description": "Now huge."}
    )
    assert response.status_code == 302
    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        assert (issue.title, issue.description) == ("Pothole getting bigger", "Now huge.")
        [revision] = db.session.scalars(sa.select(IssueRevision))
        assert (revision.title, revision.description) == ("Pothole", "Small.")
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Edited once" in page and "Small." not in page  # earlier versions: moderators only
    auth.logout()
    public = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Edited once" in public and "Small." not in public
    auth.login_as(make_user("moderator"))
    moderator_view = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Earlier versions of the report (moderators only)" in moderator_view and "Small." in moderator_view


def test_edit_window_and_ownership(app, client, auth, make_user, make_issue):
    reporter, other = make_user(), make_user()
    issue_id = make_issue(reporter)
    auth.login_as(other)
    assert client.post(f"/issues/{issue_id}/edit", data={"title": "Hijacked", "description": "x"}).status_code == 303
    auth.logout()
    with app.app_context(), unit_of_work():
        db.session.get(Issue, issue_id).created_at = utcnow() - timedelta(hours=25)
        db.session.commit()
    auth.login_as(reporter)
    response = client.post(f"/issues/{issue_id}/edit", data={"title": "Too late", "description": "x"})
    assert response.status_code == 303
    with app.app_context(), unit_of_work():
        assert db.session.get(Issue, issue_id).title == "Deep pothole"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueRevision)) == 0


def test_edit_replaces_photos_within_the_limit(app, make_user, make_issue):
    reporter = make_user()
    issue_id = make_issue(reporter, photos=[upload("red"), upload("green"), upload("blue")])
    with app.test_request_context(), unit_of_work():
        user, issue = db.session.get(User, reporter.id), db.session.get(Issue, issue_id)
        first = issue.photos[0]
        with pytest.raises(ValidationError, match="You can add 1 more photo"):
            services.edit_issue(
                user, issue, title=issue.title, description=issue.description, uploads=[upload(), upload()]
            )
        services.edit_issue(
            user,
            issue,
            title=issue.title,
            description=issue.description,
            remove_photo_ids={first.id},
            uploads=[upload("white"), upload("black")],
        )
        assert len(db.session.get(Issue, issue_id).photos) == 4
        assert db.session.get(Photo, first.id).removed_at is not None
        [revision] = db.session.scalars(sa.select(IssueRevision))
        assert len(revision.photo_ids) == 3
