"""Every page in Spanish, with an issue whose history holds everything civic writes itself (a staff member's
status changes, a resident's reopening, a fix at a clean-up, the city's 311 note, an official reply, the
notifications they caused): no English that civic wrote, stored or rendered, reaches the Spanish reader.

English is found two ways: any stretch of three or more words of a message in the catalog whose Spanish is
different (so a stored English rendering of a coded text, or an untranslated template string, is caught), and
the English names of civic's own categories and departments.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from pprint import pformat

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from civic.database import unit_of_work, utcnow
from civic.extensions import db
from tests.test_open311_client import run_outbox

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")
SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description"}

PAGES = [
    "/",
    "/issues",
    "/issues/{issue}",
    "/issues/{issue}/summary",
    "/issues/{fixed}",
    "/issues/{fixed}/summary",
    "/issues/new",
    "/account",
    "/follows",
    "/near-me",
    "/notifications",
    "/staff/",
    "/staff/templates",
    "/dashboard",
    "/dashboard/neighbourhoods",
    "/open-data",
    "/events/?near=all",
    "/events/{event}",
    "/admin/categories",
    "/admin/users",
    "/admin/departments",
    "/moderation/",
    "/privacy",
]


def english_phrases() -> list[str]:
    """Stretches of English (3+ words, 15+ characters) from every message whose Spanish differs."""
    with open(ROOT / "civic/translations/es/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    phrases = set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        spanish = message.string if isinstance(message.string, str) else message.string[0]
        if english == spanish:
            continue
        for chunk in PLACEHOLDER.split(english):
            chunk = " ".join(chunk.split()).strip(" .,:;—–-()“”\"'")
            if len(chunk.split()) >= 3 and len(chunk) >= 15 and " ".join(spanish.split()).find(chunk) < 0:
                phrases.add(chunk)
    return sorted(phrases)


class _ShownText(HTMLParser):
    """The text a reader meets: text nodes outside scripts and styles, and the attributes screen readers say."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _ShownText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def spanish_city(app, city, connected, categories, make_user, make_issue):
    """An issue with every kind of text civic writes, and one fixed at a clean-up; Spanish-speaking people."""
    from civic.accounts.models import User
    from civic.city311 import sync
    from civic.city311.models import Submission
    from civic.events import services as events
    from civic.issues.models import Issue, IssueStatus
    from civic.staff import replies, workflow

    admin = make_user("admin", display_name="Ana Admin", locale="es")
    staff = make_user("staff", display_name="Dana Calles", department="streets", locale="es")
    reporter = make_user(display_name="Rosa", locale="es")
    issue_id = make_issue(reporter, title="Bache enorme", description="Junto a la parada del autobús.")
    fixed_id = make_issue(reporter, category="illegal-dumping", title="Basura en la esquina", description="Bolsas.")
    run_outbox(app)  # both go to the city's 311
    with app.test_request_context(), unit_of_work():
        submission = db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id))
        ticket = submission.service_request_id
    city.update(ticket, "IN_PROGRESS", "Crew scheduled")  # the city's own words, in English
    with app.test_request_context(), unit_of_work():
        sync.sync_all()
    with app.test_request_context(), unit_of_work():
        issue = db.session.get_one(Issue, issue_id)
        staff_user = db.session.get_one(User, staff.id)
        replies.post_official_reply(staff_user, issue, "Lo revisaremos esta semana.")
        workflow.change_status(staff_user, issue, IssueStatus.FIXED, "Bache rellenado.")
    with app.test_request_context(), unit_of_work():
        issue = db.session.get_one(Issue, issue_id)
        workflow.answer_fixed(db.session.get_one(User, reporter.id), issue, False, "Sigue ahí, más hondo.")
    with app.test_request_context(), unit_of_work():
        organiser = db.session.get_one(User, admin.id)
        starts = (utcnow() + timedelta(days=3)).replace(microsecond=0).astimezone().replace(tzinfo=None)
        event = events.create_event(
            organiser,
            title="Limpieza de la esquina",
            description="Guantes y bolsas.",
            starts_local=starts,
            ends_local=starts + timedelta(hours=2),
            meeting_point="La esquina",
            lat=39.9731,
            lon=-75.1322,
            capacity=5,
        )
        workflow.mark_fixed_by_community(
            organiser, db.session.get_one(Issue, fixed_id), event.title, (utcnow() - timedelta(days=1)).date()
        )
        event_id = event.id
    return {"admin": admin, "reporter": reporter, "issue": issue_id, "fixed": fixed_id, "event": event_id}


def _english_on(client, paths: list[str], phrases: list[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        text = shown_text(response.get_data(as_text=True))
        hits = [phrase for phrase in phrases if phrase in text]
        if hits:
            found[path] = hits
    return found


def test_every_page_in_spanish_holds_no_english_civic_wrote(app, client, auth, spanish_city):
    from civic.accounts.models import Department
    from civic.issues.catalog import CATEGORIES

    phrases = english_phrases()
    assert "Reopened by a resident" in phrases  # the check knows the stored texts it is looking for
    with app.app_context():
        departments = [d.name for d in db.session.scalars(sa.select(Department)) if d.name_es]
    names = [name for _slug, name, _es, _dept in CATEGORIES] + departments
    paths = [p.format(**spanish_city) for p in PAGES]

    auth.login_as(spanish_city["admin"])
    found = _english_on(
        client, [p for p in paths if p not in ("/admin/categories", "/admin/departments")], phrases + names
    )
    found |= _english_on(
        client, ["/admin/categories", "/admin/departments"], phrases
    )  # the names in both languages are its content
    auth.logout()
    auth.login_as(spanish_city["reporter"])
    found |= {f"{p} (reporter)": hits for p, hits in _english_on(client, paths[:11], phrases + names).items()}
    assert found == {}, pformat(found)


def test_the_spanish_history_reads_in_spanish(app, client, auth, spanish_city):
    """What each line of the history says, as the Spanish reader sees it."""
    auth.login_as(spanish_city["reporter"])
    text = shown_text(client.get(f"/issues/{spanish_city['issue']}").get_data(as_text=True))
    assert "Reabierto por un vecino: Sigue ahí, más hondo." in text
    assert "(311 n.º " in text and "): Crew scheduled" in text  # the city's words, framed in Spanish
    assert "Departamento de Calles" in text
    fixed = shown_text(client.get(f"/issues/{spanish_city['fixed']}").get_data(as_text=True))
    assert "Resuelto por el vecindario en la limpieza «Limpieza de la esquina» el " in fixed
    notifications = shown_text(client.get("/notifications").get_data(as_text=True))
    assert "Reabierto por un vecino" in notifications or "respondió" in notifications
    # The same rows read in English for an English reader: one stored code, two languages.
    client.post("/language/en", data={"next": "/"})
    with app.app_context():
        from civic.accounts.models import User

        with unit_of_work():
            db.session.get_one(User, spanish_city["reporter"].id).locale = "en"
    english = shown_text(client.get(f"/issues/{spanish_city['issue']}").get_data(as_text=True))
    assert "Reopened by a resident: Sigue ahí, más hondo." in english and "Streets Department" in english
