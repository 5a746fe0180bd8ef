"""Signing in and out, safe redirects, rate limits, and sessions tied to the password."""

from __future__ import annotations


def test_sign_in_and_out(client, auth, make_user):
    user = make_user()
    response = auth.login(user.email)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Sign out" in home and "My account" in home
    assert f"Signed in as {user.email}" in client.get("/account").get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert client.get("/account").status_code == 302  # back to the sign-in page


def test_sign_in_accepts_email_in_any_case(auth, make_user):
    make_user(email="mixed@example.org")
    assert auth.login("  MIXED@Example.org").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(auth, make_user):
    user = make_user()
    wrong = auth.login(user.email, "not the password at all")
    unknown = auth.login("nobody@example.org", "whatever password here")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "That email and password do not match an account." in response.get_data(as_text=True)


def test_login_redirects_only_to_local_pages(client, make_user):
    user = make_user()
    data = {"email": user.email, "password": user.password}
    response = client.post("/login", data={**data, "next": "/account"})
    assert response.headers["Location"] == "/account"
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/login", data={**data, "next": evil})
        assert response.headers["Location"] == "/", evil
        client.post("/logout")


def test_protected_page_sends_visitor_to_sign_in_and_back(client, auth, make_user):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login?next=/account" in response.headers["Location"]
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="/account"' in form


def test_repeated_failed_sign_ins_are_rate_limited(make_app, make_user):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/login", data={"email": "a@example.org", "password": "wrong password!"}).status_code == 400
    response = client.post("/login", data={"email": "a@example.org", "password": "wrong password!"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # reading the form is not limited


def test_api_answers_401_json_to_anonymous_callers(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_me_describes_the_signed_in_user(client, auth, make_user):
    user = make_user("staff", department="streets")
    auth.login_as(user)
    data = client.get("/api/v1/me").get_json()
    assert data["role"] == "staff" and data["verified"] is True and data["department"] == "Streets"


def test_changing_password_signs_out_other_devices(app, make_user):
    user = make_user()
    phone, laptop = app.test_client(), app.test_client()
    for c in (phone, laptop):
        c.post("/login", data={"email": user.email, "password": user.password})
    response = laptop.post(
        "/account/password", data={"current_password": user.password, "password": "a brand new long secret"}
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200  # this device stays signed in
    assert phone.get("/account").status_code == 302  # the other one is signed out


def test_changing_password_needs_the_current_one(client, auth, make_user):
    user = make_user()
    auth.login_as(user)
    response = client.post(
        "/account/password", data={"current_password": "not it at all", "password": "a brand new long secret"}
    )
    assert response.status_code == 400
    assert "Your current password is not right." in response.get_data(as_text=True)
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": user.password}).status_code == 302
