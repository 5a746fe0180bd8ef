"""Home page, /healthz and the language switcher."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from civic.accounts import services as account_services
from civic.accounts.forms import LanguageForm
from civic.core import bp
from civic.extensions import db, limiter
from civic.i18n import SESSION_KEY
from civic.web import safe_next


@bp.get("/")
def index():
    from civic.issues.views_browse import home_page

    return home_page()


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """For load balancers and benchmarks: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:  # answered 503: the unit of work rolls back
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status


@bp.post("/language/<locale>")
def set_language(locale: str):
    form = LanguageForm()
    target = safe_next(form.next.data or request.referrer and _path_of(request.referrer), url_for("core.index"))
    if locale not in current_app.config["LANGUAGES"] or not form.validate_on_submit():
        flash(_("That language is not available."), "error")
        return redirect(target)
    session[SESSION_KEY] = locale
    if current_user.is_authenticated:
        account_services.set_locale(current_user, locale)
    refresh()
    return redirect(target)


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
