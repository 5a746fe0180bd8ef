"""City staff: who may reply officially and change status, the workflow's rules, merging, "is it fixed?",
templates, the queue, and internal notes that never leave the staff."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Comment, Issue, IssueStatus, StatusChange, Upvote
from civic.notifications.models import Follow
from civic.staff.models import FixConfirmation, InternalNote, ResponseTemplate
from tests.conftest import FISHTOWN, offset


def http_as(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": user.password}).status_code == 302
    return client


def issue_row(app, issue_id) -> Issue:
    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        db.session.expunge(issue)
        return issue


def status_of(app, issue_id) -> IssueStatus:
    return issue_row(app, issue_id).status


def set_status(client, issue_id, status, reason="Because", **extra):
    return client.post(f"/staff/issues/{issue_id}/status", data={"status": status, "reason": reason, **extra})


# --- official replies -------------------------------------------------------------------------


def test_verified_staff_of_any_department_reply_officially(app, make_user, make_issue):
    issue_id = make_issue()  # a pothole: Streets Department
    parks = make_user("staff", department="parks-recreation", display_name="Pat Parks")
    response = http_as(app, parks).post(f"/staff/issues/{issue_id}/reply", data={"body": "Passed to Streets."})
    assert response.status_code == 302
    with app.app_context(), unit_of_work():
        reply = db.session.scalar(sa.select(Comment))
        assert reply.official and reply.department.slug == "parks-recreation"
        assert db.session.get(Issue, issue_id).first_response_at is not None
    page = app.test_client().get(f"/issues/{issue_id}").get_data(as_text=True)
    assert 'id="official-response"' in page and "Official response" in page and "Passed to Streets." in page


def test_unverified_staff_and_residents_cannot_reply_officially(app, make_user, make_issue):
    issue_id = make_issue()
    for user in (make_user("staff", verified=False), make_user(), make_user("liaison")):
        response = http_as(app, user).post(f"/staff/issues/{issue_id}/reply", data={"body": "Official?"})
        assert response.status_code == 403
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


# --- status workflow -----------------------------------------------------------------------------


def test_only_the_owning_department_or_admins_change_status(app, make_user, make_issue):
    issue_id = make_issue()  # pothole → Streets
    for outsider in (make_user("staff", department="sanitation"), make_user(), make_user("staff", verified=False)):
        assert set_status(http_as(app, outsider), issue_id, "acknowledged").status_code == 403
    assert status_of(app, issue_id) is IssueStatus.OPEN
    assert (
        set_status(http_as(app, make_user("staff", department="streets")), issue_id, "acknowledged").status_code == 302
    )
    assert set_status(http_as(app, make_user("admin")), issue_id, "in_progress", "Crew booked").status_code == 302
    with app.app_context(), unit_of_work():
        history = [
            (c.to_status.value, c.reason)
            for c in db.session.scalars(
                sa.select(StatusChange).where(StatusChange.issue_id == issue_id).order_by(StatusChange.id)
            )
        ]
    assert history == [("open", None), ("acknowledged", "Because"), ("in_progress", "Crew booked")]


def test_every_change_needs_a_reason_and_a_legal_step(app, make_user, make_issue):
    issue_id = make_issue()
    streets = http_as(app, make_user("staff", department="streets"))
    page = set_status(streets, issue_id, "acknowledged", reason="  ")
    assert page.status_code == 302
    assert "Give a reason" in streets.get(page.headers["Location"]).get_data(as_text=True)
    assert status_of(app, issue_id) is IssueStatus.OPEN
    set_status(streets, issue_id, "fixed", "Patched")
    bad = set_status(streets, issue_id, "in_progress", "Oops")
    assert "cannot become" in streets.get(bad.headers["Location"]).get_data(as_text=True)
    assert status_of(app, issue_id) is IssueStatus.FIXED


def test_closed_is_never_shown_as_fixed(app, make_user, make_issue):
    issue_id = make_issue()
    streets = http_as(app, make_user("staff", department="streets"))
    missing = set_status(streets, issue_id, "closed", "Private land")
    assert "Say why it is closed without a fix." in streets.get(missing.headers["Location"]).get_data(as_text=True)
    set_status(streets, issue_id, "closed", "Private land", closed_reason="not_responsible")
    issue = issue_row(app, issue_id)
    assert issue.status is IssueStatus.CLOSED and issue.closed_reason == "not_responsible" and issue.fixed_at is None
    page = app.test_client().get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Closed without a fix" in page and "status--fixed" not in page


def test_duplicate_points_to_the_original_and_carries_votes_and_followers(app, make_user, make_issue):
    original = make_issue(title="Original pothole")
    middle = make_issue(title="Second report", at=offset(*FISHTOWN, north_m=20))
    latest = make_issue(title="Third report", at=offset(*FISHTOWN, north_m=40))
    voter_a, voter_b = make_user(), make_user()
    for voter, target in ((voter_a, middle), (voter_b, latest), (voter_a, original)):
        http_as(app, voter).post(f"/issues/{target}/upvote", data={"upvoted": "1"})
    streets = http_as(app, make_user("staff", department="streets"))
    set_status(streets, middle, "closed", "Same hole", closed_reason="duplicate", duplicate_of=str(original))
    set_status(streets, latest, "closed", "Same hole", closed_reason="duplicate", duplicate_of=str(middle))
    assert issue_row(app, latest).duplicate_of_id == original  # followed to the root, not the middle one
    with app.app_context(), unit_of_work():
        voters = set(db.session.scalars(sa.select(Upvote.user_id).where(Upvote.issue_id == original)))
        assert voters == {voter_a.id, voter_b.id}
        assert db.session.get(Issue, original).upvote_count == 2
        assert db.session.get(Follow, (voter_b.id, original)).active  # followed `latest`, now follows the original
    self_dup = set_status(streets, original, "closed", "x", closed_reason="duplicate", duplicate_of=str(original))
    assert "cannot be the original" in streets.get(self_dup.headers["Location"]).get_data(as_text=True)
    page = app.test_client().get(f"/issues/{latest}").get_data(as_text=True)
    assert f'href="/issues/{original}"' in page and "Closed as a duplicate of" in page


# --- "is it fixed?" --------------------------------------------------------------------------------


def test_reporter_confirms_or_reopens_within_30_days(app, make_user, make_issue):
    reporter, stranger = make_user(), make_user()
    issue_id = make_issue(reporter)
    set_status(http_as(app, make_user("staff", department="streets")), issue_id, "fixed", "Patched today")
    reporter_http = http_as(app, reporter)
    assert "The city says this is fixed. Is it?" in reporter_http.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "The city says this is fixed" not in http_as(app, stranger).get(f"/issues/{issue_id}").get_data(as_text=True)
    assert (
        http_as(app, stranger)
        .post(f"/staff/issues/{issue_id}/fixed", data={"answer": "no", "comment": "Nope"})
        .status_code
        == 403
    )

    reporter_http.post(f"/staff/issues/{issue_id}/fixed", data={"answer": "no", "comment": "Still a hole"})
    issue = issue_row(app, issue_id)
    assert issue.status is IssueStatus.OPEN and issue.fixed_at is not None
    with app.app_context(), unit_of_work():
        last = db.session.scalars(sa.select(StatusChange).order_by(StatusChange.id.desc())).first()
        assert last.from_status is IssueStatus.FIXED and "Still a hole" in last.reason
        assert db.session.scalar(sa.select(FixConfirmation.confirmed)) is False
    queue = http_as(app, make_user("staff", department="streets")).get("/staff/").get_data(as_text=True)
    assert "Deep pothole" in queue  # back in the department's queue


def test_answer_window_closes_after_30_days(app, make_user, make_issue):
    reporter = make_user()
    issue_id = make_issue(reporter)
    set_status(http_as(app, make_user("staff", department="streets")), issue_id, "fixed", "Patched")
    with app.app_context(), unit_of_work():
        db.session.get(Issue, issue_id).fixed_at = utcnow() - timedelta(days=31)
        db.session.commit()
    assert (
        http_as(app, reporter)
        .post(f"/staff/issues/{issue_id}/fixed", data={"answer": "yes", "comment": "Thanks"})
        .status_code
        == 403
    )


def test_a_follower_may_answer_is_it_fixed_until_they_stop_following(app, make_user, make_issue):
    """Following alone counts as taking part: staff asks notifications, which owns follows, through a hook."""
    issue_id = make_issue()
    follower_http = http_as(app, make_user())
    assert follower_http.post(f"/issues/{issue_id}/follow", data={"following": "1"}).status_code == 302
    set_status(http_as(app, make_user("staff", department="streets")), issue_id, "fixed", "Patched")
    assert "The city says this is fixed. Is it?" in follower_http.get(f"/issues/{issue_id}").get_data(as_text=True)

    assert follower_http.post(f"/issues/{issue_id}/follow", data={"following": "0"}).status_code == 302
    assert "The city says this is fixed" not in follower_http.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert (
        follower_http.post(f"/staff/issues/{issue_id}/fixed", data={"answer": "yes", "comment": "Thanks"}).status_code
        == 403
    )


# --- templates, notes, queue ----------------------------------------------------------------------


def test_templates_prefill_and_status_suggestions(app, make_user, make_issue, categories):
    issue_id = make_issue()
    staff = make_user("staff", department="streets")
    client = http_as(app, staff)
    assert (
        client.post(
            "/staff/templates/new",
            data={
                "title": "Pothole fixed",
                "category": str(categories["pothole"]),
                "status": "fixed",
                "body": "Our crew filled this pothole.",
            },
        ).status_code
        == 302
    )
    with app.app_context(), unit_of_work():
        template = db.session.scalar(sa.select(ResponseTemplate))
    page = client.get(f"/issues/{issue_id}?template={template.id}").get_data(as_text=True)
    assert "Our crew filled this pothole.</textarea>" in page
    assert "Our crew filled this pothole." in page.split("data-suggestions=")[1].split(">")[0]
    # Without JavaScript the template lands in the one update form, ticked to be posted.
    update_form = page.split("data-status-form")[1].split("</form>")[0]
    assert "Our crew filled this pothole.</textarea>" in update_form
    assert re.search(r'<input[^>]*checked[^>]*name="also_reply"|<input[^>]*name="also_reply"[^>]*checked', update_form)
    assert page.count(">Official reply</label>") == 1


def test_the_update_form_keeps_the_current_status_and_posts_only_the_reply(app, make_user, make_issue):
    issue_id = make_issue()
    client = http_as(app, make_user("staff", department="streets"))
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert '<option value="open" selected>' in page
    with app.app_context(), unit_of_work():
        changes = db.session.scalar(sa.select(sa.func.count(StatusChange.id)))
    response = set_status(client, issue_id, "open", reason="", also_reply="y", reply="We are on it.")
    assert response.status_code == 302
    assert "Your official reply is posted." in client.get(response.location).get_data(as_text=True)
    assert status_of(app, issue_id) is IssueStatus.OPEN
    with app.app_context(), unit_of_work():
        assert db.session.scalars(sa.select(Comment.body).where(Comment.official.is_(True))).all() == ["We are on it."]
        assert db.session.scalar(sa.select(sa.func.count(StatusChange.id))) == changes
    # The same status without a reply is not a change: the clear message, no status history line.
    response = set_status(client, issue_id, "open", reason="Because")
    assert "cannot become" in client.get(response.location).get_data(as_text=True)


def test_internal_notes_stay_with_staff(app, make_user, make_issue):
    issue_id = make_issue()
    streets = http_as(app, make_user("staff", department="streets"))
    assert (
        streets.post(f"/staff/issues/{issue_id}/notes", data={"note": "Contractor owes us SECRET-42"}).status_code
        == 302
    )
    assert "SECRET-42" in streets.get(f"/issues/{issue_id}").get_data(as_text=True)
    for viewer in (
        app.test_client(),
        http_as(app, make_user()),
        http_as(app, make_user("staff", department="sanitation")),
    ):
        for url in (
            f"/issues/{issue_id}",
            f"/api/v1/issues/{issue_id}",
            f"/issues/{issue_id}/feed.atom",
            f"/feeds/area.atom?lat={FISHTOWN[0]}&lon={FISHTOWN[1]}&radius=200",
        ):
            assert "SECRET-42" not in viewer.get(url).get_data(as_text=True), url
    assert http_as(app, make_user()).post(f"/staff/issues/{issue_id}/notes", data={"note": "x"}).status_code == 403
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InternalNote)) == 1


def test_queue_shows_the_department_filters_and_bulk_acknowledges(app, make_user, make_issue):
    old = make_issue(title="Old pothole")
    new = make_issue(title="New pothole", at=offset(*FISHTOWN, north_m=300))
    make_issue(title="Some graffiti", category="graffiti")
    with app.app_context(), unit_of_work():
        db.session.get(Issue, old).created_at = utcnow() - timedelta(days=20)
        db.session.commit()
    streets = http_as(app, make_user("staff", department="streets"))
    page = streets.get("/staff/").get_data(as_text=True)
    assert "Old pothole" in page and "New pothole" in page and "Some graffiti" not in page
    assert page.index("Old pothole") < page.index("New pothole")  # oldest unanswered first
    assert "New pothole" not in streets.get("/staff/?older_than=10").get_data(as_text=True)
    assert streets.get("/staff/?older_than=abc").status_code == 400
    response = streets.post("/staff/acknowledge", data={"issue": [str(old), str(new)], "reason": "On our list"})
    assert response.status_code == 302
    assert status_of(app, old) is IssueStatus.ACKNOWLEDGED and status_of(app, new) is IssueStatus.ACKNOWLEDGED


def test_assign_to_a_colleague_only(app, make_user, make_issue):
    issue_id = make_issue()
    staff, colleague = make_user("staff", department="streets"), make_user("staff", department="streets")
    outsider = make_user("staff", department="sanitation")
    client = http_as(app, staff)
    client.post(f"/staff/issues/{issue_id}/assign", data={"assignee": str(outsider.id)})
    assert issue_row(app, issue_id).assignee_id is None
    client.post(f"/staff/issues/{issue_id}/assign", data={"assignee": str(colleague.id)})
    assert issue_row(app, issue_id).assignee_id == colleague.id
