"""Hostile input (issue 18): what an outside probe sent -- deeply nested JSON, NUL and other control
characters, invisible and bidi-override text, oversized bodies, ids beyond any integer column -- gets a clear
4xx and writes nothing, on SQLite and PostgreSQL alike.

The probe is kept here. The sweeps walk the URL map (as tests/test_csrf_everywhere.py does, whose world and
helpers they reuse), so routes added later are covered: every JSON write route refuses a nested body, every
write route refuses a NUL character, every page refuses one in its query string. The field cases then send
each text field people fill in through its real route: NUL is a 400, text made only of invisible characters
is blank (so "required" says so), a bidi override is not stored.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from civic.database import unit_of_work
from civic.errors import ValidationError
from civic.extensions import db
from civic.request_guard import MAX_JSON_DEPTH
from tests import test_csrf_everywhere as sweep
from tests.conftest import FISHTOWN
from tests.test_csrf_everywhere import JSON_BODY, changed_tables, database_state, form_body, url_for_rule, write_routes

NESTED = '{"body": ' + "[" * 1000 + "]" * 1000 + "}"  # 2 KB, 1,000 deep: a RecursionError when parsed
ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060\u00ad"  # zero-width space, joiners, BOM, word joiner, soft hyphen
TOO_BIG = 2**63  # beyond SQLite's INTEGER as well as PostgreSQL's

world = sweep.world  # the fixture: one of everything a URL can point at


@pytest.fixture
def app(make_app):
    return make_app(RATELIMIT_ENABLED=False)  # the sweeps post to every route, sign-in included


def signed_in(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": user.password}).status_code == 302
    return client


def error_message(response) -> str:
    return response.get_json()["error"]["message"]


def with_nul(value: str) -> str:
    """Text fields get a NUL in the middle; ids and numbers stay valid, so only the NUL can be refused."""
    return value if value.replace(".", "").replace("-", "").isdigit() else f"{value[:1]}\x00{value[1:]}"


# --- the sweeps over the URL map ----------------------------------------------------------------


def test_every_json_write_route_refuses_a_deeply_nested_body(app, world):
    client = signed_in(app, world["admin"])
    routes = [(rule, method) for rule, method in write_routes(app) if rule.rule.startswith("/api/")]
    assert len(routes) >= 6  # reports, comments, upvote, follow, RSVP, PATCH /me at least
    before = database_state(app)
    wrong = []
    for rule, method in routes:
        url = url_for_rule(rule, world["ids"])
        response = client.open(url, method=method, data=NESTED, content_type="application/json")
        if response.status_code != 400 or "nested too deeply" not in error_message(response):
            wrong.append(f"{method} {url}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    assert not wrong, "\n".join(wrong)
    assert changed_tables(before, database_state(app)) == []


def test_nesting_is_refused_well_before_python_runs_out_of_recursion(app, make_user):
    client = signed_in(app, make_user())
    shallow = {"display_name": "Nia", "home": None}
    deep: Any = "Nia"
    for _ in range(MAX_JSON_DEPTH + 1):
        deep = [deep]
    assert client.patch("/api/v1/me", json=shallow).status_code == 200
    refused = client.patch("/api/v1/me", json={"display_name": deep})
    assert refused.status_code == 400
    assert error_message(refused) == f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."


def test_every_write_route_refuses_a_nul_character(app, world):
    """Form fields and JSON strings alike: PostgreSQL cannot store NUL, and SQLite stored it raw."""
    client = signed_in(app, world["admin"])
    body = {name: with_nul(value) for name, value in form_body(world).items()}
    json_body = {name: with_nul(value) if isinstance(value, str) else value for name, value in JSON_BODY.items()}
    routes = write_routes(app)
    assert len(routes) >= 45
    before = database_state(app)
    wrong = []
    for rule, method in routes:
        url = url_for_rule(rule, world["ids"])
        if rule.rule.startswith("/api/"):
            response = client.open(url, method=method, json=json_body)
        else:
            response = client.open(url, method=method, data=body)
        if response.status_code != 400 or "NUL character" not in response.get_data(as_text=True):
            wrong.append(f"{method} {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert changed_tables(before, database_state(app)) == []


def test_every_page_refuses_a_nul_character_in_its_query_string(app, world):
    client = signed_in(app, world["admin"])
    pages = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static"
    ]
    assert len(pages) >= 20
    wrong = []
    for page in pages:
        response = client.get(page, query_string={"q": "pot\x00hole", "page": "1"})
        if response.status_code != 400 or "NUL character" not in response.get_data(as_text=True):
            wrong.append(f"GET {page}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


# --- each text field people fill in ---------------------------------------------------------------


@dataclass
class TextField:
    """A text field, sent through its real route, and read back from its column."""

    name: str
    route: str  # "api:<path>" sends JSON, anything else a form
    method: str
    body: dict
    column: Any  # the model attribute that stores it, read from the newest row (or the signed-in user's)
    required: str | None  # the message a blank value gets, None for optional fields


def _issue_body(categories) -> dict:
    return {
        "category_id": categories["pothole"],
        "title": "Hole in the road",
        "description": "Deep enough to lose a wheel.",
        "lat": FISHTOWN[0],
        "lon": FISHTOWN[1],
        "address": "Girard & Front",
    }


def _event_body() -> dict:
    starts = datetime.now() + timedelta(days=5)
    return {
        "title": "Spring clean-up",
        "description": "Bags provided.",
        "starts_at": starts.strftime("%Y-%m-%dT10:00"),
        "ends_at": starts.strftime("%Y-%m-%dT12:00"),
        "meeting_point": "Girard & Front",
        "lat": str(FISHTOWN[0]),
        "lon": str(FISHTOWN[1]),
    }


def text_fields(categories, issue_id: int) -> list[TextField]:
    from civic.accounts.models import User
    from civic.api.models import ApiToken
    from civic.events.models import Event
    from civic.issues.models import Comment, Issue

    issue = _issue_body(categories)
    comment = {"body": "Seen it too."}
    return [
        TextField("issue title", "api:/api/v1/issues", "POST", issue, Issue.title, "Give the problem a short title"),
        TextField("issue description", "api:/api/v1/issues", "POST", issue, Issue.description, "Describe the problem"),
        TextField("issue address", "api:/api/v1/issues", "POST", issue, Issue.address, None),
        TextField(
            "comment body",
            f"api:/api/v1/issues/{issue_id}/comments",
            "POST",
            comment,
            Comment.body,
            "Write your comment first.",
        ),
        TextField(
            "display name",
            "api:/api/v1/me",
            "PATCH",
            {"display_name": "Nia"},
            User.display_name,
            "Enter the name neighbours will see.",
        ),
        TextField("event title", "/events/new", "POST", _event_body(), Event.title, "Give the event a title."),
        TextField("event description", "/events/new", "POST", _event_body(), Event.description, None),
        TextField(
            "event meeting point", "/events/new", "POST", _event_body(), Event.meeting_point, "Say where people meet."
        ),
        TextField(
            "token name",
            "/account/api-tokens",
            "POST",
            {"name": "My phone app"},
            ApiToken.name,
            "Give the token a name, so you can recognise it later.",
        ),
    ]


def field_of(field: TextField) -> str:
    return field.column.key


def send(client, field: TextField, value: str):
    body = {**field.body, field_of(field): value}
    if field.route.startswith("api:"):
        return client.open(field.route.removeprefix("api:"), method=field.method, json=body)
    return client.open(field.route, method=field.method, data=body)


def stored(app, field: TextField, user_id: int) -> str | None:
    """The field's value in the newest row, or in the signed-in user's own row."""
    model = field.column.class_
    with app.app_context(), unit_of_work():
        if model.__tablename__ == "users":
            return db.session.get(model, user_id).display_name
        newest = db.session.scalar(sa.select(model).order_by(model.id.desc()).limit(1))
        return getattr(newest, field_of(field)) if newest is not None else None


@pytest.fixture
def fields(app, categories, make_issue, make_user):
    person = make_user("resident", display_name="Nia")
    return person, text_fields(categories, make_issue(person)), signed_in(app, person)


def test_a_nul_or_control_character_in_any_text_field_is_refused_and_nothing_is_stored(app, fields):
    person, cases, client = fields
    for field in cases:
        before = database_state(app)
        for value, says in (("Hole\x00here", "NUL character"), ("Hole\x07here", "control characters")):
            response = send(client, field, value)
            assert response.status_code == 400, (field.name, value, response.status_code)
            assert says in response.get_data(as_text=True), (field.name, value)
        assert changed_tables(before, database_state(app)) == [], field.name


def test_text_of_invisible_characters_only_is_blank(app, fields):
    person, cases, client = fields
    for field in cases:
        before = database_state(app)
        response = send(client, field, f" {ZERO_WIDTH} ")
        if field.required:
            assert response.status_code == 400, (field.name, response.status_code)
            assert field.required in response.get_data(as_text=True), field.name
            assert changed_tables(before, database_state(app)) == [], field.name
        else:
            assert response.status_code in (201, 302), (field.name, response.status_code)
            assert not stored(app, field, person.id), field.name  # stored as no text at all


def test_bidi_overrides_and_isolates_are_not_stored(app, fields):
    person, cases, client = fields
    for field in cases:
        response = send(client, field, "Photo \u202egnp.exe \u2066left\u2069")
        assert response.status_code in (200, 201, 302), (field.name, response.status_code)
        assert stored(app, field, person.id) == "Photo gnp.exe left", field.name


def test_text_keeps_its_joiners_and_line_breaks(app, fields):
    """Only blankness ignores invisible characters: a family emoji keeps its joiners, a comment its lines."""
    person, cases, client = fields
    comment = next(f for f in cases if f.name == "comment body")
    assert send(client, comment, "First line\r\nSecond \U0001f468\u200d\U0001f469\u200d\U0001f467").status_code == 201
    assert stored(app, comment, person.id) == "First line\nSecond \U0001f468\u200d\U0001f469\u200d\U0001f467"


# --- forms answered without a choice ----------------------------------------------------------------


def test_is_it_fixed_sent_without_an_answer_says_what_is_missing(app, make_user, make_issue):
    reporter = make_user()
    issue_id = make_issue(reporter)
    client = signed_in(app, reporter)
    response = client.post(f"/staff/issues/{issue_id}/fixed", data={}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Choose yes or no." in page and "Write your comment first." in page


# --- sizes ----------------------------------------------------------------------------------------


def chunked(body: bytes) -> dict:
    """A chunked body as a server passes it on: no length to check up front (Transfer-Encoding makes Werkzeug
    ignore the test client's Content-Length), the server ending the stream."""
    return {
        "input_stream": io.BytesIO(body),
        "headers": {"Transfer-Encoding": "chunked"},
        "environ_overrides": {"wsgi.input_terminated": True},
    }


@pytest.mark.parametrize(
    ("url", "json_error"), [("/api/v1/issues/1/upvote", True), ("/api/v1/me", True), ("/login", False)]
)
def test_an_oversized_streamed_body_is_a_413(make_app, make_user, make_issue, url, json_error):
    app = make_app(MAX_CONTENT_LENGTH=1024, RATELIMIT_ENABLED=False)
    make_issue()
    client = signed_in(app, make_user())
    response = client.open(
        url,
        method="PATCH" if url.endswith("/me") else "POST",
        **chunked(b"x" * 4096),
    )
    assert response.status_code == 413
    if json_error:
        assert response.is_json and response.get_json()["error"]["code"] == "request_entity_too_large"
    else:
        assert response.mimetype == "text/html" and "That upload is too large" in response.get_data(as_text=True)


def test_a_streamed_body_within_the_limit_is_read(make_app, make_user):
    app = make_app(MAX_CONTENT_LENGTH=1024, RATELIMIT_ENABLED=False)
    client = signed_in(app, make_user())
    response = client.patch(
        "/api/v1/me",
        content_type="application/json",
        **chunked(b'{"display_name": "Nia Streamed"}'),
    )
    assert response.status_code == 200 and response.get_json()["display_name"] == "Nia Streamed"


def test_an_overlong_address_is_refused_like_the_title(app, make_user, categories):
    client = signed_in(app, make_user())
    before = database_state(app)
    response = client.post("/api/v1/issues", json={**_issue_body(categories), "address": "a" * 100_000})
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "address"
    assert error_message(response) == "Use at most 200 characters."
    assert changed_tables(before, database_state(app)) == []


# --- ids beyond any integer column ------------------------------------------------------------------


@pytest.mark.parametrize("number", [2**31, TOO_BIG, 10**30])
def test_an_issue_number_beyond_range_is_not_found_by_that_number(app, client, number):
    page = client.get(f"/issues/{number}")
    assert page.status_code == 404
    api = client.get(f"/api/v1/issues/{number}")
    assert api.status_code == 404 and error_message(api) == f"There is no issue number {number}."


def test_ids_beyond_range_in_writes_and_queries_are_not_found(app, make_user):
    client = signed_in(app, make_user())
    follow = client.put(f"/api/v1/issues/{TOO_BIG}/follow", json={"following": True})
    assert follow.status_code == 404 and error_message(follow) == f"There is no issue number {TOO_BIG}."
    comment = client.post(f"/api/v1/issues/{TOO_BIG}/comments", json={"body": "Hello"})
    assert comment.status_code == 404 and error_message(comment) == f"There is no issue number {TOO_BIG}."
    event = client.get(f"/events/{TOO_BIG}")
    assert event.status_code == 404 and f"There is no event number {TOO_BIG}." in event.get_data(as_text=True)
    organise = client.get(f"/events/new?issue={TOO_BIG}")
    assert organise.status_code == 404 and f"There is no issue number {TOO_BIG}." in organise.get_data(as_text=True)
    rsvp = client.put(f"/api/v1/events/{TOO_BIG}/rsvp", json={"going": True})
    assert rsvp.status_code == 404


def test_a_duplicate_of_an_issue_number_beyond_range_is_refused_by_that_number(app, make_user, make_issue):
    from civic.accounts.models import User
    from civic.issues import services as issues
    from civic.issues.models import IssueStatus
    from civic.staff import workflow
    from civic.staff.models import ClosedReason

    issue_id = make_issue()
    staff = make_user("staff", department="streets")
    with app.test_request_context(), unit_of_work():
        actor, issue = db.session.get(User, staff.id), issues.get_issue(issue_id)
        with pytest.raises(ValidationError, match=f"Issue {TOO_BIG} cannot be the original"):
            workflow.change_status(
                actor,
                issue,
                IssueStatus.CLOSED,
                "Same hole",
                closed_reason=ClosedReason.DUPLICATE,
                duplicate_of_id=TOO_BIG,
            )
