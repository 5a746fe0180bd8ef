"""Forms for following areas and for e-mail settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, HiddenField, IntegerField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from civic.accounts.models import EmailFrequency

RADIUS_CHOICES = [200, 500, 1000, 2000]


class AreaForm(FlaskForm):
    """One form, three ways to say where: a circle, a neighbourhood, or a shape drawn on the map."""

    kind = RadioField(
        _l("Follow"),
        choices=[
            SelectChoice("circle", _l("Everything within a distance of a point (my home by default)")),
            SelectChoice("neighbourhood", _l("A whole neighbourhood")),
            SelectChoice("shape", _l("A shape I draw on the map")),
        ],
        default="circle",
        validators=[InputRequired()],
    )
    name = StringField(_l("Name for this area (optional)"), validators=[Optional(), Length(max=120)])
    lat = FloatField(
        _l("Centre latitude"), validators=[Optional(), NumberRange(-90, 90)], render_kw={"inputmode": "decimal"}
    )
    lon = FloatField(
        _l("Centre longitude"), validators=[Optional(), NumberRange(-180, 180)], render_kw={"inputmode": "decimal"}
    )
    radius_m = SelectField(
        _l("Distance"),
        coerce=int,
        choices=[SelectChoice(r, _l("%(m)d metres", m=r)) for r in RADIUS_CHOICES],
        default=500,
    )
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], validators=[Optional()])
    shape = HiddenField()
    category = SelectField(_l("Only this kind of problem (optional)"), choices=[], validators=[Optional()])


class EmailSettingsForm(FlaskForm):
    email_frequency = RadioField(
        _l("E-mail me about what I follow"),
        choices=[
            SelectChoice(EmailFrequency.IMMEDIATE.value, _l("Right away, one e-mail per update")),
            SelectChoice(EmailFrequency.DAILY.value, _l("Once a day, everything in one e-mail")),
            SelectChoice(EmailFrequency.NEVER.value, _l("Never (I will check the notification centre)")),
        ],
        validators=[InputRequired()],
    )


class MarkReadForm(FlaskForm):
    """CSRF for "mark read"; the ids come as repeated `id` fields, or none for all."""

    scope = HiddenField()
    page = IntegerField(validators=[Optional()])
