"""`flask demo seed` and `flask users create-admin`."""

from __future__ import annotations

import re

import sqlalchemy as sa

from civic.accounts.models import Role, User
from civic.database import unit_of_work
from civic.extensions import db


def test_demo_seed_fills_an_empty_database_once(app, runner, upload_dir):
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    credentials = re.findall(r"^\s+(\S+@demo\.civic)\s+(\S+)\s+(\w+)$", result.output, re.M)
    assert {role for _, _, role in credentials} == {"resident", "liaison", "staff", "admin"}
    with app.app_context(), unit_of_work():
        staff = db.session.scalar(sa.select(User).where(User.role == Role.STAFF))
        assert staff.acts_as_staff and staff.department.name == "Streets Department"
        assert all(u.home_neighbourhood for u in db.session.scalars(sa.select(User)))

    email, password, _ = next(c for c in credentials if c[2] == "admin")
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302
    assert client.get("/admin/users").status_code == 200

    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0 and "skipped" in again.output
    assert "@demo.civic" not in again.output  # passwords are printed once only


def test_create_admin_makes_a_new_account(app, runner):
    result = runner.invoke(
        args=["users", "create-admin", "Chief@City.example", "--name", "Chief"],
        input="a long admin passphrase\na long admin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context(), unit_of_work():
        user = db.session.scalar(sa.select(User).where(User.email == "chief@city.example"))
        assert user.role is Role.ADMIN and user.display_name == "Chief"


def test_create_admin_promotes_an_existing_account(app, runner, make_user):
    existing = make_user()
    result = runner.invoke(
        args=["users", "create-admin", existing.email], input="ignored passphrase 1\nignored passphrase 1\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context(), unit_of_work():
        assert db.session.get(User, existing.id).role is Role.ADMIN


def test_create_admin_refuses_a_weak_password(app, runner):
    result = runner.invoke(args=["users", "create-admin", "boss@city.example"], input="short\nshort\n")
    assert result.exit_code != 0
    assert "Use at least 10 characters" in result.output
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_demo_seed_with_issues_is_consistent(app, runner, upload_dir):
    from civic.geo import neighbourhoods
    from civic.issues.models import Comment, Issue, IssueStatus, StatusChange, Upvote

    result = runner.invoke(args=["demo", "seed", "--if-empty", "--issues", "300"])
    assert result.exit_code == 0, result.output
    with app.app_context(), unit_of_work():
        issues = list(db.session.scalars(sa.select(Issue)))
        assert len(issues) == 300
        votes = dict(db.session.execute(sa.select(Upvote.issue_id, sa.func.count()).group_by(Upvote.issue_id)).all())
        comments = dict(
            db.session.execute(sa.select(Comment.issue_id, sa.func.count()).group_by(Comment.issue_id)).all()
        )
        last_status = {}
        for change in db.session.scalars(sa.select(StatusChange).order_by(StatusChange.id)):
            last_status[change.issue_id] = change.to_status
        for issue in issues:
            assert issue.upvote_count == votes.get(issue.id, 0)
            assert issue.comment_count == comments.get(issue.id, 0)
            assert last_status[issue.id] == issue.status
            assert neighbourhoods.containing(issue.lat, issue.lon).slug == issue.neighbourhood
        assert {i.status for i in issues} >= {IssueStatus.OPEN, IssueStatus.FIXED}
        assert len({i.neighbourhood for i in issues}) > 3


def test_after_demo_data_people_register_report_and_comment(app, runner, client, make_issue):
    """Demo data is written in bulk with ids of its own; on PostgreSQL the id sequences must follow, or the
    next registration, report or comment collides with a demo row."""
    from civic.issues.models import Issue

    assert runner.invoke(args=["demo", "seed", "--if-empty", "--issues", "60"]).exit_code == 0
    from tests.signup import sign_up

    response = sign_up(app, client, "New neighbour", "new@example.org", "a long enough passphrase")
    assert response.status_code == 302, response.get_data(as_text=True)
    issue_id = make_issue(title="After the demo")
    assert client.post(f"/issues/{issue_id}/comments", data={"body": "Seen it too"}).status_code == 302
    with app.app_context(), unit_of_work():
        assert db.session.get(Issue, issue_id).comment_count == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 61


def test_categories_defaults_is_idempotent(app, runner):
    from civic.issues.models import Category

    for _ in range(2):
        assert runner.invoke(args=["categories", "defaults"]).exit_code == 0
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Category)) == 7
