"""Stored XSS: a corpus of payloads, submitted through every user-writable text field, is inert everywhere
the text is shown: pages, Atom feeds, e-mail, JSON (civic's API, GeoJSON, Open311) and XML, CSV.

How it works:

- One world is built for the whole module (building it per test would take minutes): for each payload,
  a resident registers with it as their name, reports an issue, comments, follows an area and organises
  two clean-ups with it in every text field; staff answer with it (official reply, status reasons,
  response templates, supplies); an administrator names a category with it; a guest signs up with it;
  another 311 app submits it through the GeoReport endpoint. Everything goes through the real forms
  over HTTP, except accounts' roles and moving one event into the past, which have no form.
- Each field gets the payload followed by "//<field>": a JavaScript line comment, so every payload stays
  live (a `javascript:alert(1)` URL still runs) while a page showing several fields tells them apart.
- TABLE says, field by field, on which surfaces the text shows; each (field, surface) row is a test that
  checks every payload there. "Inert" means, per format:
    HTML   no <script> but the page's own (/static/ or the CSP nonce, without user text), no on* attribute,
           no javascript:/data:/vbscript: URL, no iframe/object/embed/base/style/math, no meta refresh;
           and the text appears as text (escaped, or sanitised markdown whose visible text is the payload).
    JSON   application/json (or geo+json) with nosniff, and the payload comes back as the same plain string.
    Atom   parses, every element is Atom, the payload is text; type="html" content is checked as HTML
           (feed readers render it).
    XML    (GeoReport) parses, only GeoReport elements, the payload is element text.
    CSV    text cells a spreadsheet would run as a formula (= + - @ tab CR) start with an apostrophe.
    e-mail text/plain carries the raw text (plain text is inert); an HTML part, if any, is checked as HTML.
- Every GET route of the URL map is then crawled with the world's ids (so pages added later, such as
  moderation's, are covered too) and every HTML page checked for inertness.
- Last, e-mail's own injection: a line break in user text must never reach a mail header.

Runs on SQLite whatever --db says: rendering does not depend on the database.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from lxml import etree
from werkzeug.routing.converters import AnyConverter, NumberConverter

from civic.accounts.models import EmailFrequency, Role, User
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from tests.conftest import DEFAULT_PASSWORD, FISHTOWN, build_app, offset

# --- the corpus ---------------------------------------------------------------------------------

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "break-out": '"><script>alert(1)</script>',
    "md-js-link": "[click](javascript:alert(1))",
    "md-js-autolink": "<javascript:alert(1)>",
    "bare-js-url": "javascript:alert(1)",
    "html-js-link": '<a href="javascript:alert(1)">x</a>',
    "iframe": "<iframe src=javascript:alert(1)>",
    "style": "<style>@import 'x'</style>",
    "template": "{{7*7}}",
    "mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "md-data-link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "attr-quotes": "' onmouseover='alert(1)",
    "csv-formula": '=HYPERLINK("http://x","y")',
    "csv-at": "@SUM(1+1)*cmd|' /C calc'!A0",
}

FIELD_TAGS = {
    "display name": "name",
    "issue title": "title",
    "issue description": "desc",
    "issue address": "addr",
    "comment": "comment",
    "official reply": "reply",
    "status reason": "reason",
    "template title": "tpltitle",
    "template body": "tplbody",
    "area name": "area",
    "category name": "cat",
    "category name (es)": "cates",
    "event title": "evtitle",
    "event description": "evdesc",
    "meeting point": "meet",
    "what to bring": "bring",
    "supplies request": "supplies",
    "supplies answer": "answer",
    "report summary": "summary",
    "guest name": "guest",
    "open311 description": "o311desc",
    "open311 address": "o311addr",
}


def value(field_name: str, pid: str) -> str:
    """What is typed into `field_name` for payload `pid`."""
    return f"{PAYLOADS[pid]}//{FIELD_TAGS[field_name]}"


# --- "inert", per format ------------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "data",
    "background",
    "cite",
    "lowsrc",
    "dynsrc",
    "ping",
    "srcset",
}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
FORBIDDEN_TAGS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "style",
    "math",
    "mglyph",
    "malignmark",
    "foreignobject",
    "portal",
    "template",
}
_INVISIBLE = re.compile(r"[\x00-\x20\u00a0\u200b-\u200d\ufeff]+")


def _same_site(url: str | None) -> bool:
    """A path, or an absolute URL of the test client's own host (the canonical link must be absolute)."""
    if url and url.startswith("http://localhost/"):
        return True
    return bool(url) and url.startswith("/") and not url.startswith("//")


def _scheme_of(url: str) -> str:
    return _INVISIBLE.sub("", html.unescape(url or "")).lower()


class Inspector(HTMLParser):
    """Tokenises a document like a browser would see its tags, and notes every live construct."""

    def __init__(self, nonce: str | None):
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self.text: list[str] = []
        self.attribute_values: list[str] = []
        self._raw: list[str] = []  # inside <script>/<style>: not visible text

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag in ("script", "style"):
            self._raw.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if self._raw and self._raw[-1] == tag:
            self._raw.pop()

    def handle_data(self, data):
        if self._raw:
            if "alert(" in data:
                self.problems.append(f"user text inside <{self._raw[-1]}>: {data.strip()[:80]!r}")
        else:
            self.text.append(data)

    def _check(self, tag, attrs):
        named = dict(attrs)
        shown = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)}>"[:160]
        for name, val in attrs:
            if val is not None:
                self.attribute_values.append(val)
            if name.startswith("on"):
                self.problems.append(f"event handler attribute: {shown}")
            if name == "srcdoc":
                self.problems.append(f"srcdoc: {shown}")
            if name in URL_ATTRIBUTES and _scheme_of(val).startswith(BAD_SCHEMES):
                self.problems.append(f"dangerous URL: {shown}")
            if name == "style" and re.search(r"expression\(|javascript:|@import|url\(", val or "", re.I):
                self.problems.append(f"active style attribute: {shown}")
        if tag == "script":
            own_file = (named.get("src") or "").startswith("/static/")
            own_inline = "src" not in named and self.nonce is not None and named.get("nonce") == self.nonce
            if not (own_file or own_inline):
                self.problems.append(f"script not from the page: {shown}")
        elif tag in FORBIDDEN_TAGS:
            self.problems.append(f"forbidden element: {shown}")
        elif tag == "meta" and "http-equiv" in named:
            self.problems.append(f"meta http-equiv: {shown}")
        elif tag == "link" and not _same_site(named.get("href")):
            self.problems.append(f"link to another site: {shown}")
        elif "src" in named and not _same_site(named["src"]):
            self.problems.append(f"<{tag}> loading from another site: {shown}")

    @property
    def visible_text(self) -> str:
        return "".join(self.text)


@dataclass
class HtmlView:
    problems: list[str]
    text: str
    attributes: list[str]

    def shows(self, wanted: str) -> bool:
        return wanted in self.text or any(wanted in a for a in self.attributes)


def inspect_html(markup: str, nonce: str | None = None) -> HtmlView:
    parser = Inspector(nonce)
    parser.feed(markup)
    parser.close()
    return HtmlView(parser.problems, parser.visible_text, parser.attribute_values)


def csp_nonce_of(response) -> str | None:
    match = re.search(r"'nonce-([^']+)'", response.headers.get("Content-Security-Policy", ""))
    return match.group(1) if match else None


def json_strings(data) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in json_strings(k) + json_strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in json_strings(v)]
    return []


ATOM = "{http://www.w3.org/2005/Atom}"
GEOREPORT_TAGS = {
    "service_requests",
    "request",
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "account_id",
    "services",
    "service",
    "metadata",
    "type",
    "keywords",
    "group",
    "service_request_updates",
    "request_update",
    "update_id",
    "errors",
    "error",
    "code",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _xml(body: bytes):
    return etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))


# --- the world ----------------------------------------------------------------------------------


@dataclass
class Fetched:
    status: int
    mimetype: str
    headers: dict
    body: bytes
    nonce: str | None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class World:
    app: object
    sink: object
    clients: dict
    records: dict = field(default_factory=dict)  # pid -> ids and places for URL templates
    emails: dict = field(default_factory=dict)  # role -> address
    _cache: dict = field(default_factory=dict)
    _views: dict = field(default_factory=dict)

    def client(self, role: str, pid: str | None):
        return self.clients[(role, pid)] if (role, pid) in self.clients else self.clients[role]

    def fetch(self, role: str, pid: str | None, url: str) -> Fetched:
        key = (role, pid if (role, pid) in self.clients else None, url)
        if key not in self._cache:
            headers = {"Accept-Language": "es"} if role == "anon_es" else {}
            response = self.client(role, pid).get(url, headers=headers)
            self._cache[key] = Fetched(
                response.status_code,
                response.mimetype,
                dict(response.headers),
                response.get_data(),
                csp_nonce_of(response),
            )
        return self._cache[key]

    def html_view(self, fetched: Fetched) -> HtmlView:
        if id(fetched) not in self._views:
            self._views[id(fetched)] = inspect_html(fetched.text, fetched.nonce)
        return self._views[id(fetched)]

    def mail_to(self, role: str, pid: str) -> str:
        return self.emails[(role, pid)] if (role, pid) in self.emails else self.emails[role]


def _post(client, url: str, data: dict, *, expect: int = 302, what: str, keep_message: bool = False):
    """POST a real form; it must answer `expect` and flash no error (staff actions answer 302 either way)."""
    response = client.post(url, data=data)
    assert response.status_code == expect, (
        f"building the world: {what} ({url}) answered {response.status_code}: {response.get_data(as_text=True)[:600]}"
    )
    if not keep_message:
        with client.session_transaction() as session:
            flashed = session.pop("_flashes", [])
        errors = [message for category, message in flashed if category == "error"]
        assert not errors, f"building the world: {what} ({url}) said {errors}"
    return response


def _new_id(response, pattern: str) -> int:
    return int(re.search(pattern, response.headers["Location"]).group(1))


def _account(
    app,
    name: str,
    email: str,
    role: Role = Role.RESIDENT,
    *,
    department_id: int | None = None,
    frequency: EmailFrequency | None = None,
) -> int:
    from civic.accounts import services

    with app.app_context(), unit_of_work():
        # The name is public (show_name): the payloads must reach every page and mail that shows names.
        user = services.register_user(name, email, DEFAULT_PASSWORD, show_name=True)
        user.role = role
        user.department_id = department_id
        if role.needs_verification:
            user.verified_at = utcnow()
        if frequency is not None:
            user.email_frequency = frequency
        db.session.commit()
        return user.id


def _signed_in(app, email: str):
    client = app.test_client()
    _post(client, "/login", {"email": email, "password": DEFAULT_PASSWORD}, what=f"sign-in of {email}")
    return client


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _build_payload(world: World, n: int, pid: str, department_id: int, api_key: str) -> None:
    app, admin, staff = world.app, world.clients["admin"], world.clients["staff"]
    follower, digest, anon = world.clients["follower"], world.clients["digest"], world.clients["anon"]
    lat, lon = offset(*FISHTOWN, north_m=300 * n)
    fixed_at, o311_at = offset(lat, lon, east_m=30), offset(lat, lon, east_m=-30)
    rec = {"lat": lat, "lon": lon, "slug": f"xss-{n}"}
    world.records[pid] = rec

    # An administrator names a category with it (in the staff member's department).
    _post(
        admin,
        "/admin/categories/new",
        {
            "name": value("category name", pid),
            "name_es": value("category name (es)", pid),
            "slug": rec["slug"],
            "department": department_id,
            "position": 0,
            "active": "y",
        },
        what="new category",
    )
    with app.app_context(), unit_of_work():
        from civic.issues.models import Category

        rec["category"] = db.session.scalar(sa.select(Category.id).where(Category.slug == rec["slug"]))

    # A neighbour follows the area around where it will be reported.
    _post(
        follower,
        "/follows/areas",
        {
            "kind": "circle",
            "name": value("area name", pid),
            "lat": lat,
            "lon": lon,
            "radius_m": 200,
            "neighbourhood": "",
            "category": "",
        },
        what="follow an area",
    )
    with app.app_context(), unit_of_work():
        from civic.notifications.models import AreaFollow

        rec["area"] = db.session.scalar(sa.select(sa.func.max(AreaFollow.id)))

    # A resident registers with it as their name (the welcome page shows it), then saves it on their profile.
    # The name is public (show_name ticked), so it reaches every page and mail that names people.
    reporter = app.test_client()
    world.clients[("reporter", pid)] = reporter
    world.emails[("reporter", pid)] = email = f"reporter{n}@example.org"
    _post(
        reporter,
        "/register",
        {"display_name": value("display name", pid), "email": email, "show_name": "y"},
        what="register",
        keep_message=True,
    )
    from tests.signup import confirm_path

    _post(
        reporter,
        confirm_path(app, email),
        {"password": DEFAULT_PASSWORD},
        what="confirm the registration",
        keep_message=True,
    )
    world.fetch("reporter", pid, "/account?welcome=1")
    with app.app_context(), unit_of_work():
        rec["user"] = db.session.scalar(sa.select(User.id).where(User.email == email))
    _post(
        reporter,
        "/account",
        {
            "display_name": value("display name", pid),
            "show_name": "y",
            "locale": "",
            "home_neighbourhood": "",
            "home_lat": "",
            "home_lon": "",
        },
        what="save the profile",
    )

    # They report an issue with it in title, description and address, and comment on it.
    response = _post(
        reporter,
        "/issues/new",
        {
            "category": rec["category"],
            "title": value("issue title", pid),
            "description": value("issue description", pid),
            "address": value("issue address", pid),
            "lat": lat,
            "lon": lon,
            "show_reporter_name": "y",
            "duplicates_seen": "1",
        },
        what="report an issue",
    )
    rec["issue"] = _new_id(response, r"/issues/(\d+)")
    for neighbour in (follower, digest):  # voting follows the issue
        _post(neighbour, f"/issues/{rec['issue']}/upvote", {"upvoted": "1"}, what="upvote")
    response = _post(reporter, f"/issues/{rec['issue']}/comments", {"body": value("comment", pid)}, what="comment")
    rec["comment"] = _new_id(response, r"#comment-(\d+)")

    # Staff answer with it: an official reply, a status change's reason, a response template.
    _post(staff, f"/staff/issues/{rec['issue']}/reply", {"body": value("official reply", pid)}, what="official reply")
    _post(
        staff,
        f"/staff/issues/{rec['issue']}/status",
        {"status": "acknowledged", "reason": value("status reason", pid)},
        what="status change",
    )
    _post(
        staff,
        "/staff/templates/new",
        {
            "title": value("template title", pid),
            "body": value("template body", pid),
            "category": rec["category"],
            "status": "acknowledged",
        },
        what="response template",
    )
    with app.app_context(), unit_of_work():
        from civic.staff.models import ResponseTemplate

        rec["template"] = db.session.scalar(sa.select(sa.func.max(ResponseTemplate.id)))
    # A second issue, fixed with it as the reason (the dashboard's fix figures name the category).
    response = _post(
        reporter,
        "/issues/new",
        {
            "category": rec["category"],
            "title": f"Bench {n} is fixed",
            "description": "Plain text.",
            "lat": fixed_at[0],
            "lon": fixed_at[1],
            "duplicates_seen": "1",
        },
        what="report a second issue",
    )
    rec["fixed"] = _new_id(response, r"/issues/(\d+)")
    _post(
        staff,
        f"/staff/issues/{rec['fixed']}/status",
        {"status": "fixed", "reason": value("status reason", pid)},
        what="mark fixed",
    )

    # Another 311 app submits it through civic's GeoReport endpoint.
    response = _post(
        anon,
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": rec["slug"],
            "lat": o311_at[0],
            "long": o311_at[1],
            "description": value("open311 description", pid),
            "address_string": value("open311 address", pid),
        },
        expect=200,
        what="GeoReport POST",
    )
    rec["o311"] = int(response.get_json()[0]["service_request_id"])

    # The resident organises a clean-up for the issue with it in every field (the meeting point by editing);
    # a neighbour and a guest sign up; staff accept the supplies request.
    starts = datetime.now(ZoneInfo("America/New_York")).replace(tzinfo=None, second=0, microsecond=0) + timedelta(
        days=2
    )
    event_form = {
        "title": value("event title", pid),
        "description": value("event description", pid),
        "starts_at": _local(starts),
        "ends_at": _local(starts + timedelta(hours=2)),
        "meeting_point": f"Plain corner {n}",
        "lat": lat,
        "lon": lon,
        "capacity": "",
        "what_to_bring": value("what to bring", pid),
        "area_neighbourhood": "",
        "supplies_request": value("supplies request", pid),
        "issue_id": rec["issue"],
    }
    response = _post(reporter, "/events/new", event_form, what="new event")
    rec["event"] = _new_id(response, r"/events/(\d+)")
    _post(follower, f"/events/{rec['event']}/rsvp", {"going": "1"}, what="sign up")
    world.emails[("guest", pid)] = guest_email = f"guest{n}@example.org"
    _post(
        anon,
        f"/events/{rec['event']}/guest",
        {"guest_name": value("guest name", pid), "guest_email": guest_email},
        what="guest sign-up",
    )
    [confirm] = [m for m in world.sink.messages if m["To"] == guest_email]
    rec["confirm"] = re.search(r"http://localhost(/events/confirm/\S+)", _plain_body(confirm)).group(1)
    world.fetch("anon", None, rec["confirm"])
    with app.app_context(), unit_of_work():
        from civic.events.models import Rsvp

        rec["guest_code"] = db.session.scalar(sa.select(Rsvp.checkin_code).where(Rsvp.guest_email == guest_email))
    _post(
        staff,
        f"/events/{rec['event']}/supplies/answer",
        {"decision": "accept", "supplies_response": value("supplies answer", pid)},
        what="supplies answer",
    )
    edit = {k: v for k, v in event_form.items() if k not in ("supplies_request", "issue_id")}
    _post(
        reporter,
        f"/events/{rec['event']}/edit",
        {**edit, "meeting_point": value("meeting point", pid)},
        what="edit the event",
    )

    # A second clean-up, under way now: its supplies request waits for staff, and it gets a report.
    response = _post(
        reporter,
        "/events/new",
        {**event_form, "meeting_point": value("meeting point", pid), "issue_id": ""},
        what="second event",
    )
    rec["event2"] = _new_id(response, r"/events/(\d+)")
    with app.app_context(), unit_of_work():
        from civic.events.models import Event

        event = db.session.get(Event, rec["event2"])
        event.starts_at, event.ends_at = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
        db.session.commit()
    _post(
        reporter,
        f"/events/{rec['event2']}/report",
        {"summary": value("report summary", pid)},
        what="after-event report",
    )


@pytest.fixture(scope="module")
def world(_sqlite_template, tmp_path_factory):
    from civic.georeport.keys import create_api_key
    from civic.issues.catalog import ensure_categories
    from tests.smtp import SmtpSink

    folder = tmp_path_factory.mktemp("xss")
    shutil.copyfile(_sqlite_template, folder / "civic.db")
    sink = SmtpSink()
    sink.start()
    app = build_app(
        f"sqlite:///{folder / 'civic.db'}",
        MAIL_SERVER=sink.host,
        MAIL_PORT=sink.port,
        UPLOAD_DIR=str(folder / "uploads"),
        RATELIMIT_ENABLED=False,
        DASHBOARD_CACHE_SECONDS=0,
    )
    try:
        with app.app_context(), unit_of_work():
            ensure_categories()
            from civic.accounts.models import Department

            department_id = db.session.scalar(sa.select(Department.id).where(Department.slug == "streets"))
        _account(app, "Ada Admin", "admin@example.org", Role.ADMIN)
        _account(app, "Sam Staff", "staff@example.org", Role.STAFF, department_id=department_id)
        _account(app, "Fran Follower", "follower@example.org", frequency=EmailFrequency.IMMEDIATE)
        _account(app, "Dee Digest", "digest@example.org", frequency=EmailFrequency.DAILY)
        app_user = _account(app, "Another 311 app", "app@example.org")
        with app.app_context(), unit_of_work():
            api_key = create_api_key("XSS test app", db.session.get(User, app_user))
        clients = {"anon": app.test_client(), "anon_es": app.test_client()}
        for role in ("admin", "staff", "follower", "digest"):
            clients[role] = _signed_in(app, f"{role}@example.org")
        w = World(
            app=app,
            sink=sink,
            clients=clients,
            emails={"follower": "follower@example.org", "digest": "digest@example.org"},
        )
        for n, pid in enumerate(PAYLOADS):
            _build_payload(w, n, pid, department_id, api_key)
        result = app.test_cli_runner().invoke(args=["notifications", "digest"])
        assert result.exit_code == 0, result.output
        points = [(r["lat"], r["lon"]) for r in w.records.values()]
        for rec in w.records.values():
            rec["bbox"] = ",".join(
                f"{v:.6f}"
                for v in (
                    min(p[1] for p in points) - 0.01,
                    min(p[0] for p in points) - 0.01,
                    max(p[1] for p in points) + 0.01,
                    max(p[0] for p in points) + 0.01,
                )
            )
        yield w
    finally:
        sink.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- surfaces -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """Where a field's text shows: `url` is formatted with the payload's record (its ids and place)."""

    role: str
    url: str

    def label(self) -> str:
        return f"{type(self).__name__} {self.url} as {self.role}"

    def fetch(self, world: World, pid: str) -> Fetched:
        fetched = world.fetch(self.role, pid, self.url.format(**world.records[pid]))
        assert fetched.status == 200, f"{self.url}: {fetched.status}"
        return fetched


class Page(Surface):
    def check(self, world: World, pid: str, wanted: str) -> list[str]:
        fetched = self.fetch(world, pid)
        if fetched.mimetype != "text/html":
            return [f"{fetched.mimetype}, not text/html"]
        view = world.html_view(fetched)
        problems = list(view.problems)
        if not view.shows(wanted):
            problems.append(f"the text {wanted!r} is not shown as text (escaped) on the page")
        return problems


class Paged(Page):
    """A paginated list: looks through its pages (up to 10) for the text; every page read must be inert."""

    def check(self, world: World, pid: str, wanted: str) -> list[str]:
        problems = []
        for number in range(1, 11):
            page = Page(self.role, f"{self.url}{'&' if '?' in self.url else '?'}page={number}")
            found = page.check(world, pid, wanted)
            missing = [p for p in found if p.startswith("the text ")]
            problems += [p for p in found if p not in missing]
            if not missing:
                return problems
        return problems + missing


class Json(Surface):
    def check(self, world: World, pid: str, wanted: str) -> list[str]:
        fetched = self.fetch(world, pid)
        problems = []
        if fetched.mimetype not in ("application/json", "application/geo+json"):
            problems.append(f"Content-Type {fetched.mimetype}")
        if fetched.headers.get("X-Content-Type-Options") != "nosniff":
            problems.append("no X-Content-Type-Options: nosniff")
        strings = json_strings(json.loads(fetched.body))
        if not any(wanted in s for s in strings):
            problems.append(f"the plain string {wanted!r} is not in the JSON")
        if html.escape(wanted) != wanted and any(html.escape(wanted) in s for s in strings):
            problems.append("the JSON holds HTML-escaped text: clients set textContent and would show entities")
        return problems


class Atom(Surface):
    def check(self, world: World, pid: str, wanted: str) -> list[str]:
        fetched = self.fetch(world, pid)
        problems = [] if fetched.mimetype == "application/atom+xml" else [f"Content-Type {fetched.mimetype}"]
        root = _xml(fetched.body)
        found = False
        for element in root.iter():
            if not isinstance(element.tag, str) or not element.tag.startswith(ATOM):
                problems.append(f"an element that is not Atom: {element.tag!r}")
                continue
            text = element.text or ""
            if element.get("type") in ("html", "xhtml"):
                view = inspect_html(text)
                problems += [f"in <{element.tag[len(ATOM) :]} type=html>: {p}" for p in view.problems]
                found = found or view.shows(wanted)
            else:
                found = found or wanted in text
        if not found:
            problems.append(f"the text {wanted!r} is not in the feed as text")
        return problems


class GeoXml(Surface):
    def check(self, world: World, pid: str, wanted: str) -> list[str]:
        fetched = self.fetch(world, pid)
        problems = [] if fetched.mimetype == "text/xml" else [f"Content-Type {fetched.mimetype}"]
        root = _xml(fetched.body)
        for element in root.iter():
            if element.tag not in GEOREPORT_TAGS or element.attrib:
                problems.append(f"not a GeoReport element: <{element.tag} {dict(element.attrib)}>")
        if not any(wanted in (element.text or "") for element in root.iter()):
            problems.append(f"the text {wanted!r} is not element text")
        return problems


@dataclass(frozen=True)
class Csv(Surface):
    column: str = ""

    def label(self) -> str:
        return f"Csv {self.url} column {self.column}"

    def check(self, world: World, pid: str, wanted: str) -> list[str]:
        fetched = self.fetch(world, pid)
        problems = [] if fetched.mimetype == "text/csv" else [f"Content-Type {fetched.mimetype}"]
        rows = list(csv.DictReader(io.StringIO(fetched.text)))
        cells = [row[self.column] for row in rows]
        for cell in cells:
            if cell.startswith(FORMULA_START):
                problems.append(f"a cell a spreadsheet would run as a formula: {cell!r}")
        expected = "'" + wanted if wanted.startswith(FORMULA_START) else wanted
        if expected not in cells:
            problems.append(f"no {self.column} cell is {expected!r}")
        return problems


@dataclass(frozen=True)
class Mail(Surface):
    url: str = ""

    def label(self) -> str:
        return f"e-mail to the {self.role}"

    def check(self, world: World, pid: str, wanted: str) -> list[str]:
        address = world.mail_to(self.role, pid)
        mine = [m for m in world.sink.messages if m["To"] == address]
        showing = [m for m in mine if wanted in str(m["Subject"]) or wanted in _plain_body(m)]
        if not showing:
            return [f"no e-mail to {address} shows {wanted!r} ({len(mine)} e-mails to them)"]
        problems = []
        for message in showing:
            if message.get_body(("plain",)) is None:
                problems.append(f"a {message.get_content_type()} e-mail without a text/plain body")
            html_part = message.get_body(("html",))
            if html_part is not None:
                view = inspect_html(html_part.get_content())
                problems += [f"HTML part: {p}" for p in view.problems]
                if not view.shows(wanted):
                    problems.append(f"HTML part does not show {wanted!r} as text")
        return problems


def _plain_body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if part is not None else ""


# --- the table: where each field's text shows ----------------------------------------------------

ISSUE = Page("anon", "/issues/{issue}")
ISSUE_AS_STAFF = Page("staff", "/issues/{issue}")
ISSUE_EDIT = Page("reporter", "/issues/{issue}/edit")
ISSUE_LIST = Page("anon", "/issues?category={slug}")
EVENTS = Page("anon", "/events/")
EVENT = Page("anon", "/events/{event}")
EVENT2 = Page("anon", "/events/{event2}")
EVENT_EDIT = Page("reporter", "/events/{event}/edit")
MY_EVENTS = Page("reporter", "/events/mine")
NOTIFICATIONS = Paged("follower", "/notifications")
NEAR_ME = Page("follower", "/near-me")
FOLLOWS = Page("follower", "/follows")
STAFF_QUEUE = Page("staff", "/staff/")
TEMPLATES = Page("staff", "/staff/templates")
TEMPLATE = Page("staff", "/staff/templates/{template}")
ISSUE_FEED = Atom("anon", "/issues/{issue}/feed.atom")
AREA_FEED = Atom("anon", "/feeds/area.atom?lat={lat}&lon={lon}&radius=200")
API_ISSUE = Json("anon", "/api/v1/issues/{issue}")
API_BBOX = Json("anon", "/api/v1/issues?bbox={bbox}")
EVENTS_IN_VIEW = Json("anon", "/events/in-view.json?bbox={bbox}")
OPEN_GEOJSON = Json("anon", "/open-data/issues.geojson")
GEOREPORT = "/open311/v2/requests.{fmt}?service_request_id={issue},{fixed},{o311}"
O311_JSON = Json("anon", GEOREPORT.replace("{fmt}", "json"))
O311_XML = GeoXml("anon", GEOREPORT.replace("{fmt}", "xml"))
O311_SERVICES_JSON = Json("anon", "/open311/v2/services.json")
O311_SERVICES_XML = GeoXml("anon", "/open311/v2/services.xml")
TO_FOLLOWER, TO_DIGEST, TO_REPORTER, TO_GUEST = Mail("follower"), Mail("digest"), Mail("reporter"), Mail("guest")

TABLE: dict[str, list[Surface]] = {
    "display name": [
        Page("reporter", "/account?welcome=1"),
        Page("reporter", "/account"),
        ISSUE,
        EVENT,
        NOTIFICATIONS,
        NEAR_ME,
        Paged("admin", "/admin/users"),
        Page("admin", "/admin/users/{user}"),
        ISSUE_FEED,
        AREA_FEED,
        Json("reporter", "/api/v1/me"),
        API_ISSUE,
        TO_FOLLOWER,
        TO_DIGEST,
        TO_REPORTER,
    ],
    "issue title": [
        ISSUE,
        ISSUE_LIST,
        ISSUE_EDIT,
        NOTIFICATIONS,
        NEAR_ME,
        FOLLOWS,
        STAFF_QUEUE,
        EVENT,
        EVENT_EDIT,
        API_BBOX,
        API_ISSUE,
        Json("anon", "/api/v1/issues/nearby?lat={lat}&lon={lon}&category_id={category}"),
        ISSUE_FEED,
        AREA_FEED,
        TO_FOLLOWER,
        TO_DIGEST,
        TO_REPORTER,
    ],
    "issue description": [ISSUE, ISSUE_EDIT, API_ISSUE, ISSUE_FEED, AREA_FEED, O311_JSON, O311_XML],
    "issue address": [ISSUE, O311_JSON, O311_XML],
    "comment": [ISSUE, Page("reporter", "/comments/{comment}/edit"), ISSUE_FEED],
    "official reply": [ISSUE, ISSUE_FEED],
    "status reason": [
        ISSUE,
        Page("anon", "/issues/{fixed}"),
        NOTIFICATIONS,
        ISSUE_FEED,
        O311_JSON,
        O311_XML,
        Json("anon", "/open311/v2/servicerequestupdates.json"),
        GeoXml("anon", "/open311/v2/servicerequestupdates.xml"),
        Csv("anon", "/open-data/status-history.csv", column="reason"),
        OPEN_GEOJSON,
        TO_FOLLOWER,
        TO_DIGEST,
        TO_REPORTER,
    ],
    "template title": [TEMPLATES, TEMPLATE, ISSUE_AS_STAFF],
    "template body": [TEMPLATE, ISSUE_AS_STAFF, Page("staff", "/issues/{issue}?template={template}")],
    "area name": [FOLLOWS, NEAR_ME, NOTIFICATIONS, TO_FOLLOWER],
    "category name": [
        Page("anon", "/"),
        ISSUE,
        ISSUE_LIST,
        STAFF_QUEUE,
        TEMPLATES,
        Page("admin", "/admin/categories"),
        Page("admin", "/admin/categories/{category}"),
        Page("anon", "/dashboard"),
        NEAR_ME,
        Json("anon", "/api/v1/categories"),
        API_BBOX,
        OPEN_GEOJSON,
        Csv("anon", "/open-data/issues.csv", column="category_label"),
        O311_SERVICES_JSON,
        O311_SERVICES_XML,
        O311_JSON,
        O311_XML,
        AREA_FEED,
    ],
    "category name (es)": [
        Page("admin", "/admin/categories"),
        Page("admin", "/admin/categories/{category}"),
        Page("anon_es", "/issues/{issue}"),
        O311_SERVICES_JSON,
        O311_SERVICES_XML,
    ],
    "event title": [
        EVENTS,
        EVENT,
        EVENT2,
        MY_EVENTS,
        Page("follower", "/events/mine"),
        ISSUE,
        Page("reporter", "/issues/{issue}"),
        STAFF_QUEUE,
        NOTIFICATIONS,
        Paged("reporter", "/notifications"),
        Page("anon", "{confirm}"),
        EVENT_EDIT,
        EVENTS_IN_VIEW,
        TO_FOLLOWER,
        TO_GUEST,
        TO_REPORTER,
    ],
    "event description": [EVENT, EVENT_EDIT],
    "meeting point": [EVENTS, EVENT, MY_EVENTS, EVENT_EDIT, EVENTS_IN_VIEW, TO_GUEST],
    "what to bring": [EVENT, EVENT_EDIT],
    "supplies request": [EVENT, EVENT2, STAFF_QUEUE],
    "supplies answer": [EVENT],
    "report summary": [EVENT2, Page("reporter", "/events/{event2}/report")],
    "guest name": [
        Page("reporter", "/events/{event}"),
        Page("reporter", "/events/{event}/checkin/{guest_code}"),
        TO_GUEST,
    ],
    "open311 description": [
        Page("anon", "/issues/{o311}"),
        ISSUE_LIST,
        O311_JSON,
        O311_XML,
        Json("anon", "/api/v1/issues/{o311}"),
    ],
    "open311 address": [Page("anon", "/issues/{o311}"), O311_JSON, O311_XML],
}

# (field, surface label) -> why the check is expected to fail (strict xfail). Every entry must be a real bug,
# described; none of the table's checks failed when this was written.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _cases():
    for field_name, surfaces in TABLE.items():
        for surface in surfaces:
            marks = []
            reason = KNOWN_BUGS.get((field_name, surface.label()))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            yield pytest.param(field_name, surface, id=f"{field_name} -> {surface.label()}", marks=marks)


def test_every_field_has_a_tag_and_surfaces():
    assert set(TABLE) == set(FIELD_TAGS)
    assert len(set(FIELD_TAGS.values())) == len(FIELD_TAGS)


@pytest.mark.parametrize("field_name, surface", list(_cases()))
def test_payloads_are_inert(world, field_name, surface):
    problems = []
    for pid in PAYLOADS:
        for problem in surface.check(world, pid, value(field_name, pid)):
            problems.append(f"[{pid}] {surface.label()}: {problem}")
    assert not problems, "\n".join(dict.fromkeys(problems))


# --- every page, including ones added later ------------------------------------------------------


def _get_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods and rule.endpoint != "static":
            yield rule


ARGUMENT_FROM_RECORD = {
    "issue_id": "issue",
    "comment_id": "comment",
    "event_id": "event",
    "area_id": "area",
    "template_id": "template",
    "category_id": "category",
    "user_id": "user",
}
# Routes about "a kind of thing and its id" (moderation, personal-data removal): each kind with its id.
KINDS = {"issue": "issue", "comment": "comment", "event": "event"}


def _urls_for(rule, rec: dict) -> list[str]:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif name in ARGUMENT_FROM_RECORD:
            values[name] = rec[ARGUMENT_FROM_RECORD[name]]
        else:
            values[name] = 1 if isinstance(converter, NumberConverter) else "x"
    variants = [values]
    if {"kind", "target_id"} <= set(rule.arguments):
        variants = [{**values, "kind": kind, "target_id": rec[key]} for kind, key in KINDS.items()]
    return [rule.build(v, append_unknown=False)[1] for v in variants]


@pytest.mark.parametrize("role", ["admin", "reporter"])
def test_every_html_page_is_inert(world, role):
    """Every GET route, filled with each payload's ids, as the admin (staff panels, organiser controls on
    every event) and as the payload's reporter; pages with no arguments once."""
    problems, pages = [], 0
    for rule in _get_routes(world.app):
        for pid in PAYLOADS if rule.arguments else list(PAYLOADS)[:1]:
            for url in _urls_for(rule, world.records[pid]):
                fetched = world.fetch(role, pid, url)
                if fetched.status >= 500:
                    problems.append(f"[{pid}] {url}: answered {fetched.status}")
                if fetched.mimetype != "text/html":
                    continue
                pages += 1
                problems += [f"[{pid}] {url}: {p}" for p in world.html_view(fetched).problems]
    assert pages > 50
    assert not problems, "\n".join(dict.fromkeys(problems))


# --- the checker itself must see live payloads --------------------------------------------------

# Payloads that are markup (an autolink-looking <javascript:...> is a harmless unknown tag when raw).
MARKUP_PAYLOADS = [pid for pid, text in PAYLOADS.items() if "<" in text and pid != "md-js-autolink"]


@pytest.mark.parametrize("pid", MARKUP_PAYLOADS)
def test_the_html_checker_flags_payloads_rendered_raw(pid):
    """A page that printed the payload unescaped would fail: the checks above cannot pass vacuously."""
    page = f'<html><body><p>{PAYLOADS[pid]}</p><a href="/x">ok</a></body></html>'
    view = inspect_html(page, nonce="n0nce")
    assert view.problems, f"{PAYLOADS[pid]!r} rendered raw went unnoticed"
    assert not view.shows(PAYLOADS[pid])


@pytest.mark.parametrize(
    "markup",
    [
        '<a href="  JaVaScRiPt:alert(1)">x</a>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        "<p title='' onmouseover='alert(1)'>x</p>",
        '<script nonce="wrong">1</script>',
        '<script src="https://evil.example/x.js"></script>',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    ],
)
def test_the_html_checker_flags_live_constructs(markup):
    assert inspect_html(f"<html><body>{markup}</body></html>", nonce="n0nce").problems


def test_the_html_checker_accepts_the_pages_own_scripts_and_escaped_text():
    page = (
        '<script src="/static/js/live.js"></script><script nonce="n0nce">var map = 1;</script>'
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;//x</p>"
    )
    view = inspect_html(page, nonce="n0nce")
    assert view.problems == []
    assert view.shows("<script>alert(1)</script>//x")


# --- e-mail headers: a line break in user text must not reach a header --------------------------

LINE_BREAK = "Broken\r\nBcc: victim@example.org"


@pytest.fixture
def mail_app(make_app, smtp_server):
    # PROPAGATE_EXCEPTIONS off: a crash answers 500 as in production instead of raising into the test.
    return make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, PROPAGATE_EXCEPTIONS=False)


def _client_of(app, user):
    client = app.test_client()
    _post(client, "/login", {"email": user.email, "password": user.password}, what="sign in")
    return client


def _immediate(app, user) -> None:
    with app.app_context(), unit_of_work():
        db.session.get(User, user.id).email_frequency = EmailFrequency.IMMEDIATE
        db.session.commit()


def _event_form(title: str) -> dict:
    starts = datetime.now(ZoneInfo("America/New_York")).replace(tzinfo=None, second=0, microsecond=0) + timedelta(
        days=2
    )
    return {
        "title": title,
        "description": "",
        "starts_at": _local(starts),
        "ends_at": _local(starts + timedelta(hours=2)),
        "meeting_point": "Girard & Front",
        "lat": FISHTOWN[0],
        "lon": FISHTOWN[1],
        "capacity": "",
        "what_to_bring": "",
        "area_neighbourhood": "",
        "supplies_request": "",
        "issue_id": "",
    }


def _mail_after_issue_title(app, make_user, categories):
    reporter, neighbour = make_user(), make_user(display_name="Nia")
    _immediate(app, reporter)
    response = _post(
        _client_of(app, reporter),
        "/issues/new",
        {
            "category": categories["pothole"],
            "title": LINE_BREAK,
            "description": "Deep.",
            "lat": FISHTOWN[0],
            "lon": FISHTOWN[1],
            "duplicates_seen": "1",
        },
        what="report",
    )
    issue_id = _new_id(response, r"/issues/(\d+)")
    return _client_of(app, neighbour).post(f"/issues/{issue_id}/comments", data={"body": "Seen it."}), reporter.email


def _mail_after_display_name(app, make_user, categories):
    reporter, neighbour = make_user(), make_user()
    _immediate(app, reporter)
    response = _post(
        _client_of(app, reporter),
        "/issues/new",
        {
            "category": categories["pothole"],
            "title": "Deep pothole",
            "description": "Deep.",
            "lat": FISHTOWN[0],
            "lon": FISHTOWN[1],
            "duplicates_seen": "1",
        },
        what="report",
    )
    issue_id = _new_id(response, r"/issues/(\d+)")
    client = _client_of(app, neighbour)
    _post(
        client,
        "/account",
        # A public name (show_name), so the renamed commenter is named in the reporter's mail.
        {
            "display_name": LINE_BREAK,
            "show_name": "y",
            "locale": "",
            "home_neighbourhood": "",
            "home_lat": "",
            "home_lon": "",
        },
        what="rename",
    )
    return client.post(f"/issues/{issue_id}/comments", data={"body": "Seen it."}), reporter.email


def _mail_after_event_title(app, make_user, categories):
    response = _post(_client_of(app, make_user()), "/events/new", _event_form(LINE_BREAK), what="new event")
    event_id = _new_id(response, r"/events/(\d+)")
    return app.test_client().post(
        f"/events/{event_id}/guest", data={"guest_name": "Gus", "guest_email": "gus@example.org"}
    ), "gus@example.org"


def _mail_to_guest_address(app, make_user, categories):
    response = _post(_client_of(app, make_user()), "/events/new", _event_form("Spring clean-up"), what="new event")
    event_id = _new_id(response, r"/events/(\d+)")
    return app.test_client().post(
        f"/events/{event_id}/guest",
        data={"guest_name": "Gus", "guest_email": "gus@example.org\r\nBcc:victim@example.org"},
    ), None


@pytest.mark.parametrize(
    "trigger",
    [
        pytest.param(_mail_after_issue_title, id="issue title in a notification's Subject"),
        pytest.param(_mail_after_display_name, id="display name in a notification's Subject"),
        pytest.param(_mail_after_event_title, id="event title in the guest confirmation Subject"),
        pytest.param(_mail_to_guest_address, id="guest e-mail address in To"),
    ],
)
def test_a_line_break_in_user_text_never_reaches_a_mail_header(mail_app, smtp_server, make_user, categories, trigger):
    response, recipient = trigger(mail_app, make_user, categories)
    assert response.status_code < 500, f"answered {response.status_code}"
    for message in smtp_server.messages:
        assert message["Bcc"] is None and "victim@example.org" not in str(message["To"])
        assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    if recipient:
        assert [m for m in smtp_server.messages if m["To"] == recipient], "the notification was not mailed"
