"""The 311 ticket's buttons on an issue page: "Send to 311" and "Link my ticket" (with its page asking again
when the ticket may be another problem's, templates/open311/link.html). What the page shows of the ticket, and
the city's questions on the report form, are panels: civic/city311/panels.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.city311 import agencies, outbox
from civic.database import doom
from civic.errors import DomainError
from civic.forms import ActionForm
from civic.issues import services as issue_services
from civic.web import flash_or_raise

bp = Blueprint("city311", __name__)
bp.add_app_template_global(agencies.label, "agency_name")  # the ticket's agency in the reader's language


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
        flash(
            _("Queued for the city's 311 system. The ticket number appears here when the city accepts it."), "success"
        )
    return redirect(url_for("issues.detail", issue_id=issue.id, _anchor="ticket"))


@bp.post("/issues/<int:issue_id>/311/link")
@login_required
def link(issue_id: int):
    """Link a ticket the resident already has. A ticket that may be about another problem is asked about again
    (the form with the reasons and "Link it anyway"); one already another issue's is refused, saying which."""
    if not ActionForm().validate_on_submit():
        abort(400)
    issue = issue_services.get_visible_issue(issue_id, current_user)
    try:
        submission = outbox.link_existing(
            current_user,
            issue,
            request.form.get("service_request_id", ""),
            confirmed=request.form.get("confirm") == "1",
        )
    except outbox.LinkNeedsConfirmation as asked:
        doom()  # nothing is linked until the resident confirms
        return render_template(
            "open311/link.html",
            issue=issue,
            number=asked.number,
            reasons=asked.reasons,
            refused=None,
            action=ActionForm(),
        )
    except outbox.AlreadyLinked as refused:
        doom()
        return render_template(
            "open311/link.html", issue=issue, number=refused.number, reasons=[], refused=refused, action=ActionForm()
        ), refused.status_code
    except DomainError as error:
        doom()  # answered with a message: nothing the service wrote is kept
        flash_or_raise(error)
    else:
        flash(_("Linked to 311 ticket #%(number)s.", number=submission.service_request_id), "success")
    return redirect(url_for("issues.detail", issue_id=issue.id, _anchor="ticket"))
