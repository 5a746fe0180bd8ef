"""/healthz, security headers and configuration from the environment."""

from __future__ import annotations

from civic import create_app


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/civic.db"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_pages_carry_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'nonce-" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_configuration_comes_from_civic_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CIVIC_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("CIVIC_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("CIVIC_MAIL_SERVER", "mail.city.example")
    monkeypatch.setenv("CIVIC_MAIL_PORT", "2525")
    monkeypatch.setenv("CIVIC_REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["MAIL_SERVER"] == "mail.city.example"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert app.config["SOCKETIO_MESSAGE_QUEUE"] == "redis://127.0.0.1:6379/3"


def test_pages_limit_browser_features_to_location(client):
    policy = client.get("/").headers["Permissions-Policy"]
    features = dict(item.strip().split("=", 1) for item in policy.split(","))
    assert features["geolocation"] == "(self)"  # "near me" and "use my location"
    assert features["camera"] == "()" and features["microphone"] == "()" and features["payment"] == "()"


def test_no_strict_transport_security_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_strict_transport_security_when_served_over_https(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"  # a year by default


def test_strict_transport_security_max_age_is_configurable(make_app):
    app = make_app(BASE_URL="https://civic.example.org", HSTS_MAX_AGE=600)
    assert app.test_client().get("/").headers["Strict-Transport-Security"] == "max-age=600"


def test_strict_transport_security_for_https_behind_the_proxy(make_app):
    app = make_app(PROXY_HOPS=1)
    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=" in response.headers["Strict-Transport-Security"]
