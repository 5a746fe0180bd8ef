"""Configuration: defaults for the embedded set-up, overridden by CIVIC_* environment variables.

`create_app` loads `Config`, then `app.config.from_prefixed_env("CIVIC")` (so CIVIC_SECRET_KEY becomes
SECRET_KEY), then `finalise()` derives the settings the extensions read (database URI, limiter storage,
Socket.IO queue) from the few variables an operator actually sets.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask


class Config:
    SECRET_KEY: str | None = None
    # CIVIC_DATABASE_URL: sqlite:///... (default, under instance/) or postgresql+psycopg://...
    DATABASE_URL: str | None = None
    # CIVIC_REDIS_URL: Socket.IO message queue and rate-limit storage when set.
    REDIS_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Mail: with MAIL_SERVER unset, mail stays in the outbox table and is printed to the console.
    MAIL_SERVER: str | None = None
    MAIL_PORT: int = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS: bool = False  # STARTTLS
    MAIL_USE_SSL: bool = False
    MAIL_TIMEOUT: int = 10
    MAIL_DEFAULT_SENDER: str = "civic <no-reply@civic.localhost>"

    PASSWORD_RESET_MAX_AGE: int = 3600  # seconds a reset link stays valid

    # Rate limits (civic/ratelimits.py): Flask-Limiter strings, counted per signed-in user, otherwise per
    # address, on writes only; each overridable as CIVIC_<NAME> ("" turns one off). Memory, or Redis when set.
    LOGIN_RATE_LIMIT: str = "10 per minute"
    RESET_RATE_LIMIT: str = "5 per 15 minutes"
    REGISTER_RATE_LIMIT: str = "20 per hour"
    REPORT_RATE_LIMIT: str = "10 per hour"  # issues reported from the site (form posts that report)
    COMMENT_RATE_LIMIT: str = "30 per hour"  # comments posted
    UPVOTE_RATE_LIMIT: str = "120 per hour"  # votes given or withdrawn, from the site or the API
    FLAG_RATE_LIMIT: str = "30 per hour"  # content flagged for moderators
    API_WRITE_RATE_LIMIT: str = "120 per hour"  # every POST/PUT/PATCH/DELETE under /api/
    API_READ_RATE_LIMIT: str = "600 per minute"  # every GET under /api/ (the map loads one per pan)
    OPEN311_POST_RATE_LIMIT: str = "30 per hour"  # GeoReport POST requests.{json,xml} from partner apps
    # Sign-in back-off per account: after LOGIN_LOCKOUT_FAILURES failed sign-ins for one e-mail address
    # within LOGIN_LOCKOUT_WINDOW seconds, that address is refused for LOGIN_LOCKOUT_BASE seconds, then twice
    # as long after each further lock (1, 2, 4 ... minutes), at most LOGIN_LOCKOUT_MAX seconds, even with
    # the right password. A successful sign-in or a password reset clears it. 0 failures turns it off.
    LOGIN_LOCKOUT_FAILURES: int = 5
    LOGIN_LOCKOUT_WINDOW: int = 15 * 60
    LOGIN_LOCKOUT_BASE: int = 60
    LOGIN_LOCKOUT_MAX: int = 60 * 60
    RATELIMIT_HEADERS_ENABLED: bool = True
    # Explicit per app: Flask-Limiter is one shared object and would otherwise keep an earlier app's value.
    RATELIMIT_ENABLED: bool = True

    MAX_CONTENT_LENGTH: int = 45 * 1024 * 1024  # four photos at PHOTO_MAX_BYTES and a form fit; more gets 413
    SESSION_COOKIE_SAMESITE: str = "Lax"
    # Strict-Transport-Security max-age (civic/security.py), sent when the site is set up for HTTPS
    # (CIVIC_SESSION_COOKIE_SECURE=true, an https CIVIC_BASE_URL or CIVIC_PREFERRED_URL_SCHEME) or a request
    # arrived over HTTPS. One year by default; 0 makes browsers forget an earlier one.
    HSTS_MAX_AGE: int = 365 * 24 * 3600
    SESSION_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_HTTPONLY: bool = True
    WTF_CSRF_TIME_LIMIT: int | None = None  # tied to the session; a form left open all day still posts

    LANGUAGES: tuple[str, ...] = ("en", "es")
    BABEL_DEFAULT_LOCALE: str = "en"
    BABEL_DEFAULT_TIMEZONE: str = "America/New_York"
    CITY_NAME: str = "Philadelphia"
    # How residents reach the city's 311 themselves, shown where civic cannot send an issue for them
    # (CIVIC_CITY_311_PHONE, CIVIC_CITY_311_URL; "" shows no web address).
    CITY_311_PHONE: str = "311"
    CITY_311_URL: str = ""
    # Where the site is reached from outside: links in e-mail sent by commands (digests) start with it.
    BASE_URL: str = "http://127.0.0.1:5000"
    TILE_URL: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # Background jobs (civic/jobs.py) run in every server process unless false; each runs once per period
    # across processes. The daily digest goes out at DIGEST_HOUR in BABEL_DEFAULT_TIMEZONE.
    BACKGROUND_JOBS: bool = True
    DIGEST_HOUR: int = 7
    # Map answers kept in memory per process (civic/issues/viewcache.py); 0 turns the cache off.
    MAP_CACHE_ENTRIES: int = 2000
    # Pages kept for anonymous readers (civic/pagecache.py): how long at most; 0 turns it off.
    PAGE_CACHE_SECONDS: float = 30
    PAGE_CACHE_ENTRIES: int = 1000
    TILE_ATTRIBUTION: str = "&copy; OpenStreetMap contributors"
    # A Nominatim-compatible search URL (e.g. https://nominatim.example/search); unset: neighbourhood names only.
    GEOCODER_URL: str | None = None
    GEOCODER_USER_AGENT: str = "civic (neighbourhood issue reporting)"
    GEOCODER_TIMEOUT: float = 5.0

    SEND_FILE_MAX_AGE_DEFAULT: int = 3600

    # Photos (civic.media): accepted size, pixel limit against decompression bombs, stored sizes.
    UPLOAD_DIR: str | None = None  # default: instance/uploads
    PHOTO_MAX_BYTES: int = 10 * 1024 * 1024
    PHOTO_MAX_PIXELS: int = 40_000_000
    PHOTO_MAX_DIMENSION: int = 2048
    PHOTO_THUMB_DIMENSION: int = 400


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - TestConfig only
    WTF_CSRF_ENABLED = False  # tests that check CSRF switch it back on
    PASSWORD_RESET_MAX_AGE = 3600
    SERVER_NAME = None


def finalise(app: Flask) -> None:
    """Derive extension settings from the operator-facing variables."""
    cfg = app.config
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg.get("DATABASE_URL") or (
            "sqlite:///" + os.path.join(app.instance_path, "civic.db")
        )
    # Behind HTTPS (CIVIC_SESSION_COOKIE_SECURE=true) the remember-me cookie is Secure too.
    cfg.setdefault("REMEMBER_COOKIE_SECURE", bool(cfg.get("SESSION_COOKIE_SECURE")))
    redis_url = cfg.get("REDIS_URL")
    cfg.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    cfg.setdefault("SOCKETIO_MESSAGE_QUEUE", redis_url)


def _instance_secret(instance: Path) -> str:
    """A development secret kept in instance/, so sessions survive a restart of `make run`.

    Production sets CIVIC_SECRET_KEY; this file is only the embedded default's convenience.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
