"""Registration: a working account, and every bad input refused with a message and nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from civic.accounts.models import Role, User
from civic.database import unit_of_work
from civic.extensions import db


def count_users(app) -> int:
    with app.app_context(), unit_of_work():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def register(client, name="Rosa Parks", email="rosa@example.org", password="sunflower meadow river"):
    return client.post("/register", data={"display_name": name, "email": email, "password": password})


def test_register_creates_a_signed_in_resident_with_a_hashed_password(app, client):
    response = register(client, email="  Rosa@Example.ORG ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    with app.app_context(), unit_of_work():
        user = db.session.scalar(sa.select(User))
        assert user.email == "rosa@example.org"
        assert user.role is Role.RESIDENT
        assert user.password_hash.startswith("scrypt:")
        assert "sunflower" not in user.password_hash
    page = client.get("/account")
    assert page.status_code == 200
    assert "rosa@example.org" in page.get_data(as_text=True)


@pytest.mark.parametrize("second_email", ["rosa@example.org", "ROSA@example.org", "Rosa@EXAMPLE.org "])
def test_taken_email_in_any_case_is_refused(app, client, second_email):
    register(client)
    client.post("/logout")
    response = register(client, name="Someone else", email=second_email)
    assert response.status_code == 409
    assert "An account with this email already exists" in response.get_data(as_text=True)
    assert count_users(app) == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 10 characters"),
        ("x" * 129, "Use at most 128 characters"),
        ("1234567890", "too easy to guess"),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("rosa@example.org", "too easy to guess"),
    ],
)
def test_weak_or_overlong_password_is_refused(app, client, password, message):
    response = register(client, password=password)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    assert 'aria-invalid="true"' in body
    assert count_users(app) == 0


def test_missing_fields_are_explained(app, client):
    response = client.post("/register", data={"display_name": "", "email": "not-an-email", "password": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the name neighbours will see." in body
    assert "Enter an email address like name@example.com." in body
    assert "Choose a password." in body
    assert count_users(app) == 0


def test_missing_csrf_token_is_refused_and_writes_nothing(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = register(app.test_client())
    assert response.status_code == 400
    assert "This form has expired or was sent from another site" in response.get_data(as_text=True)
    assert count_users(app) == 0


def test_form_with_its_csrf_token_registers(make_app):
    import re

    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/register").get_data(as_text=True)
    ).group(1)
    response = client.post(
        "/register",
        data={
            "csrf_token": token,
            "display_name": "Rosa",
            "email": "rosa@example.org",
            "password": "sunflower meadow river",
        },
    )
    assert response.status_code == 302
    assert count_users(app) == 1


def test_html_in_a_name_is_shown_as_text(client):
    register(client, name="<script>alert(1)</script>")
    body = client.get("/account").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_same_email_registered_at_once_makes_one_account_and_polite_refusals(app):
    """Five sign-ups with one address at the same instant: one account; the others are told the address is
    taken (the unique index decides the race; any other database fault would not be dressed up as that)."""
    from tests.concurrency import run_together

    answers = []

    def sign_up():
        response = register(app.test_client(), email="same@example.org")
        answers.append((response.status_code, response.get_data(as_text=True)))

    assert run_together([sign_up] * 5) == []
    assert sorted(status for status, _ in answers) == [302, 409, 409, 409, 409]
    assert all("An account with this email already exists." in body for status, body in answers if status == 409)
    assert count_users(app) == 1
