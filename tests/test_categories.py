"""The service list: admins add and edit categories; residents see only active ones, in their language."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from civic.accounts.models import Department, User
from civic.database import unit_of_work
from civic.errors import PermissionDenied
from civic.extensions import db
from civic.issues.category_services import save_category
from civic.issues.models import Category


def test_admin_adds_a_category_residents_can_choose(app, client, auth, make_user, categories):
    auth.login_as(make_user("admin"))
    with app.app_context(), unit_of_work():
        parks = db.session.scalar(sa.select(Department.id).where(Department.slug == "parks-recreation"))
    response = client.post(
        "/admin/categories/new",
        data={
            "name": "Fallen tree",
            "name_es": "Árbol caído",
            "slug": "fallen-tree",
            "department": str(parks),
            "position": "3",
            "active": "y",
        },
    )
    assert response.status_code == 302
    auth.logout()
    auth.login_as(make_user())
    assert ">Fallen tree</option>" in client.get("/issues/new").get_data(as_text=True)
    client.post("/language/es", data={"next": "/"})
    assert ">Árbol caído</option>" in client.get("/issues/new").get_data(as_text=True)


def test_hidden_category_leaves_the_report_form(app, client, auth, make_user, categories):
    admin = make_user("admin")
    auth.login_as(admin)
    with app.app_context(), unit_of_work():
        graffiti = db.session.get(Category, categories["graffiti"])
        data = {
            "name": graffiti.name,
            "name_es": graffiti.name_es,
            "slug": graffiti.slug,
            "department": str(graffiti.department_id),
            "position": "0",
        }  # "active" unticked
    assert client.post(f"/admin/categories/{categories['graffiti']}", data=data).status_code == 302
    client.get("/admin/categories")  # shows (and so clears) the "Saved" message
    assert ">Graffiti</option>" not in client.get("/issues/new").get_data(as_text=True)


def test_bad_category_input_is_explained(app, client, auth, make_user, categories):
    auth.login_as(make_user("admin"))
    with app.app_context(), unit_of_work():
        dept = db.session.scalar(sa.select(Department.id))
    cases = [
        ({"slug": "Street Light!"}, "Use lower-case letters, digits and hyphens"),
        ({"slug": "pothole"}, "Another category already uses this short name."),
    ]
    for overrides, message in cases:
        data = {"name": "X", "name_es": "X", "slug": "ok-slug", "department": str(dept), "position": "0", **overrides}
        response = client.post("/admin/categories/new", data=data)
        assert response.status_code in (400, 409)
        assert message in response.get_data(as_text=True)
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Category)) == len(categories)


def test_only_admins_edit_the_service_list(app, client, auth, make_user, categories):
    auth.login_as(make_user("staff"))
    assert client.get("/admin/categories").status_code == 403
    info = make_user("moderator")
    with app.app_context(), unit_of_work():
        with pytest.raises(PermissionDenied):
            save_category(
                db.session.get(User, info.id),
                None,
                slug="x",
                name="X",
                name_es="X",
                department_id=1,
                active=True,
                position=0,
            )
