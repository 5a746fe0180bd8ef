"""Personal API tokens: made on /account/api-tokens (shown once, only the hash kept), used as
`Authorization: Bearer` on /api/v1 writes without a CSRF token and without a session cookie; revoked, unknown
or suspended tokens are a 401 that never falls back to the session; the session's own API writes still need
X-CSRFToken; my tokens are mine to revoke, ten at most, gone with my account and listed in my data."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.accounts.models import User
from civic.api import tokens
from civic.api.models import ApiToken
from civic.database import unit_of_work, utcnow
from civic.errors import NotFound, PermissionDenied, ValidationError
from civic.extensions import db
from civic.issues.models import Upvote
from tests.test_csrf_everywhere import meta_token, sign_in, token_in_form

PAGE = "/account/api-tokens"
TOKEN_RE = re.compile(r"civic_[A-Za-z0-9_-]{43}")


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)


def new_token(app, user_info, name: str = "my phone app") -> str:
    with app.app_context(), unit_of_work():
        _token, plaintext = tokens.create_token(db.session.get(User, user_info.id), name)
        return plaintext


def bearer(plaintext: str) -> dict:
    return {"Authorization": f"Bearer {plaintext}"}


def display_name(app, user_id: int) -> str:
    with app.app_context(), unit_of_work():
        return db.session.get(User, user_id).display_name


def token_rows(app, user_id: int) -> list[ApiToken]:
    with app.app_context(), unit_of_work():
        rows = list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))
        db.session.expunge_all()
        return rows


def sets_session_cookie(response) -> bool:
    return any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie"))


def assert_invalid_token(response):
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.is_json and response.get_json()["error"]["code"] == "invalid_token"
    assert response.get_json()["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert not sets_session_cookie(response)


# --- the page -----------------------------------------------------------------------------------


def test_a_token_made_on_the_page_is_shown_once_and_only_its_hash_is_kept(csrf_app, make_user):
    me = make_user(display_name="Tess Token")
    client = sign_in(csrf_app, me)
    assert f'href="{PAGE}"' in client.get("/account").get_data(as_text=True)  # linked from "Your data"
    page = client.get(PAGE)
    assert page.status_code == 200 and "You have no API tokens yet." in page.get_data(as_text=True)

    csrf_token = token_in_form(page.get_data(as_text=True), PAGE, PAGE)
    assert client.post(PAGE, data={"name": "No token"}).status_code == 400  # the form is CSRF-protected
    created = client.post(PAGE, data={"name": "my phone app", "csrf_token": csrf_token})
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    [plaintext] = set(TOKEN_RE.findall(html))
    assert "Copy it now: this is the only time it is shown." in html
    assert created.headers["Cache-Control"] == "private, no-store"

    [row] = token_rows(csrf_app, me.id)
    assert row.name == "my phone app" and row.revoked_at is None and row.last_used_at is None
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert row.prefix == plaintext[:12]
    with csrf_app.app_context(), unit_of_work(), db.engine.connect() as conn:
        stored = [str(v) for r in conn.execute(sa.text("SELECT * FROM api_tokens")) for v in r]
    assert not any(plaintext in value or plaintext[12:] in value for value in stored)

    again = client.get(PAGE).get_data(as_text=True)
    assert plaintext not in again and TOKEN_RE.search(again) is None
    assert "my phone app" in again and f"{row.prefix}…" in again and "Never" in again


def test_the_name_is_required_and_short(app, client, auth, make_user):
    me = make_user()
    auth.login_as(me)
    empty = client.post(PAGE, data={"name": "   "})
    assert empty.status_code == 400 and "Give the token a name" in empty.get_data(as_text=True)
    long = client.post(PAGE, data={"name": "x" * 81})
    assert long.status_code == 400 and "Use at most 80 characters." in long.get_data(as_text=True)
    assert token_rows(app, me.id) == []
    with app.app_context(), unit_of_work(), pytest.raises(ValidationError):
        tokens.create_token(db.session.get(User, me.id), "")


def test_the_page_needs_sign_in(client):
    assert client.get(PAGE).status_code == 302
    assert "/login" in client.post(PAGE, data={"name": "x"}).headers["Location"]


def test_at_most_ten_active_tokens(app, client, auth, make_user):
    me = make_user()
    for n in range(tokens.MAX_ACTIVE_TOKENS):
        new_token(app, me, f"script {n}")
    auth.login_as(me)
    refused = client.post(PAGE, data={"name": "one too many"})
    assert refused.status_code == 400
    assert "You already have 10 active tokens, the most allowed." in refused.get_data(as_text=True)
    assert len(token_rows(app, me.id)) == 10

    first = token_rows(app, me.id)[0]
    assert client.post(f"{PAGE}/{first.id}/revoke").status_code == 302
    assert client.post(PAGE, data={"name": "now there is room"}).status_code == 200
    rows = token_rows(app, me.id)
    assert len(rows) == 11 and sum(r.revoked_at is None for r in rows) == 10


def test_someone_else_cannot_revoke_my_token(csrf_app, make_user):
    me, other = make_user(), make_user()
    plaintext = new_token(csrf_app, me)
    [row] = token_rows(csrf_app, me.id)

    theirs = sign_in(csrf_app, other)
    csrf_token = meta_token(theirs.get(PAGE).get_data(as_text=True))
    response = theirs.post(f"{PAGE}/{row.id}/revoke", data={"csrf_token": csrf_token})
    assert response.status_code == 404
    assert token_rows(csrf_app, me.id)[0].revoked_at is None
    assert csrf_app.test_client().get("/api/v1/me", headers=bearer(plaintext)).get_json()["id"] == me.id
    with csrf_app.app_context(), unit_of_work(), pytest.raises(NotFound):
        tokens.revoke_token(db.session.get(User, other.id), row.id)


# --- using a token ------------------------------------------------------------------------------


def test_bearer_writes_need_no_csrf_token_and_get_no_session(csrf_app, make_user, make_issue):
    me = make_user(display_name="Before")
    issue_id = make_issue(make_user())
    plaintext = new_token(csrf_app, me)
    client = csrf_app.test_client()

    renamed = client.patch("/api/v1/me", json={"display_name": "Renamed by my script"}, headers=bearer(plaintext))
    assert renamed.status_code == 200, renamed.get_data(as_text=True)
    assert renamed.get_json()["display_name"] == "Renamed by my script"
    assert not sets_session_cookie(renamed) and "Set-Cookie" not in renamed.headers
    assert display_name(csrf_app, me.id) == "Renamed by my script"

    voted = client.post(f"/api/v1/issues/{issue_id}/upvote", json={"upvoted": True}, headers=bearer(plaintext))
    assert voted.status_code == 200, voted.get_data(as_text=True)
    assert voted.get_json()["upvoted"] is True
    assert "Set-Cookie" not in voted.headers
    with csrf_app.app_context(), unit_of_work():
        assert db.session.get(Upvote, (issue_id, me.id)) is not None

    # Nothing was kept between those requests: without the header the client is nobody.
    assert client.get_cookie("session") is None
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert token_rows(csrf_app, me.id)[0].last_used_at is not None


def test_no_session_is_saved_for_a_bearer_request_whatever_touches_it(make_app, make_user):
    from flask import jsonify, session

    app = make_app()

    @app.get("/api/v1/_writes-the-session")  # stands for any code that might write to the session one day
    def writes_the_session():
        session["touched"] = True
        return jsonify(ok=True)

    me = make_user()
    plaintext = new_token(app, me)
    client = app.test_client()
    assert sets_session_cookie(client.get("/api/v1/_writes-the-session"))  # a session caller's is saved
    fresh = app.test_client()
    response = fresh.get("/api/v1/_writes-the-session", headers=bearer(plaintext))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert fresh.get_cookie("session") is None


def test_last_used_moves_at_most_once_a_minute(app, make_user):
    me = make_user()
    plaintext = new_token(app, me)
    client = app.test_client()
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
    first = token_rows(app, me.id)[0].last_used_at
    assert first is not None
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
    assert token_rows(app, me.id)[0].last_used_at == first
    with app.app_context(), unit_of_work():
        db.session.execute(sa.update(ApiToken).values(last_used_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
    assert token_rows(app, me.id)[0].last_used_at > first - timedelta(seconds=1)
    assert token_rows(app, me.id)[0].last_used_at >= utcnow() - timedelta(seconds=30)


def test_a_revoked_token_is_refused(csrf_app, make_user):
    me = make_user(display_name="Before")
    plaintext = new_token(csrf_app, me)
    [row] = token_rows(csrf_app, me.id)
    page_client = sign_in(csrf_app, me)
    page = page_client.get(PAGE).get_data(as_text=True)
    action = f"{PAGE}/{row.id}/revoke"
    revoked = page_client.post(action, data={"csrf_token": token_in_form(page, PAGE, action)})
    assert revoked.status_code == 302
    assert "Revoked" in page_client.get(PAGE).get_data(as_text=True)

    response = csrf_app.test_client().patch("/api/v1/me", json={"display_name": "After"}, headers=bearer(plaintext))
    assert_invalid_token(response)
    assert display_name(csrf_app, me.id) == "Before"


def test_a_garbage_token_is_refused_even_with_a_valid_session(csrf_app, make_user):
    me = make_user(display_name="Before")
    client = sign_in(csrf_app, me)
    header = {"X-CSRFToken": meta_token(client.get("/").get_data(as_text=True))}

    for garbage in ("civic_not-a-real-token", "nonsense", ""):
        response = client.patch("/api/v1/me", json={"display_name": "After"}, headers={**header, **bearer(garbage)})
        assert_invalid_token(response)
        assert_invalid_token(client.get("/api/v1/me", headers=bearer(garbage)))
    assert display_name(csrf_app, me.id) == "Before"
    assert client.get("/api/v1/me").get_json()["id"] == me.id  # the session itself is untouched


def test_the_token_not_the_session_decides_who_acts(csrf_app, make_user):
    me, other = make_user(display_name="Me"), make_user(display_name="Other")
    plaintext = new_token(csrf_app, other)
    client = sign_in(csrf_app, me)
    response = client.patch("/api/v1/me", json={"display_name": "Other, by script"}, headers=bearer(plaintext))
    assert response.status_code == 200 and response.get_json()["id"] == other.id
    assert display_name(csrf_app, me.id) == "Me" and display_name(csrf_app, other.id) == "Other, by script"
    assert not sets_session_cookie(response)
    assert client.get("/api/v1/me").get_json()["id"] == me.id


def test_a_suspended_accounts_token_is_refused(csrf_app, make_user):
    me = make_user(display_name="Before")
    plaintext = new_token(csrf_app, me)
    with csrf_app.app_context(), unit_of_work():
        db.session.get(User, me.id).suspended_at = utcnow()
        db.session.commit()
    response = csrf_app.test_client().patch("/api/v1/me", json={"display_name": "After"}, headers=bearer(plaintext))
    assert_invalid_token(response)
    assert display_name(csrf_app, me.id) == "Before"
    with csrf_app.app_context(), unit_of_work(), pytest.raises(PermissionDenied):
        tokens.create_token(db.session.get(User, me.id), "another")


def test_session_api_writes_still_need_the_csrf_header(csrf_app, make_user):
    me = make_user(display_name="Before")
    client = sign_in(csrf_app, me)
    refused = client.patch("/api/v1/me", json={"display_name": "After"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    assert display_name(csrf_app, me.id) == "Before"
    # A header that is not a bearer token changes nothing: still the session, still its CSRF check.
    basic = client.patch("/api/v1/me", json={"display_name": "After"}, headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 400 and basic.get_json()["error"]["code"] == "csrf_failed"
    accepted = client.patch(
        "/api/v1/me",
        json={"display_name": "After"},
        headers={"X-CSRFToken": meta_token(client.get("/").get_data(as_text=True))},
    )
    assert accepted.status_code == 200 and display_name(csrf_app, me.id) == "After"


def test_tokens_open_the_api_only(app, make_user):
    me = make_user()
    plaintext = new_token(app, me)
    response = app.test_client().get("/account", headers=bearer(plaintext))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- my data and my account ---------------------------------------------------------------------


def test_my_data_lists_my_tokens_without_their_hash(app, client, auth, make_user):
    me = make_user()
    plaintext = new_token(app, me, "home automation")
    [row] = token_rows(app, me.id)
    auth.login_as(me)
    archive = zipfile.ZipFile(io.BytesIO(client.post("/account/my-data").data))
    raw = archive.read("data.json").decode()
    [listed] = json.loads(raw)["api_tokens"]
    assert listed["name"] == "home automation" and listed["prefix"] == row.prefix
    assert set(listed) == {"name", "prefix", "created_at", "last_used_at", "revoked_at"}
    assert row.token_hash not in raw and plaintext not in raw


def test_deleting_my_account_deletes_my_tokens(app, client, auth, make_user):
    me, other = make_user(), make_user()
    mine, theirs = new_token(app, me), new_token(app, other)
    auth.login_as(me)
    assert client.post("/account/delete", data={"password": me.password, "confirm": "DELETE"}).status_code == 302
    assert token_rows(app, me.id) == []
    assert len(token_rows(app, other.id)) == 1
    assert_invalid_token(app.test_client().get("/api/v1/me", headers=bearer(mine)))
    assert app.test_client().get("/api/v1/me", headers=bearer(theirs)).status_code == 200
