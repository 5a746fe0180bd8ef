"""The 311 ticket on an issue page: status of the submission, "Send to 311", "Link my ticket"; and the
template globals the issue page and the report form read (ticket_box, city_attribute_blocks)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.city311 import outbox
from civic.city311.models import Submission, SubmissionState
from civic.database import doom
from civic.errors import DomainError
from civic.forms import ActionForm
from civic.issues import services as issue_services
from civic.web import flash_or_raise

bp = Blueprint("city311", __name__)


@bp.app_template_global("ticket_box")
def ticket_box(issue) -> dict:
    """What the issue page shows about the city's ticket (the issues domain stays unaware of 311)."""
    submission: Submission | None = outbox.current_submission(issue.id)
    can_send = (outbox.may_send(current_user, issue) and outbox.route_for(issue) is not None
                and (submission is None or submission.state is SubmissionState.FAILED))
    can_link = current_user.is_authenticated and (submission is None or submission.state is SubmissionState.FAILED)
    return {
        "submission": submission,
        "states": SubmissionState,
        "can_send": can_send,
        "can_link": can_link,
        "staff": current_user.is_authenticated and (current_user.acts_as_staff or current_user.is_admin),
        "action": ActionForm() if can_send or can_link else None,
    }


@bp.app_template_global("city_attribute_blocks")
def city_attribute_blocks() -> list[dict]:
    """For the report form: the city's extra questions per category (shown for the chosen category)."""
    from sqlalchemy import select

    from civic.city311.models import CityService
    from civic.extensions import db

    blocks = []
    for service in db.session.scalars(select(CityService).where(CityService.category_id.is_not(None))):
        attributes = [a for a in service.attributes or [] if isinstance(a, dict) and a.get("variable", True) not in (False, "false")]
        if attributes:
            blocks.append({"category_id": service.category_id, "category": service.category,
                           "attributes": sorted(attributes, key=lambda a: int(a.get("order") or 0))})
    return blocks


@bp.post("/issues/<int:issue_id>/311/send")
@login_required
def send(issue_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    issue = issue_services.get_issue(issue_id)
    try:
        outbox.send_to_311(current_user, issue, contact_consent=request.form.get("consent") == "1")
    except DomainError as error:
        doom()  # answered with a message: nothing the service wrote is kept
        flash_or_raise(error)
    else:
        flash(_("Queued for the city's 311 system. The ticket number appears here when the city accepts it."), "success")
    return redirect(url_for("issues.detail", issue_id=issue.id, _anchor="ticket"))


@bp.post("/issues/<int:issue_id>/311/link")
@login_required
def link(issue_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    issue = issue_services.get_issue(issue_id)
    try:
        submission = outbox.link_existing(current_user, issue, request.form.get("service_request_id", ""))
    except DomainError as error:
        doom()  # answered with a message: nothing the service wrote is kept
        flash_or_raise(error)
    else:
        flash(_("Linked to 311 ticket #%(number)s.", number=submission.service_request_id), "success")
    return redirect(url_for("issues.detail", issue_id=issue.id, _anchor="ticket"))
