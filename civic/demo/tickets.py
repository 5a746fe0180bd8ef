"""The demo's issues in the city's 311 system: when a city endpoint is connected (in the demo, the pretend
city `make run` starts), the open demo issues of kinds the city takes are queued in civic's own outbox and sent
over HTTP by its own sender (civic/city311/outbox.py, sending.py), so they carry the city's real ticket
numbers. Issues already dealt with, and kinds the city does not take, stay unsent: every state of the ticket
box shows somewhere. What the city then does with the tickets comes back through civic's sync."""

from __future__ import annotations

from sqlalchemy import exists, func, select

from civic.city311 import outbox, sending
from civic.city311.models import CityService, Endpoint, Submission, SubmissionState
from civic.database import unit_of_work
from civic.extensions import db
from civic.issues.models import OPEN_STATUSES, Issue

MAX_SENT = 150  # enough for a lively map of tickets; the seed stays quick


def _answers(service: CityService) -> dict:
    """Answers to the city's required questions for the service: the first choice of each list."""
    answers: dict = {}
    for attribute in service.attributes or []:
        if not isinstance(attribute, dict) or str(attribute.get("required", "false")).lower() != "true":
            continue
        code = str(attribute["code"])
        keys = [v["key"] for v in attribute.get("values") or [] if isinstance(v, dict) and v.get("key")]
        if not keys:
            answers[code] = "unknown"
        elif attribute.get("datatype") == "multivaluelist":
            answers[code] = keys[:1]
        else:
            answers[code] = keys[0]
    return answers


def queue_open_issues(limit: int = MAX_SENT) -> int:
    """Queue the open, never-sent demo issues whose category the active endpoint takes (oldest first);
    flushes only. Returns how many were queued (0 when no city is connected)."""
    endpoint_id = db.session.scalar(select(Endpoint.id).where(Endpoint.active.is_(True)).order_by(Endpoint.id))
    if endpoint_id is None:
        return 0
    routes = {
        s.category_id: s
        for s in db.session.scalars(
            select(CityService).where(CityService.endpoint_id == endpoint_id, CityService.category_id.is_not(None))
        )
    }
    if not routes:
        return 0
    never_sent = ~exists().where(Submission.issue_id == Issue.id)
    issues = db.session.scalars(
        select(Issue)
        .where(Issue.status.in_(OPEN_STATUSES), Issue.category_id.in_(list(routes)), Issue.hidden_at.is_(None))
        .where(never_sent)
        .order_by(Issue.created_at, Issue.id)
        .limit(limit)
    )
    queued = 0
    for issue in issues:
        outbox.queue(issue, issue.reporter, attributes=_answers(routes[issue.category_id]))
        queued += 1
    return queued


def send_open_issues(limit: int = MAX_SENT) -> int:
    """Queue (as above) and send now, through the outbox's own job code; returns how many tickets the city
    holds for demo issues afterwards. Job code: commits step by step, like the sender it calls. A city that
    does not answer leaves the submissions queued for the background job to send later."""
    with unit_of_work():
        queued = queue_open_issues(limit)
    for _round in range(queued // 50 + 2):  # the sender takes 50 at a time; a city that is down stops it
        if not sending.process_due(waiting_too=True):
            break
        if not _still_queued():
            break
    with unit_of_work():
        return (
            db.session.scalar(
                select(func.count()).select_from(Submission).where(Submission.state == SubmissionState.ACCEPTED)
            )
            or 0
        )


def _still_queued() -> int:
    with unit_of_work():
        return (
            db.session.scalar(
                select(func.count()).select_from(Submission).where(Submission.state == SubmissionState.QUEUED)
            )
            or 0
        )
