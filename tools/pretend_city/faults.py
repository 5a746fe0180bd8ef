"""How real GeoReport v2 servers misbehave: the helpers behind SandboxCity's misbehaviour knobs.

city.py reads the knobs (plain attributes, checked here when set) once per request and calls these to shape
its answers: missing endpoints, error bodies that are not the spec's array, integer ids, records without their
null fields, date filters applied backwards or not at all. Standard library only, like city.py.
"""

from __future__ import annotations

import json
from datetime import datetime

# Knobs with a fixed set of values (the first is the default, today's behaviour); ints are taken as their text.
CHOICES: dict[str, tuple[str, ...]] = {
    "missing_style": ("json", "html", "georeport"),
    "date_filters": ("honour", "inverted", "ignored"),
    "id_filter": ("honour", "ignored"),
    "error_style": ("georeport", "own", "text"),
    "unknown_id": ("404", "empty"),
    "page_param": ("ignored", "400", "500"),
}
# What `missing_endpoints` may name: a path's first segment, or "service_definition" for services/{code} alone.
ROUTE_NAMES = ("services", "service_definition", "requests", "tokens", "servicerequestupdates")
PAGE_SIZE = "page_size"  # default_list_limit's default: a listing is cut at page_size, as for an id list

# A city of five services whose names share no word with civic's categories (for `services_override`).
OTHER_CITY_SERVICES: list[dict] = [
    {"service_code": "STRDEF", "service_name": "Street Defect", "group": "Public Works"},
    {"service_code": "LGTFLT", "service_name": "Lighting Fault", "group": "Public Works"},
    {"service_code": "SANVIO", "service_name": "Sanitation Violation", "group": "Environment"},
    {"service_code": "ABNAUT", "service_name": "Abandoned Auto", "group": "Transport"},
    {"service_code": "DNGTRE", "service_name": "Dangerous Tree", "group": "Parks"},
]
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
OVERRIDE_AGENCY, OVERRIDE_NOTICE = "City Services", ""

# An Express server without the route; nginx in front of a server without it.
NGINX_404 = (
    b"<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center>"
    b"<hr><center>nginx</center></body></html>"
)

# error_style "own": {"type", "code", "message"}; the type follows the HTTP status, the code the refusal.
ERROR_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    500: "internal_error",
}
ERROR_CODES = {
    400: "INVALID_PARAMETER",
    401: "AUTH_MISSING",
    403: "AUTH_MISSING",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    500: "INTERNAL_ERROR",
}


def check_knob(name: str, value):
    """The value to store for knob `name`; ValueError for one the knob does not know. Other names pass."""
    if name in CHOICES:
        text = str(value)
        if text not in CHOICES[name]:
            raise ValueError(f"unknown {name} {value!r}; one of {', '.join(CHOICES[name])}")
        return text
    if name == "missing_endpoints":
        names = {value} if isinstance(value, str) else set(value)
        unknown = names - set(ROUTE_NAMES)
        if unknown:
            raise ValueError(f"unknown missing_endpoints {sorted(unknown)}; of {', '.join(ROUTE_NAMES)}")
        return names
    if name == "default_list_limit" and not (value is None or value == PAGE_SIZE or isinstance(value, int)):
        raise ValueError(f"default_list_limit is an int, None or {PAGE_SIZE!r}, not {value!r}")
    return value


def route_names(route: list[str]) -> set[str]:
    """The names `missing_endpoints` matches a path by: ["services", "POTHOLE"] -> services, service_definition."""
    if not route:
        return set()
    names = {route[0]}
    if route[0] == "services" and len(route) == 2:
        names.add("service_definition")
    return names


def missing_page(style: str, method: str) -> tuple[str, bytes]:
    """Content type and body of a 404 for an endpoint the server does not have (style json or html)."""
    if style == "html":
        return "text/html", NGINX_404
    return "application/json; charset=utf-8", json.dumps({"message": f"{method} endpoint not available"}).encode()


def error_page(style: str, status: int, description: str, code: str | None, message: str | None) -> tuple[str, bytes]:
    """Content type and body of an error answer in error_style "own" or "text" (whatever the path's format)."""
    if style == "text":
        return "text/plain; charset=utf-8", description.encode()
    own = {
        "type": ERROR_TYPES.get(status, "error"),
        "code": code or ERROR_CODES.get(status, "ERROR"),
        "message": message or description,
    }
    return "application/json; charset=utf-8", json.dumps(own).encode()


def catalogue_entry(service: dict) -> dict:
    """A `services_override` entry as the city holds a service: the listing's fields (defaults filled in) plus
    agency_responsible, service_notice and attributes, which may be given in the entry and are not listed."""
    attributes = [dict(a) for a in service.get("attributes", [])]
    entry = {
        "service_code": str(service["service_code"]),
        "service_name": service.get("service_name", str(service["service_code"])),
        "description": service.get("description", ""),
        "metadata": service.get("metadata", bool(attributes)),
        "type": service.get("type", "realtime"),
        "keywords": service.get("keywords", ""),
        "group": service.get("group", ""),
    }
    entry.update(
        agency_responsible=service.get("agency_responsible", OVERRIDE_AGENCY),
        service_notice=service.get("service_notice", OVERRIDE_NOTICE),
        attributes=attributes,
    )
    return entry


def listing(entry: dict) -> dict:
    return {f: entry[f] for f in SERVICE_FIELDS if f in entry}


def date_window(
    style: str, start: datetime | None, end: datetime | None
) -> tuple[datetime | None, datetime | None, bool]:
    """The (lower, upper) bounds a server with `date_filters` = style applies, and whether it checks them."""
    if style == "ignored":
        return None, None, False
    if style == "inverted":  # start_date is taken as the upper bound, end_date as the lower one
        return end, start, False
    return start, end, True


def reshape(
    kind: str,
    data,
    *,
    numbers: dict[str, int] | None,
    omit_nulls: bool,
    omit_service_fields: bool,
):
    """An answer's data as a misbehaving server sends it: integer service codes and ids (`numbers` maps each
    code to its integer), request records without service_code/service_name, records without null fields."""
    if kind == "definition":
        return _numbered(data, numbers) if numbers else data
    if kind not in ("services", "requests", "updates"):
        return data
    out = []
    for item in data:
        if numbers:
            item = _numbered(item, numbers)
        if omit_service_fields and kind == "requests":
            item = {k: v for k, v in item.items() if k not in ("service_code", "service_name")}
        if omit_nulls and kind != "services":
            item = {k: v for k, v in item.items() if v is not None}
        out.append(item)
    return out


def _numbered(record: dict, numbers: dict[str, int]) -> dict:
    record = dict(record)
    if record.get("service_code") in numbers:
        record["service_code"] = numbers[record["service_code"]]
    rid = record.get("service_request_id")
    if isinstance(rid, str) and rid.isdigit():
        record["service_request_id"] = int(rid)
    return record
