"""What the staff domain shows on an issue page (civic/panels.py), so the issues domain stays unaware of
it: the staff panel (status, official reply, templates, assignment, internal notes) for city staff, and
"is it fixed?" for the residents the city asks."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from wtforms import SelectChoice

from civic import panels
from civic.forms import ActionForm
from civic.issues.models import IssueStatus
from civic.staff import replies, template_replies, workflow
from civic.staff.forms import AssignForm, FixedAnswerForm, NoteForm, ReplyForm, StatusForm
from civic.staff.permissions import is_any_staff, owns


@panels.panel(page="issue", name="fix-question", template="staff/_fix_question.html", order=10, slot="notices")
def fix_question(issue, viewer) -> dict | None:
    if not workflow.can_answer_fixed(viewer, issue):
        return None
    return {"form": FixedAnswerForm(formdata=None)}


@panels.panel(page="issue", name="staff-panel", template="staff/_issue_panel.html", order=20, slot="below-description")
def staff_panel(issue, viewer) -> dict | None:
    """What a staff member sees on an issue page; None for everyone else."""
    if not is_any_staff(viewer):
        return None
    templates = replies.templates_for(issue.category.department_id, issue.category_id)
    reply_form = ReplyForm(formdata=None)
    reply_form.template.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(t.id), template_replies.title_in_language(t)) for t in templates
    ]
    chosen = request.args.get("template", type=int)
    chosen_template = next((t for t in templates if t.id == chosen), None)
    owner = owns(viewer, issue)
    status_form = StatusForm(formdata=None, status=issue.status.value)
    if chosen_template:  # "Use this template" without JavaScript
        reply_form.body.data = status_form.reply.data = template_replies.fill_text(chosen_template)
        status_form.also_reply.data = True
    assign_form = AssignForm(formdata=None, assignee=str(issue.assignee_id or ""))
    assign_form.assignee.choices = [SelectChoice("", _("Nobody"))] + [
        SelectChoice(str(u.id), u.display_name) for u in replies.colleagues(issue.category.department_id)
    ]
    return {
        "owner": owner,
        "status_form": status_form,
        "current": issue.status.value,
        "allowed": [s.value for s in workflow.TRANSITIONS[issue.status]],
        "reply_form": reply_form,
        "templates": templates,
        # Filled in the staff member's interface language (the other version where it is missing); the preview
        # shows what readers in that language will see of each version, note included.
        "fills": {t.id: template_replies.fill_text(t) for t in templates},
        "titles": {t.id: template_replies.title_in_language(t) for t in templates},
        "previews": template_replies.previews(templates),
        "suggestions": {
            s.value: (template_replies.fill_text(t) if (t := replies.suggested_template(issue, s, templates)) else "")
            for s in IssueStatus
        },
        "reply_revisions": replies.official_reply_revisions(viewer, issue),
        "note_form": NoteForm(formdata=None),
        "notes": replies.internal_notes(viewer, issue) if owner else [],
        "assign_form": assign_form,
        "action": ActionForm(),
    }
