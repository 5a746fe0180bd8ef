"""The background send: one attempt per due submission, and the polling of tokens (the `open311-outbox`
job, and `flask open311 sync`).

This is job code, so it owns its transactions: each step is a `unit_of_work()` of its own, committed
before the next talks to the city. The safety protocol of outbox.py's docstring depends on it: the
attempt is counted and committed BEFORE the POST, so a crash after the city's answer is followed by a
search for the submission's reference instead of a second ticket.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import or_, select, update

from civic import signals
from civic.city311 import outbox
from civic.city311.client import CityRefused, CityUnavailable, GeoReportClient
from civic.city311.models import Submission, SubmissionState
from civic.database import unit_of_work, utcnow
from civic.extensions import db

LEASE = timedelta(minutes=2)  # how long a worker owns a submission while sending it
MAX_BACKOFF = timedelta(hours=1)
DESCRIPTION_MAX = 4000


def backoff(attempts: int) -> timedelta:
    seconds = min(30 * 2 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret


def fields(submission: Submission) -> dict:
    """The form the city receives for this submission (contact details only with consent)."""
    issue = submission.issue
    service = outbox.route_for(issue)
    if service is None:  # the category was unmapped since it was queued
        raise CityUnavailable("no city service is mapped to this category now; kept until one is")
    endpoint = submission.endpoint
    text = f"{issue.title}\n\n{issue.description}"[: DESCRIPTION_MAX - 60]
    description = f"{text}\n\n{outbox.reference(submission)}"
    form: dict[str, str | list[str]] = {
        "service_code": service.service_code,
        "lat": f"{issue.lat:.6f}",
        "long": f"{issue.lon:.6f}",
        "description": description,
    }
    if issue.address or endpoint.needs_address:
        form["address_string"] = issue.address or f"{issue.lat:.6f}, {issue.lon:.6f}"
    if issue.photos:
        form["media_url"] = url_for("media.photo", key=issue.photos[0].key, _external=True)
    for code, value in (submission.attributes or {}).items():
        if isinstance(value, list):
            form[f"attribute[{code}][]"] = value
        else:
            form[f"attribute[{code}]"] = value
    reporter = issue.reporter
    if submission.contact_consent and reporter is not None:  # contact details only with consent
        first, _sep, last = reporter.display_name.partition(" ")
        form.update(email=reporter.email, first_name=first, last_name=last)
    return form


def _claim(submission_id: int, now: datetime) -> bool:
    """Take the submission for this worker, so two workers never send it at the same time."""
    with unit_of_work():
        claimed = db.session.execute(
            update(Submission)
            .where(
                Submission.id == submission_id,
                Submission.state == SubmissionState.QUEUED,
                or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= now),
            )
            .values(next_attempt_at=now + LEASE)
            .returning(Submission.id)
        ).first()
    return claimed is not None


def _changed(submission: Submission) -> None:
    signals.ticket_changed.send(signals.sender(), submission=submission)


def send(submission: Submission, client: GeoReportClient | None = None) -> SubmissionState:
    """One attempt for one claimed submission, each step committed before the next talks to the city."""
    client = client or GeoReportClient.for_endpoint(submission.endpoint)
    now = utcnow()
    try:
        if submission.attempts > 0:  # an earlier attempt may have reached the city: look before sending
            found = client.find_by_reference(
                outbox.reference(submission), submission.created_at - timedelta(days=1), now + timedelta(days=1)
            )
            if found is not None:
                with unit_of_work():
                    outbox.accept(submission, found.service_request_id, found)
                return submission.state
        with unit_of_work():  # counted, and committed, before the POST: see the module docstring
            submission.attempts += 1
        reply = client.post_request(fields(submission))
    except CityRefused as exc:
        with unit_of_work():
            submission.state, submission.last_error, submission.next_attempt_at = SubmissionState.FAILED, str(exc), None
            _changed(submission)
        return submission.state
    except CityUnavailable as exc:
        with unit_of_work():
            submission.last_error = str(exc)
            submission.next_attempt_at = now + backoff(submission.attempts)
        return submission.state
    with unit_of_work():
        if reply["service_request_id"]:
            outbox.accept(submission, reply["service_request_id"], notice=reply["service_notice"])
        else:
            submission.state, submission.token = SubmissionState.AWAITING_TOKEN, reply["token"]
            submission.service_notice = reply["service_notice"] or None
            submission.next_attempt_at = now
            _changed(submission)
    return submission.state


def process_due(now: datetime | None = None, limit: int = 50) -> int:
    """Send every queued submission that is due; resolve tokens. Returns how many were attempted."""
    now = now or utcnow()
    with unit_of_work():
        due = list(
            db.session.scalars(
                select(Submission.id)
                .where(
                    Submission.state == SubmissionState.QUEUED,
                    or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= now),
                )
                .order_by(Submission.next_attempt_at)
                .limit(limit)
            )
        )
    attempted = 0
    for submission_id in due:
        if _claim(submission_id, now):
            claimed = db.session.get(Submission, submission_id)
            if claimed is not None:  # it was there a moment ago: the claim moved it
                send(claimed)
                attempted += 1
    with unit_of_work():
        waiting = list(db.session.scalars(select(Submission).where(Submission.state == SubmissionState.AWAITING_TOKEN)))
    for submission in waiting:
        resolve_token(submission)
    return attempted


def resolve_token(submission: Submission, client: GeoReportClient | None = None) -> bool:
    """Ask the city whether a token has become a ticket; True once it has (and is recorded)."""
    client = client or GeoReportClient.for_endpoint(submission.endpoint)
    try:
        service_request_id = client.ticket_for_token(submission.token or "")
    except (CityUnavailable, CityRefused) as exc:
        with unit_of_work():
            submission.last_error = str(exc)
        return False
    if service_request_id:
        with unit_of_work():
            outbox.accept(submission, service_request_id)
        return True
    return False
