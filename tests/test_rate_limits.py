"""Rate limits on what residents and partner apps write (reports, comments, votes, the API, GeoReport POST),
the 429 answers (a page for people, JSON for scripts, Retry-After for both), and the per-account sign-in
back-off. Each test lowers one limit and checks that the request over it is refused and writes nothing."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.extensions import db
from civic.issues.models import Comment, Issue, Upvote
from civic.ratelimits import limited
from tests.conftest import FISHTOWN, AuthActions
from tests.live import server_process
from tests.services import REDIS_URL, require_redis

LOCKED = "Too many failed sign-ins for this account."
WRONG = "That email and password do not match an account."


# --- helpers ----------------------------------------------------------------------------------


def count(app, model, *where) -> int:
    with app.app_context(), unit_of_work():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def signed_in(app, user):
    client = app.test_client()
    AuthActions(client).login_as(user)
    return client


def retry_after(response) -> int:
    value = int(response.headers["Retry-After"])
    assert 1 <= value <= 3600, value
    return value


def assert_friendly_page(response) -> None:
    """429, the site's page in words a person understands, and how long to wait."""
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "Too many attempts" in body and 'href="#main"' in body  # the site's layout, not a bare error
    assert "You can try again in" in body
    retry_after(response)


def assert_json_429(response, code: str = "too_many_requests") -> dict:
    assert response.status_code == 429
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert data["error"]["code"] == code and data["error"]["message"]
    assert isinstance(data["retry_after"], int) and data["retry_after"] >= 1
    assert abs(data["retry_after"] - retry_after(response)) <= 1  # the body and the header agree
    return data


def report_form(categories, title: str = "Deep pothole", **overrides) -> dict:
    data = {
        "category": str(categories["pothole"]),
        "title": title,
        "description": "Outside the bakery.",
        "lat": str(FISHTOWN[0]),
        "lon": str(FISHTOWN[1]),
        "duplicates_seen": "1",
    }
    data.update(overrides)
    return data


# --- reporting --------------------------------------------------------------------------------


def test_reporting_is_limited_per_resident(make_app, make_user, categories):
    app = make_app(REPORT_RATE_LIMIT="2 per hour")
    first, second = make_user(), make_user()
    client = signed_in(app, first)
    assert client.get("/issues/new").status_code == 200  # reading the form is free
    # A form sent back for a fix is not a report: it does not count.
    assert client.post("/issues/new", data=report_form(categories, title="")).status_code == 400
    for n in range(2):
        assert client.post("/issues/new", data=report_form(categories, title=f"Pothole {n}")).status_code == 302

    refused = client.post("/issues/new", data=report_form(categories, title="One too many"))
    assert_friendly_page(refused)
    assert count(app, Issue) == 2
    assert count(app, Issue, Issue.title == "One too many") == 0

    # A neighbour at the same address has a budget of their own.
    other = signed_in(app, second)
    assert other.post("/issues/new", data=report_form(categories, title="Neighbour's pothole")).status_code == 302
    assert count(app, Issue) == 3


def test_anonymous_report_posts_are_sent_to_sign_in_without_counting(make_app, make_user, categories):
    app = make_app(REPORT_RATE_LIMIT="1 per hour")
    anonymous = app.test_client()
    for _ in range(3):
        assert anonymous.post("/issues/new", data=report_form(categories)).status_code == 302  # to sign in
    client = signed_in(app, make_user())
    assert client.post("/issues/new", data=report_form(categories)).status_code == 302
    assert count(app, Issue) == 1


# --- comments and votes -----------------------------------------------------------------------


def comment(client, issue_id: int, body: str, **headers):
    return client.post(f"/issues/{issue_id}/comments", data={"body": body}, headers=headers)


def test_commenting_is_limited_per_resident(make_app, make_user, make_issue):
    app = make_app(COMMENT_RATE_LIMIT="2 per hour")
    issue_id = make_issue()
    client = signed_in(app, make_user())
    assert comment(client, issue_id, "").status_code == 400  # empty: explained, not counted
    assert comment(client, issue_id, "Still there this morning.").status_code == 302
    assert comment(client, issue_id, "And again tonight.").status_code == 302

    refused = comment(client, issue_id, "Spam spam spam")
    assert_friendly_page(refused)
    assert count(app, Comment) == 2
    assert count(app, Comment, Comment.body.contains("Spam")) == 0

    other = signed_in(app, make_user())
    assert comment(other, issue_id, "I saw it too.").status_code == 302
    assert count(app, Comment) == 3


def test_a_script_asking_for_json_gets_json_on_a_page_route(make_app, make_user, make_issue):
    app = make_app(COMMENT_RATE_LIMIT="1 per hour")
    issue_id = make_issue()
    client = signed_in(app, make_user())
    assert comment(client, issue_id, "First.").status_code == 302
    refused = comment(client, issue_id, "Second.", Accept="application/json")
    data = assert_json_429(refused)
    assert "You can try again in" in data["error"]["message"]
    assert count(app, Comment) == 1


def test_upvotes_from_the_page_and_the_api_share_one_budget(make_app, make_user, make_issue):
    app = make_app(UPVOTE_RATE_LIMIT="3 per hour")
    issue_id, other_issue = make_issue(), make_issue()
    voter = make_user()
    client = signed_in(app, voter)
    assert client.post(f"/issues/{issue_id}/upvote", data={"upvoted": "1"}).status_code == 302
    assert client.post(f"/issues/{issue_id}/upvote", data={"upvoted": "0"}).status_code == 302
    assert client.post(f"/api/v1/issues/{issue_id}/upvote", json={"upvoted": True}).status_code == 200
    assert count(app, Upvote) == 1

    page = client.post(f"/issues/{other_issue}/upvote", data={"upvoted": "1"})
    assert_friendly_page(page)
    api = client.post(f"/api/v1/issues/{other_issue}/upvote", json={"upvoted": True})
    assert_json_429(api)
    assert count(app, Upvote, Upvote.issue_id == other_issue) == 0
    with app.app_context(), unit_of_work():
        assert db.session.get(Issue, other_issue).upvote_count == 0

    neighbour = signed_in(app, make_user())
    assert neighbour.post(f"/api/v1/issues/{other_issue}/upvote", json={"upvoted": True}).status_code == 200
    assert count(app, Upvote, Upvote.issue_id == other_issue) == 1


# --- the JSON API -----------------------------------------------------------------------------


def test_api_writes_are_limited_per_user(make_app, make_user):
    app = make_app(API_WRITE_RATE_LIMIT="2 per hour")
    user = make_user(display_name="Before")
    client = signed_in(app, user)
    for name in ("One", "Two"):
        assert client.patch("/api/v1/me", json={"display_name": name}).status_code == 200

    refused = client.patch("/api/v1/me", json={"display_name": "Three"})
    data = assert_json_429(refused)
    assert "You can try again in" in data["error"]["message"]
    with app.app_context(), unit_of_work():
        assert db.session.get(User, user.id).display_name == "Two"
    assert client.get("/api/v1/me").status_code == 200  # reads have their own budget

    other = signed_in(app, make_user())
    assert other.patch("/api/v1/me", json={"display_name": "Fine"}).status_code == 200


def test_api_reads_are_limited_per_user_else_per_address(make_app, make_user):
    app = make_app(API_READ_RATE_LIMIT="3 per minute")
    anonymous = app.test_client()
    for _ in range(3):
        assert anonymous.get("/api/v1/").status_code == 200
    assert_json_429(anonymous.get("/api/v1/categories"))  # one budget for every read

    signed = signed_in(app, make_user())  # same address, but counted as this user
    assert signed.get("/api/v1/").status_code == 200


# --- GeoReport v2 POST ------------------------------------------------------------------------


@pytest.fixture
def api_key(app, make_user):
    from civic.georeport.keys import create_api_key

    user = make_user(display_name="Partner App Account")
    with app.app_context(), unit_of_work():
        return create_api_key("Partner 311 app", db.session.get(User, user.id))


def georeport_form(key: str) -> dict:
    return {
        "api_key": key,
        "service_code": "pothole",
        "lat": str(FISHTOWN[0]),
        "long": str(FISHTOWN[1]),
        "description": "Deep pothole in the bike lane on Frankford Ave.",
    }


def test_georeport_post_is_limited_and_answers_an_error_array(make_app, categories, api_key):
    app = make_app(OPEN311_POST_RATE_LIMIT="2 per hour")
    client = app.test_client()
    assert client.get("/open311/v2/services.json").status_code == 200  # reads are not limited
    for _ in range(2):
        assert client.post("/open311/v2/requests.json", data=georeport_form(api_key)).status_code == 200

    refused = client.post("/open311/v2/requests.json", data=georeport_form(api_key))
    assert refused.status_code == 429 and refused.mimetype == "application/json"
    seconds = retry_after(refused)
    [error] = refused.get_json()  # GeoReport's error array, like every other error under /open311/
    assert set(error) == {"code", "description"} and error["code"] == 429
    assert "You can try again in" in error["description"]

    as_xml = client.post("/open311/v2/requests.xml", data=georeport_form(api_key))
    assert as_xml.status_code == 429 and as_xml.mimetype == "text/xml"
    assert b"<errors><error><code>429</code>" in as_xml.data
    assert abs(retry_after(as_xml) - seconds) <= 1
    assert count(app, Issue) == 2


# --- the limit other packages use -------------------------------------------------------------


def test_limited_counts_writes_only_and_reads_its_limit_from_config(make_app, make_user):
    app = make_app(FLAG_RATE_LIMIT="2 per hour")
    writes = []

    @app.route("/test-flag", methods=["GET", "POST", "PUT", "DELETE"])
    @limited("FLAG_RATE_LIMIT")
    def flag():
        from flask import request

        if request.method != "GET":
            writes.append(request.method)
        return "ok"

    client = app.test_client()
    for _ in range(3):
        assert client.get("/test-flag").status_code == 200
    assert client.post("/test-flag").status_code == 200
    assert client.delete("/test-flag").status_code == 200
    assert_friendly_page(client.put("/test-flag"))
    assert writes == ["POST", "DELETE"]
    app.config["FLAG_RATE_LIMIT"] = "5 per hour"  # read at request time
    assert client.post("/test-flag").status_code == 200


def test_every_limit_has_a_default_and_an_environment_override(make_app, monkeypatch):
    from civic import create_app

    names = (
        "LOGIN",
        "REGISTER",
        "RESET",
        "REPORT",
        "COMMENT",
        "UPVOTE",
        "FLAG",
        "API_WRITE",
        "API_READ",
        "OPEN311_POST",
    )
    defaults = make_app().config
    assert all(defaults[f"{name}_RATE_LIMIT"] for name in names)
    monkeypatch.setenv("CIVIC_FLAG_RATE_LIMIT", "7 per day")
    monkeypatch.setenv("CIVIC_LOGIN_LOCKOUT_FAILURES", "3")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["FLAG_RATE_LIMIT"] == "7 per day" and app.config["LOGIN_LOCKOUT_FAILURES"] == 3


# --- sign-in back-off per account -------------------------------------------------------------


@pytest.fixture
def lockout_app(make_app):
    # The per-address limit off (""), so only the per-account back-off is at work here.
    return make_app(LOGIN_RATE_LIMIT="", LOGIN_LOCKOUT_FAILURES=5)


def sign_in(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def fail(client, email: str, times: int) -> list[int]:
    return [sign_in(client, email, "not the right password").status_code for _ in range(times)]


def test_five_failures_lock_the_account_even_for_the_right_password(lockout_app, make_user):
    user, neighbour = make_user(), make_user()
    client = lockout_app.test_client()
    assert fail(client, user.email, 4) == [400] * 4
    fifth = sign_in(client, user.email, "still not it")
    assert fifth.status_code == 429 and LOCKED in fifth.get_data(as_text=True)

    right = sign_in(client, user.email, user.password)
    assert right.status_code == 429
    body = right.get_data(as_text=True)
    assert f"{LOCKED} Try again in 1 minute, or reset your password." in body
    assert 'role="alert"' in body and 'name="email"' in body  # shown on the sign-in form
    assert 55 <= retry_after(right) <= 60
    assert client.get("/account").status_code == 302  # not signed in

    # The same address in other spellings is the same account; another account is not affected.
    assert sign_in(client, f"  {user.email.upper()} ", user.password).status_code == 429
    assert sign_in(lockout_app.test_client(), neighbour.email, neighbour.password).status_code == 302


def test_unknown_addresses_lock_the_same_way(lockout_app):
    client = lockout_app.test_client()
    assert fail(client, "nobody@example.org", 5) == [400] * 4 + [429]  # a lock says nothing about existence


def test_a_successful_sign_in_clears_the_count(lockout_app, make_user):
    user = make_user()
    client = lockout_app.test_client()
    assert fail(client, user.email, 4) == [400] * 4
    assert sign_in(client, user.email, user.password).status_code == 302
    client.post("/logout")
    assert fail(client, user.email, 4) == [400] * 4  # counting starts again
    assert sign_in(client, user.email, user.password).status_code == 302


def test_each_lock_lasts_twice_as_long_up_to_the_cap(make_app, make_user):
    app = make_app(LOGIN_RATE_LIMIT="", LOGIN_LOCKOUT_BASE=1, LOGIN_LOCKOUT_MAX=3)
    user = make_user()
    client = app.test_client()
    waits = []
    for _ in range(3):
        assert fail(client, user.email, 4) == [400] * 4
        locked = sign_in(client, user.email, "wrong again")
        assert locked.status_code == 429
        waits.append(retry_after(locked))
        assert sign_in(client, user.email, user.password).status_code == 429
        time.sleep(waits[-1] + 0.1)
    assert waits == [1, 2, 3]  # 1, 2, then capped at 3 instead of 4
    assert sign_in(client, user.email, user.password).status_code == 302


def test_a_password_reset_lifts_the_lock(lockout_app, make_user):
    from civic.accounts.tokens import make_reset_token

    user = make_user()
    client = lockout_app.test_client()
    fail(client, user.email, 5)
    assert sign_in(client, user.email, user.password).status_code == 429
    with lockout_app.test_request_context(), unit_of_work():
        token = make_reset_token(db.session.get(User, user.id))
    reset = client.post(f"/reset-password/{token}", data={"password": "a brand new long secret"})
    assert reset.status_code == 302
    client.post("/logout")
    assert sign_in(client, user.email, "a brand new long secret").status_code == 302


def test_the_lock_is_shared_by_every_server_process_with_redis(database_url, make_user):
    require_redis()
    user, neighbour = make_user(), make_user()
    env = {
        "CIVIC_DATABASE_URL": database_url,
        "CIVIC_REDIS_URL": REDIS_URL,
        "CIVIC_RATELIMIT_KEY_PREFIX": f"civic-test-{uuid.uuid4().hex}",
        "CIVIC_WTF_CSRF_ENABLED": "false",
    }

    def post(base_url: str, email: str, password: str) -> int:
        data = urllib.parse.urlencode({"email": email, "password": password}).encode()
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(f"{base_url}/login", data=data, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with server_process(env) as first, server_process(env) as second:
        assert [post(first, user.email, "wrong password!") for _ in range(5)] == [400] * 4 + [429]
        assert post(second, user.email, user.password) == 429  # the other process knows
        assert post(second, neighbour.email, neighbour.password) == 302


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
