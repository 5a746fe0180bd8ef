"""Roles: staff and liaisons act in their role only once an admin verifies them; checks live in services."""

from __future__ import annotations

import pytest

from civic.accounts import services
from civic.accounts.models import Department, Role, User
from civic.database import unit_of_work
from civic.errors import Conflict, PermissionDenied
from civic.extensions import db


def get_user(app, user_id) -> User:
    with app.app_context(), unit_of_work():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_resident_cannot_open_staff_pages(client, auth, make_user):
    auth.login_as(make_user())
    response = client.get("/staff/")
    assert response.status_code == 403
    assert "This page is for verified city staff." in response.get_data(as_text=True)


def test_unverified_staff_are_told_they_await_verification(client, auth, make_user):
    auth.login_as(make_user("staff", verified=False))
    response = client.get("/staff/")
    assert response.status_code == 403
    assert "waiting for an administrator to verify it" in response.get_data(as_text=True)


def test_verified_staff_see_their_department(client, auth, make_user):
    auth.login_as(make_user("staff", department="sanitation"))
    response = client.get("/staff/")
    assert response.status_code == 200
    assert "Queue of Sanitation" in response.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_sign_in(client):
    assert client.get("/staff/").status_code == 302
    assert client.get("/admin/users").status_code == 302


def test_resident_asks_for_staff_status_and_an_admin_verifies_it(app, make_user):
    admin = make_user("admin")
    resident = make_user()
    with app.app_context(), unit_of_work():
        streets = Department(slug="streets", name="Streets Department")
        db.session.add(streets)
        db.session.commit()
        streets_id = streets.id

    citizen = app.test_client()
    citizen.post("/login", data={"email": resident.email, "password": resident.password})
    response = citizen.post("/account/role", data={"role": "staff", "department": str(streets_id)})
    assert response.status_code == 302
    assert citizen.get("/staff/").status_code == 403
    waiting = get_user(app, resident.id)
    assert waiting.role is Role.STAFF and waiting.awaiting_verification

    boss = app.test_client()
    boss.post("/login", data={"email": admin.email, "password": admin.password})
    listing = boss.get("/admin/users?pending=1").get_data(as_text=True)
    assert resident.display_name in listing and "Waiting for verification" in listing
    assert boss.post(f"/admin/users/{resident.id}/verify").status_code == 302
    assert citizen.get("/staff/").status_code == 200
    assert get_user(app, resident.id).verified_by_id == admin.id

    assert boss.post(f"/admin/users/{resident.id}/revoke").status_code == 302
    assert citizen.get("/staff/").status_code == 403
    assert get_user(app, resident.id).verified_at is None


def test_staff_request_needs_a_department(client, auth, make_user, app):
    user = make_user()
    auth.login_as(user)
    response = client.post("/account/role", data={"role": "staff", "department": ""})
    assert response.status_code == 400
    assert "Choose the department you work for." in response.get_data(as_text=True)
    assert get_user(app, user.id).role is Role.RESIDENT


def test_non_admin_cannot_verify_even_by_posting_directly(app, client, auth, make_user):
    auth.login_as(make_user("moderator"))
    pending = make_user("liaison", verified=False)
    response = client.post(f"/admin/users/{pending.id}/verify")
    assert response.status_code == 403
    assert get_user(app, pending.id).verified_at is None
    assert client.get("/admin/users").status_code == 403


def test_services_check_authorisation_themselves(app, make_user):
    moderator_info, target_info = make_user("moderator"), make_user("liaison", verified=False)
    with app.app_context(), unit_of_work():
        moderator, target = db.session.get(User, moderator_info.id), db.session.get(User, target_info.id)
        with pytest.raises(PermissionDenied):
            services.verify(moderator, target)
        with pytest.raises(PermissionDenied):
            services.set_role(moderator, target, Role.ADMIN, verified=False)
        assert target.role is Role.LIAISON and target.verified_at is None


def test_admin_sets_a_role_with_department_on_the_user_page(app, client, auth, make_user):
    auth.login_as(make_user("admin"))
    target = make_user()
    with app.app_context(), unit_of_work():
        dept = Department(slug="parks", name="Parks & Recreation")
        db.session.add(dept)
        db.session.commit()
        dept_id = dept.id
    response = client.post(
        f"/admin/users/{target.id}", data={"role": "staff", "department": str(dept_id), "verified": "y"}
    )
    assert response.status_code == 302
    saved = get_user(app, target.id)
    assert saved.role is Role.STAFF and saved.department_id == dept_id and saved.verified_at is not None

    missing = client.post(f"/admin/users/{target.id}", data={"role": "staff", "department": ""})
    assert missing.status_code == 400
    assert "Staff must belong to a department." in missing.get_data(as_text=True)


def test_the_last_admin_cannot_demote_themselves(app, make_user):
    admin_info = make_user("admin")
    with app.app_context(), unit_of_work():
        admin = db.session.get(User, admin_info.id)
        with pytest.raises(Conflict):
            services.set_role(admin, admin, Role.RESIDENT, verified=False)
        assert db.session.get(User, admin_info.id).role is Role.ADMIN


def test_admin_user_list_searches_by_name_or_email(client, auth, make_user):
    auth.login_as(make_user("admin"))
    make_user(display_name="Quentin Searchable", email="quentin@example.org")
    make_user(display_name="Other Person")
    body = client.get("/admin/users?q=QUENTIN").get_data(as_text=True)
    assert "Quentin Searchable" in body and "Other Person" not in body
    assert client.get("/admin/users/99999").status_code == 404


def test_role_predicates_live_on_the_user_and_say_no_for_visitors(app, make_user, make_issue):
    """Every domain asks the user object (civic/accounts/models.py): any staff, owner of the issue's department."""
    from civic.accounts.models import Anonymous
    from civic.issues.models import Issue

    issue_id = make_issue(category="pothole")  # handled by the streets department
    people = {
        name: make_user(role, department=dept) if role == "staff" else make_user(role)
        for name, role, dept in [
            ("streets", "staff", "streets"),
            ("sanitation", "staff", "sanitation"),
            ("admin", "admin", None),
            ("resident", "resident", None),
        ]
    }
    unverified = make_user("staff", department="streets", verified=False)
    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        user = {name: db.session.get(User, info.id) for name, info in people.items()}
        waiting = db.session.get(User, unverified.id)
        assert [name for name in user if user[name].is_any_staff] == ["streets", "sanitation", "admin"]
        assert [name for name in user if user[name].owns_issue(issue)] == ["streets", "admin"]
        assert not waiting.is_any_staff and not waiting.owns_issue(issue)
        user["sanitation"].require_any_staff()
        with pytest.raises(PermissionDenied, match="Only staff of Streets Department"):
            user["sanitation"].require_owner(issue)
        with pytest.raises(PermissionDenied, match="Only verified city staff"):
            user["resident"].require_any_staff()
        visitor = Anonymous()
        assert not (visitor.is_any_staff or visitor.is_admin or visitor.is_moderator or visitor.owns_issue(issue))
        with pytest.raises(PermissionDenied):
            visitor.require_owner(issue)
