"""The outbox that turns community issues into 311 tickets, safely.

A submission is written before anything is sent. Each attempt is counted BEFORE the POST, so after a
crash between the city's answer and our commit, the next attempt first looks for a ticket carrying the
submission's reference (put into the description) and adopts it instead of creating a second one.
Transient failures back off exponentially; a 4xx is final and shown to staff with the city's words.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, or_, select, update

from civic import signals
from civic.accounts.models import User
from civic.database import utcnow
from civic.errors import PermissionDenied, ValidationError
from civic.extensions import db
from civic.issues.models import Issue
from civic.open311.client import CityRefused, CityUnavailable, GeoReportClient, Ticket
from civic.open311.models import CityService, Endpoint, Submission, SubmissionState

LEASE = timedelta(minutes=2)          # how long a worker owns a submission while sending it
MAX_BACKOFF = timedelta(hours=1)
DESCRIPTION_MAX = 4000


def reference(submission: Submission) -> str:
    return f"[civic ref {submission.idempotency_key}]"


def backoff(attempts: int) -> timedelta:
    seconds = min(30 * 2 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def route_for(issue: Issue) -> CityService | None:
    """The city service mapped to the issue's category, on an active endpoint."""
    return db.session.scalar(
        select(CityService).join(Endpoint, Endpoint.id == CityService.endpoint_id)
        .where(CityService.category_id == issue.category_id, Endpoint.active.is_(True)).limit(1)
    )


# Asked by every issue page: built once, run with the issue as a parameter.
_CURRENT = (select(Submission).where(Submission.issue_id == bindparam("issue_id"))
            .order_by(Submission.id.desc()).limit(1))


def current_submission(issue_id: int) -> Submission | None:
    return db.session.scalar(_CURRENT, {"issue_id": issue_id})


def may_send(user, issue: Issue) -> bool:
    return bool(user is not None and user.is_authenticated and
                (user.id == issue.reporter_id or user.acts_as_liaison or user.acts_as_staff or user.is_admin))


def queue(issue: Issue, requested_by: User | None, *, contact_consent: bool = False,
          attributes: dict | None = None) -> Submission:
    """Record the intention to send. Idempotent: an issue that already has a live submission keeps it."""
    existing = current_submission(issue.id)
    if existing is not None and existing.state is not SubmissionState.FAILED:
        return existing
    service = route_for(issue)
    if service is None:
        raise ValidationError(_("No city 311 service is set up for this kind of problem yet."))
    submission = Submission(issue_id=issue.id, endpoint_id=service.endpoint_id, idempotency_key=uuid.uuid4().hex,
                            requested_by_id=requested_by.id if requested_by else None,
                            contact_consent=contact_consent, attributes=attributes or {},
                            state=SubmissionState.QUEUED, next_attempt_at=utcnow())
    db.session.add(submission)
    db.session.commit()
    return submission


def send_to_311(user: User, issue: Issue, **options) -> Submission:
    if not may_send(user, issue):
        raise PermissionDenied(_("The reporter, liaisons and city staff can send an issue to 311."))
    return queue(issue, user, **options)


def _fields(submission: Submission) -> dict:
    issue = submission.issue
    service = route_for(issue)
    endpoint = submission.endpoint
    description = f"{issue.title}\n\n{issue.description}"[: DESCRIPTION_MAX - 60] + f"\n\n{reference(submission)}"
    fields = {"service_code": service.service_code, "lat": f"{issue.lat:.6f}", "long": f"{issue.lon:.6f}",
              "description": description}
    if issue.address or endpoint.needs_address:
        fields["address_string"] = issue.address or f"{issue.lat:.6f}, {issue.lon:.6f}"
    if issue.photos:
        fields["media_url"] = url_for("media.photo", key=issue.photos[0].key, _external=True)
    for code, value in (submission.attributes or {}).items():
        if isinstance(value, list):
            fields[f"attribute[{code}][]"] = value
        else:
            fields[f"attribute[{code}]"] = value
    reporter = issue.reporter
    if submission.contact_consent and reporter is not None:  # contact details only with consent
        first, _sep, last = reporter.display_name.partition(" ")
        fields.update(email=reporter.email, first_name=first, last_name=last)
    return fields


def _claim(submission_id: int, now: datetime) -> bool:
    """Take the submission for this worker, so two workers never send it at the same time."""
    claimed = db.session.execute(
        update(Submission).where(Submission.id == submission_id, Submission.state == SubmissionState.QUEUED,
                                 or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= now))
        .values(next_attempt_at=now + LEASE).returning(Submission.id)
    ).first()
    db.session.commit()
    return claimed is not None


def _accept(submission: Submission, service_request_id: str, ticket: Ticket | None = None, notice: str = "") -> None:
    submission.state = SubmissionState.ACCEPTED
    submission.service_request_id = service_request_id
    submission.accepted_at = utcnow()
    submission.next_attempt_at = None
    submission.last_error = None
    submission.service_notice = notice or (ticket.service_notice if ticket else None) or submission.service_notice
    if ticket is not None:
        submission.agency_responsible = ticket.agency_responsible or None
        submission.city_status = ticket.status
        submission.city_status_notes = ticket.status_notes or None
        submission.expected_at = ticket.expected_at
    db.session.commit()
    signals.ticket_changed.send(current_app._get_current_object(), submission=submission)


def send(submission: Submission, client: GeoReportClient | None = None) -> SubmissionState:
    """One attempt for one claimed submission."""
    client = client or GeoReportClient.for_endpoint(submission.endpoint)
    now = utcnow()
    try:
        if submission.attempts > 0:  # an earlier attempt may have reached the city: look before sending
            found = client.find_by_reference(reference(submission), submission.created_at - timedelta(days=1),
                                             now + timedelta(days=1))
            if found is not None:
                _accept(submission, found.service_request_id, found)
                return submission.state
        submission.attempts += 1
        db.session.commit()   # counted before the POST: see the module docstring
        reply = client.post_request(_fields(submission))
    except CityRefused as exc:
        submission.state, submission.last_error, submission.next_attempt_at = SubmissionState.FAILED, str(exc), None
        db.session.commit()
        signals.ticket_changed.send(current_app._get_current_object(), submission=submission)
        return submission.state
    except CityUnavailable as exc:
        submission.last_error = str(exc)
        submission.next_attempt_at = now + backoff(submission.attempts)
        db.session.commit()
        return submission.state
    if reply["service_request_id"]:
        _accept(submission, reply["service_request_id"], notice=reply["service_notice"])
    else:
        submission.state, submission.token = SubmissionState.AWAITING_TOKEN, reply["token"]
        submission.service_notice = reply["service_notice"] or None
        submission.next_attempt_at = now
        db.session.commit()
        signals.ticket_changed.send(current_app._get_current_object(), submission=submission)
    return submission.state


def process_due(now: datetime | None = None, limit: int = 50) -> int:
    """Send every queued submission that is due; resolve tokens. Returns how many were attempted."""
    now = now or utcnow()
    due = list(db.session.scalars(
        select(Submission.id).where(Submission.state == SubmissionState.QUEUED,
                                    or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= now))
        .order_by(Submission.next_attempt_at).limit(limit)))
    attempted = 0
    for submission_id in due:
        if _claim(submission_id, now):
            send(db.session.get(Submission, submission_id))
            attempted += 1
    for submission in db.session.scalars(select(Submission).where(Submission.state == SubmissionState.AWAITING_TOKEN)):
        resolve_token(submission)
    return attempted


def resolve_token(submission: Submission, client: GeoReportClient | None = None) -> bool:
    client = client or GeoReportClient.for_endpoint(submission.endpoint)
    try:
        service_request_id = client.ticket_for_token(submission.token)
    except (CityUnavailable, CityRefused) as exc:
        submission.last_error = str(exc)
        db.session.commit()
        return False
    if service_request_id:
        _accept(submission, service_request_id)
        return True
    return False


def link_existing(user: User, issue: Issue, service_request_id: str) -> Submission:
    """A resident who already called 311 links that ticket; civic checks it exists first."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to link a 311 ticket."))
    number = (service_request_id or "").strip()
    if not number or len(number) > 100:
        raise ValidationError(_("Enter the ticket number the city gave you."), field="service_request_id")
    endpoint = (route_for(issue).endpoint if route_for(issue) else
                db.session.scalar(select(Endpoint).where(Endpoint.active.is_(True)).limit(1)))
    if endpoint is None:
        raise ValidationError(_("No city 311 system is connected yet."))
    try:
        ticket = GeoReportClient.for_endpoint(endpoint).get_request(number)
    except CityUnavailable:
        raise ValidationError(_("The city's 311 system is not answering; try again later."),
                              field="service_request_id") from None
    except CityRefused as exc:
        raise ValidationError(_("The city said: %(text)s", text=str(exc)), field="service_request_id") from None
    if ticket is None:
        raise ValidationError(_("The city has no ticket %(number)s. Check the number.", number=number),
                              field="service_request_id")
    submission = Submission(issue_id=issue.id, endpoint_id=endpoint.id, idempotency_key=uuid.uuid4().hex,
                            linked=True, requested_by_id=user.id)
    db.session.add(submission)
    db.session.flush()
    _accept(submission, ticket.service_request_id, ticket)
    return submission
