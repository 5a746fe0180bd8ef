"""The pretend city's switches for how real GeoReport v2 servers misbehave (tools/pretend_city/faults.py), one
test each over real HTTP: what a client sees (status, content type, body shape) when each is turned on."""

# ruff: noqa: F811 - the imported fixtures are named as test arguments
from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

# The sandbox tests' `city` (its clock at T0) and `http` fixtures, used here as they are (tests name them as
# arguments, which ruff reads as redefinitions).
from tests.test_open311_sandbox import T0, at, city, created_id, http, post, report, xml  # noqa: F401
from tools.pretend_city import SandboxCity
from tools.pretend_city.faults import NGINX_404, OTHER_CITY_SERVICES


def window(**around) -> dict:
    """A sane start_date..end_date window around T0 (start before end)."""
    return {"start_date": (T0 - timedelta(**around)).isoformat(), "end_date": (T0 + timedelta(**around)).isoformat()}


def ids(http, path="requests.json", **params) -> list:
    response = http.get(path, params=params)
    assert response.status_code == 200, response.text
    return [r["service_request_id"] for r in response.json()]


# --- knob values -------------------------------------------------------------------------------


def test_defaults_are_todays_behaviour(city):
    assert (city.missing_endpoints, city.missing_style, city.date_filters, city.post_delay_seconds) == (
        set(),
        "json",
        "honour",
        0.0,
    )
    assert (city.error_style, city.default_list_limit, city.integer_ids, city.post_status) == (
        "georeport",
        "page_size",
        False,
        200,
    )
    assert (city.unknown_id, city.omit_nulls, city.omit_service_fields, city.page_param) == (
        "404",
        False,
        False,
        "ignored",
    )
    assert city.api_key_in_body_only is True and city.services_override is None and city.response_log == []


@pytest.mark.parametrize(
    "name, value",
    [
        ("missing_style", "xml"),
        ("date_filters", "invert"),
        ("error_style", "json"),
        ("unknown_id", "410"),
        ("page_param", "404"),
        ("missing_endpoints", {"tokens", "reports"}),
        ("default_list_limit", "all"),
    ],
)
def test_unknown_knob_values_are_refused(city, name, value):
    with pytest.raises(ValueError, match=name):
        setattr(city, name, value)


def test_knob_values_given_as_ints_or_one_name(city):
    city.page_param = 400
    city.unknown_id = 404
    city.missing_endpoints = "tokens"
    assert (city.page_param, city.unknown_id, city.missing_endpoints) == ("400", "404", {"tokens"})


# --- missing endpoints -------------------------------------------------------------------------


def test_missing_endpoint_json_like_express(city, http):
    city.missing_endpoints = {"servicerequestupdates", "tokens"}
    for path in ("servicerequestupdates.json", "tokens/abc.json", "servicerequestupdates.xml"):
        response = http.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == {"message": "GET endpoint not available"}
    assert http.get("services.json").status_code == 200
    assert http.get("requests.json").status_code == 200


def test_missing_endpoint_html_like_nginx(city, http):
    city.missing_endpoints = {"servicerequestupdates"}
    city.missing_style = "html"
    response = http.get("servicerequestupdates.json")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == NGINX_404
    assert "<title>404 Not Found</title>" in response.text and "<center>nginx</center>" in response.text
    with pytest.raises(ValueError):
        response.json()


def test_missing_endpoint_georeport_error_array(city, http):
    city.missing_endpoints = {"tokens"}
    city.missing_style = "georeport"
    response = http.get("tokens/abc.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "no such resource: tokens/abc"}]
    assert xml(http.get("tokens/abc.xml")).tag == "errors"


def test_missing_service_definitions_only(city, http):
    city.missing_endpoints = {"service_definition"}
    assert http.get("services.json").status_code == 200
    assert http.get("services/STREETLIGHT.json").status_code == 404


def test_missing_post_endpoint_makes_no_ticket(city, http):
    city.missing_endpoints = {"requests"}
    response = post(http)
    assert response.status_code == 404
    assert response.json() == {"message": "POST endpoint not available"}
    assert city.tickets == {} and city.posts == []


# --- date filters ------------------------------------------------------------------------------


def test_date_filters_inverted(city, http):
    at(city, T0 - timedelta(days=10))
    old = created_id(http)
    at(city, T0)
    new = created_id(http)
    city.date_filters = "inverted"
    assert ids(http, **window(minutes=5)) == []  # a sane window finds nothing
    backwards = {
        "start_date": (T0 + timedelta(minutes=5)).isoformat(),
        "end_date": (T0 - timedelta(days=1)).isoformat(),
    }
    assert ids(http, **backwards) == [new]  # end before start: no 400, and it finds what the window meant
    assert ids(http, start_date=(T0 - timedelta(days=1)).isoformat()) == [old]  # start_date is the upper bound
    city.update(new, "IN_PROGRESS", "Crew assigned")
    assert ids(http, "servicerequestupdates.json", **window(minutes=5)) == []
    assert ids(http, "servicerequestupdates.json", **backwards) == [new]


def test_date_filters_ignored(city, http):
    at(city, T0 - timedelta(days=10))
    old = created_id(http)
    at(city, T0)
    new = created_id(http)
    city.date_filters = "ignored"
    assert ids(http, **window(minutes=5)) == [new, old]
    assert ids(http, start_date="yesterday", end_date="2020-01-01T00:00:00Z") == [new, old]  # not even parsed
    city.close(old, "Done")
    assert ids(http, "servicerequestupdates.json", start_date=(T0 + timedelta(days=1)).isoformat()) == [old]


# --- a slow POST -------------------------------------------------------------------------------


def test_post_delay_answers_after_the_client_timeout_though_the_ticket_was_made(city, http):
    city.post_delay_seconds = 1.0
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(city.base_url + "requests.json", data=report(), timeout=0.3)
    assert list(city.tickets) == ["1001"]  # made before the sleep
    started = time.monotonic()
    response = httpx.post(city.base_url + "requests.json", data=report(), timeout=5)
    assert response.status_code == 200 and response.json()[0]["service_request_id"] == "1002"
    assert time.monotonic() - started >= 0.9
    started = time.monotonic()
    assert post(http, api_key="wrong").status_code == 403
    assert time.monotonic() - started < 0.5  # a refusal makes no ticket, so no delay


def test_post_delay_wakes_on_stop():
    city = SandboxCity().start()
    city.post_delay_seconds = 30
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(city.base_url + "requests.json", data=report(), timeout=0.2)
    started = time.monotonic()
    city.stop()
    assert time.monotonic() - started < 2
    assert len(city.tickets) == 1


# --- error answers -----------------------------------------------------------------------------


def test_error_style_own(city, http):
    city.error_style = "own"
    for fmt in ("json", "xml"):
        response = post(http, fmt, api_key="wrong")
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == {
            "type": "forbidden",
            "code": "AUTH_MISSING",
            "message": "No API key provided or the key is not valid for this jurisdiction",
        }
    assert http.get("services/NOPE.json").json() == {
        "type": "not_found",
        "code": "SERVICE_NOT_FOUND",
        "message": "service_code NOPE not found",
    }
    assert http.get("requests.json", params={"status": "pending"}).json() == {
        "type": "bad_request",
        "code": "INVALID_PARAMETER",
        "message": "status must be open or closed",
    }
    response = http.post("services.json")
    assert (response.status_code, response.json()["type"]) == (405, "method_not_allowed")


def test_error_style_text(city, http):
    city.error_style = "text"
    response = http.get("requests/999.json")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "service request 999 not found"
    response = post(http, "xml", service_code=None)
    assert (response.status_code, response.text) == (400, "service_code required")


# --- list sizes --------------------------------------------------------------------------------


def test_default_list_limit(city, http):
    made = [created_id(http) for _ in range(5)]
    city.default_list_limit = 2
    assert ids(http) == [made[-1], made[-2]]  # newest first, cut at 2
    assert ids(http, service_request_id=",".join(made)) == made  # an id list is not cut (page_size is 1000)
    city.page_size = 3
    city.default_list_limit = None
    assert ids(http) == made[::-1]  # no limit, whatever page_size says
    city.default_list_limit = "page_size"
    assert len(ids(http)) == 3


def test_bulk_makes_a_default_list_of_twenty_thousand_records(city, http):
    made = city.bulk(20_000)
    assert len(made) == len(city.tickets) == 20_000
    first, last = city.tickets[made[0]], city.tickets[made[-1]]
    assert (first["description"], last["description"]) == ("Bulk ticket 1", "Bulk ticket 20000")
    assert T0 - timedelta(days=90) < first["requested_datetime"] < last["requested_datetime"] < T0
    assert len(http.get("requests.json").json()) == 1000  # today's page_size
    city.default_list_limit = None
    response = httpx.get(city.base_url + "requests.json", timeout=30)
    records = response.json()
    assert len(records) == 20_000 and len(response.content) > 4_000_000
    assert records[0]["service_request_id"] == made[-1] and records[0]["service_code"] == "POTHOLE"
    assert city.bulk(1, "GRAFFITI") and city.tickets[str(1001 + 20_000)]["description"] == "Bulk ticket 20001"
    with pytest.raises(KeyError):
        city.bulk(1, "NOPE")


# --- record shapes -----------------------------------------------------------------------------


def test_integer_ids(city, http):
    city.integer_ids = True
    services = http.get("services.json").json()
    assert [(s["service_code"], s["service_name"]) for s in services] == [
        (1, "Pothole"),
        (2, "Street Light Outage"),
        (3, "Illegal Dumping"),
        (4, "Graffiti Removal"),
    ]
    assert http.get("services/2.json").json()["service_code"] == 2
    [reply] = post(http, service_code="3").json()
    assert reply["service_request_id"] == 1001
    assert post(http, service_code="POTHOLE").status_code == 200  # the old code still works
    [record] = http.get("requests/1001.json").json()
    assert (record["service_request_id"], record["service_code"], record["service_name"]) == (
        1001,
        3,
        "Illegal Dumping",
    )
    assert ids(http, service_code="3") == [1001]
    assert ids(http, service_request_id="1002,1001") == [1002, 1001]
    root = xml(http.get("requests/1001.xml"))
    assert (root.findtext("request/service_request_id"), root.findtext("request/service_code")) == ("1001", "3")
    city.mode = "token"
    token = post(http).json()[0]["token"]
    http.get(f"tokens/{token}.json")
    assert http.get(f"tokens/{token}.json").json() == [{"service_request_id": 1003, "token": token}]


def test_post_status_201(city, http):
    city.post_status = 201
    response = post(http)
    assert response.status_code == 201 and response.json()[0]["service_request_id"] == "1001"
    assert post(http, api_key="wrong").status_code == 403
    assert http.get("requests/1001.json").status_code == 200


def test_unknown_id_empty(city, http):
    city.unknown_id = "empty"
    response = http.get("requests/999.json")
    assert (response.status_code, response.json()) == (200, [])
    assert list(xml(http.get("requests/999.xml"))) == []


def test_omit_nulls_and_service_fields(city, http):
    rid = created_id(http)
    city.omit_nulls = True
    [record] = http.get(f"requests/{rid}.json").json()
    assert not {"status_notes", "address", "address_id", "zipcode", "media_url"} & set(record)
    assert None not in record.values()
    assert record["service_code"] == "POTHOLE"
    assert post(http).json() == [
        {"service_request_id": "1002", "service_notice": "Potholes are usually repaired within 3 business days."}
    ]  # account_id left out
    city.close(rid, None)
    assert "description" not in http.get("servicerequestupdates.json").json()[0]
    assert xml(http.get(f"requests/{rid}.xml")).find("request/media_url") is None
    city.omit_service_fields = True
    [record] = http.get(f"requests/{rid}.json").json()
    assert "service_code" not in record and "service_name" not in record
    city.omit_nulls = False  # the two are independent
    [record] = http.get(f"requests/{rid}.json").json()
    assert "service_code" not in record and record["media_url"] is None


@pytest.mark.parametrize("style, status", [("ignored", 200), ("400", 400), ("500", 500)])
def test_page_param(city, http, style, status):
    created_id(http)
    city.page_param = style
    response = http.get("requests.json", params={"page": "2"})
    assert response.status_code == status
    if status == 200:
        assert len(response.json()) == 1  # the parameter did nothing
    else:
        [error] = response.json()
        assert error["code"] == status
    assert http.get("requests.json").status_code == 200  # only when page= is there


def test_page_param_error_follows_error_style(city, http):
    city.page_param = "400"
    city.error_style = "own"
    response = http.get("requests.json", params={"page": "1"})
    assert response.status_code == 400 and response.json()["type"] == "bad_request"


def test_api_key_in_the_query_string_is_not_accepted(city, http):
    response = http.post("requests.json", params={"api_key": "sandbox-key"}, data=report(api_key=None))
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": "invalid api_key"}]
    assert city.tickets == {}
    response = http.post("requests.json", params={"api_key": "sandbox-key"}, data=report(api_key="wrong"))
    assert response.status_code == 403  # the body's key is the one read
    city.api_key_in_body_only = False
    response = http.post("requests.json", params={"api_key": "sandbox-key"}, data=report(api_key=None))
    assert response.status_code == 200


def test_services_override(city, http):
    city.services_override = OTHER_CITY_SERVICES
    services = http.get("services.json").json()
    assert [s["service_name"] for s in services] == [
        "Street Defect",
        "Lighting Fault",
        "Sanitation Violation",
        "Abandoned Auto",
        "Dangerous Tree",
    ]
    assert set(services[0]) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert services[0]["metadata"] is False and services[0]["type"] == "realtime"
    assert http.get("services/DNGTRE.json").json() == {"service_code": "DNGTRE", "attributes": []}
    rid = created_id(http, service_code="DNGTRE")
    [record] = http.get(f"requests/{rid}.json").json()
    assert (record["service_name"], record["agency_responsible"], record["service_notice"]) == (
        "Dangerous Tree",
        "City Services",
        "",
    )
    assert post(http, service_code="POTHOLE").status_code == 404  # the four are gone
    city.integer_ids = True
    assert [s["service_code"] for s in http.get("services.json").json()] == [1, 2, 3, 4, 5]


def test_services_override_with_attributes_agency_and_notice(city, http):
    city.services_override = [
        {
            "service_code": 17,
            "service_name": "Hydrant",
            "agency_responsible": "Water Department",
            "service_notice": "Within a week.",
            "attributes": [{"code": "leaking", "datatype": "string", "required": True, "description": "Leaking?"}],
        }
    ]
    [service] = http.get("services.json").json()
    assert service["service_code"] == "17" and service["metadata"] is True and "attributes" not in service
    assert post(http, service_code="17").json() == [
        {"code": 400, "description": "attribute[leaking] required: Leaking?"}
    ]
    rid = created_id(http, service_code="17", **{"attribute[leaking]": "yes"})
    [record] = http.get(f"requests/{rid}.json").json()
    assert (record["agency_responsible"], record["service_notice"]) == ("Water Department", "Within a week.")


# --- logs --------------------------------------------------------------------------------------


def test_response_log_is_in_step_with_the_request_log(city, http):
    http.get("services.json")
    post(http, api_key="wrong")
    city.crash_after_accept_next()
    with pytest.raises(httpx.RemoteProtocolError):
        post(http)
    city.fail_next()
    http.get("requests.xml")
    assert city.response_log == [
        ("GET", "/open311/v2/services.json", 200),
        ("POST", "/open311/v2/requests.json", 403),
        ("POST", "/open311/v2/requests.json", 0),  # closed without an answer
        ("GET", "/open311/v2/requests.xml", 503),
    ]
    assert [(m, p) for m, p, _ in city.request_log] == [(m, p) for m, p, _ in city.response_log]
