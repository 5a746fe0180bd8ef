"""Issue forms: report, edit, comment. Rules (radius, windows, photo checks) live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, FloatField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from civic.forms import strip_whitespace
from civic.issues.services import COMMENT_MAX, DESCRIPTION_MAX, TITLE_MAX


def _id_or_none(value):
    """Select values are ids; the empty "Choose…" option means none yet."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a choice: the field reports "Not a valid choice"


class ReportForm(FlaskForm):
    category = SelectField(
        _l("What kind of problem?"),
        coerce=_id_or_none,
        choices=[],
        validators=[InputRequired(_l("Choose what kind of problem it is."))],
    )
    title = StringField(
        _l("Title"),
        filters=[strip_whitespace],
        description=_l("A few words, like “Deep pothole outside no. 12”."),
        validators=[
            InputRequired(_l("Give the problem a short title (at least 3 characters).")),
            Length(max=TITLE_MAX),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        filters=[strip_whitespace],
        description=_l("What is wrong, and where exactly? Landmarks help the crew find it."),
        validators=[
            InputRequired(_l("Describe the problem so the city can find and fix it.")),
            Length(max=DESCRIPTION_MAX),
        ],
    )
    lat = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(-90, 90, _l("Latitude is between -90 and 90."))],
        render_kw={"inputmode": "decimal"},
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[Optional(), NumberRange(-180, 180, _l("Longitude is between -180 and 180."))],
        render_kw={"inputmode": "decimal"},
    )
    address = StringField(
        _l("Address or nearest landmark (optional)"),
        filters=[strip_whitespace],
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "street-address"},
    )
    photos = MultipleFileField(
        _l("Photos (up to 4)"),
        description=_l("JPEG, PNG or WebP. Location data is removed."),
        render_kw={"accept": "image/jpeg,image/png,image/webp", "multiple": True},
    )
    show_reporter_name = BooleanField(
        _l("Show my name publicly on this issue"),
        description=_l(
            "Ticked or not as your account says; change it for this report if you like. Otherwise neighbours see "
            "“a neighbour”. City staff always see who reported."
        ),
    )
    on_behalf_name = StringField(
        _l("Reporting for (name)"),
        filters=[strip_whitespace],
        validators=[Optional(), Length(max=120)],
        description=_l("For a resident without internet. Kept private: only city staff see it."),
    )
    on_behalf_contact = StringField(
        _l("Their phone or address for the city (optional)"),
        filters=[strip_whitespace],
        validators=[Optional(), Length(max=200)],
    )
    # Set once the reporter has seen the open issues nearby and chosen to report anyway.
    duplicates_seen = HiddenField()


class EditIssueForm(FlaskForm):
    title = ReportForm.title
    description = ReportForm.description
    photos = MultipleFileField(
        _l("Add photos"),
        description=_l("JPEG, PNG or WebP. Up to 4 photos in all."),
        render_kw={"accept": "image/jpeg,image/png,image/webp", "multiple": True},
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        filters=[strip_whitespace],
        description=_l("Blank lines make paragraphs; web addresses become links."),
        validators=[InputRequired(_l("Write your comment first.")), Length(max=COMMENT_MAX)],
    )
    photo = FileField(_l("Photo (optional)"), render_kw={"accept": "image/jpeg,image/png,image/webp"})


class EditCommentForm(FlaskForm):
    body = CommentForm.body
