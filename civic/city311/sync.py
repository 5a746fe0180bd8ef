"""Bring the city's ticket statuses back into the threads.

For every accepted submission still open at the city: GET requests in batches (comma lists no longer
than the endpoint's page size), and, where offered, servicerequestupdates with their extended statuses.
Each change becomes an official update from the city agency in the thread (status_notes as its text)
and, when it means something new for residents, a status change: "closed" is never "fixed" unless the
city says fixed. Signals then notify followers and push the change live (after the commit).

Job code: `sync_endpoint` owns its transactions, one `unit_of_work()` per ticket applied (as each ticket
was committed on its own before); `apply_ticket` itself only flushes.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from civic import signals
from civic.city311.client import CityRefused, CityUnavailable, GeoReportClient, Ticket
from civic.city311.models import Endpoint, Submission, SubmissionState
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Comment, Issue, IssueStatus, StatusChange
from civic.staff.models import ClosedReason

# FixMyStreet's extended statuses (case-insensitive) → our status and, for closed, why.
EXTENDED = {
    "fixed": (IssueStatus.FIXED, None),
    "in_progress": (IssueStatus.IN_PROGRESS, None),
    "action_scheduled": (IssueStatus.IN_PROGRESS, None),
    "investigating": (IssueStatus.ACKNOWLEDGED, None),
    "internal_referral": (IssueStatus.ACKNOWLEDGED, None),
    "duplicate": (IssueStatus.CLOSED, ClosedReason.DUPLICATE),
    "not_councils_responsibility": (IssueStatus.CLOSED, ClosedReason.NOT_RESPONSIBLE),
    "no_further_action": (IssueStatus.CLOSED, ClosedReason.NO_FURTHER_ACTION),
    "unable_to_fix": (IssueStatus.CLOSED, ClosedReason.CANNOT_LOCATE),
    "closed": (IssueStatus.CLOSED, ClosedReason.NO_FURTHER_ACTION),
    "open": (IssueStatus.OPEN, None),
}


def community_status(city_status: str, extended: str | None = None) -> tuple[IssueStatus | None, ClosedReason | None]:
    key = (extended or city_status or "").strip().lower().replace(" ", "_")
    if key in EXTENDED:
        return EXTENDED[key]
    return (IssueStatus.CLOSED, ClosedReason.NO_FURTHER_ACTION) if city_status == "closed" else (None, None)


def apply_ticket(submission: Submission, ticket: Ticket, extended: str | None = None) -> bool:
    """Record what the city says about this ticket; True when something changed."""
    # Facts that do not make a thread update are kept whenever the city gives them.
    if ticket.agency_responsible:
        submission.agency_responsible = ticket.agency_responsible
    if ticket.expected_at:
        submission.expected_at = ticket.expected_at
    if (ticket.status, ticket.status_notes or None) == (
        submission.city_status,
        submission.city_status_notes,
    ) and extended is None:
        db.session.flush()
        return False
    issue: Issue = submission.issue
    submission.city_status, submission.city_status_notes = ticket.status, ticket.status_notes or None
    submission.city_updated_at, submission.synced_at = ticket.updated_at or utcnow(), utcnow()
    if ticket.agency_responsible:
        submission.agency_responsible = ticket.agency_responsible
    agency = submission.agency_responsible or _("The city")
    notes = ticket.status_notes or _("The city's 311 ticket is now %(status)s.", status=extended or ticket.status)
    comment = Comment(
        issue_id=issue.id,
        author_id=None,
        official=True,
        department_id=issue.category.department_id,
        body=f"{agency} (311 #{submission.service_request_id}): {notes}",
    )
    db.session.add(comment)
    db.session.execute(update(Issue).where(Issue.id == issue.id).values(comment_count=Issue.comment_count + 1))
    change = None
    target, closed_reason = community_status(ticket.status, extended)
    if target is not None and target is not issue.status:
        change = StatusChange(
            issue_id=issue.id, from_status=issue.status, to_status=target, reason=notes, actor_id=None
        )
        db.session.add(change)
        issue.status, issue.updated_at = target, utcnow()
        issue.closed_reason = closed_reason.value if closed_reason else None
        if target is IssueStatus.FIXED:
            issue.fixed_at = utcnow()
        issue.fixed_by_community, issue.community_fix_confirmed_at = False, None
    if issue.first_response_at is None:
        issue.first_response_at = utcnow()
    db.session.flush()
    db.session.refresh(issue)
    app = signals.sender()
    signals.comment_posted.send(app, issue=issue, comment=comment)
    if change is not None:
        signals.status_changed.send(app, issue=issue, change=change)
    signals.ticket_changed.send(app, submission=submission)
    return True


def _open_submissions(endpoint: Endpoint) -> list[Submission]:
    return list(
        db.session.scalars(
            select(Submission).where(
                Submission.endpoint_id == endpoint.id,
                Submission.state == SubmissionState.ACCEPTED,
                or_(Submission.city_status.is_(None), Submission.city_status != "closed"),
            )
        )
    )


def sync_endpoint(endpoint: Endpoint, client: GeoReportClient | None = None) -> int:
    client = client or GeoReportClient.for_endpoint(endpoint)
    submissions = _open_submissions(endpoint)
    if not submissions:
        return 0
    by_ticket: dict[str, list[Submission]] = {}
    for submission in submissions:  # several community issues may share one ticket
        by_ticket.setdefault(submission.service_request_id, []).append(submission)  # type: ignore[arg-type]  # open ones have a number
    changed = 0
    since = min((s.synced_at or s.accepted_at or s.created_at) for s in submissions) - timedelta(minutes=5)
    try:
        tickets = client.get_requests(list(by_ticket))
        with unit_of_work():
            for ticket in tickets:  # the agency and expected date first, so updates can name the agency
                for submission in by_ticket.get(ticket.service_request_id, []):
                    submission.agency_responsible = ticket.agency_responsible or submission.agency_responsible
                    submission.expected_at = ticket.expected_at or submission.expected_at
        for record in client.updates(since, utcnow() + timedelta(minutes=5)):
            ticket_id = str(record.get("service_request_id", ""))
            for submission in by_ticket.get(ticket_id, []):
                extended = str(record.get("status", "")).lower()
                final = community_status("", extended)[0] in (IssueStatus.CLOSED, IssueStatus.FIXED)
                update = Ticket(
                    service_request_id=ticket_id,
                    status="closed" if final else "open",
                    status_notes=str(record.get("description") or ""),
                )
                with unit_of_work():
                    changed += apply_ticket(submission, update, extended)
        for ticket in tickets:
            for submission in by_ticket.get(ticket.service_request_id, []):
                with unit_of_work():
                    changed += apply_ticket(submission, ticket)
    except (CityUnavailable, CityRefused) as exc:
        current_app.logger.warning("open311 sync of %s failed: %s", endpoint.name, exc)
    return changed


def sync_all() -> int:
    with unit_of_work():
        endpoints = list(db.session.scalars(select(Endpoint).where(Endpoint.active.is_(True))))
    return sum(sync_endpoint(e) for e in endpoints)
