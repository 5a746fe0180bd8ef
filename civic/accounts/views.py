"""Registration, sign-in and out, password reset, profile, role requests."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms import SelectChoice

from civic.accounts import bp, services, signup
from civic.accounts.forms import (
    ChangePasswordForm,
    ConfirmRegistrationForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    RoleRequestForm,
)
from civic.accounts.models import Department, Role
from civic.accounts.tokens import user_from_reset_token
from civic.errors import DomainError, InvalidToken
from civic.extensions import db
from civic.geo import neighbourhoods
from civic.i18n import SESSION_KEY
from civic.ratelimits import RateLimited, limited
from civic.web import invalid_status, safe_next, show_error, submit_form


@bp.route("/register", methods=["GET", "POST"])
@limited("REGISTER_RATE_LIMIT")
def register():
    """Sign-up, step one: the same answer whether or not the address has an account (see the service)."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            signup.start_registration(
                form.display_name.data, form.email.data, locale=_current_locale(), show_name=form.show_name.data
            )
        except DomainError as error:
            status = show_error(form, error)
            return render_template("accounts/register.html", form=form), status
        flash(
            _(
                "We have sent an e-mail to %(email)s. Open the link in it to finish signing up; "
                "if nothing arrives in a few minutes, look in your spam folder.",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for("accounts.registration_sent"))
    return render_template("accounts/register.html", form=form), invalid_status(form)


@bp.get("/register/sent")
def registration_sent():
    return render_template("accounts/register_sent.html")


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@limited("REGISTER_RATE_LIMIT")
def confirm_registration(token: str):
    """Sign-up, step two, from the e-mailed link: choose a password; the account is made and signed in."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    try:
        signup.pending_registration(token)
    except InvalidToken as error:
        return render_template("accounts/register_invalid.html", message=error.message), 400
    form = ConfirmRegistrationForm()
    if form.validate_on_submit():
        try:
            user = signup.complete_registration(token, form.password.data)
        except DomainError as error:
            status = show_error(form, error)
            return render_template("accounts/register_confirm.html", form=form), status
        login_user(user)
        refresh()
        flash(
            _(
                "Welcome to civic, %(name)s! Set your home neighbourhood to see issues near you.",
                name=user.display_name,
            ),
            "success",
        )
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/register_confirm.html", form=form), invalid_status(form)


@bp.route("/login", methods=["GET", "POST"])
@limited("LOGIN_RATE_LIMIT")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            status = show_error(form, error)
            # Locked for a while (too many failed sign-ins for this account): say for how long.
            headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else {}
            return render_template("accounts/login.html", form=form), status, headers
        login_user(user, remember=form.remember.data)
        refresh()  # the locale was chosen for a visitor: now it is the person's own
        flash(_("You are signed in."), "success")
        return redirect(safe_next(form.next.data, url_for("core.index")))
    return render_template("accounts/login.html", form=form), invalid_status(form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        if current_user.locale:  # signed out, the pages stay in the person's language
            session[SESSION_KEY] = current_user.locale
        # The session id is per person, not per device: every copy of the cookie ends, here and elsewhere.
        services.sign_out_everywhere(current_user._get_current_object())
        logout_user()
        refresh()
        flash(_("You are signed out on this device and any other."), "info")
    return redirect(url_for("core.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limited("RESET_RATE_LIMIT")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(
            _(
                "If an account uses %(email)s, we have sent it a link to choose a new password. "
                "It works for %(minutes)d minutes.",
                email=form.email.data,
                minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), invalid_status(form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    try:
        user_from_reset_token(token)
    except InvalidToken as error:
        return render_template("accounts/reset_invalid.html", message=error.message, form=ForgotPasswordForm()), 400
    if form.validate_on_submit():
        try:
            user, revoked = services.reset_password(token, form.password.data)
        except DomainError as error:
            status = show_error(form, error)
            return render_template("accounts/reset_password.html", form=form), status
        login_user(user)
        refresh()
        flash(
            _("Your password is changed and you are signed in. Other devices have been signed out.")
            + _tokens_revoked(revoked),
            "success",
        )
        return redirect(url_for("core.index"))
    return render_template("accounts/reset_password.html", form=form), invalid_status(form)


def _profile_form() -> ProfileForm:
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    form.home_neighbourhood.choices = [SelectChoice("", _("None chosen"))] + [
        SelectChoice(h.slug, h.name) for h in neighbourhoods.all_neighbourhoods()
    ]
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
        form.home_neighbourhood.data = current_user.home_neighbourhood or ""
    return form


def _role_form() -> RoleRequestForm:
    form = RoleRequestForm(
        formdata=request.form if request.method == "POST" else None,
        role=current_user.role.value,
        department=str(current_user.department_id or ""),
    )
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    form.department.choices = [SelectChoice("", _("Not city staff"))] + [
        SelectChoice(str(d.id), d.label) for d in departments
    ]
    return form


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = _profile_form()
    outcome = submit_form(
        form,
        lambda: services.update_profile(
            current_user,
            display_name=form.display_name.data,
            show_name=form.show_name.data,
            locale=form.locale.data or None,
            home_neighbourhood=form.home_neighbourhood.data or None,
            home_lat=form.home_lat.data,
            home_lon=form.home_lon.data,
        ),
    )
    if outcome.done:
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html",
        form=form,
        password_form=ChangePasswordForm(formdata=None),
        role_form=_role_form(),
    ), outcome.status


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    outcome = submit_form(
        form, lambda: services.change_password(current_user, form.current_password.data, form.password.data)
    )
    if outcome.done:
        login_user(
            current_user._get_current_object()
        )  # the session id changed with the nonce: keep this device signed in
        flash(
            _("Your password is changed. Other devices have been signed out.") + _tokens_revoked(outcome.result),
            "success",
        )
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html", form=_profile_form(), password_form=form, role_form=_role_form()
    ), outcome.status


@bp.post("/account/role")
@login_required
def request_role():
    form = _role_form()

    def ask():
        department = db.session.get(Department, int(form.department.data)) if form.department.data else None
        services.request_role(current_user, Role(form.role.data), department)

    outcome = submit_form(form, ask)
    if outcome.done:
        if current_user.awaiting_verification:
            flash(_("Thank you. An administrator will verify your role; until then you act as a resident."), "info")
        else:
            flash(_("Your role is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html",
        form=_profile_form(),
        password_form=ChangePasswordForm(formdata=None),
        role_form=form,
    ), outcome.status


def _tokens_revoked(count: int) -> str:
    """The end of the password-changed message: what happened to the person's API tokens, if they had any."""
    if not count:
        return ""
    return " " + ngettext(
        "Your %(num)d API token was revoked: make a new one for your scripts.",
        "Your %(num)d API tokens were revoked: make new ones for your scripts.",
        count,
    )


def _current_locale() -> str | None:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale) if locale else None
