"""Staff forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from civic.issues.models import STATUS_LABELS
from civic.staff.models import ClosedReason

CLOSED_REASON_LABELS = {
    ClosedReason.DUPLICATE: _l("Duplicate of another issue"),
    ClosedReason.NOT_RESPONSIBLE: _l("Not the city's responsibility"),
    ClosedReason.NO_FURTHER_ACTION: _l("No further action"),
    ClosedReason.CANNOT_LOCATE: _l("Cannot locate"),
}


class StatusForm(FlaskForm):
    status = SelectField(
        _l("New status"),
        choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()],
        validators=[InputRequired()],
    )
    closed_reason = SelectField(
        _l("If closed without a fix: why"),
        choices=[SelectChoice("", "—")] + [SelectChoice(r.value, label) for r, label in CLOSED_REASON_LABELS.items()],
        validators=[Optional()],
    )
    duplicate_of = IntegerField(
        _l("If a duplicate: number of the original issue"), validators=[Optional(), NumberRange(1, 10**9)]
    )
    reason = TextAreaField(_l("Reason (public, shown in the status history)"), validators=[Length(max=2000)])
    also_reply = BooleanField(_l("Also post the reply below as the official response"))
    reply = TextAreaField(_l("Official reply"), validators=[Optional(), Length(max=5000)])


class ReplyForm(FlaskForm):
    template = SelectField(_l("Start from a template"), choices=[], validators=[Optional()], validate_choice=False)
    body = TextAreaField(_l("Official reply"), validators=[Length(max=5000)])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Internal note (staff only)"), validators=[Length(max=5000)])


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assigned to"), choices=[], validators=[Optional()], validate_choice=False)


class TemplateForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=120)])
    category = SelectField(_l("Category (optional)"), choices=[], validators=[Optional()])
    status = SelectField(
        _l("Suggest when the status becomes (optional)"),
        choices=[SelectChoice("", "—")] + [SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()],
        validators=[Optional()],
    )
    body = TextAreaField(_l("Text"), validators=[InputRequired(), Length(max=5000)])
    # Optional: where missing, Spanish readers get the English text with a note saying so.
    title_es = StringField(_l("Title in Spanish (optional)"), validators=[Optional(), Length(max=120)])
    body_es = TextAreaField(
        _l("Text in Spanish (optional)"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Without it, Spanish readers get the English text with a note that it is not translated yet."),
    )


class FixedAnswerForm(FlaskForm):
    answer = RadioField(
        _l("Is it fixed?"),
        choices=[SelectChoice("yes", _l("Yes, it is fixed")), SelectChoice("no", _l("No, it is not fixed: reopen it"))],
        validators=[InputRequired(_l("Choose yes or no."))],
    )
    comment = TextAreaField(
        _l("Your comment"), validators=[InputRequired(_l("Write your comment first.")), Length(max=5000)]
    )
