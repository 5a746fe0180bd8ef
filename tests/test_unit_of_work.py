"""One unit of work per request: services flush, the request (or `unit_of_work()`) commits once, effects
outside the database (pushes, mail) happen only after a commit, and one validating rule serves every
report channel."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from civic import signals
from civic.accounts.models import User
from civic.database import on_commit, unit_of_work
from civic.extensions import db, socketio
from civic.issues import services
from civic.issues.models import Comment, Issue
from civic.mail.models import OutgoingMail
from civic.mail.services import send_mail
from tests.conftest import FISHTOWN


class Boom(Exception):
    pass


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def watcher(app):
    """A Socket.IO client on the real server, watching whatever issue it is told to."""
    sio = socketio.test_client(app)
    yield sio
    sio.disconnect()


def received(sio, name):
    return [e["args"][0] for e in sio.get_received() if e["name"] == name]


# --- the request owns the transaction ----------------------------------------------------------------


def test_a_failure_after_the_issue_is_flushed_leaves_nothing(make_app, make_user, categories):
    """A receiver of issue_reported fails after report_issue wrote the issue: the request answers 500 and the
    database holds neither the issue nor its status history."""
    from civic.issues.models import StatusChange
    from tests.conftest import AuthActions

    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    AuthActions(client).login_as(make_user())

    def fail(_app, **_kw):
        raise Boom("a receiver failed")

    signals.issue_reported.connect(fail)
    try:
        response = client.post(
            "/issues/new",
            data={
                "category": str(categories["pothole"]),
                "title": "Deep pothole",
                "description": "By the stop.",
                "lat": str(FISHTOWN[0]),
                "lon": str(FISHTOWN[1]),
                "duplicates_seen": "1",
            },
        )
    finally:
        signals.issue_reported.disconnect(fail)
    assert response.status_code == 500
    assert count(app, Issue) == 0 and count(app, StatusChange) == 0


def test_a_refused_button_is_rolled_back_even_when_the_page_answers_normally(app, client, auth, make_user, make_issue):
    """A view that flashes a service's error and redirects (302) dooms the unit of work: what the service
    had flushed before refusing is not committed."""
    from civic.web import flash_or_raise

    issue_id = make_issue()
    user = make_user()

    @app.post("/test-only/half-done")
    def half_done():
        issue = db.session.get(Issue, issue_id)
        issue.title = "Half-done change"
        db.session.flush()
        from civic.errors import ValidationError

        flash_or_raise(ValidationError("refused after a flush"))
        return "", 302, {"Location": "/"}

    auth.login_as(user)
    assert client.post("/test-only/half-done").status_code == 302
    with app.app_context():
        assert db.session.get(Issue, issue_id).title == "Deep pothole"


def test_a_service_call_in_a_unit_of_work_commits_once_at_the_end(app, make_user, make_issue):
    issue_id, author = make_issue(), make_user()
    with pytest.raises(Boom), app.test_request_context(), unit_of_work():
        services.add_comment(db.session.get(User, author.id), db.session.get(Issue, issue_id), "Kept?")
        raise Boom
    assert count(app, Comment) == 0
    with app.test_request_context(), unit_of_work():
        services.add_comment(db.session.get(User, author.id), db.session.get(Issue, issue_id), "Kept.")
    assert count(app, Comment) == 1


# --- effects after commit ----------------------------------------------------------------------------


def test_a_push_waits_for_the_commit_and_a_rolled_back_change_is_never_announced(app, make_user, make_issue, watcher):
    issue_id, author = make_issue(), make_user()
    assert watcher.emit("watch_issue", {"issue_id": issue_id}, callback=True) == {"ok": True}
    with pytest.raises(Boom), app.test_request_context(), unit_of_work():
        services.add_comment(db.session.get(User, author.id), db.session.get(Issue, issue_id), "Never said")
        raise Boom
    assert received(watcher, "comment") == []

    with app.test_request_context(), unit_of_work():
        services.add_comment(db.session.get(User, author.id), db.session.get(Issue, issue_id), "Said")
        assert received(watcher, "comment") == []  # flushed, not yet committed: nothing pushed
    [pushed] = received(watcher, "comment")
    assert pushed["issue_id"] == issue_id and "Said" in pushed["comment"]["body_html"]


def test_mail_is_sent_only_after_commit_and_never_for_a_rollback(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with pytest.raises(Boom), app.test_request_context(), unit_of_work():
        send_mail("rolled@back.example", "Never sent", "password_reset", user=None, link="http://x", minutes=5)
        raise Boom
    time.sleep(0.3)
    assert smtp_server.messages == [] and count(app, OutgoingMail) == 0

    with app.test_request_context(), unit_of_work():
        send_mail("kept@example.org", "Sent after commit", "password_reset", user=None, link="http://x", minutes=5)
        assert smtp_server.messages == []  # written in the unit of work, not yet delivered
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "kept@example.org"
    with app.app_context():
        [row] = db.session.scalars(sa.select(OutgoingMail))
        assert row.sent_at is not None and row.attempts == 1


def test_an_effect_runs_once_after_commit_and_its_failure_does_not_undo_the_commit(app, make_issue):
    ran = []
    issue_id = make_issue()
    with app.app_context(), unit_of_work():
        db.session.get(Issue, issue_id).title = "Renamed"
        on_commit(lambda: ran.append("first"))
        on_commit(lambda: 1 / 0)  # logged, not raised
        on_commit(lambda: ran.append("after the failing one"))
        assert ran == []
    assert ran == ["first", "after the failing one"]
    with app.app_context():
        assert db.session.get(Issue, issue_id).title == "Renamed"


def test_organising_a_clean_up_for_an_issue_is_one_commit(app, client, auth, make_user, make_issue):
    """The event, its link to the issue and the organiser's own place (when they will attend) are written
    together: one commit for the click (it used to be three)."""
    from datetime import datetime, timedelta

    from sqlalchemy.orm import Session

    from civic.events.models import Event, EventIssue, Rsvp

    issue_id = make_issue(title="Dumped tyres")
    auth.login_as(make_user())
    starts = (datetime.now() + timedelta(days=5)).replace(hour=9, minute=0)
    commits = []

    def counted(session):
        commits.append(session)

    sa.event.listen(Session, "after_commit", counted)
    try:
        response = client.post(
            "/events/new",
            data={
                "title": "Tyre clean-up",
                "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                "meeting_point": "Norris & Front",
                "lat": str(FISHTOWN[0]),
                "lon": str(FISHTOWN[1]),
                "capacity": "2",
                "issue_id": str(issue_id),
                "organiser_attends": "y",
            },
        )
    finally:
        sa.event.remove(Session, "after_commit", counted)
    assert response.status_code == 302
    assert len(commits) == 1
    assert (count(app, Event), count(app, EventIssue), count(app, Rsvp)) == (1, 1, 1)


def test_the_outbox_is_woken_after_commit_and_not_for_a_rolled_back_report(app, city, connected, make_user, categories):
    from civic import jobs
    from civic.city311.outbox import SEND_JOB

    jobs._take_woken()  # whatever earlier tests left
    reporter = make_user()

    def report():
        return services.report_issue(
            db.session.get(User, reporter.id),
            services.IssueDraft(
                category_id=categories["pothole"],
                title="Deep pothole",
                description="By the stop.",
                lat=FISHTOWN[0],
                lon=FISHTOWN[1],
            ),
        )

    with pytest.raises(Boom), app.test_request_context(), unit_of_work():
        report()
        raise Boom
    assert jobs._take_woken() == set()
    with app.test_request_context(), unit_of_work():
        report()
        assert jobs._take_woken() == set()  # queued, not yet committed
    assert jobs._take_woken() == {SEND_JOB}
