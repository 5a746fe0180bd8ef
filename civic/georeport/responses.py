"""The answers of civic's GeoReport endpoint: JSON or XML by the path's extension, and its errors.

Errors are arrays of {code, description} (XML: <errors><error>) with the HTTP status, on every path under
/open311/, including unknown paths, wrong methods and crashes: never the site's HTML pages. A 429 (POSTs
are rate limited per address) says how long to wait, with the seconds in a Retry-After header. A failed
request's transaction is rolled back by the request's unit of work (civic/database.py): nothing here
touches the session.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from civic.errors import DomainError
from civic.georeport import xml as georeport_xml
from civic.ratelimits import seconds_to_wait, wait_message

log = logging.getLogger(__name__)

ERROR_PATH_PREFIX = "/open311/"  # every error under here is a GeoReport error array


def respond(fmt: str, data, *, root: str, item: str | None = None, status: int = 200, headers=None) -> Response:
    """`data` as JSON, or as XML under `root` (a list: one `item` element per record; a dict: its fields)."""
    if fmt == "xml":
        # List items are named by their container without the "s": endpoints/endpoint, formats/format.
        body = georeport_xml.dumps(root, item, data) if item is not None else georeport_xml.dumps_object(root, data)
        response = Response(body, status=status, content_type=f"{georeport_xml.XML_MIMETYPE}; charset=utf-8")
    else:
        response = current_app.json.response(data)  # type: ignore[assignment]  # a flask Response at run time
        response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def service_requests(fmt: str, records: Iterable[dict]) -> Response:
    return respond(fmt, list(records), root="service_requests", item="request")


def _format_of_request() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in ("json", "xml"):
        return fmt
    return "xml" if request.path.lower().endswith(".xml") else "json"


def error_response(status: int, description: str, headers=None) -> Response:
    return respond(
        _format_of_request(),
        [{"code": status, "description": description}],
        root="errors",
        item="error",
        status=status,
        headers=headers,
    )


def _http_description(exc: HTTPException) -> str:
    # The site's own (already translated) titles where there is one; werkzeug's text otherwise.
    known = {
        400: _("Something in that request was not right"),
        404: _("Page not found"),
        405: _("That action is not possible here"),
        413: _("That upload is too large"),
        429: _("Too many attempts"),
    }
    return str(known.get(exc.code or 0) or exc.description or exc.name)


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc  # redirects (e.g. a missing trailing slash) stay redirects
    if exc.code == 429:  # rate limited: the wait in the description and, for machines, in Retry-After
        seconds = seconds_to_wait(exc)
        return error_response(429, f"{_http_description(exc)}. {wait_message(seconds)}", {"Retry-After": str(seconds)})
    methods = getattr(exc, "valid_methods", None)
    headers = {"Allow": ", ".join(methods)} if methods else None
    return error_response(exc.code, _http_description(exc), headers)


def _app_fallback(exc: HTTPException):
    """What the site answers without us: the first class-based handler Flask would have tried next."""
    for name in (*request.blueprints, None):
        handlers = current_app.error_handler_spec[name][None]
        for cls in type(exc).__mro__:
            handler = handlers.get(cls)
            if handler is not None:
                return handler(exc)
    return exc


def register_error_handlers(bp: Blueprint) -> None:
    """Error arrays for the endpoint's own errors, and for unknown URLs and wrong methods under /open311/."""

    @bp.errorhandler(HTTPException)
    def _blueprint_http_error(exc: HTTPException):
        return _http_error(exc)

    @bp.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        return error_response(exc.status_code, exc.message)

    @bp.errorhandler(InternalServerError)
    def _internal_error(exc: InternalServerError):
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc.original_exception)
        return error_response(500, _("Something went wrong on our side"))

    # Unknown URLs and wrong methods match no view, so no blueprint handler sees them: catch those two on
    # the app, answer for paths under /open311/ and hand every other path back to the site's own handlers.
    @bp.app_errorhandler(404)
    @bp.app_errorhandler(405)
    def _routing_error(exc: HTTPException):
        if request.path.startswith(ERROR_PATH_PREFIX):
            return _http_error(exc)
        return _app_fallback(exc)
