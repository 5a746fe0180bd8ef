"""Event forms."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class EventForm(FlaskForm):
    def details(self) -> dict:
        """What the form says about the event, as create_event and update_event take it."""
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "starts_local": self.starts_at.data,
            "ends_local": self.ends_at.data,
            "meeting_point": self.meeting_point.data,
            "lat": self.lat.data,
            "lon": self.lon.data,
            "capacity": self.capacity.data,
            "what_to_bring": self.what_to_bring.data,
            "area_neighbourhood": self.area_neighbourhood.data,
        }

    title = StringField(_l("Title"), validators=[InputRequired(_l("Give the event a title.")), Length(max=120)])
    description = TextAreaField(_l("What will we do?"), validators=[Length(max=4000)])
    starts_at = DateTimeLocalField(
        _l("Starts (city time)"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(_l("Choose when it starts."))]
    )
    ends_at = DateTimeLocalField(
        _l("Ends (city time)"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(_l("Choose when it ends."))]
    )
    meeting_point = StringField(
        _l("Meeting point"),
        description=_l("Where people meet, in words."),
        validators=[InputRequired(_l("Say where people meet.")), Length(max=200)],
    )
    lat = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)], render_kw={"inputmode": "decimal"})
    lon = FloatField(
        _l("Longitude"), validators=[Optional(), NumberRange(-180, 180)], render_kw={"inputmode": "decimal"}
    )
    capacity = IntegerField(
        _l("How many people at most (empty: no limit)"), validators=[Optional(), NumberRange(1, 10000)]
    )
    what_to_bring = TextAreaField(_l("What to bring"), validators=[Optional(), Length(max=1000)])
    area_neighbourhood = SelectField(
        _l("Area it covers (optional)"), choices=[], validate_choice=False, validators=[Optional()]
    )  # checked by the service, with a clear message
    supplies_request = TextAreaField(
        _l("Supplies to ask the city for (optional)"),
        description=_l("For example: 20 bags, 10 pairs of gloves, a skip. City staff answer on the event page."),
        validators=[Optional(), Length(max=1000)],
    )
    organiser_attends = BooleanField(_l("I will attend (takes one place)"), default=False)
    issue_id = HiddenField()


class EditEventForm(EventForm):
    """The same fields; supplies are asked for separately once the event exists, and organisers sign up
    like everyone else."""

    supplies_request = None
    organiser_attends = None


class ReportForm(FlaskForm):
    summary = TextAreaField(
        _l("What did the clean-up do?"),
        description=_l("For example how many bags, which streets, who helped."),
        validators=[InputRequired(_l("Say what the clean-up did.")), Length(max=4000)],
    )
    before = MultipleFileField(
        _l("Photos before (up to 4)"), description=_l("JPEG, PNG or WebP. Location data is removed.")
    )
    after = MultipleFileField(
        _l("Photos after (up to 4)"), description=_l("JPEG, PNG or WebP. Location data is removed.")
    )


def area_choices() -> list[tuple[str, str]]:
    from civic.geo import neighbourhoods

    return [("", _("None"))] + [(h.slug, h.name) for h in neighbourhoods.all_neighbourhoods()]
