"""Comments: sanitised formatting, a photo, a 15-minute edit window, and delete leaving a placeholder."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from PIL import Image

from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Comment, Issue


def post(client, issue_id, body, **extra):
    return client.post(f"/issues/{issue_id}/comments", data={"body": body, **extra}, content_type="multipart/form-data")


def only_comment(app) -> Comment:
    with app.app_context(), unit_of_work():
        comment = db.session.scalar(sa.select(Comment))
        db.session.expunge(comment)
        return comment


def test_comment_renders_paragraphs_and_links_but_no_html(app, client, auth, make_user, make_issue):
    issue_id = make_issue()
    auth.login_as(make_user(display_name="Commenter"))
    body = "Still there.\n\nSee https://example.org/photo and <script>alert('x')</script> **now**"
    assert post(client, issue_id, body).status_code == 302
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert '<a href="https://example.org/photo" rel="nofollow ugc noopener">' in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<strong>now</strong>" in page and "<p>Still there.</p>" in page
    assert "1 comment" in page
    with app.app_context(), unit_of_work():
        assert db.session.get(Issue, issue_id).comment_count == 1


def test_comment_with_a_photo(app, client, auth, make_user, make_issue, upload_dir):
    issue_id = make_issue()
    auth.login_as(make_user())
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "green").save(buf, "PNG")
    buf.seek(0)
    assert post(client, issue_id, "Here is a photo", photo=(buf, "here.png")).status_code == 302
    assert 'alt="Photo attached to the comment"' in client.get(f"/issues/{issue_id}").get_data(as_text=True)


def test_empty_comment_is_explained(app, client, auth, make_user, make_issue):
    issue_id = make_issue()
    auth.login_as(make_user())
    response = post(client, issue_id, "   ")
    assert response.status_code == 400 and "Write your comment first." in response.get_data(as_text=True)
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_author_edits_within_15_minutes_only(app, client, auth, make_user, make_issue):
    issue_id = make_issue()
    author = make_user()
    auth.login_as(author)
    post(client, issue_id, "Frist!")
    comment = only_comment(app)
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "First!"}).status_code == 302
    assert only_comment(app).body == "First!" and only_comment(app).edited_at is not None
    with app.app_context(), unit_of_work():
        db.session.get(Comment, comment.id).created_at = utcnow() - timedelta(minutes=16)
        db.session.commit()
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "Sneaky"}).status_code == 303
    assert only_comment(app).body == "First!"


def test_others_cannot_edit_or_delete(app, client, auth, make_user, make_issue):
    issue_id = make_issue()
    auth.login_as(make_user())
    post(client, issue_id, "Mine")
    comment = only_comment(app)
    auth.logout()
    auth.login_as(make_user())
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "Yours now"}).status_code == 303
    assert client.post(f"/comments/{comment.id}/delete").status_code == 403
    assert only_comment(app).body == "Mine" and only_comment(app).deleted_at is None


def test_delete_leaves_comment_removed(app, client, auth, make_user, make_issue):
    issue_id = make_issue()
    auth.login_as(make_user())
    post(client, issue_id, "Oops, wrong issue")
    comment = only_comment(app)
    assert client.post(f"/comments/{comment.id}/delete").status_code == 302
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Comment removed." in page and "Oops, wrong issue" not in page
    with app.app_context(), unit_of_work():
        assert db.session.get(Issue, issue_id).comment_count == 0
        assert db.session.get(Comment, comment.id).body == ""


def test_moderator_may_delete_any_comment(app, client, auth, make_user, make_issue):
    issue_id = make_issue()
    auth.login_as(make_user())
    post(client, issue_id, "Something rude")
    comment = only_comment(app)
    auth.logout()
    auth.login_as(make_user("moderator"))
    assert client.post(f"/comments/{comment.id}/delete").status_code == 302
    assert only_comment(app).deleted_at is not None
