"""schemathesis against /api/v1: for every operation in the OpenAPI document, generated requests (valid and
invalid) never get a 5xx, and every response conforms to the document (status codes, content types, bodies).

A bounded run here (API_FUZZ_EXAMPLES per operation, default 12); `make api-fuzz` runs the longer one.
The database holds a few issues, comments and an event, so generated ids sometimes hit real rows."""

from __future__ import annotations

import os
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

# Checks that do not fit an API with rules beyond its schema: a schema-valid body may still be refused
# (a point outside the city, a category that does not exist), and generated ids mostly point at nothing.
EXCLUDED_CHECKS = [checks.positive_data_acceptance, checks.ensure_resource_availability]


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


# Path ids narrowed, in this test's copy of the document only, to the rows api_world made (ids 1..3), so the
# generated requests reach real issues and events and their bodies are checked, not only 404s.
REAL_IDS = {"issue_id": 3, "event_id": 1}


def _aimed_at_real_rows(document: dict) -> dict:
    for operations in document["paths"].values():
        for op in operations.values():
            for param in op.get("parameters", []):
                if param["in"] == "path" and param["name"] in REAL_IDS:
                    param["schema"] = {"type": "integer", "minimum": 1, "maximum": REAL_IDS[param["name"]]}
    return document


def test_api_conforms_to_its_openapi_document(api_world):
    """Every operation, positive then negative generated requests; all failures are reported together."""
    app, headers = api_world
    schema = schemathesis.openapi.from_dict(
        _aimed_at_real_rows(app.test_client().get("/api/v1/openapi.json").get_json())
    )
    schema.app = app
    calls, failures = Counter(), []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

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
                case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)

            try:
                run()
            except Unsatisfiable:  # no parameters and no body: there is no invalid request to make
                continue
            except Exception as failure:  # noqa: BLE001 - collect every operation's failure, then report
                inner = "\n".join(str(e) for e in getattr(failure, "exceptions", ()))
                failures.append(f"{operation.label} ({mode.value}): {failure}\n{inner}")
    print(f"\nschemathesis: {sum(calls.values())} calls over {len(calls)} operations, {len(failures)} failing")
    assert not failures, "\n\n".join(failures)
