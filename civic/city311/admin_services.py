"""What the admin pages for the city's 311 link (civic/admin/open311.py) ask of this domain: an endpoint's
settings, each endpoint's health and queue, the outbox rows waiting or refused, the connection test, the
service list fetched again and mapped to categories. Writes only flush (the request commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from civic.city311 import health, services_list
from civic.city311.client import CityRefused, CityUnavailable, EndpointMissing, GeoReportClient, Open311Error
from civic.city311.models import CityService, Endpoint, Submission, SubmissionState
from civic.database import utcnow
from civic.errors import NotFound, ValidationError
from civic.extensions import db
from civic.issues.models import Category

WAITING = (SubmissionState.QUEUED, SubmissionState.AWAITING_TOKEN)
STUCK = (*WAITING, SubmissionState.FAILED)
FORMATS = ("json", "xml")
PAGE_SIZES = (1, 1000)
TEST_TIMEOUT = 5.0  # seconds per call while an admin waits for the page
PROBE = "civic-probe"  # a made-up token: "not found" means the tokens endpoint exists


# --- reading ------------------------------------------------------------------------------------


@dataclass
class EndpointHealth:
    endpoint: Endpoint
    missing: list[str]  # optional endpoints found missing (health.missing_endpoints)
    waiting: int  # queued or waiting for a token
    oldest_waiting_at: datetime | None
    failed: int

    @property
    def oldest_waiting_age(self) -> timedelta | None:
        return utcnow() - self.oldest_waiting_at if self.oldest_waiting_at else None


def get_endpoint(endpoint_id: int) -> Endpoint:
    endpoint = db.session.get(Endpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_("No such 311 endpoint."))
    return endpoint


def endpoint_health() -> list[EndpointHealth]:
    """Every endpoint, with its health and its part of the outbox."""
    endpoints = list(db.session.scalars(select(Endpoint).order_by(Endpoint.name)))
    waiting: dict[int, tuple[int, datetime | None]] = {
        endpoint_id: (count, oldest)
        for endpoint_id, count, oldest in db.session.execute(
            select(Submission.endpoint_id, func.count(), func.min(Submission.created_at))
            .where(Submission.state.in_(WAITING))
            .group_by(Submission.endpoint_id)
        )
    }
    failed: dict[int, int] = {
        endpoint_id: count
        for endpoint_id, count in db.session.execute(
            select(Submission.endpoint_id, func.count())
            .where(Submission.state == SubmissionState.FAILED)
            .group_by(Submission.endpoint_id)
        )
    }
    rows = []
    for endpoint in endpoints:
        count, oldest = waiting.get(endpoint.id, (0, None))
        if oldest is not None and oldest.tzinfo is None:  # SQLite's MIN() gives the stored text back, naive
            oldest = oldest.replace(tzinfo=utcnow().tzinfo)
        missing = health.missing_endpoints(endpoint)
        rows.append(EndpointHealth(endpoint, missing, count, oldest, failed.get(endpoint.id, 0)))
    return rows


def stuck_submissions(limit: int = 200) -> list[Submission]:
    """Submissions waiting (queued, token) or refused (failed), the refused first, then the oldest."""
    order = (Submission.state != SubmissionState.FAILED, Submission.created_at, Submission.id)
    return list(
        db.session.scalars(
            select(Submission)
            .options(joinedload(Submission.issue), joinedload(Submission.endpoint))
            .where(Submission.state.in_(STUCK))
            .order_by(*order)
            .limit(limit)
        )
    )


def count_stuck() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission).where(Submission.state.in_(STUCK))) or 0


def unmapped_categories(endpoint: Endpoint | None = None) -> list[Category]:
    """Active categories no city service is mapped to (on this endpoint, or on any active one): issues of
    these are not sent to 311."""
    mapped = select(CityService.category_id).where(CityService.category_id.is_not(None))
    if endpoint is not None:
        mapped = mapped.where(CityService.endpoint_id == endpoint.id)
    else:
        mapped = mapped.join(Endpoint, Endpoint.id == CityService.endpoint_id).where(Endpoint.active.is_(True))
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.active.is_(True), Category.id.not_in(mapped))
            .order_by(Category.position, Category.name)
        )
    )


def services_of(endpoint: Endpoint) -> list[CityService]:
    return list(
        db.session.scalars(
            select(CityService).where(CityService.endpoint_id == endpoint.id).order_by(CityService.service_name)
        )
    )


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


# --- endpoint settings ----------------------------------------------------------------------------


def check_base_url(base_url: str) -> str:
    url = (base_url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            _("Give the address of the city's GeoReport server, starting with http:// or https://."), field="base_url"
        )
    if parts.path.rstrip("/").endswith(("services.json", "services.xml")):
        raise ValidationError(
            _("Give the address before services.json, e.g. https://city.example/open311/v2/."), field="base_url"
        )
    if parts.query or parts.fragment:
        raise ValidationError(_("The address takes no ?query or #fragment."), field="base_url")
    return url


def save_endpoint_settings(
    endpoint: Endpoint | None,
    *,
    name: str,
    base_url: str,
    api_key: str | None = None,
    clear_api_key: bool = False,
    jurisdiction_id: str | None = None,
    fmt: str = "json",
    page_size: int = 50,
    needs_address: bool = False,
    active: bool = True,
) -> Endpoint:
    """Create (endpoint None) or update an endpoint. The key is write-only: a blank `api_key` keeps the
    stored one, `clear_api_key` removes it."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError(_("Give the endpoint a name of at most 120 characters."), field="name")
    taken = db.session.scalar(select(Endpoint.id).where(Endpoint.name == name))
    if taken is not None and (endpoint is None or taken != endpoint.id):
        raise ValidationError(_("Another endpoint is called “%(name)s”.", name=name), field="name")
    url = check_base_url(base_url)
    if len(url) > 500:
        raise ValidationError(_("The address is too long."), field="base_url")
    if fmt not in FORMATS:
        raise ValidationError(_("Choose JSON or XML."), field="format")
    if not PAGE_SIZES[0] <= int(page_size) <= PAGE_SIZES[1]:
        raise ValidationError(_("The page size is between 1 and 1000."), field="page_size")
    key = (api_key or "").strip()
    if len(key) > 200:
        raise ValidationError(_("The API key is too long."), field="api_key")
    endpoint = endpoint or Endpoint()
    endpoint.name, endpoint.base_url = name, url
    if clear_api_key:
        endpoint.api_key = None
    elif key:
        endpoint.api_key = key
    endpoint.jurisdiction_id = (jurisdiction_id or "").strip() or None
    endpoint.format, endpoint.page_size = fmt, int(page_size)
    endpoint.needs_address, endpoint.active = bool(needs_address), bool(active)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


# --- the connection test ----------------------------------------------------------------------------


@dataclass
class Check:
    ok: bool
    text: str


def _city_words(error: Exception) -> str:
    if isinstance(error, CityRefused):
        return _("the city said: %(text)s", text=str(error))
    return str(error)


def _search(client: GeoReportClient) -> None:
    """GET requests, read the way the client reads every list: raises what `_call` would."""
    answer = client.fetch("GET", "requests", params={"status": "open"})
    if answer.status >= 500:
        raise CityUnavailable(f"the city answered {answer.status}" + (f": {answer.message}" if answer.message else ""))
    if answer.status == 404 and answer.kind in ("error_array", "empty", "data"):
        return  # "nothing found", the way some cities say it
    if answer.status >= 400 or answer.kind == "error_array":
        raise CityRefused(answer.message or f"the city refused the request ({answer.status})", answer.status)
    if answer.kind in ("html", "text", "error_body"):
        raise CityUnavailable(
            f"the city answered something that is not GeoReport {client.fmt.upper()}: {answer.message!r}"
        )


def check_connection(endpoint: Endpoint, client: GeoReportClient | None = None) -> list[Check]:
    """Ask the city for its service list, a search, and the optional endpoints; record what was found on
    the endpoint's health. Never raises for what the city answers."""
    client = client or GeoReportClient.for_endpoint(endpoint, timeout=TEST_TIMEOUT)
    checks: list[Check] = []
    errors: list[Exception] = []

    try:
        count = len(client.services())
    except Open311Error as exc:
        errors.append(exc)
        checks.append(Check(False, _("Service list: %(error)s", error=_city_words(exc))))
        if isinstance(exc, CityUnavailable):
            checks.append(Check(False, _("The other checks were not tried: the city did not answer.")))
            health.failed(endpoint, exc)
            return checks
    else:
        checks.append(Check(True, ngettext("Service list: %(num)d service", "Service list: %(num)d services", count)))
        if client.fmt != endpoint.format:
            checks.append(Check(True, _("The city answers in XML only: choose the XML format.")))

    try:
        _search(client)
    except Open311Error as exc:
        errors.append(exc)
        checks.append(Check(False, _("Search: %(error)s", error=_city_words(exc))))
    else:
        checks.append(Check(True, _("Search: answered")))

    now = utcnow()
    _probe(
        endpoint,
        "servicerequestupdates",
        lambda: client.updates(now - timedelta(days=1), now),
        checks,
        errors,
        label=_("Status updates (servicerequestupdates)"),
        missing=_("Status updates (servicerequestupdates): not offered by this city — statuses come from GET requests"),
    )
    _probe(
        endpoint,
        "tokens",
        lambda: client.ticket_for_token(PROBE),
        checks,
        errors,
        label=_("Tokens"),
        missing=_("Tokens: not offered by this city — tickets are looked up by civic's reference instead"),
    )

    if errors:
        health.failed(endpoint, errors[-1])
    else:
        health.succeeded(endpoint)
    db.session.flush()
    return checks


def _probe(
    endpoint: Endpoint, name: str, call, checks: list[Check], errors: list[Exception], *, label, missing
) -> None:
    """Ask one optional endpoint; record on the endpoint whether the city has it, and say so in `checks`."""
    try:
        call()
    except EndpointMissing as exc:
        health.record(endpoint, name, available=False, message=str(exc))
        checks.append(Check(True, missing))
    except Open311Error as exc:
        errors.append(exc)
        checks.append(Check(False, _("%(endpoint)s: %(error)s", endpoint=label, error=_city_words(exc))))
    else:
        health.record(endpoint, name, available=True)
        checks.append(Check(True, _("%(endpoint)s: offered", endpoint=label)))


# --- the service list and its categories ------------------------------------------------------------


def refresh_services(endpoint: Endpoint) -> tuple[list[CityService], str | None]:
    """Fetch the city's service list again (services_list.refresh). Returns the services and None, or what
    went wrong in the city's words (recorded on the endpoint's health; services read before the failure are
    kept: each one is whole)."""
    try:
        services = services_list.refresh(endpoint, GeoReportClient.for_endpoint(endpoint, timeout=TEST_TIMEOUT))
    except Open311Error as exc:
        health.failed(endpoint, exc)
        db.session.flush()
        return [], _city_words(exc)
    health.succeeded(endpoint)
    db.session.flush()
    return services, None


def suggestions(services: list[CityService], categories: list[Category]) -> dict[int, Category]:
    """A suggested category for each unmapped service (from its name: descriptions are not stored)."""
    active = [c for c in categories if c.active]
    found = {}
    for service in services:
        if service.category_id is None:
            guess = services_list.suggest_category(service.service_name, None, active)
            if guess is not None:
                found[service.id] = guess
    return found


def set_mappings(endpoint: Endpoint, mapping: dict[int, int | None]) -> int:
    """Map the endpoint's services (by id) to categories (by id, None: not sent to 311); returns how many
    changed."""
    services = {s.id: s for s in services_of(endpoint)}
    category_ids = set(db.session.scalars(select(Category.id)))
    changed = 0
    for service_id, category_id in mapping.items():
        service = services.get(service_id)
        if service is None:
            raise ValidationError(_("That service is not on this endpoint's list any more. Reload the page."))
        if category_id is not None and category_id not in category_ids:
            raise ValidationError(_("That category does not exist any more. Reload the page."))
        if service.category_id != category_id:
            service.category_id = category_id
            changed += 1
    db.session.flush()
    return changed
