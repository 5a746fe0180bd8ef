"""Error responses: an HTML page for people, a JSON body under /api/. Never a bare 500 from user input."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from civic.errors import DomainError
from civic.extensions import db

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
        413: (_("That upload is too large"), _("Choose smaller files (photos up to a few megabytes each) and try again.")),
        429: (_("Too many attempts"), _("Please wait a few minutes before trying again.")),
        500: (_("Something went wrong on our side"), _("It is not your fault. Please try again in a moment.")),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/")


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
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=title, message=message, explanation=explanation), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
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
        response = render_error(exc.code, None, exc)
        if exc.code == 405 and exc.valid_methods:  # keep the Allow header
            body, status = response
            return body, status, {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc.original_exception)
        db.session.rollback()  # the failed request's transaction must not leak into the error page
        return render_error(500, None, exc)
