"""Migration 0014 turns the official replies civic invented ("… is now open") into ticket events and recomputes
the issues' time to first response from the replies that remain."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from civic import ROOT
from civic.city311.models import Submission, TicketEvent, TicketEventKind
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Comment, Issue
from tests.conftest import FISHTOWN, offset
from tests.test_open311_client import run_outbox


def _invent_reply(issue_id: int, number: str, when, status: str = "open") -> None:
    """What the sync before 0014 stored on the first sync of every accepted ticket."""
    db.session.add(
        Comment(
            issue_id=issue_id,
            author_id=None,
            official=True,
            body=f"Streets Department (311 #{number}): The city's 311 ticket is now {status}.",
            created_at=when,
        )
    )
    issue = db.session.get(Issue, issue_id)
    issue.comment_count += 1
    issue.first_response_at = issue.first_response_at or when


def test_invented_replies_become_ticket_events_and_response_times_are_recomputed(app, city, connected, make_issue):
    quiet = make_issue(title="Only the invented reply")
    answered = make_issue(title="The city wrote later", at=offset(*FISHTOWN, north_m=300))
    run_outbox(app)
    hour = timedelta(hours=1)
    with app.app_context(), unit_of_work():
        numbers = {s.issue_id: s.service_request_id for s in db.session.scalars(sa.select(Submission))}
        start = utcnow()
        _invent_reply(quiet, numbers[quiet], start + hour)
        _invent_reply(answered, numbers[answered], start + hour)
        db.session.add(
            Comment(
                issue_id=answered,
                author_id=None,
                official=True,
                body=f"Streets Department (311 #{numbers[answered]}): Crew booked for Tuesday",
                created_at=start + 30 * hour,
            )
        )
        db.session.get(Issue, answered).comment_count += 1
    with app.app_context():
        downgrade(directory=str(ROOT / "migrations"), revision="0013")
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    with app.app_context(), unit_of_work():
        assert db.session.get(Issue, quiet).first_response_at is None
        assert db.session.get(Issue, quiet).comment_count == 0
        kept = db.session.get(Issue, answered)
        assert kept.comment_count == 1
        assert abs(kept.first_response_at - (start + 30 * hour)) < timedelta(seconds=1)
        bodies = [c.body for c in db.session.scalars(sa.select(Comment))]
        assert bodies == [f"Streets Department (311 #{numbers[answered]}): Crew booked for Tuesday"]
        events = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.issue_id == quiet)).all()
        assert [(e.kind, e.city_status) for e in events] == [(TicketEventKind.STATUS, "open")]
        assert len(db.session.scalars(sa.select(Submission)).all()) == 2  # the downgrade kept them
