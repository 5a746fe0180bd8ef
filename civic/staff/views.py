"""The staff queue and the actions on an issue (status, official reply, notes, assignment)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from civic import panels
from civic.accounts.decorators import staff_required
from civic.accounts.models import Department
from civic.database import doom
from civic.errors import DomainError
from civic.extensions import db
from civic.forms import ActionForm
from civic.issues import maps
from civic.issues import services as issue_services
from civic.issues.models import STATUS_LABELS, IssueStatus
from civic.issues.services import active_categories
from civic.staff import bp, replies, triage, workflow
from civic.staff.forms import AssignForm, FixedAnswerForm, NoteForm, ReplyForm, StatusForm, TemplateForm
from civic.staff.models import ClosedReason, ResponseTemplate
from civic.web import submit_form

PAGE_SIZE = 50
DEFAULT_ACK = "Thank you for reporting this. We have received it and will look into it."


def _department_id() -> int:
    if current_user.department_id:
        return current_user.department_id
    wanted = request.args.get("department", type=int)  # admins without a department choose one
    department = db.session.get(Department, wanted) if wanted else db.session.query(Department).first()
    if department is None:
        abort(404)
    return department.id


@bp.get("/")
@staff_required
def queue():
    department_id = _department_id()
    try:
        filters = triage.parse(request.args, department_id)
        error = None
    except DomainError as exc:
        filters, error = triage.QueueFilters(department_id=department_id), exc.message
    page = db.paginate(triage.query(filters), per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "staff/queue.html",
        page=page,
        rows=triage.in_shape(filters, list(page.items)),
        filters=filters,
        error=error,
        department=db.session.get(Department, department_id),
        departments=db.session.query(Department).all(),
        categories=[c for c in active_categories() if c.department_id == department_id],
        statuses=list(STATUS_LABELS.items()),
        colleagues=replies.colleagues(department_id),
        action=ActionForm(),
        default_ack=_(DEFAULT_ACK),
        fmap=maps.picker_map(None, None),
        panels=panels.collect("staff-queue", department_id=department_id, viewer=current_user),
    ), (400 if error else 200)


@bp.post("/acknowledge")
@staff_required
def acknowledge():
    if not ActionForm().validate_on_submit():
        abort(400)
    ids = [int(v) for v in request.form.getlist("issue") if v.isdigit()]
    reason = request.form.get("reason", "").strip() or _(DEFAULT_ACK)
    try:
        done = replies.bulk_acknowledge(current_user, ids, reason)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("%(n)d issue(s) acknowledged.", n=done), "success")
    back = request.form.get("back") or ""
    return redirect(back if back.startswith("/staff") else url_for("staff.queue"))


def _back(issue_id: int, anchor: str = "staff-panel"):
    return redirect(url_for("issues.detail", issue_id=issue_id, _anchor=anchor))


def _act(issue_id: int, action, done: str, anchor: str = "staff-panel"):
    """Run one staff action from the issue page; errors come back as a message at the panel."""
    issue = issue_services.get_issue(issue_id)
    try:
        action(issue)
    except DomainError as error:
        if error.status_code == 403:
            raise
        doom()
        flash(error.message, "error")
    else:
        flash(done, "success")
    return _back(issue.id, anchor)


@bp.post("/issues/<int:issue_id>/status")
@login_required
def change_status(issue_id: int):
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)

    reply_text = (form.reply.data or "").strip() if form.also_reply.data else ""
    # The selector shows the current status: left as it is, the form only posts the reply.
    reply_only = bool(reply_text) and form.status.data == issue_services.get_issue(issue_id).status.value

    def action(issue):
        if reply_only:
            replies.post_official_reply(current_user, issue, form.reply.data)
            return
        closed = ClosedReason(form.closed_reason.data) if form.closed_reason.data else None
        workflow.change_status(
            current_user,
            issue,
            IssueStatus(form.status.data),
            form.reason.data,
            closed_reason=closed,
            duplicate_of_id=form.duplicate_of.data,
        )
        if reply_text:
            replies.post_official_reply(current_user, issue, form.reply.data)

    return _act(issue_id, action, _("Your official reply is posted.") if reply_only else _("The status is changed."))


@bp.post("/issues/<int:issue_id>/reply")
@login_required
def reply(issue_id: int):
    form = ReplyForm()
    if not form.validate_on_submit():
        abort(400)
    return _act(
        issue_id,
        lambda issue: replies.post_official_reply(current_user, issue, form.body.data),
        _("Your official reply is posted."),
        "official-response",
    )


@bp.post("/issues/<int:issue_id>/notes")
@login_required
def note(issue_id: int):
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    return _act(
        issue_id,
        lambda issue: replies.add_internal_note(current_user, issue, form.note.data),
        _("Your note is saved (staff only)."),
    )


@bp.post("/issues/<int:issue_id>/assign")
@login_required
def assign(issue_id: int):
    form = AssignForm()
    if not form.validate_on_submit():
        abort(400)
    assignee = int(form.assignee.data) if (form.assignee.data or "").isdigit() else None
    return _act(issue_id, lambda issue: replies.assign(current_user, issue, assignee), _("The assignment is saved."))


@bp.post("/issues/<int:issue_id>/confirm-community-fix")
@login_required
def confirm_community_fix(issue_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    return _act(
        issue_id,
        lambda issue: workflow.confirm_community_fix(current_user, issue),
        _("Confirmed: the page now says the city checked the neighbourhood's fix."),
    )


# --- residents: "is it fixed?" ----------------------------------------------------------------


@bp.post("/issues/<int:issue_id>/fixed")
@login_required
def answer_fixed(issue_id: int):
    form = FixedAnswerForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return _back(issue_id, "is-it-fixed")
    fixed = form.answer.data == "yes"
    return _act(
        issue_id,
        lambda issue: workflow.answer_fixed(current_user, issue, fixed, form.comment.data),
        _("Thank you: the fix is confirmed.") if fixed else _("The issue is open again and back with the city."),
        "is-it-fixed",
    )


# --- response templates -----------------------------------------------------------------------


@bp.get("/templates")
@staff_required
def templates():
    department_id = _department_id()
    return render_template(
        "staff/templates.html",
        templates=replies.templates_for(department_id),
        department=db.session.get(Department, department_id),
    )


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@staff_required
def template(template_id: int | None = None):
    existing = db.session.get(ResponseTemplate, template_id) if template_id else None
    if template_id and (
        existing is None or not (current_user.is_admin or existing.department_id == current_user.department_id)
    ):
        abort(404)
    form = TemplateForm(obj=existing if request.method == "GET" else None)
    form.category.choices = [SelectChoice("", _("Any category"))] + [
        SelectChoice(str(c.id), c.label) for c in active_categories() if c.department_id == _department_id()
    ]
    if request.method == "GET" and existing:
        form.category.data = str(existing.category_id or "")
        form.status.data = existing.status.value if existing.status else ""
    outcome = submit_form(
        form,
        lambda: replies.save_template(
            current_user,
            existing,
            title=form.title.data,
            body=form.body.data,
            category_id=int(form.category.data) if form.category.data else None,
            status=IssueStatus(form.status.data) if form.status.data else None,
            title_es=form.title_es.data,
            body_es=form.body_es.data,
        ),
    )
    if outcome.done:
        flash(_("The template is saved."), "success")
        return redirect(url_for("staff.templates"))
    return render_template(
        "staff/template.html",
        form=form,
        existing=existing,
        categories={c.id: c for c in active_categories()},
    ), outcome.status
