"""Registration: a working account, and every bad input refused with a message and nothing written.

Sign-up has two steps (civic/accounts/services.py start_registration): the form mails a link, whether or not
the address has an account; the link leads to choosing a password, which makes the account and signs in."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from civic.accounts.models import Role, User
from civic.database import unit_of_work
from civic.extensions import db
from tests.signup import confirm_path, sign_up


def count_users(app) -> int:
    with app.app_context(), unit_of_work():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def register(app, client, name="Rosa Parks", email="rosa@example.org", password="sunflower meadow river"):
    return sign_up(app, client, name, email, password)


def test_register_creates_a_signed_in_resident_with_a_hashed_password(app, client):
    started = client.post("/register", data={"display_name": "Rosa Parks", "email": "  Rosa@Example.ORG "})
    assert started.status_code == 302
    sent = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "We have sent an e-mail to Rosa@Example.ORG" in sent
    assert count_users(app) == 0  # nothing is made until the link is opened

    response = client.post(confirm_path(app, "rosa@example.org"), data={"password": "sunflower meadow river"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    with app.app_context(), unit_of_work():
        user = db.session.scalar(sa.select(User))
        assert user.email == "rosa@example.org"
        assert user.display_name == "Rosa Parks"
        assert user.role is Role.RESIDENT
        assert user.password_hash.startswith("scrypt:")
        assert "sunflower" not in user.password_hash
    page = client.get("/account")
    assert page.status_code == 200
    assert "rosa@example.org" in page.get_data(as_text=True)


@pytest.mark.parametrize("second_email", ["rosa@example.org", "ROSA@example.org", "Rosa@EXAMPLE.org "])
def test_taken_email_in_any_case_makes_no_second_account_and_mails_the_owner(app, client, second_email):
    register(app, client)
    client.post("/logout")
    response = client.post("/register", data={"display_name": "Someone else", "email": second_email})
    assert response.status_code == 302
    assert "We have sent an e-mail to" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count_users(app) == 1


def test_a_sign_up_link_is_spent_once_the_account_exists(app, client):
    client.post("/register", data={"display_name": "Rosa", "email": "rosa@example.org"})
    path = confirm_path(app, "rosa@example.org")
    assert client.post(path, data={"password": "sunflower meadow river"}).status_code == 302
    client.post("/logout")
    again = client.get(path)
    assert again.status_code == 400
    assert "This sign-up link has been used" in again.get_data(as_text=True)
    assert count_users(app) == 1


@pytest.mark.parametrize("token", ["not-a-token", "eyJlbWFpbCI6InhAeS5vcmcifQ.Zz.forged"])
def test_a_tampered_sign_up_link_is_refused(client, token):
    response = client.get(f"/register/confirm/{token}")
    assert response.status_code == 400
    assert "This sign-up link is not valid" in response.get_data(as_text=True)


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
    response = register(app, client, password=password)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    assert 'aria-invalid="true"' in body
    assert count_users(app) == 0


def test_missing_fields_are_explained(app, client):
    response = client.post("/register", data={"display_name": "", "email": "not-an-email"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the name neighbours will see." in body
    assert "Enter an email address like name@example.com." in body
    client.post("/register", data={"display_name": "Rosa", "email": "rosa@example.org"})
    confirm = client.post(confirm_path(app, "rosa@example.org"), data={"password": ""})
    assert confirm.status_code == 400
    assert "Choose a password." in confirm.get_data(as_text=True)
    assert count_users(app) == 0


def test_missing_csrf_token_is_refused_and_writes_nothing(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/register", data={"display_name": "Rosa", "email": "rosa@example.org"})
    assert response.status_code == 400
    assert "This form has expired or was sent from another site" in response.get_data(as_text=True)
    assert confirm_path(app, "rosa@example.org") is None


def test_forms_with_their_csrf_tokens_register(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()

    def csrf(path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    started = client.post(
        "/register", data={"csrf_token": csrf("/register"), "display_name": "Rosa", "email": "rosa@example.org"}
    )
    assert started.status_code == 302
    path = confirm_path(app, "rosa@example.org")
    response = client.post(path, data={"csrf_token": csrf(path), "password": "sunflower meadow river"})
    assert response.status_code == 302
    assert count_users(app) == 1


def test_html_in_a_name_is_shown_as_text(app, client):
    register(app, client, name="<script>alert(1)</script>")
    body = client.get("/account").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_same_link_confirmed_at_once_makes_one_account_and_polite_refusals(app):
    """Five confirmations of one sign-up link at the same instant: one account; the others are told the address
    is taken (the unique index decides the race; any other database fault would not be dressed up as that)."""
    from tests.concurrency import run_together

    app.test_client().post("/register", data={"display_name": "Same", "email": "same@example.org"})
    path = confirm_path(app, "same@example.org")
    answers = []

    def confirm():
        response = app.test_client().post(path, data={"password": "sunflower meadow river"})
        answers.append((response.status_code, response.get_data(as_text=True)))

    assert run_together([confirm] * 5) == []
    assert sorted(status for status, _ in answers)[0] == 302
    refusals = [body for status, body in answers if status != 302]
    assert len(refusals) == 4
    assert all(
        "An account with this email already exists." in body or "This sign-up link has been used" in body
        for body in refusals
    )
    assert count_users(app) == 1


def test_an_expired_sign_up_link_says_so_and_makes_nothing(app, client, monkeypatch):
    from civic.accounts import tokens

    client.post("/register", data={"display_name": "Rosa", "email": "rosa@example.org"})
    path = confirm_path(app, "rosa@example.org")
    monkeypatch.setattr(tokens, "REGISTRATION_MAX_AGE", -1)  # every link is older than that
    response = client.post(path, data={"password": "sunflower meadow river"})
    assert response.status_code == 400
    assert "This sign-up link has expired" in response.get_data(as_text=True)
    assert count_users(app) == 0
