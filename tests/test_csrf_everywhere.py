"""CSRF on every state-changing route, found by walking the URL map (so routes added later are covered).

With CSRF switched on (TestConfig switches it off), an administrator -- who may do everything -- sends each
POST/PUT/PATCH/DELETE route a plausible body *without* a token. Every route must answer Flask-WTF's 400 and
change nothing: not the database, not the session. The only routes allowed through are the reviewed
exemptions in EXEMPT below, which authenticate by something a forged cross-site request cannot carry;
a new exemption (`csrf.exempt` on a view or blueprint, or any other way of skipping the check) fails
these tests until it is reviewed and added there. A blueprint in EXEMPT_BLUEPRINTS skips Flask-WTF's global
check only to run it itself where it is needed: the sweep still requires every one of its routes to refuse
this session-authenticated request.

Also here: the positive case (the token read from the page's form is accepted), and the JSON API's
session-authenticated writes, which need the X-CSRFToken header.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import request
from flask_wtf.csrf import CSRFError
from werkzeug.routing.converters import AnyConverter, NumberConverter

from civic.accounts.models import EmailFrequency, User
from civic.database import unit_of_work
from civic.extensions import csrf as csrf_extension
from civic.extensions import db
from tests.conftest import DEFAULT_PASSWORD, FISHTOWN

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CSRF_MESSAGE = "This form has expired or was sent from another site."

# endpoint -> why a cross-site request cannot abuse it (reviewed; keep the reason with the exemption).
EXEMPT = {
    # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie and no token. The signed,
    # per-user token in the URL is the proof; the session is never consulted.
    "notifications.unsubscribe": "one-click unsubscribe (RFC 8058), authorised by the signed token in the URL",
    # Open311 GeoReport v2: other 311 apps POST form-encoded requests with an api_key. The reporter is the
    # key's user, never the signed-in visitor, so a forged request from a browser has no one to act as.
    "georeport.create_request": "GeoReport v2 POST, authenticated by api_key, not by the session",
}

# blueprint -> why it may skip Flask-WTF's global check (reviewed). Each still refuses a session request without
# the token (the sweep below proves it, route by route); only what the reason names goes without.
EXEMPT_BLUEPRINTS = {
    # The JSON API: callers with "Authorization: Bearer <personal token>" send no cookie a browser would attach
    # to a forged request, and a page cannot set that header on another site. civic/api/auth.py.
    "api": "checks CSRF itself for session callers; bearer-token callers need none",
}

# The least number of write routes the app has had (moderation and later domains only add to it): the
# sweep must never pass by finding nothing to try.
MIN_WRITE_ROUTES = 45


# --- the world the sweep runs in ---------------------------------------------------------------


@pytest.fixture
def csrf_app(make_app):
    # No rate limits: the sweep posts to /login, /register and /forgot-password like to every route.
    return make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)


@pytest.fixture
def world(app, make_user, make_issue, categories):
    """One of everything a URL can point at, so the ids in URLs exist ("ids": {URL argument: value})."""
    from civic.events import services as events
    from civic.issues import services as issues
    from civic.notifications import services as notifications
    from civic.notifications.models import AreaKind, Notification
    from civic.staff import replies

    admin = make_user("admin", display_name="Ada Admin")
    staff = make_user("staff", department="streets", display_name="Sam Staff")
    neighbour = make_user(display_name="Nia")
    issue_id = make_issue(neighbour, title="Loose paving slab")
    starts = datetime.now(ZoneInfo("America/New_York")).replace(tzinfo=None, second=0, microsecond=0) + timedelta(
        days=3
    )
    with app.test_request_context(), unit_of_work():
        admin_row, staff_row = db.session.get(User, admin.id), db.session.get(User, staff.id)
        neighbour_row = db.session.get(User, neighbour.id)
        issue = issues.get_issue(issue_id)
        comment = issues.add_comment(admin_row, issue, "Seen it too.")  # the neighbour follows: a notification
        event = events.create_event(
            admin_row,
            title="Spring clean-up",
            description="Bags provided",
            starts_local=starts,
            ends_local=starts + timedelta(hours=2),
            meeting_point="Girard & Front",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
        )
        area = notifications.follow_area(
            admin_row, name="Home block", kind=AreaKind.CIRCLE, lat=FISHTOWN[0], lon=FISHTOWN[1], radius_m=500
        )
        template = replies.save_template(
            staff_row, None, title="Thanks", body="We are on it.", category_id=None, status=None
        )
        notification = db.session.scalar(sa.select(Notification).where(Notification.user_id == neighbour_row.id))
        return {
            "admin": admin,
            "staff": staff,
            "neighbour": neighbour,
            "ids": {
                "issue_id": issue_id,
                "comment_id": comment.id,
                "event_id": event.id,
                "user_id": staff.id,
                "area_id": area.id,
                "template_id": template.id,
                "category_id": categories["pothole"],
                "notification_id": notification.id,
                "locale": "es",
            },
            "department_id": staff_row.department_id,
        }


def form_body(world) -> dict:
    """A body every civic form would find plausible (forms ignore the fields they do not have)."""
    ids = world["ids"]
    starts = (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%dT10:00")
    ends = (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%dT12:00")
    return {
        # accounts
        "email": "someone@example.org",
        "password": "a brand new passphrase",
        "current_password": DEFAULT_PASSWORD,
        "display_name": "Renamed by a forged form",
        "locale": "es",
        "home_neighbourhood": "",
        "remember": "y",
        "role": "staff",
        "department": str(world["department_id"]),
        "verified": "y",
        "next": "/",
        # issues and comments
        "category": str(ids["category_id"]),
        "title": "Forged title",
        "description": "Forged description",
        "address": "Girard & Front",
        "lat": str(FISHTOWN[0]),
        "lon": str(FISHTOWN[1]),
        "duplicates_seen": "1",
        "body": "Forged comment",
        "upvoted": "1",
        "following": "1",
        "id": str(ids["notification_id"]),
        # staff
        "status": "acknowledged",
        "reason": "Forged reason",
        "reply": "Forged reply",
        "note": "Forged note",
        "assignee": str(world["staff"].id),
        "answer": "yes",
        "comment": "Forged answer",
        "issue": str(ids["issue_id"]),
        # admin
        "name": "Forged name",
        "name_es": "Nombre",
        "slug": "forged",
        "position": "1",
        "active": "y",
        # notifications
        "kind": "circle",
        "radius_m": "500",
        "email_frequency": "never",
        # events
        "starts_at": starts,
        "ends_at": ends,
        "meeting_point": "Forged place",
        "capacity": "10",
        "what_to_bring": "Gloves",
        "supplies_request": "Bags",
        "supplies_response": "Yes",
        "decision": "accept",
        "summary": "Forged report",
        "going": "1",
        "guest_name": "Guest",
        "guest_email": "guest@example.org",
        "code": "ABCDEF",
        "issue_id": str(ids["issue_id"]),
        "issue_ids": str(ids["issue_id"]),
        "event_id": str(ids["event_id"]),
        # 311
        "service_request_id": "12345",
        "consent": "1",
        "api_key": "not-a-key",
        "service_code": "pothole",
        "long": str(FISHTOWN[1]),
        "List-Unsubscribe": "One-Click",
    }


JSON_BODY = {"display_name": "Renamed by a forged request", "upvoted": True}


# --- helpers -----------------------------------------------------------------------------------


def write_routes(app) -> list[tuple[object, str]]:
    """(rule, method) for every rule of the URL map that accepts a state-changing method."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in WRITE_METHODS:
            if method in (rule.methods or ()):
                found.append((rule, method))
    return found


def url_for_rule(rule, ids: dict) -> str:
    """The rule's own URL (not another rule of the same endpoint), arguments filled with existing ids where
    the name is known, otherwise 1 for numbers and "x" for text."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif name in ids:
            values[name] = ids[name]
        elif isinstance(converter, NumberConverter):
            values[name] = 1
        else:
            values[name] = "x"
    _domain, path = rule.build(values, append_unknown=False)
    return path


def database_state(app) -> dict:
    """Every row of every table actually in the database (not just the models this checkout knows)."""
    with app.app_context(), unit_of_work():
        with db.engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            return {
                name: sorted((tuple(row) for row in conn.execute(sa.text(f'SELECT * FROM "{name}"'))), key=repr)
                for name in names
            }


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


class _Forms(HTMLParser):
    """Each <form>'s action and its csrf_token field."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "token": None})
        elif tag == "input" and attrs.get("name") == "csrf_token" and self.forms:
            self.forms[-1]["token"] = attrs.get("value")


def token_in_form(html: str, page: str, action: str | None = None) -> str:
    """The csrf_token field of the form on `page` posting to `action` (a form without one posts to the page)."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if (form["action"] or page) == (action or page) and form["token"]:
            return form["token"]
    raise AssertionError(f"no form posting to {action or page} with a csrf_token on {page}")


def meta_token(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)


def sign_in(app, user) -> object:
    """Sign in through the real form, token and all (CSRF is on here)."""
    client = app.test_client()
    token = token_in_form(client.get("/login").get_data(as_text=True), "/login")
    response = client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    client.get(response.headers["Location"])  # shows (and so clears) the "You are signed in." message
    return client


@pytest.fixture
def csrf_rejections(monkeypatch):
    """Endpoints whose request Flask-WTF's check refused (recorded where the CSRFError is raised)."""
    seen: list[str] = []
    original = csrf_extension.protect

    def recording(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except CSRFError:
            seen.append(request.endpoint)
            raise

    monkeypatch.setattr(csrf_extension, "protect", recording)
    return seen


def looks_like_csrf_error(response, rule) -> bool:
    """Flask-WTF's 400, as the site shows it: its page, or the JSON error under /api/."""
    if response.status_code != 400:
        return False
    if rule.rule.startswith("/api/"):
        body = response.get_json(silent=True) or {}
        return response.is_json and body.get("error", {}).get("code") == "csrf_failed"
    if response.mimetype == "text/html":
        return CSRF_MESSAGE in response.get_data(as_text=True)
    return True  # a blueprint with its own error format (e.g. GeoReport's): the recorder is the proof


def send(client, rule, method: str, url: str, world):
    if rule.rule.startswith("/api/"):
        return client.open(url, method=method, json=JSON_BODY)
    return client.open(url, method=method, data=form_body(world))


# --- the sweep ---------------------------------------------------------------------------------


def test_every_state_changing_route_rejects_a_request_without_a_csrf_token(csrf_app, world, csrf_rejections):
    client = sign_in(csrf_app, world["admin"])
    routes = write_routes(csrf_app)
    assert len(routes) >= MIN_WRITE_ROUTES, [f"{m} {r.rule}" for r, m in routes]

    problems, let_through = [], set()
    for rule, method in routes:
        url = url_for_rule(rule, world["ids"])
        before_db, before_session = database_state(csrf_app), session_of(client)
        del csrf_rejections[:]
        response = send(client, rule, method, url, world)
        after_db, after_session = database_state(csrf_app), session_of(client)

        rejected = csrf_rejections == [rule.endpoint]
        if not rejected:
            let_through.add(rule.endpoint)
            if rule.endpoint in EXEMPT:
                # Exempt, but a forged request (bogus api_key, unsigned token) must still be refused.
                if response.status_code < 400 or changed_tables(before_db, after_db):
                    problems.append(
                        f"{method} {url} ({rule.endpoint}): exempt route acted on a forged request "
                        f"({response.status_code}, changed {changed_tables(before_db, after_db)})"
                    )
                continue
            problems.append(
                f"{method} {url} ({rule.endpoint}): answered {response.status_code} without the CSRF check refusing it"
            )
            continue
        if not looks_like_csrf_error(response, rule):
            problems.append(
                f"{method} {url} ({rule.endpoint}): refused, but answered {response.status_code} "
                f"{response.mimetype} instead of the CSRF error page"
            )
        if changed_tables(before_db, after_db):
            problems.append(f"{method} {url} ({rule.endpoint}): changed {changed_tables(before_db, after_db)}")
        if before_session != after_session:
            problems.append(
                f"{method} {url} ({rule.endpoint}): changed the session: {before_session} -> {after_session}"
            )

    assert not problems, "\n".join(problems)
    # Behaviour and review agree: exactly the reviewed routes skip the check (a new exempt route fails here).
    assert let_through == set(EXEMPT), f"routes that skip the CSRF check: {sorted(let_through)}"
    # Still the admin, still signed in, after posting to /logout and /language/es without a token.
    assert client.get("/api/v1/me").get_json()["id"] == world["admin"].id


def test_the_exemption_registry_holds_exactly_the_reviewed_routes(csrf_app):
    """What Flask-WTF itself will skip: views marked with csrf.exempt and whole exempt blueprints."""
    exempt, exempt_blueprints = set(), set()
    for rule in csrf_app.url_map.iter_rules():
        view = csrf_app.view_functions[rule.endpoint]
        blueprint_name = rule.endpoint.rpartition(".")[0]
        blueprint = csrf_app.blueprints.get(blueprint_name)
        if blueprint is not None and blueprint in csrf_extension._exempt_blueprints:
            exempt_blueprints.add(blueprint_name)
        if f"{view.__module__}.{view.__name__}" in csrf_extension._exempt_views:
            exempt.add(rule.endpoint)
    assert exempt == set(EXEMPT)
    assert exempt_blueprints == set(EXEMPT_BLUEPRINTS)
    assert csrf_app.config["WTF_CSRF_CHECK_DEFAULT"] is True
    assert set(WRITE_METHODS) <= set(csrf_app.config["WTF_CSRF_METHODS"])


def test_exempt_routes_do_not_act_on_the_signed_in_session(csrf_app, world):
    from civic.issues.models import Issue

    client = sign_in(csrf_app, world["admin"])
    issues_before = database_state(csrf_app)["issues"]

    # GeoReport POST from a signed-in browser, no api_key: refused, whoever is signed in.
    response = client.post(
        "/open311/v2/requests.json",
        data={"service_code": "pothole", "lat": FISHTOWN[0], "long": FISHTOWN[1], "description": "Forged request"},
    )
    assert response.status_code == 403
    assert response.get_json()[0]["code"] == 403
    assert database_state(csrf_app)["issues"] == issues_before

    # One-click unsubscribe without a valid signed token: refused, and the signed-in admin stays subscribed.
    response = client.post(
        "/unsubscribe/x", data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    with csrf_app.app_context(), unit_of_work():
        assert db.session.get(User, world["admin"].id).email_frequency is not EmailFrequency.NEVER
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == len(issues_before)


# --- the positive case, and the JSON API ------------------------------------------------------


def test_a_form_post_with_the_token_from_the_page_is_accepted(csrf_app, world, csrf_rejections):
    from civic.issues.models import Comment

    client = sign_in(csrf_app, world["admin"])
    issue_id = world["ids"]["issue_id"]
    action = f"/issues/{issue_id}/comments"

    without = client.post(action, data={"body": "No token"})
    assert without.status_code == 400 and CSRF_MESSAGE in without.get_data(as_text=True)

    token = token_in_form(client.get(f"/issues/{issue_id}").get_data(as_text=True), f"/issues/{issue_id}", action)
    del csrf_rejections[:]
    response = client.post(action, data={"body": "With the page's token", "csrf_token": token})
    assert csrf_rejections == []
    assert response.status_code == 302
    with csrf_app.app_context(), unit_of_work():
        bodies = db.session.scalars(sa.select(Comment.body).where(Comment.issue_id == issue_id)).all()
    assert "With the page's token" in bodies and "No token" not in bodies


def test_a_token_from_another_session_is_refused(csrf_app, world):
    mine = sign_in(csrf_app, world["admin"])
    theirs = csrf_app.test_client()
    their_token = meta_token(theirs.get("/").get_data(as_text=True))
    response = mine.patch("/api/v1/me", json={"display_name": "Borrowed token"}, headers={"X-CSRFToken": their_token})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    with csrf_app.app_context(), unit_of_work():
        assert db.session.get(User, world["admin"].id).display_name == "Ada Admin"


@pytest.mark.parametrize(
    "method, path, body, check",
    [
        (
            "PATCH",
            "/api/v1/me",
            {"display_name": "Ada Lovelace"},
            lambda app, w: db.session.get(User, w["admin"].id).display_name == "Ada Lovelace",
        ),
        (
            "POST",
            "/api/v1/issues/{issue_id}/upvote",
            {"upvoted": True},
            lambda app, w: _upvoted(w["ids"]["issue_id"], w["admin"].id),
        ),
    ],
    ids=["PATCH /api/v1/me", "POST /api/v1/issues/<id>/upvote"],
)
def test_session_authenticated_json_writes_need_the_x_csrftoken_header(csrf_app, world, method, path, body, check):
    client = sign_in(csrf_app, world["admin"])
    url = path.format(**world["ids"])

    refused = client.open(url, method=method, json=body)
    assert refused.status_code == 400
    assert refused.is_json and refused.get_json()["error"]["code"] == "csrf_failed"
    with csrf_app.app_context(), unit_of_work():
        assert not check(csrf_app, world)

    token = meta_token(client.get("/").get_data(as_text=True))
    accepted = client.open(url, method=method, json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    with csrf_app.app_context(), unit_of_work():
        assert check(csrf_app, world)


def _upvoted(issue_id: int, user_id: int) -> bool:
    from civic.issues.models import Upvote

    return db.session.get(Upvote, (issue_id, user_id)) is not None
