"""Sign-up in two steps, so that it never tells whether an address has an account.

1. `start_registration`: the form's name, address and choices. One mail goes out either way: to a new address, a
   link to finish (civic/accounts/tokens.py: it carries what was typed, no password); to an address that has an
   account, a note that someone tried, with sign-in and reset links. The page says the same in both cases.
2. `complete_registration`: from the link (which proves the mailbox), the person chooses the password and the
   account is made. Choosing the password only then means a link someone else asked for leaves them nothing.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from civic.accounts.models import User
from civic.accounts.services import SUPPORTED_LOCALES, find_user_by_email, normalise_email, register_user
from civic.accounts.tokens import REGISTRATION_MAX_AGE, make_registration_token, registration_from_token
from civic.errors import InvalidToken, ValidationError


def start_registration(display_name: str, email: str, locale: str | None = None, *, show_name: bool = False) -> None:
    """Sign-up, step one: mail the address. A new address gets a link to choose a password and finish; an
    address that has an account gets a note that someone tried to sign up with it (with sign-in and reset
    links). The answer and the work are the same either way (one mail, sent after commit), so sign-up does not
    tell whether an address has an account."""
    from civic.mail.services import send_mail

    address = normalise_email(email)
    display_name = display_name.strip()
    if not display_name:
        raise ValidationError(_("Enter the name neighbours will see."), field="display_name")
    locale = locale if locale in SUPPORTED_LOCALES else None
    owner = find_user_by_email(address)
    if owner is not None:
        with force_locale(owner.locale or locale or "en"):
            send_mail(
                owner.email,
                _("Someone tried to sign up to civic with your address"),
                "registration_existing",
                user=owner,
                login_link=url_for("accounts.login", _external=True),
                reset_link=url_for("accounts.forgot_password", _external=True),
            )
        return
    details = {"email": address, "name": display_name, "locale": locale, "show_name": bool(show_name)}
    link = url_for("accounts.confirm_registration", token=make_registration_token(details), _external=True)
    with force_locale(locale or "en"):
        send_mail(
            address,
            _("Finish creating your civic account"),
            "registration_confirm",
            name=display_name,
            link=link,
            hours=REGISTRATION_MAX_AGE // 3600,
        )


def pending_registration(token: str) -> dict:
    """What a valid sign-up link carries; InvalidToken when it is expired, tampered with or spent."""
    details = registration_from_token(token)
    if find_user_by_email(details["email"]) is not None:
        raise InvalidToken(_("This sign-up link has been used: the account exists. Sign in, or reset your password."))
    return details


def complete_registration(token: str, password: str) -> User:
    """Sign-up, step two, from the link in the e-mail (which proves the address): the account, with the
    password chosen now."""
    details = pending_registration(token)
    return register_user(
        str(details.get("name") or ""),
        details["email"],
        password,
        locale=details.get("locale"),
        show_name=details.get("show_name") is True,
    )
