"""The background send: one attempt per due submission, and the polling of tokens (the `open311-outbox`
job, and `flask open311 sync`).

This is job code, so it owns its transactions: each step is a `unit_of_work()` of its own, committed
before the next talks to the city. The safety protocol of outbox.py's docstring depends on it: the
attempt is counted and committed BEFORE the POST, and a POST that got no clear answer marks the submission
`maybe_at_city`, so a crash or a timeout after the city made the ticket is followed by a search for the
submission's reference instead of a second ticket. That search trusts none of
the city's filters (client.find_by_reference), and a re-post waits until two searches LOOKUP_GAP apart agree
that no ticket exists. Every try counts towards the backoff (30 s doubling to an hour, with jitter), searches
included; a refusal of civic's key (401/403) keeps the submission queued, any other refusal is final.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from flask import url_for
from sqlalchemy import or_, select, update

from civic import signals
from civic.city311 import health, outbox
from civic.city311.client import CityRefused, CityUnavailable, EndpointMissing, GeoReportClient, Ticket
from civic.city311.models import Submission, SubmissionState
from civic.database import unit_of_work, utcnow
from civic.extensions import db

LEASE = timedelta(minutes=2)  # how long a worker owns a submission while sending it
MAX_BACKOFF = timedelta(hours=1)
LOOKUP_GAP = timedelta(minutes=3)  # two lookups at least this far apart must agree a ticket is absent
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


def _claim(submission_id: int, now: datetime, due_by: datetime) -> bool:
    """Take the submission for this worker, so two workers never send it at the same time."""
    with unit_of_work():
        claimed = db.session.execute(
            update(Submission)
            .where(
                Submission.id == submission_id,
                Submission.state == SubmissionState.QUEUED,
                or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= due_by),
            )
            .values(next_attempt_at=now + LEASE)
            .returning(Submission.id)
        ).first()
    return claimed is not None


def _changed(submission: Submission) -> None:
    signals.ticket_changed.send(signals.sender(), submission=submission)


def send(submission: Submission, client: GeoReportClient | None = None, now: datetime | None = None) -> SubmissionState:
    """One try for one claimed submission, each step committed before the next talks to the city.

    Every try is counted (lookups too), so the backoff grows while the city is down. After a POST that got no
    clear answer (`maybe_at_city`), every try first looks for the submission's reference; it re-posts only when
    two lookups some minutes apart agree that the city holds no such ticket (a slow city may have made it, and
    its filters may hide it). After a refusal or an unreachable city it posts at once: no ticket was made."""
    client = client or GeoReportClient.for_endpoint(submission.endpoint)
    endpoint = submission.endpoint
    now = now or utcnow()
    with unit_of_work():  # counted, and committed, before anything reaches the city: see the module docstring
        submission.attempts += 1
    linked = _linked_instead(submission)
    if linked is not None:
        return _retire(submission, linked, client, now)
    try:
        if submission.maybe_at_city and not _confirmed_absent(submission, client, now):
            return submission.state
        with unit_of_work():
            submission.absent_lookups, submission.first_absent_at = 0, None
        reply = client.post_request(fields(submission))
    except CityRefused as exc:
        with unit_of_work():
            health.failed(endpoint, exc)
            submission.last_error = str(exc)
            if exc.about_our_credentials:  # the key is wrong, not the report: keep it queued until it is fixed
                submission.next_attempt_at = now + backoff(submission.attempts)
            else:
                submission.state, submission.next_attempt_at = SubmissionState.FAILED, None
            _changed(submission)
        return submission.state
    except CityUnavailable as exc:
        with unit_of_work():
            health.failed(endpoint, exc)
            submission.last_error = str(exc)
            submission.maybe_at_city = submission.maybe_at_city or exc.maybe_created
            submission.next_attempt_at = now + backoff(submission.attempts)
        return submission.state
    with unit_of_work():
        health.succeeded(endpoint)
        if reply["service_request_id"]:
            outbox.accept(submission, reply["service_request_id"], notice=reply["service_notice"])
        else:
            submission.state, submission.token = SubmissionState.AWAITING_TOKEN, reply["token"]
            submission.service_notice = reply["service_notice"] or None
            submission.next_attempt_at = now
            _changed(submission)
    return submission.state


def _linked_instead(submission: Submission) -> Submission | None:
    """The ticket a resident linked to this issue while this submission waited, if any."""
    return db.session.scalar(
        select(Submission)
        .where(
            Submission.issue_id == submission.issue_id,
            Submission.id != submission.id,
            Submission.state == SubmissionState.ACCEPTED,
        )
        .limit(1)
    )


def _retire(submission: Submission, linked: Submission, client: GeoReportClient, now: datetime) -> SubmissionState:
    """Never post for an issue that has a ticket now: the waiting submission is removed. An earlier try may have
    made a ticket: look, and record it on the linked ticket as a second ticket for staff to see."""
    found: list[Ticket] = []
    if submission.maybe_at_city:
        try:
            found = _find(submission, client, now)
        except CityUnavailable as exc:
            with unit_of_work():
                submission.last_error, submission.next_attempt_at = str(exc), now + backoff(submission.attempts)
            return submission.state
    with unit_of_work():
        outbox.record_duplicates(linked, found)
        db.session.delete(submission)
        _changed(linked)
    return SubmissionState.ACCEPTED


def _find(submission: Submission, client: GeoReportClient, now: datetime) -> list[Ticket]:
    """The city's tickets carrying the submission's reference, first made first. Raises CityUnavailable."""
    service = outbox.route_for(submission.issue)
    return client.find_by_reference(
        outbox.reference(submission),
        submission.created_at - timedelta(days=1),
        now + timedelta(days=1),
        service.service_code if service else None,
    ).tickets


def _look_up(submission: Submission, client: GeoReportClient, now: datetime) -> bool:
    """Look for the submission's reference at the city; adopt the first ticket found (recording any other).
    True when one was found. Raises CityUnavailable when the city cannot be asked."""
    tickets = _find(submission, client, now)
    if not tickets:
        return False
    with unit_of_work():
        health.succeeded(submission.endpoint)
        first, *others = tickets
        outbox.accept(submission, first.service_request_id, first)
        outbox.record_duplicates(submission, others)
    return True


def _confirmed_absent(submission: Submission, client: GeoReportClient, now: datetime) -> bool:
    """True when it is safe to post: two lookups, LOOKUP_GAP apart, found no ticket. Otherwise the submission
    is either accepted (found) or rescheduled for the next lookup."""
    if _look_up(submission, client, now):
        return False
    with unit_of_work():
        health.succeeded(submission.endpoint)
        submission.absent_lookups += 1
        submission.first_absent_at = submission.first_absent_at or now
        if submission.absent_lookups >= 2 and now - submission.first_absent_at >= LOOKUP_GAP:
            return True
        submission.next_attempt_at = max(now + backoff(submission.attempts), submission.first_absent_at + LOOKUP_GAP)
    return False


def process_due(now: datetime | None = None, limit: int = 50, *, waiting_too: bool = False) -> int:
    """Send every queued submission that is due (with `waiting_too`, those backing off as well); resolve
    tokens. Returns how many were tried."""
    now = now or utcnow()
    due_by = datetime.max.replace(tzinfo=UTC) if waiting_too else now
    with unit_of_work():
        due = list(
            db.session.scalars(
                select(Submission.id)
                .where(
                    Submission.state == SubmissionState.QUEUED,
                    or_(Submission.next_attempt_at.is_(None), Submission.next_attempt_at <= due_by),
                )
                .order_by(Submission.next_attempt_at)
                .limit(limit)
            )
        )
    attempted = 0
    for submission_id in due:
        if _claim(submission_id, now, due_by):
            claimed = db.session.get(Submission, submission_id)
            if claimed is not None:  # it was there a moment ago: the claim moved it
                send(claimed, now=now)
                attempted += 1
    with unit_of_work():
        waiting = list(db.session.scalars(select(Submission).where(Submission.state == SubmissionState.AWAITING_TOKEN)))
    for submission in waiting:
        resolve_token(submission)
    return attempted


def resolve_token(submission: Submission, client: GeoReportClient | None = None) -> bool:
    """Ask the city whether a token has become a ticket; True once it has (and is recorded). A city without
    the tokens endpoint is asked for the submission's reference instead."""
    client = client or GeoReportClient.for_endpoint(submission.endpoint)
    endpoint = submission.endpoint
    try:
        if not health.offers(endpoint, "tokens"):
            return _look_up(submission, client, utcnow())
        service_request_id = client.ticket_for_token(submission.token or "")
    except EndpointMissing as exc:
        with unit_of_work():
            health.record(endpoint, "tokens", available=False, message=str(exc))
        return False
    except (CityUnavailable, CityRefused) as exc:
        with unit_of_work():
            health.failed(endpoint, exc)
            submission.last_error = str(exc)
        return False
    if service_request_id:
        with unit_of_work():
            health.succeeded(endpoint)
            outbox.accept(submission, service_request_id)
        return True
    return False
