"""Error responses: an HTML page for people, a JSON body under /api/. Never a bare 500 from user input."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from civic.database import abandon, fits_id
from civic.errors import DomainError
from civic.ratelimits import seconds_to_wait, wait_message
from civic.request_guard import nul_error

log = logging.getLogger(__name__)


def _messages() -> dict[int, tuple[str, str]]:
    """Title and explanation per status, in the visitor's language."""
    return {
        400: (_("Something in that request was not right"), _("Go back, check what you entered and try again.")),
        401: (_("Please sign in"), _("You need to sign in to do that.")),
        403: (_("You cannot open this page"), _("Your account does not have access to it.")),
        404: (_("Page not found"), _("The page may have moved, or the address may be mistyped.")),
        405: (_("That action is not possible here"), _("Go back and use the page's buttons.")),
        409: (_("That conflicts with something already saved"), _("Reload the page and try again.")),
        413: (
            _("That upload is too large"),
            _("Choose smaller files (photos up to a few megabytes each) and try again."),
        ),
        429: (_("Too many attempts"), _("Please wait a few minutes before trying again.")),
        500: (_("Something went wrong on our side"), _("It is not your fault. Please try again in a moment.")),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/")


def prefers_json() -> bool:
    """A script asking for JSON (Accept: application/json, not a browser's text/html)."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _code_name(status: int, exc: Exception | None) -> str:
    if isinstance(exc, DomainError):
        return exc.code
    if isinstance(exc, CSRFError):
        return "csrf_failed"
    name = exc.name if isinstance(exc, HTTPException) else HTTP_STATUS_CODES.get(status, "error")
    return name.lower().replace(" ", "_").replace("'", "")


def render_error(status: int, message: str | None = None, exc: Exception | None = None):
    title, explanation = _messages().get(status, _messages()[500 if status >= 500 else 400])
    if wants_json():
        body = {"error": {"code": _code_name(status, exc), "message": message or title}}
        if isinstance(exc, DomainError) and exc.field:
            body["error"]["field"] = exc.field  # the input the message is about
        return jsonify(body), status
    return render_template(
        "errors/error.html", status=status, title=title, message=message, explanation=explanation
    ), status


def render_rate_limited(exc: Exception):
    """429: how long to wait, as a page for people or {"error": {...}, "retry_after": N} for scripts, with a
    Retry-After header (in seconds) either way."""
    seconds = seconds_to_wait(exc)
    wait = wait_message(seconds)
    headers = {"Retry-After": str(seconds)}
    if wants_json() or prefers_json():
        title = _messages()[429][0]
        message = exc.message if isinstance(exc, DomainError) else f"{title}. {wait}"
        body = {"error": {"code": _code_name(429, exc), "message": message}, "retry_after": seconds}
        return jsonify(body), 429, headers
    message = exc.message if isinstance(exc, DomainError) else wait
    body, status = render_error(429, message, exc)
    return body, status, headers


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        if exc.status_code == 429:
            return render_rate_limited(exc)
        return render_error(exc.status_code, exc.message, exc)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(
            400, _("This form has expired or was sent from another site. Reload the page and send it again."), exc
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code == 429:  # a rate limit (Flask-Limiter's RateLimitExceeded) or abort(429)
            return render_rate_limited(exc)
        response = render_error(exc.code, None, exc)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:  # keep the Allow header
            body, status = response
            return body, status, {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(OverflowError)  # SQLite: a number too large for an INTEGER column
    @app.errorhandler(DataError)  # PostgreSQL: the same, and other values a column cannot hold
    def out_of_range(exc: Exception):
        """A value from the request that no column can hold: the request is wrong, not the server. An id in the
        address beyond any row's is a page that does not exist; text with a NUL character (PostgreSQL refuses
        it, should it get past the request guard) is named as such."""
        abandon()
        if any(isinstance(v, int) and not fits_id(v) for v in (request.view_args or {}).values()):
            return render_error(404, None, exc)
        if "NUL" in str(exc):
            return render_error(400, nul_error().message, exc)
        return render_error(400, _("A number in the request is out of range."), exc)

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc.original_exception)
        abandon()  # the failed request's transaction must not leak into the error page
        return render_error(500, None, exc)
