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

Choices made here (the spec leaves them open; the parameters' own are in params.py, the records' in
records.py, the errors' in responses.py):

- address_string alone is refused (400), it is not geocoded (a street name would land on a
  neighbourhood's centre); sent with lat+long it becomes the issue's address.
- POST's issue title is the description's first ~80 characters, or "Service request".
- POST replies 200 (what most GeoReport clients check for) with service_request_id, never a token.
- POST is rate limited per address (OPEN311_POST_RATE_LIMIT, 30 per hour).
"""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _

from civic.errors import PermissionDenied, ValidationError
from civic.extensions import csrf
from civic.georeport import keys, params, queries, records
from civic.georeport.responses import error_response, register_error_handlers, respond, service_requests
from civic.issues import services as issue_services
from civic.ratelimits import limited

bp = Blueprint("georeport", __name__, url_prefix="/open311/v2")
register_error_handlers(bp)

FMT = "<any(json, xml):fmt>"


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str):
    return respond(fmt, records.discovery(), root="discovery")


@bp.get(f"/services.{FMT}")
def services(fmt: str):
    return respond(fmt, [records.service(c) for c in queries.active_categories()], root="services", item="service")


def _unknown_service(code: str) -> str:
    return _("There is no service %(code)s.", code=code[:60])


@bp.get(f"/services/<code>.{FMT}")
def service_definition(code: str, fmt: str):
    category = queries.active_category(code)
    if category is None:
        return error_response(404, _unknown_service(code))
    return respond(fmt, records.service_definition(category), root="service_definition")


@bp.get(f"/requests.{FMT}")
def requests_list(fmt: str):
    page, size = params.page()
    ids = params.comma_list("service_request_id")
    if ids:  # overrides every other filter
        wanted = {n for n in map(params.issue_id, ids[: params.PAGE_SIZE_MAX]) if n is not None}
        issues = queries.issues_by_id(wanted, page=page, size=size)
    else:
        start, end = params.window()
        codes, states = params.comma_list("service_code"), params.statuses()
        issues = queries.issues_between(start, end, codes=codes, statuses=states, page=page, size=size)
    return service_requests(fmt, map(records.service_request, issues))


@bp.get(f"/requests/<request_id>.{FMT}")
def request_detail(request_id: str, fmt: str):
    number = params.issue_id(request_id)
    issue = queries.issue(number) if number else None
    if issue is None:
        return error_response(404, _("There is no service request %(id)s.", id=request_id[:40]))
    return service_requests(fmt, [records.service_request(issue)])


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
    category = queries.active_category(code)
    if category is None:
        raise ValidationError(_unknown_service(code), field="service_code")
    lat, lon = params.point()
    description = form.get("description", "")
    # Deliberately ignored:
    # - email, first_name, last_name, phone (and device_id, account_id): civic has no place for a
    #   resident's contact details on an issue, and must never show them publicly, so they are neither
    #   stored nor echoed. The issue is the api_key user's own report (on_behalf_* stay empty).
    # - media_url: civic stores only photos it has processed itself; fetching remote images is not done yet.
    # - jurisdiction_id: civic serves one city. attribute[...] fields go to the validating hooks, as the
    #   form's do (the city's required attributes, where the category is mapped to a city service).
    draft = issue_services.IssueDraft(
        category_id=category.id,
        title=params.title_from(description),
        description=description,
        lat=lat,
        lon=lon,
        address=form.get("address_string") or None,
        extra_fields=form.to_dict(flat=False),
    )
    # ValidationError -> 400, PermissionDenied -> 403 (responses.py); the request's unit of work commits
    issue = issue_services.report_issue(user, draft, origin="georeport")
    return service_requests(fmt, [records.created(issue)])


@bp.get(f"/tokens/<token>.{FMT}")
def token_status(token: str, fmt: str):
    return error_response(
        404, _("There are no tokens here: civic answers each POST with its service_request_id at once.")
    )


@bp.get(f"/servicerequestupdates.{FMT}")
def updates(fmt: str):
    page, size = params.page()
    start, end = params.window()
    rows, latest = queries.status_updates(start, end, page=page, size=size)
    return respond(
        fmt,
        [records.update(change, issue, latest.get(issue.id, 0)) for change, issue in rows],
        root="service_request_updates",
        item="request_update",
    )
