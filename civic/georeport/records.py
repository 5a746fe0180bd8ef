"""civic's things as GeoReport v2 records: discovery, a category as a service, an issue as a service
request, a status change as an update (FixMyStreet's extension).

Only what an anonymous visitor sees on an issue page leaves here: its text, place, category and status
history. No reporter, no on-behalf name or contact, no comments, no internal notes. Datetimes are written
in the city's time zone with its offset, e.g. "2026-11-24T05:00:00-05:00".

Extended statuses in updates (UPDATE_STATUS): acknowledged -> investigating, in_progress -> in_progress,
fixed -> fixed, reopened -> open, closed -> the closed reason in FixMyStreet's words (duplicate,
not_councils_responsibility, no_further_action, unable_to_fix), or "closed" when the reason is unknown or
the issue has changed since.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, request, url_for

from civic.georeport.params import city_zone
from civic.issues.models import OPEN_STATUSES, Category, Issue, IssueStatus, StatusChange
from civic.issues.places import issue_block_label
from civic.staff.models import ClosedReason

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00+00:00"  # when this server's GeoReport interface last changed
FORMATS = ["application/json", "text/xml"]

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


def when(value: datetime | None) -> str:
    return value.astimezone(city_zone()).isoformat(timespec="seconds") if value is not None else ""


def base_url() -> str:
    return url_for("georeport.services", fmt="json", _external=True).rsplit("/", 1)[0]


def discovery() -> dict:
    root = request.url_root
    config = current_app.config
    return {
        "changeset": CHANGESET,
        "contact": config.get("OPEN311_CONTACT") or f"civic, {config['CITY_NAME']}: {root}",
        "key_service": config.get("OPEN311_KEY_SERVICE") or f"API keys are issued by the administrators of {root}",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url(),
                "changeset": CHANGESET,
                "type": "production",
                "formats": FORMATS,
            }
        ],
    }


def service(category: Category) -> dict:
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


def service_definition(category: Category) -> dict:
    """civic asks no extra attributes of its own: always []."""
    return {"service_code": category.slug, "attributes": []}


def service_request(issue: Issue) -> dict:
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
        "requested_datetime": when(issue.created_at),
        "updated_datetime": when(updated),
        "expected_datetime": "",
        "address": issue.address or issue_block_label(issue) or "",  # typed by the resident, else the block
        "address_id": "",
        "zipcode": "",
        "lat": issue.lat,
        "long": issue.lon,
        "media_url": url_for("media.photo", key=photo.key, _external=True) if photo is not None else "",
    }


def created(issue: Issue) -> dict:
    """The POST's reply: the id at once, never a token."""
    return {"service_request_id": str(issue.id), "service_notice": "", "account_id": ""}


def _update_status(change: StatusChange, issue: Issue, latest_change_id: int) -> str:
    if change.to_status is IssueStatus.CLOSED and change.id == latest_change_id and issue.status is IssueStatus.CLOSED:
        return CLOSED_REASON_STATUS.get(issue.closed_reason or "", "closed")
    return UPDATE_STATUS[change.to_status]


def update(change: StatusChange, issue: Issue, latest_change_id: int) -> dict:
    return {
        "update_id": str(change.id),
        "service_request_id": str(issue.id),
        "status": _update_status(change, issue, latest_change_id),
        "updated_datetime": when(change.created_at),
        "description": change.reason or "",
        "media_url": "",
    }
