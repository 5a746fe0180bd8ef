"""Signed tokens that name a user.

- Password reset links: expiring and single-use. The token carries a fingerprint of the current password
  hash: once the password changes, every earlier link stops working, so a link cannot be replayed.
- Sign-up links: expiring; they carry what the person typed at sign-up (name, address, choices, no
  password). Once the account exists the link is spent.
- Standing links (one-click unsubscribe, a private calendar feed): no expiry, since they sit in old
  e-mails and calendar apps; each kind has its own salt, and all die when the user's e-mail changes.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from civic.accounts.models import User
from civic.errors import InvalidToken
from civic.extensions import db

_SALT = "civic.password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_from_reset_token(token: str) -> User:
    """The user a valid reset token names; InvalidToken when it is expired, tampered with or used."""
    from flask_babel import gettext as _

    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidToken(_("This reset link has expired. Ask for a new one below.")) from None
    except BadSignature:
        raise InvalidToken(
            _("This reset link is not valid. Check that you copied all of it, or ask for a new one.")
        ) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or data.get("fp") != _fingerprint(user):
        raise InvalidToken(_("This reset link has already been used. Ask for a new one if you need it."))
    return user


_REGISTRATION_SALT = "civic.registration"
REGISTRATION_MAX_AGE = 24 * 60 * 60  # a day: long enough for a slow mailbox, short for a forwarded e-mail


def make_registration_token(details: dict) -> str:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_REGISTRATION_SALT).dumps(details)


def registration_from_token(token: str) -> dict:
    """What a sign-up link carries; InvalidToken when it is expired or tampered with."""
    from flask_babel import gettext as _

    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_REGISTRATION_SALT)
    try:
        data = serializer.loads(token, max_age=REGISTRATION_MAX_AGE)
    except SignatureExpired:
        raise InvalidToken(_("This sign-up link has expired. Sign up again to get a new one.")) from None
    except BadSignature:
        raise InvalidToken(
            _("This sign-up link is not valid. Check that you copied all of it, or sign up again.")
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        raise InvalidToken(_("This sign-up link is not valid. Check that you copied all of it, or sign up again."))
    return data


def make_standing_token(user: User, salt: str) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt).dumps({"uid": user.id, "email": user.email})


def user_from_standing_token(token: str, salt: str, invalid_message: str) -> User:
    """The user a standing link names; InvalidToken(invalid_message) when tampered with or stale."""
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt).loads(token)
    except BadSignature:
        raise InvalidToken(invalid_message) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or user.email != data.get("email"):
        raise InvalidToken(invalid_message)
    return user
