"""Who may open and do what: routes × anonymous / resident / staff / moderator / admin, with the expected answer.

302 = sent to sign in (anonymous), 403 = refused, 2xx/3xx after a permitted action. Each row is one route;
a row's expectations are checked by a real request as each role (CSRF is off here: tests/test_csrf_everywhere.py
covers it)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.extensions import db
from tests.conftest import FISHTOWN

ROLES = ("anonymous", "resident", "staff", "moderator", "admin")
OK = "ok"  # any 2xx, or a 3xx that is not the sign-in page

# (method, path template, data, {role: expected}) — expected is OK, 302 (to sign in) or 403.
MATRIX = [
    ("GET", "/account", None, dict(anonymous=302, resident=OK, staff=OK, moderator=OK, admin=OK)),
    ("GET", "/account/my-data", None, dict(anonymous=302, resident=OK, staff=OK, moderator=OK, admin=OK)),
    ("GET", "/staff/", None, dict(anonymous=302, resident=403, staff=OK, moderator=403, admin=OK)),
    ("GET", "/staff/templates", None, dict(anonymous=302, resident=403, staff=OK, moderator=403, admin=OK)),
    (
        "POST",
        "/staff/issues/{issue}/status",
        {"status": "acknowledged", "reason": "On it"},
        dict(anonymous=302, resident=403, staff=OK, moderator=403, admin=OK),
    ),
    (
        "POST",
        "/staff/issues/{issue}/notes",
        {"note": "Crew booked"},
        dict(anonymous=302, resident=403, staff=OK, moderator=403, admin=OK),
    ),
    ("GET", "/admin/users", None, dict(anonymous=302, resident=403, staff=403, moderator=403, admin=OK)),
    ("GET", "/admin/categories", None, dict(anonymous=302, resident=403, staff=403, moderator=403, admin=OK)),
    ("GET", "/moderation/", None, dict(anonymous=302, resident=403, staff=403, moderator=OK, admin=OK)),
    ("GET", "/moderation/issue/{issue}", None, dict(anonymous=302, resident=403, staff=403, moderator=OK, admin=OK)),
    (
        "POST",
        "/moderation/issue/{issue}/dismiss",
        {"reason": "Fine"},
        dict(anonymous=302, resident=403, staff=403, moderator=OK, admin=OK),
    ),
    ("GET", "/moderation/users/{resident}", None, dict(anonymous=302, resident=403, staff=403, moderator=OK, admin=OK)),
    ("GET", "/moderation/log", None, dict(anonymous=302, resident=403, staff=403, moderator=403, admin=OK)),
    (
        "POST",
        "/moderation/flag",
        {"kind": "issue", "target_id": "{issue}", "reason": "spam", "next": "/"},
        dict(anonymous=302, resident=OK, staff=OK, moderator=OK, admin=OK),
    ),
    ("GET", "/events/{event}/edit", None, dict(anonymous=302, resident=403, staff=403, moderator=403, admin=OK)),
    (
        "POST",
        "/events/{event}/checkin",
        {"code": "NOCODE"},
        dict(anonymous=302, resident=403, staff=403, moderator=403, admin=OK),
    ),
    (
        "POST",
        "/events/{event}/supplies/answer",
        {"decision": "decline", "supplies_response": "Not this week"},
        dict(anonymous=302, resident=403, staff=OK, moderator=403, admin=OK),
    ),
    ("GET", "/issues/{issue}", None, dict(anonymous=OK, resident=OK, staff=OK, moderator=OK, admin=OK)),
    ("GET", "/dashboard", None, dict(anonymous=OK, resident=OK, staff=OK, moderator=OK, admin=OK)),
]


@pytest.fixture
def world(app, make_user, make_issue):
    from civic.events import services as events

    people = {
        "resident": make_user(),
        "staff": make_user("staff", department="streets"),
        "moderator": make_user("moderator"),
        "admin": make_user("admin"),
    }
    organiser = make_user()
    issue_id = make_issue(organiser)  # a pothole: the streets department's
    starts = (datetime.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    with app.test_request_context(), unit_of_work():
        event_id = events.create_event(
            db.session.get(User, organiser.id),
            title="Tidy",
            description="",
            starts_local=starts,
            ends_local=starts + timedelta(hours=1),
            meeting_point="Gate",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
            supplies_request="Bags",
        ).id
    return people, {"issue": issue_id, "event": event_id, "resident": people["resident"].id}


def _answer(response) -> object:
    if response.status_code == 302 and "/login" in response.location:
        return 302
    if response.status_code == 403:
        return 403
    return OK if response.status_code < 400 else response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_authorisation_matrix(app, world, role):
    people, ids = world
    client = app.test_client()
    if role != "anonymous":
        person = people[role]
        assert client.post("/login", data={"email": person.email, "password": person.password}).status_code == 302
    wrong = []
    for method, template, data, expected in MATRIX:
        path = template.format(**ids)
        body = {k: v.format(**ids) for k, v in (data or {}).items()}
        response = client.open(path, method=method, data=body)
        if _answer(response) != expected[role]:
            wrong.append(f"{method} {path}: expected {expected[role]}, got {response.status_code}")
    assert wrong == [], f"as {role}:\n" + "\n".join(wrong)
