"""What the city's 311 shows on other domains' pages (civic/panels.py), so the issues domain stays unaware
of 311: the ticket box on an issue page (where the city's ticket stands and its history, "Send to 311", "Link
my ticket", or how to reach the city when civic cannot send the issue) and, on the report form, the extra
questions the city asks per category (its service attributes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from civic import panels
from civic.city311 import outbox
from civic.city311.models import CityService, Submission, SubmissionState, TicketEvent, TicketEventKind
from civic.extensions import db
from civic.forms import ActionForm


@dataclass(frozen=True)
class HistoryLine:
    """One line of the ticket's history, worded by the template in the reader's language."""

    kind: str
    at: datetime
    value: str | None
    city_status: str | None
    text: str | None  # the city's own words
    expected: datetime | None  # an `expected` event's new date


def _history(events: list[TicketEvent], staff: bool) -> list[HistoryLine]:
    lines = []
    for event in events:
        if event.kind is TicketEventKind.DUPLICATE and not staff:
            continue  # the city's housekeeping: staff only
        expected = None
        if event.kind is TicketEventKind.EXPECTED and event.value:
            try:
                expected = datetime.fromisoformat(event.value)
            except ValueError:
                continue
        lines.append(
            HistoryLine(event.kind.value, event.at, event.value, event.city_status, event.text or None, expected)
        )
    return lines


def _reach_the_city() -> dict:
    """How a resident reaches the city's 311 themselves (settings CITY_311_PHONE, CITY_311_URL)."""
    config = current_app.config
    phone = str(config.get("CITY_311_PHONE") or "311").strip()  # from_prefixed_env reads "311" as a number
    url = str(config.get("CITY_311_URL") or "").strip()
    if not url.lower().startswith(("https://", "http://")):
        url = ""
    return {
        "phone": phone,
        "tel": re.sub(r"[^\d+]", "", phone) or "311",
        "url": url,
        "url_text": re.sub(r"^https?://", "", url, flags=re.I).rstrip("/"),
    }


@panels.panel(page="issue", name="311-ticket", template="open311/_ticket.html", order=10, slot="below-description")
def ticket_box(issue, viewer) -> dict:
    """What the issue page shows about the city's ticket: where it stands and its history, what residents can
    do (send it, link a ticket they have, or call the city when civic cannot send it), and for staff the tries
    and the city's errors. Forms are offered only where they can work."""
    # One query for the submission and the city's connection; the connection matters only while there is
    # no live ticket (the query is the same either way: the endpoint and service tables are a few rows).
    submission: Submission | None
    submission, endpoint_id, service_id = outbox.box_state(issue)
    staff = viewer.is_authenticated and (viewer.acts_as_staff or viewer.is_admin)
    # Events hang off a submission: an issue without one has none, and no query is spent on them.
    history = _history(outbox.ticket_events(issue.id), staff) if submission is not None else []
    if submission is not None and submission.state is not SubmissionState.FAILED:
        reach = "sent"
    elif endpoint_id is None:
        reach = "not-connected"
    elif service_id is None:
        reach = "not-mapped"
    else:
        reach = "mapped"
    can_send = reach == "mapped" and outbox.may_send(viewer, issue)
    can_link = reach in ("mapped", "not-mapped") and viewer.is_authenticated
    return {
        "submission": submission,
        "history": history,
        "reach": reach,
        "category": issue.category.label if issue.category is not None else "",
        "city": _reach_the_city(),
        "can_send": can_send,
        "can_link": can_link,
        "staff": staff,
        "action": ActionForm() if can_send or can_link else None,
    }


@panels.panel(
    page="report-form",
    name="city-attributes",
    template="open311/_attribute_fields.html",
    order=10,
    slot="after-category",
)
def city_attributes(form) -> dict | None:
    """The city's extra questions per category; the form shows those of the chosen category."""
    blocks = []
    for service in db.session.scalars(select(CityService).where(CityService.category_id.is_not(None))):
        attributes = [
            a
            for a in service.attributes or []
            if isinstance(a, dict) and a.get("variable", True) not in (False, "false")
        ]
        if attributes:
            blocks.append(
                {
                    "category_id": service.category_id,
                    "category": service.category,
                    "attributes": sorted(attributes, key=lambda a: int(a.get("order") or 0)),
                }
            )
    return {"blocks": blocks} if blocks else None


@panels.panel(page="issue-summary", name="311-ticket-number", template="open311/_summary_ticket.html", slot="ticket")
def ticket_number(issue, viewer) -> dict | None:
    """The printable summary names the city's ticket number, to quote when calling 311."""
    submission, _endpoint_id, _service_id = outbox.box_state(issue)
    number = submission.service_request_id if submission is not None else None
    return {"number": number} if number else None
