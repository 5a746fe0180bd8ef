"""Error pages in HTML for people and JSON under /api/: the right status, a clear message, never a bare 500."""

from __future__ import annotations

import pytest

from tests.conftest import build_app


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page not found" in body and 'href="#main"' in body  # the site layout, skip link included


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": "Page not found"}}


def test_wrong_method_is_405_with_allow_header(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "That action is not possible here" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/register", "/api/v1/me"])
def test_oversized_body_is_413(make_app, path):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    method = "patch" if path.startswith("/api/") else "post"
    response = getattr(app.test_client(), method)(path, data={"display_name": "x" * 4096})
    assert response.status_code == 413
    if path.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "request_entity_too_large"
    else:
        assert "That upload is too large" in response.get_data(as_text=True)


@pytest.fixture
def crashing_app(database_url):
    app = build_app(database_url, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("a bug")

    return app


def test_unexpected_error_shows_the_500_page(crashing_app):
    response = crashing_app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_unexpected_api_error_is_json(crashing_app):
    response = crashing_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_server_error"


def test_csrf_failure_on_api_is_json(make_app, make_user):
    """A signed-in session's API write without the X-CSRFToken header (without any credentials it is a 401:
    tests/test_sessions_and_probing.py)."""
    import re

    app = make_app(WTF_CSRF_ENABLED=True)
    user = make_user()
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token.group(1)})
    response = client.patch("/api/v1/me", json={"locale": "es"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_rate_limit_under_api_is_json_429(make_app):
    app = make_app(LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    client.post("/login", data={"email": "a@example.org", "password": "whatever you like"})
    response = client.post("/login", data={"email": "a@example.org", "password": "whatever you like"})
    assert response.status_code == 429
    assert "Please wait a few minutes" in response.get_data(as_text=True)
