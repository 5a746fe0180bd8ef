"""/account/api-tokens: my personal API tokens. List them, create one (its token is shown on the answer page,
once), revoke one. The rules live in civic/api/tokens.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from civic.api import tokens
from civic.errors import DomainError
from civic.forms import ActionForm, strip_whitespace
from civic.web import show_error

bp = Blueprint("api_tokens", __name__)


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        description=_l("What you will use it for, for example “my phone app”."),
        filters=[strip_whitespace],
        validators=[
            DataRequired(_l("Give the token a name, so you can recognise it later.")),
            Length(max=tokens.NAME_MAX, message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "off", "maxlength": tokens.NAME_MAX},
    )


def _page(form: TokenForm, *, new_token: str | None = None, new_name: str | None = None, status: int = 200):
    return render_template(
        "api/tokens.html",
        form=form,
        action=ActionForm(),
        tokens=tokens.user_tokens(current_user),
        new_token=new_token,
        new_name=new_name,
        max_tokens=tokens.MAX_ACTIVE_TOKENS,
    ), status


@bp.get("/account/api-tokens")
@login_required
def index():
    return _page(TokenForm())


@bp.post("/account/api-tokens")
@login_required
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        token, plaintext = tokens.create_token(current_user, form.name.data)
    except DomainError as error:
        return _page(form, status=show_error(form, error))
    # Shown on this answer, never stored nor put in a flash message: a reload cannot show it again.
    return _page(TokenForm(formdata=None), new_token=plaintext, new_name=token.name)


@bp.post("/account/api-tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    token = tokens.revoke_token(current_user, token_id)  # someone else's: NotFound, a 404 page
    flash(_("Token “%(name)s” is revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
