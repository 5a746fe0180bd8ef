"""Account rules: each function validates, writes (flushes) and sends a signal. Views and the API call these;
the caller's unit of work commits (civic/database.py)."""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from civic import signals
from civic.accounts.models import Department, Role, User
from civic.accounts.passwords import hash_password, password_matches, validate_password
from civic.accounts.tokens import make_reset_token, user_from_reset_token
from civic.database import utcnow
from civic.errors import Conflict, PermissionDenied, ValidationError
from civic.extensions import db
from civic.geo import neighbourhoods
from civic.ratelimits import RateLimited, counter_key, storage
from civic.text import clean_text

SUPPORTED_LOCALES = ("en", "es")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


DISPLAY_NAME_MAX = 80  # the column's length


def clean_display_name(display_name: str | None) -> str:
    """The name as stored: civic's text rule, on one line (a name has no line breaks)."""
    return clean_text(
        display_name,
        field="display_name",
        max_len=DISPLAY_NAME_MAX,
        required=_("Enter the name neighbours will see."),
        one_line=True,
    )


def register_user(
    display_name: str, email: str, password: str, locale: str | None = None, *, show_name: bool = False
) -> User:
    """A new resident's account. `show_name`: whether neighbours see the name next to their reports and comments
    (the one rule for names; otherwise "a neighbour"): off unless the person chose it."""
    email = normalise_email(email)
    display_name = clean_display_name(display_name)
    validate_password(password, email=email, display_name=display_name)
    if find_user_by_email(email) is not None:
        raise Conflict(_("An account with this email already exists. Sign in, or reset your password."), field="email")
    user = User(
        display_name=display_name,
        email=email,
        password_hash=hash_password(password),
        role=Role.RESIDENT,
        locale=locale if locale in SUPPORTED_LOCALES else None,
        show_name=bool(show_name),
    )
    try:
        with db.session.begin_nested():  # a savepoint: a lost race for the address undoes only this insert
            db.session.add(user)
    except IntegrityError:
        if find_user_by_email(email) is None:  # not the email's uniqueness: a fault to report, not the user's
            raise
        # A concurrent registration won the race for this email.
        raise Conflict(
            _("An account with this email already exists. Sign in, or reset your password."), field="email"
        ) from None
    signals.user_registered.send(signals.sender(), user=user)
    return user


def authenticate(email: str, password: str) -> User:
    """The account for this email and password. Raises AccountLocked while the address is locked
    (too many failed sign-ins), even for the right password; ValidationError for a wrong one."""
    _refuse_if_locked(email)
    user = find_user_by_email(email)
    # Same message whether the email is unknown or the password wrong: no account discovery.
    # Both paths verify a hash of the same cost (a dummy one for an unknown address): no discovery by timing.
    if not password_matches(user.password_hash if user else None, password) or user is None:
        _record_failed_sign_in(email)  # raises AccountLocked when this failure starts a lock
        raise ValidationError(_("That email and password do not match an account."), field="password")
    _clear_failed_sign_ins(email)
    if user.is_suspended:  # told only after the right password, so it reveals nothing to strangers
        raise PermissionDenied(
            _(
                "This account is suspended by the moderators. Write to the city's civic team "
                "if you think this is a mistake."
            )
        )
    user.last_login_at = utcnow()
    db.session.flush()
    return user


# --- sign-in back-off per account -----------------------------------------------------------------
# Counted per e-mail address (known or not, so a lock says nothing about whether an account exists), in
# the rate limiter's storage: in memory, or in Redis shared by every server process. Three counters:
#   failures  failed sign-ins since the first of the current window (expires LOGIN_LOCKOUT_WINDOW after it)
#   lock      present while the address is locked; it expires when the lock ends
#   lockouts  locks so far, for the back-off (1, 2, 4 ... minutes); forgotten a day after the last lock

LOCKOUTS_MEMORY_SECONDS = 24 * 60 * 60


class AccountLocked(RateLimited):
    code = "account_locked"


def _lockout_keys(email: str) -> tuple[str, str, str]:
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]  # no addresses in the store
    return (
        counter_key("sign-in", "failures", digest),
        counter_key("sign-in", "lock", digest),
        counter_key("sign-in", "lockouts", digest),
    )


def _locked_error(seconds: float) -> AccountLocked:
    minutes = max(1, math.ceil(seconds / 60))
    return AccountLocked(
        ngettext(
            "Too many failed sign-ins for this account. Try again in %(num)d minute, or reset your password.",
            "Too many failed sign-ins for this account. Try again in %(num)d minutes, or reset your password.",
            minutes,
        ),
        retry_after=math.ceil(seconds),
    )


def sign_in_locked_for(email: str) -> int:
    """Seconds until this address may try to sign in again; 0 when it is not locked."""
    store = storage()
    if store is None:
        return 0
    _failures, lock, _lockouts = _lockout_keys(email)
    if not store.get(lock):
        return 0
    return max(1, math.ceil(store.get_expiry(lock) - time.time()))


def _refuse_if_locked(email: str) -> None:
    seconds = sign_in_locked_for(email)
    if seconds:
        raise _locked_error(seconds)


def _record_failed_sign_in(email: str) -> None:
    store = storage()
    if store is None:
        return
    config = current_app.config
    threshold = int(config["LOGIN_LOCKOUT_FAILURES"])
    if threshold <= 0:
        return
    failures, lock, lockouts = _lockout_keys(email)
    if store.incr(failures, int(config["LOGIN_LOCKOUT_WINDOW"])) < threshold:
        return
    store.clear(failures)  # the next lock needs as many failures again
    count = store.get(lockouts) + 1
    seconds = min(int(config["LOGIN_LOCKOUT_MAX"]), int(config["LOGIN_LOCKOUT_BASE"]) * 2 ** min(count - 1, 20))
    if store.incr(lock, seconds) == 1:  # not already locked by a concurrent failure
        store.clear(lockouts)  # incr sets the expiry on a new key only: start the day again from now
        store.incr(lockouts, LOCKOUTS_MEMORY_SECONDS, amount=count)
    raise _locked_error(sign_in_locked_for(email) or seconds)


def _clear_failed_sign_ins(email: str) -> None:
    store = storage()
    if store is None:
        return
    for key in _lockout_keys(email):
        store.clear(key)


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists, else a note that no account uses the address. The page says
    the same either way and the work is the same (one mail, delivered after commit), so addresses cannot be
    probed by the answer or its timing."""
    from civic.mail.services import send_mail

    user = find_user_by_email(email)
    if user is None:
        address = normalise_email(email)
        with force_locale(_current_locale() or "en"):
            send_mail(
                address,
                _("Reset your civic password"),
                "password_reset_no_account",
                email=address,
                register_link=url_for("accounts.register", _external=True),
            )
        return
    token = make_reset_token(user)
    link = url_for("accounts.reset_password", token=token, _external=True)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with force_locale(user.locale or "en"):
        send_mail(
            user.email,
            _("Reset your civic password"),
            "password_reset",
            user=user,
            link=link,
            minutes=minutes,
        )


def reset_password(token: str, new_password: str) -> tuple[User, int]:
    """Choose a new password through a reset link: every session and API token of the person ends.
    Returns the user and how many API tokens were revoked."""
    user = user_from_reset_token(token)
    validate_password(new_password, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new_password)
    user.rotate_session_nonce()  # signs out every other session
    db.session.flush()
    _clear_failed_sign_ins(user.email)  # the reset proves the mailbox: the sign-in lock has done its job
    signals.password_reset.send(signals.sender(), user=user)
    return user, _revoke_other_credentials(user)


def change_password(user: User, current_password: str, new_password: str) -> int:
    """Change the password; every session and API token of the person ends. Returns the tokens revoked."""
    if not password_matches(user.password_hash, current_password):
        raise ValidationError(_("Your current password is not right."), field="current_password")
    validate_password(new_password, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new_password)
    user.rotate_session_nonce()
    db.session.flush()
    return _revoke_other_credentials(user)


def _revoke_other_credentials(user: User) -> int:
    """A new password ends what the old one let in: the domains owning credentials (API tokens) revoke them
    on `password_changed` and say how many."""
    replies = signals.password_changed.send(signals.sender(), user=user)
    return sum(count for _receiver, count in replies if isinstance(count, int))


def sign_out_everywhere(user: User) -> None:
    """Sign-out: the session id (`User.get_id`) changes, so every copy of the session and remember-me cookie,
    on this device and any other, stops working."""
    user.rotate_session_nonce()
    db.session.flush()


def _current_locale() -> str | None:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale) if locale else None


def update_profile(
    user: User,
    *,
    display_name: str,
    locale: str | None,
    home_neighbourhood: str | None = None,
    home_lat: float | None = None,
    home_lon: float | None = None,
    show_name: bool | None = None,
) -> User:
    """Name, language and home. A home is a point (lat/lon), or a neighbourhood whose centre is used.
    `show_name` (None: unchanged) is whether neighbours see the name next to reports and comments."""
    display_name = clean_display_name(display_name)
    if locale not in (None, "", *SUPPORTED_LOCALES):
        raise ValidationError(_("Choose English or Spanish."), field="locale")
    if (home_lat is None) != (home_lon is None):
        raise ValidationError(_("Give both latitude and longitude, or neither."), field="home_lat")
    if home_lat is not None and home_lon is not None and not (-90 <= home_lat <= 90 and -180 <= home_lon <= 180):
        raise ValidationError(_("That is not a place on Earth: check latitude and longitude."), field="home_lat")
    if show_name is not None and not isinstance(show_name, bool):
        raise ValidationError(_("show_name must be true or false."), field="show_name")
    if home_neighbourhood:
        hood = neighbourhoods.by_slug(home_neighbourhood)
        if hood is None:
            raise ValidationError(_("Choose a neighbourhood from the list."), field="home_neighbourhood")
        if home_lat is None:
            home_lat, home_lon = hood.centre
    elif home_lat is not None and home_lon is not None:
        hood = neighbourhoods.containing(home_lat, home_lon)
        home_neighbourhood = hood.slug if hood else None

    user.display_name = display_name
    if show_name is not None:
        user.show_name = show_name
    user.locale = locale or None
    user.home_neighbourhood = home_neighbourhood or None
    user.home_lat, user.home_lon = home_lat, home_lon
    db.session.flush()
    return user


def set_locale(user: User, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise ValidationError(_("Choose English or Spanish."), field="locale")
    user.locale = locale
    db.session.flush()


def request_role(user: User, role: Role, department: Department | None = None) -> None:
    """A resident asks to be city staff (of a department) or a liaison; an admin verifies it."""
    if role not in (Role.STAFF, Role.LIAISON, Role.RESIDENT):
        raise ValidationError(_("You can ask for staff or liaison status only."), field="role")
    if role is Role.STAFF and department is None:
        raise ValidationError(_("Choose the department you work for."), field="department")
    if user.role in (Role.ADMIN, Role.MODERATOR):
        raise Conflict(_("Ask another administrator to change your role."), field="role")
    user.role = role
    user.department = department if role is Role.STAFF else None
    user.verified_at = None
    user.verified_by = None
    db.session.flush()
    signals.role_changed.send(signals.sender(), user=user, actor=user)


# --- administration: every function checks that the actor is an admin ---------------------------


def _require_admin(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_admin):
        raise PermissionDenied(_("Only administrators can change roles."))


def set_role(actor: User, user: User, role: Role, department: Department | None = None, *, verified: bool) -> None:
    _require_admin(actor)
    if role is Role.STAFF and department is None:
        raise ValidationError(_("Staff must belong to a department."), field="department")
    if user.id == actor.id and role is not Role.ADMIN:
        raise Conflict(_("You cannot remove your own administrator role."), field="role")
    if user.role is Role.ADMIN and role is not Role.ADMIN and _admin_count() <= 1:
        raise Conflict(_("This is the last administrator; make someone else an administrator first."), field="role")
    user.role = role
    user.department = department if role is Role.STAFF else None
    if role.needs_verification and verified:
        if user.verified_at is None:
            user.verified_at, user.verified_by = utcnow(), actor
    else:
        user.verified_at = None
        user.verified_by = None
    db.session.flush()
    signals.role_changed.send(signals.sender(), user=user, actor=actor)


def verify(actor: User, user: User) -> None:
    _require_admin(actor)
    if not user.role.needs_verification:
        raise ValidationError(_("Only staff and liaisons are verified."), field="role")
    if user.role is Role.STAFF and user.department_id is None:
        raise ValidationError(_("Staff must belong to a department."), field="department")
    user.verified_at, user.verified_by = utcnow(), actor
    db.session.flush()
    signals.role_changed.send(signals.sender(), user=user, actor=actor)


def revoke(actor: User, user: User) -> None:
    """Withdraw verification: the user keeps the account and acts as a plain resident."""
    _require_admin(actor)
    user.verified_at = None
    user.verified_by = None
    db.session.flush()
    signals.role_changed.send(signals.sender(), user=user, actor=actor)


def _admin_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN)) or 0


def create_admin(email: str, password: str, display_name: str = "Administrator") -> User:
    """Used by `flask users create-admin`: makes a new admin, or promotes an existing account."""
    user = find_user_by_email(email)
    if user is None:
        user = register_user(display_name, email, password)
    user.role = Role.ADMIN
    user.department = None
    db.session.flush()
    return user
