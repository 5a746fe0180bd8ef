"""The outbox that turns community issues into 311 tickets, safely.

A submission is written before anything is sent, in the same transaction as the issue it belongs to
(`queue` only adds and flushes; the `issue_reported` receiver calls it), so an issue and its outbox row
are kept both or neither. Each attempt is counted and committed BEFORE the POST (sending.py), so after a
crash between the city's answer and our commit, the next attempt first looks for a ticket carrying the
submission's reference (put into the description) and adopts it instead of creating a second one.
Transient failures back off exponentially; a 4xx is final and shown to staff with the city's words.

This module holds the services (flush only; the request or the job's unit of work commits); the
background send that owns its transactions is sending.py.
"""

from __future__ import annotations

import uuid

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, literal, select, true, update

from civic import jobs, signals
from civic.accounts.models import User
from civic.city311.client import CityRefused, CityUnavailable, GeoReportClient, Ticket
from civic.city311.models import CityService, Endpoint, Submission, SubmissionState, TicketEvent, TicketEventKind
from civic.database import on_commit, utcnow
from civic.errors import PermissionDenied, ValidationError
from civic.extensions import db
from civic.geo.areas import distance_m
from civic.issues.models import Issue

SEND_JOB = "open311-outbox"  # the background job that sends queued submissions (civic/city311/sending.py)


def reference(submission: Submission) -> str:
    return f"[civic ref {submission.idempotency_key}]"


def route_for(issue: Issue) -> CityService | None:
    """The city service mapped to the issue's category, on an active endpoint."""
    return db.session.scalar(
        select(CityService)
        .join(Endpoint, Endpoint.id == CityService.endpoint_id)
        .where(CityService.category_id == issue.category_id, Endpoint.active.is_(True))
        .limit(1)
    )


# Asked by every issue page: built once, run with the issue as a parameter.
_CURRENT = (
    select(Submission).where(Submission.issue_id == bindparam("issue_id")).order_by(Submission.id.desc()).limit(1)
)


def current_submission(issue_id: int) -> Submission | None:
    return db.session.scalar(_CURRENT, {"issue_id": issue_id})


def may_send(user, issue: Issue) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (user.id == issue.reporter_id or user.acts_as_liaison or user.acts_as_staff or user.is_admin)
    )


def queue(
    issue: Issue, requested_by: User | None, *, contact_consent: bool = False, attributes: dict | None = None
) -> Submission:
    """Record the intention to send. Idempotent: an issue that already has a live submission keeps it."""
    existing = current_submission(issue.id)
    if existing is not None and existing.state is not SubmissionState.FAILED:
        return existing
    service = route_for(issue)
    if service is None:
        raise ValidationError(_("No city 311 service is set up for this kind of problem yet."))
    submission = Submission(
        issue_id=issue.id,
        endpoint_id=service.endpoint_id,
        idempotency_key=uuid.uuid4().hex,
        requested_by_id=requested_by.id if requested_by else None,
        contact_consent=contact_consent,
        attributes=attributes or {},
        state=SubmissionState.QUEUED,
        next_attempt_at=utcnow(),
    )
    db.session.add(submission)
    db.session.flush()
    on_commit(lambda: jobs.wake(SEND_JOB))  # send it now rather than at the next tick; never if rolled back
    return submission


def send_to_311(user: User, issue: Issue, **options) -> Submission:
    if not may_send(user, issue):
        raise PermissionDenied(_("The reporter, liaisons and city staff can send an issue to 311."))
    return queue(issue, user, **options)


LINK_DISTANCE_M = 1000  # a linked ticket farther than this from the issue needs the resident's confirmation


class LinkNeedsConfirmation(ValidationError):
    """The city has the ticket, but it may be about another problem (far away, another kind of issue): the
    resident is asked to confirm. `reasons` are the sentences to show, `number` the city's ticket number."""

    def __init__(self, number: str, reasons: list[str]):
        super().__init__(" ".join(reasons), field="service_request_id")
        self.number = number
        self.reasons = reasons


class AlreadyLinked(ValidationError):
    """The ticket already belongs to another issue: refused, whatever the resident confirms (a ticket carries
    several community issues only through the automatic send). `other_issue_id`/`other_title` say where, or
    are None when the viewer may not see that issue."""

    def __init__(self, number: str, other_issue_id: int | None, other_title: str | None):
        if other_title is not None:
            message = _("Ticket #%(number)s is already linked to issue “%(title)s”.", number=number, title=other_title)
        else:
            message = _("Ticket #%(number)s is already linked to another issue.", number=number)
        super().__init__(message, field="service_request_id")
        self.number = number
        self.other_issue_id = other_issue_id
        self.other_title = other_title


def _active_route(*columns, category_id):
    """The active endpoint and the city service mapped to `category_id` on it (outer-joined: none is None); an
    endpoint with a route comes first."""
    return (
        select(*columns)
        .outerjoin(CityService, and_(CityService.endpoint_id == Endpoint.id, CityService.category_id == category_id))
        .where(Endpoint.active.is_(True))
        .order_by(case((CityService.id.is_(None), 1), else_=0), Endpoint.id, CityService.id)
        .limit(1)
    )


def connection(issue: Issue) -> tuple[Endpoint | None, CityService | None]:
    """In one query: the active endpoint (None: no city 311 system is connected) and the city service mapped to
    the issue's category on it (None: issues of this kind are not sent)."""
    row = db.session.execute(_active_route(Endpoint, CityService, category_id=issue.category_id)).first()
    return (row[0], row[1]) if row is not None else (None, None)


# The ticket box's one question to the database when an issue page opens: the issue's latest submission (or
# none) and whether the city is connected and takes the issue's category (the active endpoint, the service
# mapped to it), as one row: a one-row base joined to both. Built once, run with the issue's parameters.
_ONE = select(literal(1).label("one")).subquery()
_ROUTE = _active_route(
    Endpoint.id.label("endpoint_id"), CityService.id.label("service_id"), category_id=bindparam("category_id")
).subquery()
_LATEST_ID = (
    select(Submission.id)
    .where(Submission.issue_id == bindparam("issue_id"))
    .order_by(Submission.id.desc())
    .limit(1)
    .scalar_subquery()
)
_BOX = (
    select(Submission, _ROUTE.c.endpoint_id, _ROUTE.c.service_id)
    .select_from(_ONE)
    .outerjoin(_ROUTE, true())
    .outerjoin(Submission, Submission.id == _LATEST_ID)
)


def box_state(issue: Issue) -> tuple[Submission | None, int | None, int | None]:
    """(the issue's current submission, the active endpoint's id, the id of the city service its category is
    mapped to there), in one query; the ids are None when no city is connected / the category is not sent."""
    row = db.session.execute(_BOX, {"issue_id": issue.id, "category_id": issue.category_id}).one()
    return row[0], row[1], row[2]


def link_existing(user: User, issue: Issue, service_request_id: str, *, confirmed: bool = False) -> Submission:
    """A resident who already called 311 links that ticket. civic checks first that the city has it, that no
    other issue holds it, and whether it plausibly is this issue's: a ticket more than LINK_DISTANCE_M away, or
    about a service mapped to another category, raises LinkNeedsConfirmation unless `confirmed`. Writes nothing
    before every check has passed."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to link a 311 ticket."))
    number = (service_request_id or "").strip()
    if not number or len(number) > 100:
        raise ValidationError(_("Enter the ticket number the city gave you."), field="service_request_id")
    endpoint, _service = connection(issue)
    if endpoint is None:
        raise ValidationError(_("This city’s 311 system is not connected to civic."))
    current = current_submission(issue.id)
    if current is not None and current.state is SubmissionState.ACCEPTED:
        raise ValidationError(
            _("This issue already has 311 ticket #%(number)s.", number=current.service_request_id),
            field="service_request_id",
        )
    try:
        ticket = GeoReportClient.for_endpoint(endpoint).get_request(number)
    except CityUnavailable:
        raise ValidationError(
            _("The city's 311 system is not answering; try again later."), field="service_request_id"
        ) from None
    except CityRefused as exc:
        raise ValidationError(_("The city said: %(text)s", text=str(exc)), field="service_request_id") from None
    if ticket is None:
        raise ValidationError(
            _("The city has no ticket %(number)s. Check the number.", number=number), field="service_request_id"
        )
    _refuse_if_linked_elsewhere(user, issue, endpoint, ticket.service_request_id)
    if not confirmed:
        reasons = _doubts(issue, endpoint, ticket)
        if reasons:
            raise LinkNeedsConfirmation(ticket.service_request_id, reasons)
    submission = Submission(
        issue_id=issue.id,
        endpoint_id=endpoint.id,
        idempotency_key=uuid.uuid4().hex,
        linked=True,
        requested_by_id=user.id,
    )
    db.session.add(submission)
    db.session.flush()
    accept(submission, ticket.service_request_id, ticket)
    return submission


def _refuse_if_linked_elsewhere(user: User, issue: Issue, endpoint: Endpoint, number: str) -> None:
    """A ticket accepted for another issue (sent by civic or linked) is that issue's."""
    row = db.session.execute(
        select(Issue.id, Issue.title, Issue.hidden_at)
        .join(Submission, Submission.issue_id == Issue.id)
        .where(
            Submission.endpoint_id == endpoint.id,
            Submission.service_request_id == number,
            Submission.state == SubmissionState.ACCEPTED,
        )
        .order_by(Submission.id)
        .limit(1)
    ).first()
    if row is None:
        return
    if row.id == issue.id:
        raise ValidationError(
            _("This issue already has 311 ticket #%(number)s.", number=number), field="service_request_id"
        )
    visible = row.hidden_at is None or user.is_moderator
    raise AlreadyLinked(number, row.id if visible else None, row.title if visible else None)


def _doubts(issue: Issue, endpoint: Endpoint, ticket: Ticket) -> list[str]:
    """Why this ticket may not be this issue's, in the reader's words; empty when it looks right. A ticket
    without coordinates, or about a service not mapped to any category, gives no doubt of that kind."""
    reasons = []
    number = ticket.service_request_id
    if ticket.lat is not None and ticket.lon is not None and issue.lat is not None and issue.lon is not None:
        metres = distance_m(issue.lat, issue.lon, ticket.lat, ticket.lon)
        if metres > LINK_DISTANCE_M:
            reasons.append(
                _(
                    "Ticket #%(number)s is %(km)s km from this issue.",
                    number=number,
                    km=format_decimal(metres / 1000, format="#,##0.0"),
                )
            )
    if ticket.service_code:
        service = db.session.scalar(
            select(CityService).where(
                CityService.endpoint_id == endpoint.id, CityService.service_code == str(ticket.service_code)
            )
        )
        if service is not None and service.category_id is not None and service.category_id != issue.category_id:
            reasons.append(
                _(
                    "Ticket #%(number)s is about %(service)s; this issue is about %(category)s.",
                    number=number,
                    service=ticket.service_name or service.service_name,
                    category=issue.category.label,
                )
            )
    return reasons


def accept(submission: Submission, service_request_id: str, ticket: Ticket | None = None, notice: str = "") -> None:
    """The city holds a ticket for this submission: record its number and what the city said about it. This is
    an event in the ticket box ("received by the city"), never an official reply: the city has said nothing yet."""
    submission.state = SubmissionState.ACCEPTED
    submission.service_request_id = service_request_id
    submission.accepted_at = utcnow()
    submission.next_attempt_at = None
    submission.last_error = None
    submission.absent_lookups, submission.first_absent_at, submission.maybe_at_city = 0, None, False
    submission.service_notice = notice or (ticket.service_notice if ticket else None) or submission.service_notice
    if ticket is not None:
        submission.agency_responsible = ticket.agency_responsible or None
        submission.city_status = ticket.status
        submission.city_status_notes = ticket.status_notes or None
        submission.expected_at = ticket.expected_at
    kind = TicketEventKind.LINKED if submission.linked else TicketEventKind.RECEIVED
    add_event(submission, kind, value=service_request_id, city_status=submission.city_status)
    db.session.flush()
    signals.ticket_changed.send(signals.sender(), submission=submission)


def add_event(submission: Submission, kind: TicketEventKind, **fields) -> TicketEvent:
    event = TicketEvent(submission_id=submission.id, issue_id=submission.issue_id, kind=kind, **fields)
    db.session.add(event)
    return event


def record_duplicates(submission: Submission, tickets: list[Ticket]) -> None:
    """Further city tickets carrying this submission's reference: kept on record and shown to staff (the city
    may close them as duplicates); the first ticket stays the issue's."""
    known = set(submission.duplicate_ticket_ids or []) | {submission.service_request_id}
    extra = [t.service_request_id for t in tickets if t.service_request_id not in known]
    if extra:
        submission.duplicate_ticket_ids = [*(submission.duplicate_ticket_ids or []), *extra]
        for number in extra:
            add_event(submission, TicketEventKind.DUPLICATE, value=number)
        db.session.flush()


def ticket_events(issue_id: int) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.issue_id == issue_id).order_by(TicketEvent.at, TicketEvent.id)
        )
    )


def retry_now(submission_ids: list[int] | None = None) -> int:
    """Waiting submissions (all, or those given) are due at once; returns how many. Wakes the sender on commit."""
    query = update(Submission).where(Submission.state == SubmissionState.QUEUED)
    if submission_ids is not None:
        query = query.where(Submission.id.in_(submission_ids))
    count = db.session.execute(query.values(next_attempt_at=utcnow())).rowcount  # type: ignore[attr-defined]  # CursorResult
    on_commit(lambda: jobs.wake(SEND_JOB))
    return count


def resend_failed(submission_ids: list[int] | None = None) -> int:
    """Submissions the city refused go back in the queue (after the cause was fixed: a key, a mapping). A
    refusal means that try made no ticket, so they start afresh (an earlier try without a clear answer still
    makes the next one look first: `maybe_at_city` is kept)."""
    has_ticket = select(Submission.issue_id).where(Submission.state == SubmissionState.ACCEPTED)
    query = update(Submission).where(
        Submission.state == SubmissionState.FAILED,
        Submission.linked.is_(False),
        Submission.issue_id.not_in(has_ticket),  # retired because a resident linked a ticket meanwhile
    )
    if submission_ids is not None:
        query = query.where(Submission.id.in_(submission_ids))
    count = db.session.execute(
        query.values(
            state=SubmissionState.QUEUED,
            next_attempt_at=utcnow(),
            attempts=0,
            absent_lookups=0,
            first_absent_at=None,
        )
    ).rowcount  # type: ignore[attr-defined]  # CursorResult
    on_commit(lambda: jobs.wake(SEND_JOB))
    return count
