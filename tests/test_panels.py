"""Pages composed through the panel registry (civic/panels.py): the order and the skipping of panels, a panel
a test registers showing on the issue page, nothing queried while the issue page renders (and no more queries
in all than before the registry), and the 311 ticket line pushed live being the page's own."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import flask
import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import event

from civic import panels, signals
from civic.accounts.models import User
from civic.city311.models import Endpoint, Submission, SubmissionState
from civic.database import unit_of_work
from civic.events import organising
from civic.events import services as event_services
from civic.extensions import db, socketio
from tests.conftest import AuthActions

CITY = ZoneInfo("America/New_York")


@pytest.fixture
def registered():
    """register(**panel) for this test only: the registry is the process's, so each is removed afterwards."""
    added = []

    def register(**kw):
        added.append((kw["page"], kw["name"]))
        return panels.register(**kw)

    yield register
    for page, name in added:
        panels.unregister(page, name)


def test_panels_come_in_order_and_those_with_nothing_to_show_are_left_out(registered):
    seen = []

    def context(name, data):
        def fn(**subject):
            seen.append((name, subject))
            return data

        return fn

    registered(page="test-page", name="late", template="late.html", context=context("late", {"n": 3}), order=30)
    registered(page="test-page", name="empty", template="empty.html", context=context("empty", None), order=10)
    registered(
        page="test-page", name="b-early", template="b.html", context=context("b-early", {"n": 2}), order=20, slot="side"
    )
    registered(page="test-page", name="a-early", template="a.html", context=context("a-early", {"n": 1}), order=20)

    shown = panels.collect("test-page", thing=7)
    assert [(p.name, p.template, p.slot, dict(p.context)) for p in shown] == [
        ("a-early", "a.html", "main", {"n": 1}),  # same order: by name
        ("b-early", "b.html", "side", {"n": 2}),
        ("late", "late.html", "main", {"n": 3}),
    ]
    assert sorted(name for name, _ in seen) == ["a-early", "b-early", "empty", "late"]  # each asked once
    assert all(subject == {"thing": 7} for _, subject in seen)
    assert panels.collect("no-such-page") == []


def test_the_issue_page_shows_a_panel_a_test_registers_where_its_slot_is(
    app, client, auth, make_user, make_issue, registered
):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "tests/_note.html": '<p class="notice" id="test-note">Note {{ panel.word }} on “{{ issue.title }}” '
                    "for {{ current_user.display_name }}</p>",
                }
            ),
            app.jinja_env.loader,
        ]
    )
    asked = []

    def note(issue, viewer):
        asked.append((issue.id, viewer.is_authenticated))
        return {"word": "<b>fresh</b>"}

    registered(
        page="issue", name="test-note", template="tests/_note.html", context=note, order=5, slot="before-comments"
    )
    registered(page="issue", name="test-nothing", template="tests/_missing.html", context=lambda issue, viewer: None)
    issue_id = make_issue(title="Bags by the fence")
    auth.login_as(make_user(display_name="Neighbour Nia"))
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)

    assert asked == [(issue_id, True)]
    assert (
        '<p class="notice" id="test-note">Note &lt;b&gt;fresh&lt;/b&gt; on “Bags by the fence” for Neighbour Nia</p>'
    ) in page
    # The slot 'before-comments' sits after the status history and before the comments.
    assert page.index('id="history-heading"') < page.index('id="test-note"') < page.index('id="comments-heading"')


# --- queries ------------------------------------------------------------------------------------


@contextmanager
def counting_queries(app):
    """{'total': statements run, 'rendering': those run while a template rendered (with their SQL)}."""
    seen = {"total": 0, "rendering": []}
    rendering = []

    def on_sql(conn, cursor, statement, *args):
        seen["total"] += 1
        if rendering:
            seen["rendering"].append(statement.split(" FROM ")[-1][:80])

    def before(sender, template, context, **kw):
        rendering.append(template.name)

    def after(sender, template, context, **kw):
        rendering.pop()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_sql)
    flask.before_render_template.connect(before, app)
    flask.template_rendered.connect(after, app)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_sql)
        flask.before_render_template.disconnect(before, app)
        flask.template_rendered.disconnect(after, app)


# Statements per issue page before the registry (template globals, issue 9's tuning): the page may not need more.
QUERY_BUDGET = {"anonymous": 7, "organiser": 12, "staff": 16}


def test_nothing_queries_while_the_issue_page_renders(make_app, make_user, make_issue):
    app = make_app(PAGE_CACHE_SECONDS=0)  # every reader gets a rendered page, not a kept one
    client, organiser, staff = app.test_client(), make_user(), make_user("staff")
    auth = AuthActions(client)
    issue_id = make_issue(title="Bags by the fence")
    starts = (datetime.now(CITY) + timedelta(days=5)).replace(tzinfo=None, second=0, microsecond=0)
    with app.test_request_context():
        me = db.session.get(User, organiser.id)
        clean_up = event_services.create_event(
            me,
            title="Alley clean-up",
            description="Bring gloves.",
            starts_local=starts,
            ends_local=starts + timedelta(hours=2),
            meeting_point="Corner of Norris & Front",
            lat=39.9712,
            lon=-75.1339,
        )
        organising.link_issues(me, clean_up, [issue_id])
        db.session.commit()

    for who, user in (("anonymous", None), ("organiser", organiser), ("staff", staff)):
        if user:
            auth.login_as(user)
        client.get(f"/issues/{issue_id}")  # warm: first-use loads (categories, neighbourhoods) aside
        with counting_queries(app) as seen:
            page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
        assert "A clean-up is planned for" in page and 'id="ticket-status"' in page
        assert ('id="add-to-event"' in page) == (who == "organiser")
        assert ('id="staff-panel"' in page) == (who == "staff")
        assert seen["rendering"] == [], f"{who}: queried while rendering"
        assert seen["total"] <= QUERY_BUDGET[who], f"{who}: {seen['total']} statements"
        auth.logout()


# --- the 311 ticket line, on the page and pushed live ---------------------------------------------

TICKETS = {
    "accepted": dict(
        state=SubmissionState.ACCEPTED,
        service_request_id="4521",
        agency_responsible="Streets <Dept> & Co",
        city_status="in_progress",
        expected_at=datetime(2026, 3, 9, 15, tzinfo=UTC),
        linked=True,
    ),
    "queued": dict(state=SubmissionState.QUEUED),
    "failed": dict(state=SubmissionState.FAILED, last_error="Bad service code"),
}


@pytest.mark.parametrize("kind", TICKETS)
def test_the_pushed_ticket_line_is_the_one_on_the_page(make_app, make_issue, kind):
    app = make_app(PAGE_CACHE_SECONDS=0)
    issue_id = make_issue(title="Crater on Norris")
    watcher = socketio.test_client(app)
    assert watcher.emit("watch_issue", {"issue_id": issue_id}, callback=True) == {"ok": True}
    with app.test_request_context(), unit_of_work():
        endpoint = Endpoint(name="City", base_url="http://127.0.0.1:9/", api_key="k")
        db.session.add(endpoint)
        db.session.flush()
        submission = Submission(
            issue_id=issue_id, endpoint_id=endpoint.id, idempotency_key=f"key-{kind}", **TICKETS[kind]
        )
        db.session.add(submission)
        db.session.flush()
        signals.ticket_changed.send(app, submission=submission)
    [pushed] = [e["args"][0] for e in watcher.get_received() if e["name"] == "ticket"]
    watcher.disconnect()

    page = app.test_client().get(f"/issues/{issue_id}").get_data(as_text=True)
    [on_page] = re.findall(r'<p id="ticket-status".*?</p>', page, flags=re.S)
    assert pushed["issue_id"] == issue_id
    assert pushed["html"] == on_page.strip()
    if kind == "accepted":
        assert "Streets &lt;Dept&gt; &amp; Co" in pushed["html"]
        assert pushed["text"].startswith(
            "311 ticket #4521 · Streets <Dept> & Co · City status: in progress · Expected by"
        )
        assert pushed["text"].endswith("(linked by a resident)")
