"""civic's own GeoReport v2 (Open311) endpoint, under /open311/v2, so other 311 apps can read and submit
requests. Every resource answers in JSON (`.json`) and XML (`.xml`); any other extension is a 404.

    GET  discovery.{fmt}                 where this endpoint is and what it speaks
    GET  services.{fmt}                  one service per active category (service_code = category slug)
    GET  services/{code}.{fmt}           its definition: civic has no extra attributes, so always []
    GET  requests.{fmt}                  issues, newest first (filters below), at most 1000 per page
    GET  requests/{id}.{fmt}             one issue, in an array
    POST requests.{fmt}                  report an issue as the api_key's user (answered at once)
    GET  tokens/{token}.{fmt}            always 404: civic answers POST with the id, never a token
    GET  servicerequestupdates.{fmt}     status changes (FixMyStreet's extension), oldest first

Choices this module makes (the spec leaves them open):

- Datetimes are written in the city's time zone (BABEL_DEFAULT_TIMEZONE, America/New_York) with its
  offset, e.g. "2026-11-24T05:00:00-05:00". start_date/end_date without an offset are read in that zone;
  "+" turned into a space by an unencoded query string is read as "+".
- A location must be lat+long: civic needs a point inside the city. address_string alone is refused
  (400), it is not geocoded (a street name would land on a neighbourhood's centre); sent with lat+long
  it becomes the issue's address.
- POST's issue title is the description's first ~80 characters, or "Service request".
- POST replies 200 (what most GeoReport clients check for) with service_request_id, never a token.
- Extended statuses in servicerequestupdates (see UPDATE_STATUS): acknowledged -> investigating,
  in_progress -> in_progress, fixed -> fixed, reopened -> open, closed -> the closed reason in
  FixMyStreet's words (duplicate, not_councils_responsibility, no_further_action, unable_to_fix), or
  "closed" when the reason is unknown or the issue has changed since.
- Errors are arrays of {code, description} (XML: <errors><error>) with the HTTP status, on every path
  under /open311/, including unknown paths, wrong methods and crashes: never the site's HTML pages.
- POST is rate limited per address (OPEN311_POST_RATE_LIMIT, 30 per hour): a 429 error array whose
  description says how long to wait, with the seconds in a Retry-After header.

Nothing personal leaves here: no reporter, no on-behalf name or contact, no comments, no internal notes.
Only what an anonymous visitor sees on an issue page (its text, place, category and status history).
"""
from __future__ import annotations

import logging
import math
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import HTTPException, InternalServerError

from civic.database import utcnow
from civic.errors import DomainError, PermissionDenied, ValidationError
from civic.extensions import csrf, db
from civic.issues import services as issue_services
from civic.issues.models import OPEN_STATUSES, Category, Issue, IssueStatus, StatusChange
from civic.open311 import keys
from civic.open311 import xml as georeport_xml
from civic.ratelimits import limited, seconds_to_wait, wait_message
from civic.staff.models import ClosedReason

log = logging.getLogger(__name__)

bp = Blueprint("open311_server", __name__, url_prefix="/open311/v2")

ERROR_PATH_PREFIX = "/open311/"  # every error under here is a GeoReport error array
FMT = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00+00:00"  # when this server's GeoReport interface last changed
FORMATS = ["application/json", "text/xml"]
MAX_WINDOW = timedelta(days=90)
PAGE_SIZE_MAX = 1000
PAGE_MAX = 1_000_000  # keeps OFFSET within what every database accepts
TITLE_LENGTH = 80
DEFAULT_TITLE = "Service request"  # stored data, not interface text: not translated
MAX_DB_ID = 2**31 - 1  # larger numbers are no issue of ours (and PostgreSQL's integer would refuse them)

CLOSED_STATUSES = (IssueStatus.FIXED, IssueStatus.CLOSED)
UPDATE_STATUS = {
    IssueStatus.OPEN: "open",  # only ever a reopening: the report itself is not an update
    IssueStatus.ACKNOWLEDGED: "investigating",
    IssueStatus.IN_PROGRESS: "in_progress",
    IssueStatus.FIXED: "fixed",
    IssueStatus.CLOSED: "closed",
}
CLOSED_REASON_STATUS = {
    ClosedReason.DUPLICATE.value: "duplicate",
    ClosedReason.NOT_RESPONSIBLE.value: "not_councils_responsibility",
    ClosedReason.NO_FURTHER_ACTION.value: "no_further_action",
    ClosedReason.CANNOT_LOCATE.value: "unable_to_fix",
}


# --- responses --------------------------------------------------------------------------------

def _respond(fmt: str, data, *, root: str, item: str | None = None, status: int = 200, headers=None) -> Response:
    """`data` as JSON, or as XML under `root` (a list: one `item` element per record; a dict: its fields)."""
    if fmt == "xml":
        # List items are named by their container without the "s": endpoints/endpoint, formats/format.
        body = georeport_xml.dumps(root, item, data) if item is not None else georeport_xml.dumps_object(root, data)
        response = Response(body, status=status, content_type=f"{georeport_xml.XML_MIMETYPE}; charset=utf-8")
    else:
        response = current_app.json.response(data)
        response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def _format_of_request() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in ("json", "xml"):
        return fmt
    return "xml" if request.path.lower().endswith(".xml") else "json"


def error_response(status: int, description: str, headers=None) -> Response:
    return _respond(_format_of_request(), [{"code": status, "description": description}],
                    root="errors", item="error", status=status, headers=headers)


def _http_description(exc: HTTPException) -> str:
    # The site's own (already translated) titles where there is one; werkzeug's text otherwise.
    known = {
        400: _("Something in that request was not right"),
        404: _("Page not found"),
        405: _("That action is not possible here"),
        413: _("That upload is too large"),
        429: _("Too many attempts"),
    }
    return str(known.get(exc.code) or exc.description or exc.name)


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc  # redirects (e.g. a missing trailing slash) stay redirects
    if exc.code == 429:  # rate limited: the wait in the description and, for machines, in Retry-After
        seconds = seconds_to_wait(exc)
        return error_response(429, f"{_http_description(exc)}. {wait_message(seconds)}",
                              {"Retry-After": str(seconds)})
    headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else None
    return error_response(exc.code, _http_description(exc), headers)


@bp.errorhandler(HTTPException)
def _blueprint_http_error(exc: HTTPException):
    return _http_error(exc)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    return error_response(exc.status_code, exc.message)


@bp.errorhandler(InternalServerError)
def _internal_error(exc: InternalServerError):
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc.original_exception)
    db.session.rollback()  # the failed request's transaction must not leak into the next one
    return error_response(500, _("Something went wrong on our side"))


def _app_fallback(exc: HTTPException):
    """What the site answers without us: the first class-based handler Flask would have tried next."""
    for name in (*request.blueprints, None):
        handlers = current_app.error_handler_spec[name][None]
        for cls in type(exc).__mro__:
            handler = handlers.get(cls)
            if handler is not None:
                return handler(exc)
    return exc


# Unknown URLs and wrong methods match no view, so no blueprint handler sees them: catch those two on the
# app, answer for paths under /open311/ and hand every other path back to the site's own handlers.
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _routing_error(exc: HTTPException):
    if request.path.startswith(ERROR_PATH_PREFIX):
        return _http_error(exc)
    return _app_fallback(exc)


# --- helpers ----------------------------------------------------------------------------------

def _city_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def _datetime(value: datetime | None) -> str:
    return value.astimezone(_city_zone()).isoformat(timespec="seconds") if value is not None else ""


def _base_url() -> str:
    return url_for("open311_server.services", fmt="json", _external=True).rsplit("/", 1)[0]


def _comma_list(name: str) -> list[str]:
    return [part.strip() for part in request.args.get(name, "").split(",") if part.strip()]


def _issue_id(value: str) -> int | None:
    value = value.strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_DB_ID else None


def _page() -> tuple[int, int]:
    """?page (from 1) and ?page_size (1 to 1000, default 1000)."""
    try:
        page = int(request.args.get("page") or 1)
        size = int(request.args.get("page_size") or PAGE_SIZE_MAX)
    except ValueError:
        page = size = 0
    if not 1 <= page <= PAGE_MAX or not 1 <= size <= PAGE_SIZE_MAX:
        raise ValidationError(_("page must be a whole number from 1, and page_size one from 1 to %(n)d.",
                                n=PAGE_SIZE_MAX))
    return page, size


_SPACE_FOR_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def _parse_datetime(name: str) -> datetime | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(_SPACE_FOR_PLUS.sub(r"\1+\2", raw))
    except ValueError:
        raise ValidationError(_("%(name)s must be an ISO 8601 date and time, e.g. 2026-11-24T10:00:00-05:00.",
                                name=name), field=name) from None
    return parsed.replace(tzinfo=_city_zone()) if parsed.tzinfo is None else parsed


def _window() -> tuple[datetime, datetime]:
    """start_date..end_date, at most 90 days; one alone reaches 90 days from it; neither: the last 90 days."""
    start, end = _parse_datetime("start_date"), _parse_datetime("end_date")
    if start is None and end is None:
        end = utcnow()
    try:
        if start is None:
            start = end - MAX_WINDOW
        if end is None:
            end = start + MAX_WINDOW
    except OverflowError:  # 90 days from the year 1 or 9999
        raise ValidationError(_("start_date and end_date may be at most 90 days apart."), field="end_date") from None
    if end < start:
        raise ValidationError(_("end_date must not be before start_date."), field="end_date")
    if end - start > MAX_WINDOW:
        raise ValidationError(_("start_date and end_date may be at most 90 days apart."), field="end_date")
    return start, end


def _active_category(code: str) -> Category | None:
    return db.session.scalar(
        select(Category).options(joinedload(Category.department))
        .where(Category.slug == code, Category.active.is_(True))
    )


# --- discovery and services -------------------------------------------------------------------

@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str):
    root = request.url_root
    config = current_app.config
    data = {
        "changeset": CHANGESET,
        "contact": config.get("OPEN311_CONTACT") or f"civic, {config['CITY_NAME']}: {root}",
        "key_service": config.get("OPEN311_KEY_SERVICE") or f"API keys are issued by the administrators of {root}",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": _base_url(),
            "changeset": CHANGESET,
            "type": "production",
            "formats": FORMATS,
        }],
    }
    return _respond(fmt, data, root="discovery")


def _service_record(category: Category) -> dict:
    description = category.name
    if category.name_es and category.name_es != category.name:
        description = f"{category.name} (es: {category.name_es})"
    return {
        "service_code": category.slug,
        "service_name": category.name,
        "description": f"{description}. {category.department.name}.",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": category.department.name,
    }


@bp.get(f"/services.{FMT}")
def services(fmt: str):
    categories = db.session.scalars(
        select(Category).options(joinedload(Category.department)).where(Category.active.is_(True))
        .order_by(Category.position, Category.name)
    )
    return _respond(fmt, [_service_record(c) for c in categories], root="services", item="service")


def _unknown_service(code: str) -> str:
    return _("There is no service %(code)s.", code=code[:60])


@bp.get(f"/services/<code>.{FMT}")
def service_definition(code: str, fmt: str):
    category = _active_category(code)
    if category is None:
        return error_response(404, _unknown_service(code))
    return _respond(fmt, {"service_code": category.slug, "attributes": []}, root="service_definition")


# --- requests ---------------------------------------------------------------------------------

def _issue_query():
    return select(Issue).where(Issue.hidden_at.is_(None)).options(
        joinedload(Issue.category).joinedload(Category.department),
        selectinload(Issue.photos),
        selectinload(Issue.status_changes),
    )


def _request_record(issue: Issue) -> dict:
    """One issue as a GeoReport request: only what the public issue page shows."""
    changes = issue.status_changes
    latest = changes[-1] if changes else None
    updated = max([issue.updated_at, *(c.created_at for c in changes)])
    photo = issue.photos[0] if issue.photos else None
    return {
        "service_request_id": str(issue.id),
        "status": "open" if issue.status in OPEN_STATUSES else "closed",
        "status_notes": (latest.reason or "") if latest is not None else "",
        "service_name": issue.category.name,
        "service_code": issue.category.slug,
        "description": issue.description,
        "agency_responsible": issue.category.department.name,
        "service_notice": "",
        "requested_datetime": _datetime(issue.created_at),
        "updated_datetime": _datetime(updated),
        "expected_datetime": "",
        "address": issue.address or "",
        "address_id": "",
        "zipcode": "",
        "lat": issue.lat,
        "long": issue.lon,
        "media_url": url_for("media.photo", key=photo.key, _external=True) if photo is not None else "",
    }


def _requests_response(fmt: str, issues) -> Response:
    return _respond(fmt, [_request_record(i) for i in issues], root="service_requests", item="request")


@bp.get(f"/requests.{FMT}")
def requests_list(fmt: str):
    page, size = _page()
    stmt = _issue_query()
    ids = _comma_list("service_request_id")
    if ids:  # overrides every other filter
        wanted = {n for n in map(_issue_id, ids[:PAGE_SIZE_MAX]) if n is not None}
        stmt = stmt.where(Issue.id.in_(wanted))
    else:
        start, end = _window()
        stmt = stmt.where(Issue.created_at >= start, Issue.created_at <= end)
        codes = _comma_list("service_code")
        if codes:
            stmt = stmt.where(Issue.category_id.in_(select(Category.id).where(Category.slug.in_(codes))))
        states = {s.lower() for s in _comma_list("status")}
        if states - {"open", "closed"}:
            raise ValidationError(_("status must be open or closed."), field="status")
        if states == {"open"}:
            stmt = stmt.where(Issue.status.in_(OPEN_STATUSES))
        elif states == {"closed"}:
            stmt = stmt.where(Issue.status.in_(CLOSED_STATUSES))
    stmt = stmt.order_by(Issue.created_at.desc(), Issue.id.desc()).limit(size).offset((page - 1) * size)
    return _requests_response(fmt, db.session.scalars(stmt).unique())


@bp.get(f"/requests/<request_id>.{FMT}")
def request_detail(request_id: str, fmt: str):
    number = _issue_id(request_id)
    issue = db.session.scalars(_issue_query().where(Issue.id == number)).first() if number else None
    if issue is None:
        return error_response(404, _("There is no service request %(id)s.", id=request_id[:40]))
    return _requests_response(fmt, [issue])


def _title_from(description: str) -> str:
    """The description's first ~80 characters, cut at a word; "Service request" when there is too little."""
    text = " ".join((description or "").split())
    if len(text) < issue_services.TITLE_MIN:
        return DEFAULT_TITLE
    if len(text) <= TITLE_LENGTH:
        return text
    cut = text[:TITLE_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-")
    if len(cut) < TITLE_LENGTH // 2:  # one very long word: cut inside it
        cut = text[:TITLE_LENGTH - 1]
    return cut + "…"


def _point() -> tuple[float, float]:
    raw_lat, raw_long = request.form.get("lat", "").strip(), request.form.get("long", "").strip()
    if not raw_lat or not raw_long:
        raise ValidationError(_("lat and long are required."), field="lat")
    try:
        lat, lon = float(raw_lat), float(raw_long)
    except ValueError:
        lat = lon = math.nan
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValidationError(_("lat and long must be numbers."), field="lat")
    return lat, lon


@bp.post(f"/requests.{FMT}")
@csrf.exempt  # authenticated by api_key, not by a session: there is no session to forge requests with
@limited("OPEN311_POST_RATE_LIMIT")  # per address: a partner app's server has one
def create_request(fmt: str):
    form = request.form
    user = keys.user_for_key(form.get("api_key"))
    if user is None:
        raise PermissionDenied(_("A valid api_key is required."))
    code = form.get("service_code", "").strip()
    if not code:
        raise ValidationError(_("service_code is required."), field="service_code")
    category = _active_category(code)
    if category is None:
        raise ValidationError(_unknown_service(code), field="service_code")
    lat, lon = _point()
    description = form.get("description", "")
    # Deliberately ignored:
    # - email, first_name, last_name, phone (and device_id, account_id): civic has no place for a
    #   resident's contact details on an issue, and must never show them publicly, so they are neither
    #   stored nor echoed. The issue is the api_key user's own report (on_behalf_* stay empty).
    # - media_url: civic stores only photos it has processed itself; fetching remote images is not done yet.
    # - jurisdiction_id: civic serves one city. attribute[...] fields go to the validating hooks, as the
    #   form's do (the city's required attributes, where the category is mapped to a city service).
    draft = issue_services.IssueDraft(
        category_id=category.id, title=_title_from(description), description=description, lat=lat, lon=lon,
        address=form.get("address_string") or None, extra_fields=form.to_dict(flat=False),
    )
    # ValidationError -> 400, PermissionDenied -> 403
    issue = issue_services.report_issue(user, draft, origin="georeport")
    return _respond(fmt, [{"service_request_id": str(issue.id), "service_notice": "", "account_id": ""}],
                    root="service_requests", item="request")


@bp.get(f"/tokens/<token>.{FMT}")
def token_status(token: str, fmt: str):
    return error_response(404, _("There are no tokens here: civic answers each POST with its "
                                 "service_request_id at once."))


# --- updates (FixMyStreet's extension) ---------------------------------------------------------

def _update_status(change: StatusChange, issue: Issue, latest_change_id: int) -> str:
    if change.to_status is IssueStatus.CLOSED and change.id == latest_change_id and issue.status is IssueStatus.CLOSED:
        return CLOSED_REASON_STATUS.get(issue.closed_reason or "", "closed")
    return UPDATE_STATUS[change.to_status]


@bp.get(f"/servicerequestupdates.{FMT}")
def updates(fmt: str):
    page, size = _page()
    start, end = _window()
    rows = db.session.execute(
        select(StatusChange, Issue).join(Issue, Issue.id == StatusChange.issue_id)
        .where(StatusChange.from_status.is_not(None),  # the report's own "open" row is not an update
               StatusChange.created_at >= start, StatusChange.created_at <= end)
        .order_by(StatusChange.created_at, StatusChange.id).limit(size).offset((page - 1) * size)
    ).all()
    issue_ids = {issue.id for _change, issue in rows}
    latest = dict(db.session.execute(
        select(StatusChange.issue_id, func.max(StatusChange.id))
        .where(StatusChange.issue_id.in_(issue_ids)).group_by(StatusChange.issue_id)
    ).all()) if issue_ids else {}
    records = [{
        "update_id": str(change.id),
        "service_request_id": str(issue.id),
        "status": _update_status(change, issue, latest.get(issue.id, 0)),
        "updated_datetime": _datetime(change.created_at),
        "description": change.reason or "",
        "media_url": "",
    } for change, issue in rows]
    return _respond(fmt, records, root="service_request_updates", item="request_update")
