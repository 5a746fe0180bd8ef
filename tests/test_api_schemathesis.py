"""schemathesis against /api/v1, all of its checks: for every operation in the OpenAPI document, requests
the document calls valid are accepted (positive data acceptance) and those it calls invalid are refused with a
4xx (negative data rejection), none gets a 5xx, and every response conforms to the document (status codes,
content types, headers, bodies).

A bounded run here (API_FUZZ_EXAMPLES per operation, default 12); `make api-fuzz` runs the longer one.
The database holds a few issues, comments and an event, so generated ids sometimes hit real rows."""

from __future__ import annotations

import copy
import os
import re
from collections import Counter
from datetime import datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks

from civic.accounts.models import User
from civic.api.tokens import create_token
from civic.database import unit_of_work
from civic.extensions import db
from tests.conftest import FISHTOWN

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))

# Every check schemathesis has, listed so that none can be left out quietly.
ALL_CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.positive_data_acceptance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.allow_header_conformance,
    checks.use_after_free,
    checks.ensure_resource_availability,
    checks.ignored_auth,
]


# Rate limits are tested in tests/test_rate_limits.py; here they would only turn the fuzzing into 429s.
NO_LIMITS = {
    name: ""
    for name in (
        "API_READ_RATE_LIMIT",
        "API_WRITE_RATE_LIMIT",
        "REPORT_RATE_LIMIT",
        "COMMENT_RATE_LIMIT",
        "UPVOTE_RATE_LIMIT",
    )
}


@pytest.fixture
def api_world(make_app, make_user, make_issue):
    """An app with data, and the headers of a resident calling with a personal API token."""
    app = make_app(**NO_LIMITS)
    from civic.events import services as events
    from civic.issues import services

    resident = make_user()
    issue_id = make_issue(resident)
    make_issue(title="Another pothole")
    starts = (datetime.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    with app.test_request_context(), unit_of_work():
        user = db.session.get(User, resident.id)
        services.add_comment(user, services.get_issue(issue_id), "Still there")
        events.create_event(
            user,
            title="Tidy",
            description="",
            starts_local=starts,
            ends_local=starts + timedelta(hours=1),
            meeting_point="Gate",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
            capacity=2,
        )
        _token, plaintext = create_token(user, "schemathesis")
    # schemathesis calls the WSGI app directly and asks for gzip without decoding it: bodies come plain here
    # (compression has its own tests, tests/test_compression.py).
    return app, {"Authorization": f"Bearer {plaintext}", "Accept-Encoding": "identity"}


# The services are stricter than a schema can say in four places, three of which the document states in words:
# a point must be inside one of the city's neighbourhoods (the document bounds it by the city's box), a category
# must exist, and a bbox's corners must be in order and at most 2 degrees apart (the document gives its form);
# the fourth is attribute codes (below).
# For valid requests only, those values are narrowed further, to ones the services accept (points near
# Fishtown, the categories api_world has), so every valid request generated must be accepted; and path ids
# to the rows api_world made (ids 1..3), so those requests reach real issues and events and their bodies are
# checked, not only 404s. Invalid requests come from the document as served: what it calls invalid must be
# refused (an id the narrowed copy leaves out may be a real issue, made by a valid POST).
REAL_IDS = {"issue_id": 3, "event_id": 1}
NEAR = 0.002  # degrees around FISHTOWN: well inside its neighbourhood
BBOX_NEAR_FISHTOWN = r"^-75\.1[34]\d{0,3},39\.9[67]\d{0,3},-75\.1[12]\d{0,3},39\.9[89]\d{0,3}$"


def _inside_the_city(schema: dict, name: str) -> None:
    centre = FISHTOWN[0] if name == "lat" else FISHTOWN[1]
    schema.update(minimum=round(centre - NEAR, 6), maximum=round(centre + NEAR, 6))


def _only_what_the_services_accept(document: dict, category_ids: list[int], slugs: list[str]) -> dict:
    for operations in document["paths"].values():
        for op in operations.values():
            for param in op.get("parameters", []):
                name, schema = param["name"], param["schema"]
                if param["in"] == "path" and name in REAL_IDS:
                    param["schema"] = {"type": "integer", "minimum": 1, "maximum": REAL_IDS[name]}
                elif param["in"] == "query" and name in ("lat", "lon"):
                    _inside_the_city(schema, name)
                elif name == "bbox":
                    schema["pattern"] = BBOX_NEAR_FISHTOWN
                elif name == "category":  # comma-separated, as the service reads it; empty is no filter
                    known = "|".join(re.escape(slug) for slug in slugs)
                    schema["pattern"] = rf"^\s*({known})?\s*(,\s*({known})?\s*)*$"
    report = document["components"]["schemas"]["NewIssue"]["properties"]
    report["category_id"]["enum"] = category_ids
    # Attribute codes are the city's own (its service definitions); api_world's categories ask none, and a
    # code holding a NUL is refused before any service (the document cannot bound keys in OpenAPI 3.0).
    report["attributes"] = {"type": "object", "additionalProperties": False, "nullable": True}
    for name in ("lat", "lon"):
        _inside_the_city(report[name], name)
    return document


def _schemas(app) -> dict[GenerationMode, schemathesis.BaseSchema]:
    client = app.test_client()
    categories = client.get("/api/v1/categories").get_json()
    served = client.get("/api/v1/openapi.json").get_json()
    narrowed = _only_what_the_services_accept(
        copy.deepcopy(served), [c["id"] for c in categories], [c["slug"] for c in categories]
    )
    schemas = {
        GenerationMode.POSITIVE: schemathesis.openapi.from_dict(narrowed),
        GenerationMode.NEGATIVE: schemathesis.openapi.from_dict(served),
    }
    for schema in schemas.values():
        schema.app = app
    return schemas


def test_api_conforms_to_its_openapi_document(api_world):
    """Every operation, valid then invalid generated requests; all failures are reported together."""
    app, headers = api_world
    calls, failures = Counter(), []
    for mode, schema in _schemas(app).items():
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case):
                calls[operation.label] += 1  # noqa: B023 - run() is called right below, in this iteration
                case.call_and_validate(headers=headers, checks=ALL_CHECKS)

            try:
                run()
            except Unsatisfiable:  # no parameters and no body: there is no invalid request to make
                continue
            except Exception as failure:  # noqa: BLE001 - collect every operation's failure, then report
                inner = "\n".join(str(e) for e in getattr(failure, "exceptions", ()))
                failures.append(f"{operation.label} ({mode.value}): {failure}\n{inner}")
    print(f"\nschemathesis: {sum(calls.values())} calls over {len(calls)} operations, {len(failures)} failing")
    assert not failures, "\n\n".join(failures)
