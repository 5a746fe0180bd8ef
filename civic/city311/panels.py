"""What the city's 311 shows on other domains' pages (civic/panels.py), so the issues domain stays unaware
of 311: the ticket box on an issue page (where the city's ticket stands, "Send to 311", "Link my ticket")
and, on the report form, the extra questions the city asks per category (its service attributes)."""

from __future__ import annotations

from sqlalchemy import select

from civic import panels
from civic.city311 import outbox
from civic.city311.models import CityService, Submission, SubmissionState
from civic.extensions import db
from civic.forms import ActionForm


@panels.panel(page="issue", name="311-ticket", template="open311/_ticket.html", order=10, slot="below-description")
def ticket_box(issue, viewer) -> dict:
    """What the issue page shows about the city's ticket."""
    submission: Submission | None = outbox.current_submission(issue.id)
    resendable = submission is None or submission.state is SubmissionState.FAILED
    # The route is looked up last: only for those who may send an issue that has no live ticket.
    can_send = resendable and outbox.may_send(viewer, issue) and outbox.route_for(issue) is not None
    can_link = viewer.is_authenticated and resendable
    return {
        "submission": submission,
        "can_send": can_send,
        "can_link": can_link,
        "staff": viewer.is_authenticated and (viewer.acts_as_staff or viewer.is_admin),
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
