"""Browser fixtures: a live civic server on 127.0.0.1, Debian's Chromium driven by Playwright, axe-core.

The server, its SQLite database and the browser live for the whole session (starting them is the slow
part); every test gets a fresh browser context, so cookies and the language choice never leak between
tests. Users made by `make_live_user` get unique emails, so tests do not collide in the shared database.

Never run `playwright install`: the machine has no internet, and Chromium comes from Debian.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from civic.database import unit_of_work
from tests.conftest import DEFAULT_PASSWORD, UserInfo, build_app, migrate_database
from tests.services import CHROMIUM, free_port, require_chromium

BROWSER_DIR = Path(__file__).parent

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Impacts that fail a test; "minor" and "moderate" findings are left to review.
FAILING_IMPACTS = ("serious", "critical")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


# --- the live server -------------------------------------------------------------------------


class LiveServer:
    def __init__(self, app, url: str):
        self.app = app
        self.url = url


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    require_chromium()  # no browser, no reason to start a server
    path = tmp_path_factory.mktemp("live") / "civic.db"
    database_url = f"sqlite:///{path}"
    migrate_database(database_url)
    app = build_app(
        database_url,
        WTF_CSRF_ENABLED=True,  # real forms carry their CSRF token, as in production
        TESTING=False,
        # The limiter stays on, but every test signs in from 127.0.0.1: production's
        # "10 per minute" would make the suite depend on its own speed.
        LOGIN_RATE_LIMIT="1000 per minute",
        REGISTER_RATE_LIMIT="1000 per hour",
    )
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="civic-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        from civic.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _pushes_go_to_the_live_server(request):
    """The global `civic.extensions.socketio` follows the app bound last. With tests spread over workers
    (pytest-xdist), a unit test's app may be made after the live server in the same process: point the global
    back at the live server's Socket.IO server for each browser test, so its pushes reach the browsers."""
    if "live_server" not in request.fixturenames:
        yield
        return
    from civic.extensions import socketio

    live = request.getfixturevalue("live_server")
    saved = socketio.server
    socketio.server = live.app.wsgi_app.engineio_app
    yield
    socketio.server = saved


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return live_server.url


@pytest.fixture
def unique_email() -> Callable[[str], str]:
    """unique_email("ana") -> "ana-3f9c1a2b@example.org": the live database is shared by the session."""
    return lambda prefix="user": f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"


@pytest.fixture
def make_live_user(live_server, unique_email) -> Callable[..., UserInfo]:
    """Create a user straight in the live server's database (no browser, no form). Like tests/conftest.py's
    make_user, the name is shown to neighbours (show_name=True) unless the test says otherwise."""
    from civic.accounts import services
    from civic.accounts.models import Role
    from civic.database import utcnow
    from civic.extensions import db

    def factory(
        role: str = "resident",
        *,
        password: str = DEFAULT_PASSWORD,
        display_name: str = "Browser Neighbour",
        locale: str | None = None,
        show_name: bool = True,
    ) -> UserInfo:
        email = unique_email(role)
        with live_server.app.app_context(), unit_of_work():
            user = services.register_user(display_name, email, password, locale=locale, show_name=show_name)
            user.role = Role(role)
            if user.role.needs_verification:
                user.verified_at = utcnow()
            db.session.commit()
            return UserInfo(user.id, user.email, password, display_name)

    return factory


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(chromium, base_url):
    context = chromium.new_context(base_url=base_url, locale="en-US")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    yield page
    page.close()


def submit(page, button) -> None:
    """Click a form's submit button and wait until the page it leads to has loaded.

    Waiting for the navigation itself (not just "a load state") is what keeps the next check, axe
    included, from running on the page being left.
    """
    with page.expect_navigation():
        button.click()


# --- accessibility ---------------------------------------------------------------------------


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = "; ".join(", ".join(map(str, node["target"])) for node in v["nodes"])
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{targets}] {v.get('helpUrl', '')}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def check_a11y(_axe) -> Callable:
    """check_a11y(page): run axe-core on the page as it is now; fail on serious or critical violations."""

    def check(page) -> None:
        results = _axe.run(page)
        bad = [v for v in results.response["violations"] if v.get("impact") in FAILING_IMPACTS]
        if bad:
            pytest.fail(
                f"axe-core found {len(bad)} serious/critical violation(s) on {page.url}:\n{format_violations(bad)}",
                pytrace=False,
            )

    return check


@pytest.fixture
def sign_in(check_a11y):
    """sign_in(page, user): through the real login form; axe checks the form and the page it lands on."""

    def do(page, user: UserInfo) -> None:
        page.goto("/login")
        check_a11y(page)
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password", exact=True).fill(user.password)
        submit(page, page.locator("main").get_by_role("button", name="Sign in"))
        assert page.get_by_role("button", name="Sign out").is_visible(), f"not signed in as {user.email}"
        check_a11y(page)  # the page the form lands on

    return do


def report_issue_as(
    live_server,
    reporter: UserInfo,
    category_slug: str,
    title: str,
    at: tuple[float, float],
    description: str = "Reported for a browser test.",
) -> int:
    """Set-up through the services: `reporter` reports an open issue at `at`; returns its id."""
    from civic.accounts.models import User
    from civic.extensions import db
    from civic.issues.catalog import ensure_categories
    from civic.issues.services import IssueDraft, report_issue

    with live_server.app.test_request_context(), unit_of_work():
        category = ensure_categories()[category_slug]
        issue = report_issue(
            db.session.get(User, reporter.id),
            IssueDraft(category_id=category.id, title=title, description=description, lat=at[0], lon=at[1]),
        )
        return issue.id
