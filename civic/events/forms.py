"""Event forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, FloatField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Give the event a title.")), Length(max=120)])
    description = TextAreaField(_l("What will we do?"), validators=[Length(max=4000)])
    starts_at = DateTimeLocalField(_l("Starts (city time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Choose when it starts."))])
    ends_at = DateTimeLocalField(_l("Ends (city time)"), format="%Y-%m-%dT%H:%M",
                                 validators=[InputRequired(_l("Choose when it ends."))])
    meeting_point = StringField(_l("Meeting point"), description=_l("Where people meet, in words."),
                                validators=[InputRequired(_l("Say where people meet.")), Length(max=200)])
    lat = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)], render_kw={"inputmode": "decimal"})
    lon = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)], render_kw={"inputmode": "decimal"})
    capacity = IntegerField(_l("How many people at most (empty: no limit)"), validators=[Optional(), NumberRange(1, 10000)])
    what_to_bring = TextAreaField(_l("What to bring"), validators=[Optional(), Length(max=1000)])
    issue_id = HiddenField()
