"""Locale choice: the signed-in user's setting, then the visitor's switcher choice, then Accept-Language;
and the templates' gettext, with the catalog looked up once per request."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_translations
from flask_login import current_user

SESSION_KEY = "locale"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    chosen = session.get(SESSION_KEY)
    if chosen is not None and chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def request_translations():
    """This request's catalog, found once rather than for each of the forty-odd strings of a page (Flask-Babel
    walks its domain, context and locale on every call: a tenth of an issue page's time).

    Kept in Flask-Babel's own per-request namespace under the key that its refresh() clears and force_locale()
    saves, blanks and restores, so a language switch, or an e-mail rendered in the recipient's language
    during someone else's request, still gets the right catalog (tests/test_i18n.py)."""
    babel_ctx = g.get("_flask_babel") if g else None
    if babel_ctx is None:
        return get_translations()
    found = getattr(babel_ctx, "babel_translations", None)
    if found is None:
        found = babel_ctx.babel_translations = get_translations()
    return found


def install_template_gettext(app: Flask) -> None:
    """Replace the callables Flask-Babel gave Jinja with the same ones over request_translations()."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
