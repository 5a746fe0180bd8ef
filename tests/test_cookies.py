"""Session and remember-me cookies: HttpOnly and SameSite=Lax always; Secure when the site runs on HTTPS."""

from __future__ import annotations


def _cookie_headers(app, user) -> list[str]:
    response = app.test_client().post("/login", data={"email": user.email, "password": user.password, "remember": "y"})
    assert response.status_code == 302
    return response.headers.getlist("Set-Cookie")


def test_cookies_are_httponly_and_samesite(app, make_user):
    cookies = _cookie_headers(app, make_user())
    by_name = {c.split("=", 1)[0]: c for c in cookies}
    assert {"session", "remember_token"} <= set(by_name)
    for header in by_name.values():
        assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


def test_cookies_are_secure_behind_https(make_app, make_user):
    app = make_app(SESSION_COOKIE_SECURE=True)
    cookies = {c.split("=", 1)[0]: c for c in _cookie_headers(app, make_user())}
    assert "Secure" in cookies["session"] and "Secure" in cookies["remember_token"]
