"""Issue 18: sessions, tokens and accounts that cannot be probed.

Signing out ends every copy of the session (and remember-me) cookie; a new password ends the person's API
tokens and the page says so; sign-in, password reset and registration do the same work and give the same
answer whether or not an address has an account; an API write without credentials is a 401 with the Bearer
challenge."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from civic.accounts import passwords
from civic.accounts.models import User
from civic.database import unit_of_work
from civic.extensions import db
from civic.mail.models import OutgoingMail

NEW_PASSWORD = "lantern orchard pebble tide"


def _token_for(app, user_id: int) -> str:
    from civic.api import tokens

    with app.app_context(), unit_of_work():
        _token, plaintext = tokens.create_token(db.session.get(User, user_id), "my script")
        return plaintext


def _me(client, plaintext: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})


def _outbox(app) -> list[tuple[str, str, str]]:
    with app.app_context(), unit_of_work():
        rows = db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id))
        return [(m.to_address, m.subject, m.body_text) for m in rows]


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _copy_cookie(source, target, name: str) -> None:
    cookie = source.get_cookie(name)
    assert cookie is not None, f"no {name} cookie to copy"
    target.set_cookie(name, cookie.value)


# --- 1. signing out ends every copy of the cookie -------------------------------------------------


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_a_copied_cookie_stops_working_after_sign_out(app, make_user, cookie):
    user = make_user()
    browser, copy = app.test_client(), app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": user.password, "remember": "y"})
    assert response.status_code == 302
    _copy_cookie(browser, copy, cookie)
    assert _signed_in(copy)  # the copy works while the person is signed in

    page = browser.post("/logout", follow_redirects=True).get_data(as_text=True)

    assert "You are signed out on this device and any other." in page
    assert not _signed_in(copy)
    assert not _signed_in(browser)


def test_signing_in_again_after_sign_out_works(app, make_user, auth, client):
    user = make_user()
    auth.login_as(user)
    auth.logout()
    auth.login_as(user)
    assert _signed_in(client)


# --- 2. a new password ends the API tokens ---------------------------------------------------------


def test_changing_the_password_revokes_api_tokens_and_says_so(app, make_user, auth, client):
    user = make_user()
    first, second = _token_for(app, user.id), _token_for(app, user.id)
    assert _me(app.test_client(), first).status_code == 200
    auth.login_as(user)

    response = client.post(
        "/account/password",
        data={"current_password": user.password, "password": NEW_PASSWORD},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert "Other devices have been signed out. Your 2 API tokens were revoked" in page
    for plaintext in (first, second):
        answer = _me(app.test_client(), plaintext)
        assert answer.status_code == 401
        assert answer.get_json()["error"]["code"] == "invalid_token"
    assert _signed_in(client)  # this device stays signed in


def test_changing_the_password_without_tokens_mentions_none(app, make_user, auth, client):
    user = make_user()
    auth.login_as(user)
    page = client.post(
        "/account/password",
        data={"current_password": user.password, "password": NEW_PASSWORD},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Your password is changed. Other devices have been signed out." in page
    assert "revoked" not in page


def test_a_password_reset_revokes_api_tokens_and_says_so(app, make_user, client):
    from civic.accounts.tokens import make_reset_token

    user = make_user()
    plaintext = _token_for(app, user.id)
    other = make_user()
    others_token = _token_for(app, other.id)
    with app.app_context(), unit_of_work():
        reset = make_reset_token(db.session.get(User, user.id))

    page = client.post(f"/reset-password/{reset}", data={"password": NEW_PASSWORD}, follow_redirects=True)

    assert "Your 1 API token was revoked" in page.get_data(as_text=True)
    assert _me(app.test_client(), plaintext).status_code == 401
    assert _me(app.test_client(), others_token).status_code == 200  # only the person's own tokens end


# --- 3. no account discovery: the same work and the same answer ------------------------------------


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """Every password-hash verification made, by the hash's method (the dummy one has the same cost)."""
    seen: list[str] = []
    real = passwords.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        seen.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting)
    return seen


def test_sign_in_verifies_one_hash_of_the_same_cost_for_known_and_unknown_addresses(app, make_user, hash_checks):
    user = make_user()
    known = app.test_client().post("/login", data={"email": user.email, "password": "not the password at all"})
    known_checks = list(hash_checks)
    hash_checks.clear()
    unknown = app.test_client().post("/login", data={"email": "nobody@example.org", "password": "not the password"})

    assert known_checks == hash_checks
    assert len(hash_checks) == 1 and hash_checks[0].startswith("scrypt:")
    assert known.status_code == unknown.status_code == 400
    assert "That email and password do not match an account." in unknown.get_data(as_text=True)
    assert _strip_form_secrets(known, user.email) == _strip_form_secrets(unknown, "nobody@example.org")


def _strip_form_secrets(response, email: str) -> str:
    """The page without what differs by design: the CSRF token, the CSP nonce, the address typed in."""
    body = response.get_data(as_text=True).replace(email, "EMAIL")
    body = re.sub(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}", "CSRF", body)  # the signed CSRF token, wherever it is
    return re.sub(r'nonce="[^"]*"', "NONCE", body)


def _answer(client, path: str, data: dict) -> tuple[int, str | None, str]:
    response = client.post(path, data=data)
    location = response.headers.get("Location")
    page = client.get(location) if location else response
    return response.status_code, location, _strip_form_secrets(page, data["email"])


def test_password_reset_answers_the_same_and_mails_either_way(make_app, make_user, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    user = make_user()

    known = _answer(app.test_client(), "/forgot-password", {"email": user.email})
    unknown = _answer(app.test_client(), "/forgot-password", {"email": "nobody@example.org"})

    assert known == unknown
    assert known[0] == 302
    messages = smtp_server.wait_for(2)
    by_address = {m["To"]: m.get_content() for m in messages}
    assert "/reset-password/" in by_address[user.email]
    assert "no civic account uses this address" in by_address["nobody@example.org"]
    assert "/reset-password/" not in by_address["nobody@example.org"]


def test_registration_answers_the_same_and_mails_the_owner_of_a_known_address(make_app, make_user, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    owner = make_user(display_name="Olga Owner")

    known = _answer(app.test_client(), "/register", {"display_name": "Mallory", "email": owner.email})
    unknown = _answer(app.test_client(), "/register", {"display_name": "Mallory", "email": "new@example.org"})

    assert known == unknown
    assert known[0] == 302
    messages = {m["To"]: m for m in smtp_server.wait_for(2)}
    to_owner = messages[owner.email]
    assert to_owner["Subject"] == "Someone tried to sign up to civic with your address"
    assert "/login" in to_owner.get_content() and "/forgot-password" in to_owner.get_content()
    assert "/register/confirm/" not in to_owner.get_content()
    assert "/register/confirm/" in messages["new@example.org"].get_content()
    with app.app_context(), unit_of_work():  # the owner's account is untouched, no second one is made
        users = db.session.scalars(sa.select(User)).all()
        assert [(u.email, u.display_name) for u in users] == [(owner.email, "Olga Owner")]
    assert app.test_client().post("/login", data={"email": owner.email, "password": owner.password}).status_code == 302


# --- 4. API writes without credentials --------------------------------------------------------------


@pytest.mark.parametrize("csrf", [True, False])
def test_an_api_write_without_credentials_is_a_401_with_the_bearer_challenge(make_app, csrf):
    app = make_app(WTF_CSRF_ENABLED=csrf)
    response = app.test_client().post("/api/v1/issues", json={"title": "A pothole"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["code"] != "csrf_failed"
    assert "Authorization: Bearer" in response.get_json()["error"]["message"]


def test_a_signed_in_api_write_without_its_csrf_token_is_still_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    user = make_user()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": csrf})
    response = client.post("/api/v1/issues", json={"title": "A pothole"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
