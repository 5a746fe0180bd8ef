"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL with --db=postgresql),
the app, its clients, user factories and a real SMTP server.

Each test gets a database built by the real migrations: SQLite copies a migrated template file
(fast and isolated); PostgreSQL migrates one database per session and truncates it after each test.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from civic import ROOT, create_app
from civic.config import TestConfig
from civic.database import unit_of_work
from civic.extensions import db
from tests.services import POSTGRES_URL, require_postgres

DEFAULT_PASSWORD = "correct horse battery staple"


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="database backend for the suite (postgresql needs a server, see tests/services.py)",
    )


def pytest_collection_modifyitems(config, items):
    """A test that never asks for the test database is the same on every backend: marked `no_database`, so the
    PostgreSQL pass (`make test`'s second run) skips what the first already ran."""
    for item in items:
        if "database_url" not in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.no_database)


def build_app(database_url: str, **overrides):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url, **overrides)
    return create_app(config)


def migrate_database(database_url: str) -> None:
    app = build_app(database_url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))  # Alembic runs and commits on a connection of its own
        db.engine.dispose()


# --- database per backend ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def backend(request) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "civic.db"
    migrate_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_database():
    require_postgres()
    name = f"civic_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrate_database(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(backend, request, tmp_path) -> str:
    """A freshly migrated, empty database for this test."""
    if backend == "postgresql":
        url = request.getfixturevalue("_postgres_database")
        yield url
        _truncate_all(url)
    else:
        template = request.getfixturevalue("_sqlite_template")
        target = tmp_path / "civic.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    # issue_cells: the cluster counts kept by triggers, outside the models' metadata (civic/issues/cells.py).
    tables = [t.name for t in db.metadata.sorted_tables] + ["issue_cells"]
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


# --- the app and its clients -------------------------------------------------------------------


@pytest.fixture
def make_app(database_url):
    """Build another app on this test's database, with config overrides (e.g. CSRF on, low limits)."""
    apps = []

    def factory(**overrides):
        app = build_app(database_url, **overrides)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context(), unit_of_work():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- users -------------------------------------------------------------------------------------


@dataclass
class UserInfo:
    id: int
    email: str
    password: str
    display_name: str


@pytest.fixture
def make_user(app):
    """make_user(role="staff", department="streets", verified=True) -> UserInfo.

    Fixture users show their names to neighbours (show_name=True) unless a test says otherwise: most tests are
    about something else and read names on pages; new accounts made through sign-up default to private
    (tests/test_names.py tests the rule)."""
    from civic.accounts import services
    from civic.accounts.models import Department, Role
    from civic.database import utcnow

    counter = iter(range(1, 10_000))

    def factory(
        role: str = "resident",
        *,
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        display_name: str | None = None,
        department: str | None = None,
        verified: bool = True,
        locale: str | None = None,
        show_name: bool = True,
    ) -> UserInfo:
        n = next(counter)
        email = email or f"user{n}@example.org"
        display_name = display_name or f"Neighbour {n}"
        with app.app_context(), unit_of_work():
            user = services.register_user(display_name, email, password, locale=locale, show_name=show_name)
            user.role = Role(role)
            if user.role is Role.STAFF:
                slug = department or "streets"
                dept = db.session.scalar(sa.select(Department).where(Department.slug == slug))
                if dept is None:
                    dept = Department(slug=slug, name=slug.replace("-", " ").title())
                    db.session.add(dept)
                user.department = dept
            if user.role.needs_verification and verified:
                user.verified_at = utcnow()
            db.session.commit()
            return UserInfo(user.id, user.email, password, display_name)

    return factory


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = DEFAULT_PASSWORD, follow_redirects: bool = False):
        return self._client.post(
            "/login", data={"email": email, "password": password}, follow_redirects=follow_redirects
        )

    def login_as(self, user: UserInfo):
        response = self.login(user.email, user.password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


# --- the pretend city's 311 server (tools/pretend_city), over real HTTP -------------------------------


@pytest.fixture
def city():
    from tools.pretend_city import SandboxCity

    with SandboxCity() as sandbox:
        yield sandbox


@pytest.fixture
def connected(app, city, categories):
    """An endpoint pointing at the pretend city, with its services fetched and mapped (small pages, so that
    paging is exercised). Returns the endpoint's id."""
    from civic.city311.models import Endpoint
    from civic.city311.services_list import refresh

    with app.app_context(), unit_of_work():
        endpoint = Endpoint(name="Sandbox", base_url=city.base_url, api_key="sandbox-key", page_size=2)
        db.session.add(endpoint)
        db.session.flush()
        refresh(endpoint)
        return endpoint.id


# --- a real SMTP server ------------------------------------------------------------------------


@pytest.fixture
def smtp_server():
    """aiosmtpd on a free 127.0.0.1 port; `.messages` holds every email.message received."""
    from tests.smtp import SmtpSink

    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


# --- issues ------------------------------------------------------------------------------------

FISHTOWN = (39.9712, -75.1339)  # a point inside the demo city (Fishtown)


def offset(lat: float, lon: float, north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    """The point north_m metres north and east_m metres east of (lat, lon)."""
    import math

    dlat = north_m / 111_320.0
    dlon = east_m / (111_320.0 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


@pytest.fixture
def categories(app) -> dict[str, int]:
    """The city's default service list, as {slug: id}."""
    from civic.issues.catalog import ensure_categories

    with app.app_context(), unit_of_work():
        return {slug: c.id for slug, c in ensure_categories().items()}


@pytest.fixture
def upload_dir(app, tmp_path):
    path = tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = str(path)
    return path


@pytest.fixture
def make_issue(app, categories, make_user, upload_dir):
    """make_issue(reporter=UserInfo|None, category="pothole", at=(lat, lon), status=..., **draft) -> issue id."""
    from civic.accounts.models import User
    from civic.issues import services
    from civic.issues.models import IssueStatus

    def factory(
        reporter: UserInfo | None = None,
        *,
        category: str = "pothole",
        at: tuple[float, float] = FISHTOWN,
        title: str = "Deep pothole",
        description: str = "Right by the bus stop.",
        status: str | None = None,
        photos=(),
        **draft,
    ) -> int:
        reporter = reporter or make_user()
        with app.test_request_context(), unit_of_work():  # the issue and what receivers write with it
            user = db.session.get(User, reporter.id)
            issue = services.report_issue(
                user,
                services.IssueDraft(
                    category_id=categories[category],
                    title=title,
                    description=description,
                    lat=at[0],
                    lon=at[1],
                    **draft,
                ),
                photos,
            )
            if status:
                issue.status = IssueStatus(status)
                db.session.commit()
            return issue.id

    return factory


@pytest.fixture
def geocoder(app):
    """A Nominatim-compatible geocoder over real HTTP (tests/geocoder_server.py), configured for `app`."""
    from tests.geocoder_server import GeocoderServer

    server = GeocoderServer()
    server.start()
    app.config["GEOCODER_URL"] = server.url
    yield server
    server.stop()
