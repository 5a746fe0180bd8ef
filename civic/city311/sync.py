"""Bring the city's ticket statuses back into the threads.

For every accepted submission still open at the city, in separate steps (one failing does not stop the
others): GET requests in batches (comma lists no longer than the endpoint's page size), and, where the city
has it, servicerequestupdates with their extended statuses (each update applied once, by its update_id).
What the city said becomes a ticket event (the ticket box's history); its own words (status_notes, an
update's description) also become an official update in the thread, and a status that means something new
for residents a status change: "closed" is never "fixed" unless the city says fixed. Acceptance and the
first sync of an open ticket say nothing. Signals then notify followers and push the change live.

Job code: `sync_endpoint` owns its transactions, one `unit_of_work()` per ticket applied (as each ticket
was committed on its own before); `apply_ticket` itself only flushes.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from civic import signals, stored_text
from civic.city311 import agencies, health, outbox
from civic.city311.client import CityRefused, CityUnavailable, EndpointMissing, GeoReportClient, Ticket
from civic.city311.models import Endpoint, Submission, SubmissionState, TicketEvent, TicketEventKind
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Comment, Issue, IssueStatus, StatusChange
from civic.staff.models import ClosedReason

# FixMyStreet's extended statuses (case-insensitive) → our status and, for closed, why.
# The city's note in an issue's thread: its own words, framed in the reader's language.
CITY_NOTE = "city_note"
stored_text.register(
    CITY_NOTE,
    lambda p: _(
        "%(agency)s (311 #%(number)s): %(notes)s",
        agency=agencies.label(p.get("agency")) or _("The city"),
        number=p["number"],
        notes=p["notes"],
    ),
)

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


def apply_ticket(
    submission: Submission, ticket: Ticket, extended: str | None = None, update_id: str | None = None
) -> bool:
    """Record what the city says about this ticket; True when the city said something new. Only the city
    speaks as the city: a thread update appears when its status, its notes, its agency or its expected date
    changed, never because civic learnt the ticket exists. Flushes only."""
    issue: Issue = submission.issue
    events: list[TicketEvent] = []
    if ticket.agency_responsible and ticket.agency_responsible != submission.agency_responsible:
        if submission.agency_responsible:  # handed to another agency; the first one named is just a fact
            events.append(outbox.add_event(submission, TicketEventKind.AGENCY, value=ticket.agency_responsible[:200]))
        submission.agency_responsible = ticket.agency_responsible
    if ticket.expected_at and ticket.expected_at != submission.expected_at:
        if submission.expected_at:
            events.append(outbox.add_event(submission, TicketEventKind.EXPECTED, value=ticket.expected_at.isoformat()))
        submission.expected_at = ticket.expected_at
    notes = ticket.status_notes or None
    status_moved = ticket.status != submission.city_status and not (
        submission.city_status is None and ticket.status == "open"  # the first sync of a new ticket: no news
    )
    notes_new = notes is not None and notes != submission.city_status_notes
    if update_id is None and not (status_moved or notes_new):
        db.session.flush()
        if events:
            signals.ticket_changed.send(signals.sender(), submission=submission)
        return bool(events)
    submission.city_status, submission.city_status_notes = ticket.status, notes or submission.city_status_notes
    submission.city_updated_at, submission.synced_at = ticket.updated_at or utcnow(), utcnow()
    kind = TicketEventKind.STATUS if status_moved or update_id is not None else TicketEventKind.NOTES
    events.append(
        outbox.add_event(
            submission, kind, city_status=(extended or ticket.status)[:40], text=notes, city_update_id=update_id
        )
    )
    comment = None
    if notes_new or (update_id is not None and notes):  # the city's own words go in the thread
        params = {"agency": submission.agency_responsible, "number": submission.service_request_id, "notes": notes}
        comment = Comment(
            issue_id=issue.id,
            author_id=None,
            official=True,
            department_id=issue.category.department_id,
            body=stored_text.english(CITY_NOTE, params),
            system_code=CITY_NOTE,
            system_params=params,
        )
        db.session.add(comment)
        db.session.execute(update(Issue).where(Issue.id == issue.id).values(comment_count=Issue.comment_count + 1))
        if issue.first_response_at is None:  # the city answered in words: its first response
            issue.first_response_at = utcnow()
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
    db.session.flush()
    db.session.refresh(issue)
    app = signals.sender()
    if comment is not None:
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


def _applied_update_ids(submission_ids: list[int]) -> set[tuple[int, str]]:
    rows = db.session.execute(
        select(TicketEvent.submission_id, TicketEvent.city_update_id).where(
            TicketEvent.submission_id.in_(submission_ids), TicketEvent.city_update_id.is_not(None)
        )
    )
    return {(row.submission_id, row.city_update_id) for row in rows}


def _fetch_statuses(endpoint: Endpoint, client: GeoReportClient, ids: list[str]) -> list[Ticket]:
    """Step 1: GET requests for the open tickets. A failure is recorded; the other steps go on."""
    try:
        tickets = client.get_requests(ids)
    except (CityUnavailable, CityRefused) as exc:
        current_app.logger.warning("open311 status sync of %s failed: %s", endpoint.name, exc)
        with unit_of_work():
            health.failed(endpoint, exc)
        return []
    with unit_of_work():
        health.succeeded(endpoint)
    return tickets


def _fetch_updates(endpoint: Endpoint, client: GeoReportClient, since) -> list[dict]:
    """Step 2, where the city has it: servicerequestupdates. Missing is recorded for that endpoint only (and
    asked again after a day); a failure is recorded; the statuses of step 1 are applied either way."""
    if not health.offers(endpoint, "servicerequestupdates"):
        return []
    try:
        records = client.updates(since, utcnow() + timedelta(minutes=5))
    except EndpointMissing as exc:
        with unit_of_work():
            health.record(endpoint, "servicerequestupdates", available=False, message=str(exc))
        return []
    except (CityUnavailable, CityRefused) as exc:
        current_app.logger.warning("open311 updates of %s failed: %s", endpoint.name, exc)
        with unit_of_work():
            health.failed(endpoint, exc)
        return []
    with unit_of_work():
        health.record(endpoint, "servicerequestupdates", available=True)
        health.succeeded(endpoint)
    return records


def sync_endpoint(endpoint: Endpoint, client: GeoReportClient | None = None) -> int:
    client = client or GeoReportClient.for_endpoint(endpoint)
    submissions = _open_submissions(endpoint)
    if not submissions:
        return 0
    by_ticket: dict[str, list[Submission]] = {}
    for submission in submissions:  # several community issues may share one ticket
        by_ticket.setdefault(submission.service_request_id, []).append(submission)  # type: ignore[arg-type]  # open ones have a number
    since = min((s.synced_at or s.accepted_at or s.created_at) for s in submissions) - timedelta(minutes=5)
    tickets = _fetch_statuses(endpoint, client, list(by_ticket))
    records = _fetch_updates(endpoint, client, since)
    applied = _applied_update_ids([s.id for s in submissions]) if records else set()
    changed = 0
    for ticket in tickets:  # the agency and expected date first, so updates can name the agency
        for submission in by_ticket.get(ticket.service_request_id, []):
            with unit_of_work():
                submission.agency_responsible = submission.agency_responsible or ticket.agency_responsible or None
                submission.expected_at = submission.expected_at or ticket.expected_at
    for record in records:
        ticket_id = str(record.get("service_request_id") or "").strip()
        extended = str(record.get("status") or "").strip().lower()
        update_id = str(record.get("update_id") or f"{record.get('updated_datetime')}|{extended}")[:200]
        for submission in by_ticket.get(ticket_id, []):
            if (submission.id, update_id) in applied:
                continue
            final = community_status("", extended)[0] in (IssueStatus.CLOSED, IssueStatus.FIXED)
            said = Ticket(
                service_request_id=ticket_id,
                status="closed" if final else "open",
                status_notes=str(record.get("description") or "").strip(),
            )
            with unit_of_work():
                changed += apply_ticket(submission, said, extended or None, update_id=update_id)
    for ticket in tickets:
        for submission in by_ticket.get(ticket.service_request_id, []):
            with unit_of_work():
                changed += apply_ticket(submission, ticket)
    return changed


def sync_all() -> int:
    with unit_of_work():
        endpoints = list(db.session.scalars(select(Endpoint).where(Endpoint.active.is_(True))))
    return sum(sync_endpoint(e) for e in endpoints)
