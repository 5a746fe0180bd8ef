"""Admins name each department in English and Spanish; readers see the name in their language."""

from __future__ import annotations

import sqlalchemy as sa

from civic.accounts.models import Department
from civic.extensions import db


def _department_id(app, slug="streets") -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Department.id).where(Department.slug == slug))


def test_admin_renames_a_department_in_both_languages(app, client, auth, make_user, categories):
    auth.login_as(make_user("admin"))
    dept = _department_id(app)
    listing = client.get("/admin/departments").get_data(as_text=True)
    assert "Streets Department" in listing and "Departamento de Calles" in listing
    response = client.post(f"/admin/departments/{dept}", data={"name": "Streets", "name_es": "Calles"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Department, dept)
        assert (row.name, row.name_es) == ("Streets", "Calles")


def test_a_missing_spanish_name_is_refused_and_nothing_changes(app, client, auth, make_user, categories):
    auth.login_as(make_user("admin"))
    dept = _department_id(app)
    response = client.post(f"/admin/departments/{dept}", data={"name": "Streets", "name_es": "  "})
    assert response.status_code == 400 and 'id="name_es-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Department, dept).name == "Streets Department"


def test_two_departments_cannot_share_a_name(app, client, auth, make_user, categories):
    auth.login_as(make_user("admin"))
    response = client.post(
        f"/admin/departments/{_department_id(app)}", data={"name": "Sanitation", "name_es": "Calles"}
    )
    assert response.status_code == 409 and "Another department already has this name." in response.get_data(
        as_text=True
    )


def test_only_admins_rename_departments(app, client, auth, make_user, categories):
    auth.login_as(make_user("staff"))
    dept = _department_id(app)
    assert client.get("/admin/departments").status_code == 403
    assert client.post(f"/admin/departments/{dept}", data={"name": "X", "name_es": "Y"}).status_code == 403
    assert client.get("/admin/departments/99999").status_code in (403, 404)


def test_readers_see_the_department_in_their_language(app, client, auth, make_user, make_issue, categories):
    from civic.accounts.models import User
    from civic.database import unit_of_work
    from civic.issues.models import Issue
    from civic.staff import replies

    staff = make_user("staff", department="streets")
    issue_id = make_issue()
    with app.test_request_context(), unit_of_work():
        replies.post_official_reply(db.session.get_one(User, staff.id), db.session.get_one(Issue, issue_id), "Hola")
    spanish = client.get(f"/issues/{issue_id}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    english = client.get(f"/issues/{issue_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Departamento de Calles" in spanish and "Streets Department" not in spanish
    assert "Streets Department" in english
