"""How API callers are authenticated (personal API tokens, or the browser session plus X-CSRFToken).

Two kinds of caller reach /api/:

- **Scripts and apps** send `Authorization: Bearer civic_…` (a personal token, civic/api/tokens.py). The token
  alone says who they are: the session is never consulted, even when a cookie comes along too, and no session
  cookie is written for the request. A bad, revoked or suspended account's token is a 401 JSON error
  (`invalid_token`) with a `WWW-Authenticate: Bearer` header, never a fall back to the session. A browser
  cannot forge that header across sites, so these requests need no CSRF token.
- **The site's own pages** use the session cookie, which a forged cross-site request would carry too: their
  writes must send the page's CSRF token in the X-CSRFToken header.

So the api blueprint is exempt from Flask-WTF's global check, and `_csrf_for_session_callers` below runs
that same check itself for every request that is not bearer-authenticated (tests/test_csrf_everywhere.py
keeps the exemption reviewed and proves session writes are still refused without the header).

`init_app(app)` (called by create_app next to the user_loader) registers the Flask-Login request_loader,
the hooks that pin a bearer request's user before anything else asks who is signed in, and the session
interface that saves no session for such requests.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from civic.api import bp
from civic.api.tokens import user_for_token
from civic.errorpages import render_error
from civic.errors import InvalidToken
from civic.extensions import csrf, login_manager

API_PATH = "/api/"
CHALLENGE = 'Bearer realm="civic"'
_BEARER = "_api_bearer"  # on g: this request authenticates with a token (no session, no CSRF token)

csrf.exempt(bp)  # checked by _csrf_for_session_callers instead, for session callers only


def bearer_token(req) -> str | None:
    """The token of `Authorization: Bearer <token>` on an /api/ request ("" when the header has none);
    None when the request does not use a bearer token (or is not for the API)."""
    if not req.path.startswith(API_PATH):
        return None
    scheme, _sep, value = req.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def is_bearer_request() -> bool:
    return bool(g.get(_BEARER))


def load_user_from_request(req):
    """Flask-Login's request_loader: the user of a valid bearer token on an /api/ request, else None."""
    token = bearer_token(req)
    if token is None:
        return None
    return user_for_token(token)


def invalid_token_response():
    message = _("This API token is not valid: it is unknown or revoked, or its account is suspended.")
    body, status = render_error(401, message, InvalidToken(message))
    return body, status, {"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'}


def _authenticate_bearer() -> None:
    """First of all before_request hooks: who a bearer request is, from the token alone.

    Setting Flask-Login's g._login_user here means current_user never loads the session's user for this
    request (not for the rate limiter's key, not for the view)."""
    if bearer_token(request) is None:
        return
    g.setdefault(_BEARER, True)
    user = load_user_from_request(request)
    g._login_user = user if user is not None else login_manager.anonymous_user()


def _refuse_invalid_token():
    """After the rate limiter has counted the request: a bearer request without a valid token is a 401."""
    if is_bearer_request() and not current_user.is_authenticated:
        return invalid_token_response()
    return None


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@bp.before_request
def _csrf_for_session_callers():
    """Flask-WTF's check, as the rest of the site has it, for every API caller but bearer-token ones.

    A write with no credentials at all (no token, no signed-in session) is a 401 with the Bearer challenge:
    the caller needs to authenticate, a CSRF token would not help."""
    if is_bearer_request():
        return None
    if request.method not in _SAFE_METHODS and not current_user.is_authenticated:
        body, status = render_error(401, _("Sign in, or send an API token: Authorization: Bearer <token>."))
        return body, status, {"WWW-Authenticate": CHALLENGE}
    config = current_app.config
    if config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True):
        csrf.protect()  # raises CSRFError (a JSON 400, "csrf_failed") for a write without a valid X-CSRFToken
    return None


@bp.after_request
def _challenge(response):
    """Every 401 from the API says how to authenticate (RFC 6750)."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", CHALLENGE)
    return response


class _NoSessionForBearerRequests:
    """The app's session interface, except that a bearer-authenticated request never saves a session (so
    never sets a session cookie), whatever happened to `session` during it."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def save_session(self, app, session, response):
        if is_bearer_request():
            return None
        return self._inner.save_session(app, session, response)


def init_app(app: Flask) -> None:
    login_manager.request_loader(load_user_from_request)
    # Before every other hook (the rate limiter's key asks for current_user), so the session's user is
    # never loaded for a bearer request; the refusal comes after the limiter, so bad tokens are counted.
    app.before_request_funcs.setdefault(None, []).insert(0, _authenticate_bearer)
    app.before_request(_refuse_invalid_token)
    if not isinstance(app.session_interface, _NoSessionForBearerRequests):
        app.session_interface = _NoSessionForBearerRequests(app.session_interface)  # type: ignore[assignment]  # delegates the rest
