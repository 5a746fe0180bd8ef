"""The OpenAPI 3 document of /api/v1, generated from the code: every API view carries an `@operation(...)`
(summary, responses, and the pydantic models of its query string and body, civic/api/schemas.py, the very
models the view validates the request with), and `document()` walks the app's URL map to assemble them. A
test checks that every /api/v1 route is documented, and schemathesis checks the API against this document.

Conventions it describes: errors are {"error": {"code", "message", "field"}} (a 429 adds "retry_after");
lists are paginated as {"items", "page", "per_page", "total", "pages"} with ?page= and ?per_page=; writes
need a personal API token (Authorization: Bearer …) or, from the site itself, the session and X-CSRFToken."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask

from civic.api.schemadoc import body_schemas, query_parameters
from civic.api.schemas import QueryModel, RequestModel

NULLABLE_STRING = {"type": "string", "nullable": True}
DATE_TIME = {"type": "string", "format": "date-time"}
SHOW_NAME = {
    "type": "boolean",
    "description": 'Neighbours see the name next to my reports and comments; otherwise "a neighbour".',
}

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": NULLABLE_STRING},
            },
            "retry_after": {"type": "integer", "description": "Seconds to wait (429 only), as in Retry-After."},
        },
    },
    "Point": {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        },
    },
    "IssueProperties": {
        "type": "object",
        "required": [
            "id",
            "title",
            "category",
            "category_label",
            "status",
            "status_label",
            "upvotes",
            "comments",
            "created_at",
            "url",
            "place",
            "thumb",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "category": {"type": "string"},
            "category_label": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "acknowledged", "in_progress", "fixed", "closed"]},
            "status_label": {"type": "string"},
            "upvotes": {"type": "integer"},
            "comments": {"type": "integer"},
            "neighbourhood": NULLABLE_STRING,
            "place": {
                "type": "string",
                "description": 'The block ("1400 block of E Columbia Ave"), else the neighbourhood',
            },
            "created_at": DATE_TIME,
            "url": {"type": "string"},
            "thumb": {**NULLABLE_STRING, "description": "The first photo's thumbnail URL."},
            "distance_m": {"type": "integer"},
            "upvoted": {"type": "boolean"},
            "mine": {"type": "boolean", "description": "Reported by the caller (/issues/nearby): no vote to add."},
        },
    },
    "IssueFeature": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": {"$ref": "#/components/schemas/Point"},
            "properties": {"$ref": "#/components/schemas/IssueProperties"},
        },
    },
    "ClusterFeature": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": {"$ref": "#/components/schemas/Point"},
            "properties": {
                "type": "object",
                "required": ["cluster", "count"],
                "properties": {"cluster": {"type": "boolean"}, "count": {"type": "integer"}},
            },
        },
    },
    "IssueCollection": {
        "type": "object",
        "required": ["type", "features", "total", "clustered"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/IssueFeature"},
                        {"$ref": "#/components/schemas/ClusterFeature"},
                    ]
                },
            },
            "total": {"type": "integer"},
            "clustered": {"type": "boolean"},
        },
    },
    "NearbyCollection": {
        "type": "object",
        "required": ["type", "features", "radius_m"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/IssueFeature"}},
            "radius_m": {"type": "number"},
        },
    },
    "IssueDetail": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": {"$ref": "#/components/schemas/Point"},
            "properties": {
                "allOf": [
                    {"$ref": "#/components/schemas/IssueProperties"},
                    {
                        "type": "object",
                        "required": ["description", "reporter", "upvoted", "photos"],
                        "properties": {
                            "description": {"type": "string"},
                            "reporter": {"type": "string"},
                            "upvoted": {"type": "boolean"},
                            "photos": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"url": {"type": "string"}, "thumbnail": {"type": "string"}},
                                },
                            },
                        },
                    },
                ]
            },
        },
    },
    "Category": {
        "type": "object",
        "required": ["id", "slug", "name", "department"],
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "department": {"type": "string"},
        },
    },
    "Place": {
        "type": "object",
        "required": ["label", "lat", "lon", "source"],
        "properties": {
            "label": {"type": "string"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            # The street gazetteer, the configured geocoder, or a neighbourhood's name.
            "source": {"type": "string", "enum": ["street", "geocoder", "neighbourhood"]},
        },
    },
    "UpvoteResult": {
        "type": "object",
        "required": ["issue_id", "upvoted", "upvotes"],
        "properties": {"issue_id": {"type": "integer"}, "upvoted": {"type": "boolean"}, "upvotes": {"type": "integer"}},
    },
    "Me": {
        "type": "object",
        "required": ["id", "display_name", "show_name", "role", "verified"],
        "properties": {
            "id": {"type": "integer"},
            "display_name": {"type": "string"},
            "show_name": SHOW_NAME,
            "role": {"type": "string"},
            "verified": {"type": "boolean"},
            "department": NULLABLE_STRING,
            "locale": NULLABLE_STRING,
            "home": {
                "type": "object",
                "nullable": True,
                "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}, "neighbourhood": NULLABLE_STRING},
            },
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "issue_id", "author", "body", "official", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "issue_id": {"type": "integer"},
            "author": {"type": "string"},
            "body": {"type": "string"},
            "official": {"type": "boolean"},
            "department": NULLABLE_STRING,
            "created_at": DATE_TIME,
            "edited_at": {**DATE_TIME, "nullable": True},
        },
    },
    "FollowResult": {
        "type": "object",
        "required": ["issue_id", "following"],
        "properties": {"issue_id": {"type": "integer"}, "following": {"type": "boolean"}},
    },
    "Event": {
        "type": "object",
        "required": [
            "id",
            "title",
            "description",
            "starts_at",
            "ends_at",
            "meeting_point",
            "lat",
            "lon",
            "capacity",
            "going",
            "waiting",
            "cancelled",
            "url",
            "issue_ids",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "starts_at": DATE_TIME,
            "ends_at": DATE_TIME,
            "meeting_point": {"type": "string"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "capacity": {"type": "integer", "nullable": True},
            "going": {"type": "integer"},
            "waiting": {"type": "integer"},
            "what_to_bring": NULLABLE_STRING,
            "cancelled": {"type": "boolean"},
            "url": {"type": "string"},
            "issue_ids": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "RsvpResult": {
        "type": "object",
        "required": ["event_id", "status"],
        "properties": {
            "event_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["going", "waitlisted", "not_going", "none"]},
            "waiting_position": {"type": "integer", "nullable": True},
            "checkin_code": NULLABLE_STRING,
        },
    },
}


def page_of(item_schema: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "pages"],
        "properties": {
            "items": {"type": "array", "items": ref(item_schema)},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "pages": {"type": "integer"},
        },
    }


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_ERROR_TEXT = {
    400: "Bad input; the message says what to change.",
    401: "Sign in, or send a valid API token.",
    403: "Not allowed for this account.",
    404: "Not found.",
    409: "In conflict with the current state.",
    429: "Too many requests; wait Retry-After seconds.",
}


def operation(
    summary: str,
    *,
    ok: dict | None = None,
    status: int = 200,
    query: type[QueryModel] | None = None,
    body: type[RequestModel] | None = None,
    body_required: bool = True,
    errors: tuple[int, ...] = (),
    write: bool = False,
    description: str | None = None,
) -> Callable:
    """Describe an API view for the OpenAPI document. `ok` is the success body's schema; `query` and `body`
    the request's models (civic/api/schemas.py), which the view validates the request with; `errors` the
    error statuses it may answer (400, 404 …); `write` adds 401/403/429 and the security requirement."""

    def mark(view: Callable) -> Callable:
        meta = {
            "summary": summary,
            "ok": ok,
            "status": status,
            "query": query,
            "body": body,
            "body_required": body_required,
            "errors": sorted(set(errors) | ({401, 403, 429} if write else {429})),
            "write": write,
            "description": description or (view.__doc__ or "").strip() or None,
        }
        view.openapi = meta  # type: ignore[attr-defined]  # a mark on the function, read back by document()
        return view

    return mark


_CONVERTER = re.compile(r"<(?:(int|string|path):)?(\w+)>")


def _path_and_params(rule: str) -> tuple[str, list[dict]]:
    params = []

    def swap(match: re.Match) -> str:
        kind, name = match.group(1) or "string", match.group(2)
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
                if kind == "int"
                else {"type": "string"},
            }
        )
        return "{" + name + "}"

    return _CONVERTER.sub(swap, rule), params


def _responses(meta: dict) -> dict:
    ok: dict = {"description": "Success."}
    if meta["ok"] is not None:
        ok["content"] = {"application/json": {"schema": meta["ok"]}}
    responses: dict[str, dict] = {str(meta["status"]): ok}
    for code in meta["errors"]:
        responses[str(code)] = {
            "description": _ERROR_TEXT[code],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    return responses


def document(app: Flask) -> dict:
    """The whole document, from the app's /api/v1 routes and their @operation marks."""
    paths: dict[str, dict] = {}
    bodies: set[type[RequestModel]] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        meta = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if meta is None:
            continue
        path, path_params = _path_and_params(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = {
                "operationId": rule.endpoint.removeprefix("api.") + ("" if method == "GET" else f"_{method.lower()}"),
                "summary": meta["summary"],
                "parameters": path_params + (query_parameters(meta["query"]) if meta["query"] else []),
                "responses": _responses(meta),
            }
            if meta["description"]:
                op["description"] = meta["description"]
            if meta["body"]:
                op["requestBody"] = {
                    "required": meta["body_required"],
                    "content": {"application/json": {"schema": ref(meta["body"].__name__)}},
                }
            if meta["write"]:
                op["security"] = [{"bearerToken": []}, {"session": []}]
            paths.setdefault(path, {})[method.lower()] = op
            if meta["body"]:
                bodies.add(meta["body"])
    return {
        "openapi": "3.0.3",
        "info": {"title": "civic API", "version": "1", "description": (__doc__ or "").split("\n\n", 1)[1].strip()},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {
                **SCHEMAS,
                **body_schemas(sorted(bodies, key=lambda model: model.__name__)),
                "CommentPage": page_of("Comment"),
                "EventPage": page_of("Event"),
            },
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token, made at /account/api-tokens.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRFToken",
                    "description": "The site's own pages: the session cookie plus the CSRF token.",
                },
            },
        },
    }


def documented_endpoints(app: Flask) -> tuple[set[str], set[str]]:
    """(API endpoints, those with an @operation) — for the test that nothing goes undocumented."""
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    return endpoints, {e for e in endpoints if getattr(app.view_functions[e], "openapi", None)}
