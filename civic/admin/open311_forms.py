"""Forms of the admin pages for the city's 311 link (civic/admin/open311.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    URLField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from civic.city311.admin_services import check_base_url
from civic.errors import ValidationError
from civic.forms import strip_whitespace


class EndpointForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip_whitespace], validators=[InputRequired(), Length(max=120)])
    base_url = URLField(
        _l("Base URL"),
        description=_l("The address before services.json, e.g. https://city.example/open311/v2/"),
        filters=[strip_whitespace],
        validators=[InputRequired(), Length(max=500)],
    )
    # Write-only: PasswordField never renders the stored value back into the page.
    api_key = PasswordField(_l("API key"), validators=[Optional(), Length(max=200)])
    clear_api_key = BooleanField(_l("Remove the stored key"))
    jurisdiction_id = StringField(
        _l("Jurisdiction"),
        description=_l("Only if the city asks for a jurisdiction_id."),
        filters=[strip_whitespace],
        validators=[Optional(), Length(max=120)],
    )
    format = SelectField(
        _l("Format"),
        choices=[SelectChoice("json", "JSON"), SelectChoice("xml", "XML")],
        validators=[InputRequired()],
    )
    page_size = IntegerField(
        _l("Page size"),
        description=_l("The most ticket numbers civic asks for in one call (1 to 1000)."),
        default=50,
        validators=[InputRequired(), NumberRange(1, 1000)],
    )
    needs_address = BooleanField(
        _l("The city needs an address too"), description=_l("civic then sends address_string as well as the map point.")
    )
    active = BooleanField(_l("Active: send new issues to this endpoint"), default=True)

    def validate_base_url(self, field) -> None:
        """The service's rule (admin_services.check_base_url), checked with the other fields, so every
        mistake shows at once."""
        try:
            check_base_url(field.data)
        except ValidationError as error:
            raise FieldError(error.message) from None


class SelectionForm(FlaskForm):
    """Retry now / resend failed: everything (scope "all"), or the ticked submissions (scope "selected")."""

    scope = HiddenField(default="all", validators=[AnyOf(["all", "selected"])])
    submission = SelectMultipleField(coerce=int, validate_choice=False)


def mapping_form(services, categories) -> FlaskForm:
    """One select per city service ("service_<id>"): not sent to 311, or one of the categories."""
    choices = [SelectChoice("", _l("— not sent to 311 —"))] + [SelectChoice(str(c.id), c.label) for c in categories]

    class MappingForm(FlaskForm):
        pass

    for service in services:
        setattr(
            MappingForm,
            f"service_{service.id}",
            SelectField(
                _l("Category for %(name)s", name=service.service_name),
                choices=choices,
                default=str(service.category_id or ""),
                validators=[Optional()],
            ),
        )
    return MappingForm()
