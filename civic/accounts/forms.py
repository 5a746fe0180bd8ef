"""Account forms. Field-level checks only; the rules (policy, uniqueness) live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from civic.accounts.passwords import MAX_LENGTH as PASSWORD_MAX
from civic.forms import strip_whitespace


def _display_name_field(**kwargs) -> StringField:
    return StringField(
        _l("Your name"),
        filters=[strip_whitespace],
        validators=[DataRequired(_l("Enter the name neighbours will see.")), Length(max=80)],
        render_kw={"autocomplete": "name"},
        **kwargs,
    )


def _email_field(autocomplete: str = "email") -> EmailField:
    """The email a visitor types: trimmed, and checked to look like an address."""
    return EmailField(
        _l("Email"),
        filters=[strip_whitespace],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Email(_l("Enter an email address like name@example.com.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": autocomplete},
    )


def _new_password_field(label) -> PasswordField:
    """A password being chosen; the policy itself is checked by the service."""
    return PasswordField(
        label,
        description=_l("At least 10 characters."),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(max=PASSWORD_MAX, message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _show_name_field() -> BooleanField:
    """The one rule for names, asked once for the account (User.show_name); unchecked unless chosen."""
    return BooleanField(
        _l("Show my name to neighbours next to my reports and comments"),
        description=_l(
            "If you leave this unticked, neighbours see “a neighbour” instead, and only you and city staff see "
            "your name. You can change this on your account page, and for each report."
        ),
    )


class RegisterForm(FlaskForm):
    display_name = _display_name_field(description=_l("A first name is enough. Who sees it is your choice below."))
    email = _email_field()
    show_name = _show_name_field()


class ConfirmRegistrationForm(FlaskForm):
    """The second step of sign-up, from the link in the e-mail: the password is chosen once the address is
    proven, so a link someone else asked for cannot leave them a password to the account."""

    password = _new_password_field(_l("Password"))


class LoginForm(FlaskForm):
    # No format check at sign-in: an unknown address gets the same answer as a wrong password.
    email = EmailField(
        _l("Email"),
        filters=[strip_whitespace],
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = _new_password_field(_l("New password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password_field(_l("New password"))


class ProfileForm(FlaskForm):
    display_name = _display_name_field()
    show_name = _show_name_field()
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("Same as my browser")),
            SelectChoice("en", "English", render_kw={"lang": "en"}),
            SelectChoice("es", "Español", render_kw={"lang": "es"}),
        ],
        validators=[Optional()],
    )
    home_neighbourhood = SelectField(
        _l("Home neighbourhood"),
        description=_l("Used to show issues near you. Choose a neighbourhood, or give an exact point below."),
        choices=[],
        validators=[Optional()],
    )
    home_lat = FloatField(
        _l("Home latitude"),
        validators=[Optional(), NumberRange(-90, 90, _l("Latitude is between -90 and 90."))],
        render_kw={"inputmode": "decimal"},
    )
    home_lon = FloatField(
        _l("Home longitude"),
        validators=[Optional(), NumberRange(-180, 180, _l("Longitude is between -180 and 180."))],
        render_kw={"inputmode": "decimal"},
    )


class RoleRequestForm(FlaskForm):
    role = SelectField(
        _l("I am"),
        choices=[
            SelectChoice("resident", _l("A resident")),
            SelectChoice("staff", _l("City staff (an administrator will verify it)")),
            SelectChoice("liaison", _l("A neighbourhood liaison (an administrator will verify it)")),
        ],
        validators=[InputRequired()],
    )
    department = SelectField(_l("Department (city staff only)"), choices=[], validators=[Optional()])


class LanguageForm(FlaskForm):
    """The language switcher in every page's header: two submit buttons, no JavaScript needed."""

    next = HiddenField()
