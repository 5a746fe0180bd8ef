"""The sandbox Open311 city (tools/pretend_city) over real HTTP: its GeoReport v2 shapes in JSON and
XML, its errors, and every knob the client's tests turn (modes, failures, a lost reply, tokens, updates)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from civic import ROOT
from tests.services import free_port
from tools.pretend_city import SandboxCity

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in Philadelphia


@pytest.fixture
def city():
    with SandboxCity() as sandbox:
        sandbox.clock = lambda: T0
        yield sandbox


@pytest.fixture
def http(city):
    with httpx.Client(base_url=city.base_url, timeout=5) as client:
        yield client


def report(**fields) -> dict:
    form = {
        "api_key": "sandbox-key",
        "service_code": "POTHOLE",
        "lat": "39.9526",
        "long": "-75.1652",
        "description": "Deep pothole by the bus stop",
    }
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


def post(http, fmt="json", **fields) -> httpx.Response:
    return http.post(f"requests.{fmt}", data=report(**fields))


def created_id(http, **fields) -> str:
    response = post(http, **fields)
    assert response.status_code == 200, response.text
    return response.json()[0]["service_request_id"]


def xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    return ET.fromstring(response.content)


def at(city, when: datetime):
    city.clock = lambda: when


# --- lifecycle ---------------------------------------------------------------------------------


def test_base_url_and_context_manager_stop_serving():
    port = free_port()
    with SandboxCity(port=port) as city:
        assert city.base_url == f"http://127.0.0.1:{port}/open311/v2/"
        assert httpx.get(city.base_url + "services.json").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(city.base_url + "services.json", timeout=1)


def test_unknown_mode_is_refused(city):
    with pytest.raises(ValueError, match="unknown mode"):
        city.mode = "flaky"


# --- services ----------------------------------------------------------------------------------


def test_services_json(http):
    response = http.get("services.json")
    assert response.headers["content-type"].startswith("application/json")
    services = {s["service_code"]: s for s in response.json()}
    assert list(services) == ["POTHOLE", "STREETLIGHT", "DUMPING", "GRAFFITI"]
    for service in services.values():
        assert set(service) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
        assert service["type"] == "realtime"
        assert service["metadata"] is (service["service_code"] == "STREETLIGHT")


def test_services_xml(http):
    root = xml(http.get("services.xml"))
    assert root.tag == "services"
    assert [s.tag for s in root] == ["service"] * 4
    metadata = {s.findtext("service_code"): s.findtext("metadata") for s in root}
    assert metadata == {"POTHOLE": "false", "STREETLIGHT": "true", "DUMPING": "false", "GRAFFITI": "false"}
    assert root[0].findtext("group") == "Streets"


def test_service_definition_json(http):
    definition = http.get("services/STREETLIGHT.json").json()
    assert definition["service_code"] == "STREETLIGHT"
    pole_type, pole_number = sorted(definition["attributes"], key=lambda a: a["order"])
    assert pole_type == {
        "variable": True,
        "code": "pole_type",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "What is the pole made of?",
        "values": [{"key": "wood", "name": "Wood"}, {"key": "metal", "name": "Metal"}],
    }
    assert (pole_number["code"], pole_number["datatype"], pole_number["required"], pole_number["order"]) == (
        "pole_number",
        "string",
        False,
        2,
    )
    assert http.get("services/POTHOLE.json").json() == {"service_code": "POTHOLE", "attributes": []}


def test_service_definition_xml(http):
    root = xml(http.get("services/STREETLIGHT.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "STREETLIGHT"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["pole_type", "pole_number"]
    assert attributes[0].findtext("required") == "true"
    assert [(v.findtext("key"), v.findtext("name")) for v in attributes[0].findall("values/value")] == [
        ("wood", "Wood"),
        ("metal", "Metal"),
    ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404_with_an_error_array(http, fmt):
    response = http.get(f"services/NOPE.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        assert response.json() == [{"code": 404, "description": "service_code NOPE not found"}]
    else:
        root = xml(response)
        assert root.tag == "errors" and [e.tag for e in root] == ["error"]
        assert (root[0].findtext("code"), root[0].findtext("description")) == ("404", "service_code NOPE not found")


def test_unknown_paths_and_methods(http):
    assert http.get("nothing.json").status_code == 404
    assert http.get("services.csv").status_code == 404
    assert http.get("/elsewhere/services.json").status_code == 404
    response = http.post("services.json", data={})
    assert response.status_code == 405
    assert response.json()[0]["code"] == 405


# --- POST requests -----------------------------------------------------------------------------


def test_post_creates_a_ticket_and_keeps_everything_received(city, http):
    form = report(
        service_code="STREETLIGHT",
        address_string="1400 JFK Blvd, Philadelphia, PA 19107",
        address_id="A-17",
        media_url="https://example.org/light.jpg",
        email="ana@example.org",
        first_name="Ana",
        last_name="Diaz",
        phone="215-555-0100",
        device_id="dev-1",
        account_id="acc-9",
    )
    form["attribute[pole_type]"] = "metal"
    form["attribute[pole_number]"] = "PL-4411"
    form["attribute[extra][]"] = ["a", "b"]
    response = http.post("requests.json", data=form)
    assert response.status_code == 200
    [reply] = response.json()
    assert reply == {
        "service_request_id": "1001",
        "account_id": "acc-9",
        "service_notice": "Street lights are usually repaired within 3 business days.",
    }

    assert city.posts == [{**form, "attribute[extra][]": ["a", "b"]}]
    [record] = http.get("requests/1001.json").json()
    assert record == {
        "service_request_id": "1001",
        "status": "open",
        "status_notes": None,
        "service_name": "Street Light Outage",
        "service_code": "STREETLIGHT",
        "description": "Deep pothole by the bus stop",
        "agency_responsible": "Streets Department",
        "service_notice": "Street lights are usually repaired within 3 business days.",
        "requested_datetime": "2026-11-24T10:00:00-05:00",
        "updated_datetime": "2026-11-24T10:00:00-05:00",
        "expected_datetime": "2026-11-27T10:00:00-05:00",
        "address": "1400 JFK Blvd, Philadelphia, PA 19107",
        "address_id": "A-17",
        "zipcode": "19107",
        "lat": 39.9526,
        "long": -75.1652,
        "media_url": "https://example.org/light.jpg",
    }
    assert city.tickets["1001"]["requested_datetime"] == T0


def test_post_reply_and_request_in_xml(http):
    root = xml(post(http, "xml", service_code="GRAFFITI"))
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
    assert root[0].findtext("service_request_id") == "1001"
    root = xml(http.get("requests/1001.xml"))
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
    request = root[0]
    assert [c.tag for c in request][:3] == ["service_request_id", "status", "status_notes"]
    assert request.findtext("agency_responsible") == "CLIP"
    assert request.findtext("requested_datetime") == "2026-11-24T10:00:00-05:00"
    assert request.findtext("lat") == "39.9526"


def test_agency_follows_the_service(city, http):
    agencies = {
        code: http.get(f"requests/{created_id(http, service_code=code, **extra)}.json").json()[0]["agency_responsible"]
        for code, extra in [
            ("POTHOLE", {}),
            ("STREETLIGHT", {"attribute[pole_type]": "wood"}),
            ("DUMPING", {}),
            ("GRAFFITI", {}),
        ]
    }
    assert agencies == {
        "POTHOLE": "Streets Department",
        "STREETLIGHT": "Streets Department",
        "DUMPING": "Sanitation",
        "GRAFFITI": "CLIP",
    }
    assert len(city.tickets) == 4


def test_address_alone_is_a_location(http):
    rid = created_id(http, lat=None, long=None, address_string="1400 JFK Blvd")
    record = http.get(f"requests/{rid}.json").json()[0]
    assert (record["address"], record["lat"], record["long"], record["zipcode"]) == ("1400 JFK Blvd", None, None, None)


@pytest.mark.parametrize(
    "fields, status, description",
    [
        ({"api_key": "wrong"}, 403, "invalid api_key"),
        ({"api_key": None}, 403, "invalid api_key"),
        ({"service_code": None}, 400, "service_code required"),
        ({"service_code": "NOPE"}, 404, "service_code NOPE not found"),
        ({"lat": None, "long": None}, 400, "a location is required: lat and long, address_string or address_id"),
        ({"long": None}, 400, "lat and long must be given together"),
        ({"lat": "north"}, 400, "lat and long must be decimal degrees"),
        ({"lat": "91"}, 400, "lat or long out of range"),
        ({"description": "x" * 4001}, 400, "description longer than 4000 characters"),
        ({"service_code": "STREETLIGHT"}, 400, "attribute[pole_type] required: What is the pole made of?"),
        (
            {"service_code": "STREETLIGHT", "attribute[pole_type]": "plastic"},
            400,
            "attribute[pole_type] must be one of: wood, metal",
        ),
    ],
)
def test_post_errors(city, http, fields, status, description):
    response = post(http, **fields)
    assert response.status_code == status
    assert response.json() == [{"code": status, "description": description}]
    assert city.tickets == {}
    assert len(city.posts) == 1  # received, though refused


def test_post_error_in_xml(http):
    response = post(http, "xml", api_key="wrong")
    assert response.status_code == 403
    root = xml(response)
    assert root.tag == "errors" and root[0].tag == "error"
    assert (root[0].findtext("code"), root[0].findtext("description")) == ("403", "invalid api_key")


def test_description_of_exactly_4000_characters_is_accepted(http):
    assert post(http, description="x" * 4000).status_code == 200


def test_api_key_is_configurable():
    with SandboxCity(api_key="k-123") as city:
        assert httpx.post(city.base_url + "requests.json", data=report()).status_code == 403
        assert httpx.post(city.base_url + "requests.json", data=report(api_key="k-123")).status_code == 200


def test_require_address_string(city, http):
    city.require_address_string = True
    response = post(http)
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "address_string required"}]
    assert post(http, address_string="1400 JFK Blvd").status_code == 200
    assert list(city.tickets) == ["1001"]


# --- GET requests ------------------------------------------------------------------------------


def test_unknown_request_is_404(http):
    response = http.get("requests/999.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "service request 999 not found"}]


def test_id_list_overrides_the_other_filters(city, http):
    first, second, third = (created_id(http) for _ in range(3))
    city.close(second, "Filled")
    response = http.get(
        "requests.json",
        params={"service_request_id": f"{third},{first},404", "status": "closed", "service_code": "GRAFFITI"},
    )
    assert [r["service_request_id"] for r in response.json()] == [third, first]
    root = xml(http.get("requests.xml", params={"service_request_id": f"{first},{second}"}))
    assert root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [first, second]


def test_filters_by_service_status_and_dates(city, http):
    at(city, T0 - timedelta(days=10))
    old = created_id(http)
    at(city, T0)
    pothole = created_id(http)
    dumping = created_id(http, service_code="DUMPING")
    city.close(dumping, "Cleared")

    def ids(**params):
        response = http.get("requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [dumping, pothole, old]  # newest first
    assert ids(service_code="POTHOLE") == [pothole, old]
    assert ids(status="closed") == [dumping]
    assert ids(status="open") == [pothole, old]
    assert ids(start_date=(T0 - timedelta(days=1)).isoformat()) == [dumping, pothole]
    assert ids(end_date=(T0 - timedelta(days=1)).isoformat()) == [old]
    # A datetime without a zone is the city's local time: 10:00 in Philadelphia is T0.
    assert ids(start_date="2026-11-24T10:00:00", end_date="2026-11-24T10:00:00") == [dumping, pothole]
    assert ids(start_date="2026-11-24T10:00:01") == []
    assert ids(start_date="2026-11-24T15:00:00Z", service_code="DUMPING") == [dumping]


@pytest.mark.parametrize(
    "params, description",
    [
        ({"start_date": "yesterday"}, "start_date is not an ISO 8601 datetime: 'yesterday'"),
        ({"start_date": "2026-11-01T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"}, "end_date is before start_date"),
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
            "start_date and end_date may be at most 90 days apart",
        ),
        ({"status": "pending"}, "status must be open or closed"),
    ],
)
def test_bad_search_parameters_are_400(http, params, description):
    response = http.get("requests.json", params=params)
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": description}]


def test_page_size_limits_a_listing(city, http):
    ids = [created_id(http) for _ in range(5)]
    city.page_size = 2
    assert len(http.get("requests.json").json()) == 2
    listed = http.get("requests.json", params={"service_request_id": ",".join(ids)}).json()
    assert [r["service_request_id"] for r in listed] == ids[:2]


def test_nothing_found_is_an_empty_array_or_a_404(city, http):
    assert http.get("requests.json").json() == []
    city.not_found_is_404 = True
    response = http.get("requests.json", params={"service_request_id": "1"})
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "no service requests found"}]
    assert xml(http.get("requests.xml")).tag == "errors"
    created_id(http)
    assert http.get("requests.json").status_code == 200


def test_naive_datetimes(city, http):
    rid = created_id(http)
    city.naive_datetimes = True
    record = http.get(f"requests/{rid}.json").json()[0]
    assert (record["requested_datetime"], record["updated_datetime"], record["expected_datetime"]) == (
        "2026-11-24T10:00:00",
        "2026-11-24T10:00:00",
        "2026-11-27T10:00:00",
    )
    city.close(rid, "Done")
    assert http.get("servicerequestupdates.json").json()[0]["updated_datetime"] == "2026-11-24T10:00:00"


def test_request_log(city, http):
    http.get("requests.json", params={"service_code": "POTHOLE", "status": "open"})
    post(http)
    assert city.request_log == [
        ("GET", "/open311/v2/requests.json", {"service_code": "POTHOLE", "status": "open"}),
        ("POST", "/open311/v2/requests.json", {}),
    ]


# --- modes -------------------------------------------------------------------------------------


def test_token_mode(city, http):
    city.mode = "token"
    [reply] = post(http).json()
    assert set(reply) == {"token", "service_notice", "account_id"}
    token = reply["token"]
    [rid] = city.tickets
    first = http.get(f"tokens/{token}.json")
    assert first.status_code == 404
    assert first.json() == [{"code": 404, "description": f"token {token} has not been processed yet"}]
    assert http.get(f"tokens/{token}.json").json() == [{"service_request_id": rid, "token": token}]
    root = xml(http.get(f"tokens/{token}.xml"))
    assert root.tag == "service_requests" and root[0].findtext("service_request_id") == rid
    unknown = http.get("tokens/nope.json")
    assert unknown.status_code == 404 and unknown.json()[0]["description"] == "token nope not found"


def test_token_polls_before_ready(city, http):
    city.mode = "token"
    city.token_polls_before_ready = 3
    token = post(http, "xml").content
    token = ET.fromstring(token).findtext("request/token")
    assert [http.get(f"tokens/{token}.json").status_code for _ in range(4)] == [404, 404, 404, 200]
    city.token_polls_before_ready = 0
    token = post(http).json()[0]["token"]
    assert http.get(f"tokens/{token}.json").status_code == 200


def test_fail_mode(city, http):
    city.mode = "fail"
    for response in (http.get("services.json"), post(http), http.get("requests.xml")):
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")
        assert "Service Unavailable" in response.text
    assert city.tickets == {} and city.posts == []
    assert len(city.request_log) == 3


def test_fail_next_then_back_to_the_current_mode(city, http):
    city.mode = "token"
    city.fail_next(2)
    assert [http.get("services.json").status_code, post(http).status_code] == [503, 503]
    assert city.tickets == {}
    reply = post(http)
    assert reply.status_code == 200 and "token" in reply.json()[0]
    assert len(city.tickets) == 1


def test_hang_mode_outlasts_a_client_timeout(city):
    city.mode = "hang"
    city.hang_seconds = 1.0
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(city.base_url + "services.json", timeout=0.2)
    city.hang_seconds = 0.05
    response = httpx.get(city.base_url + "services.json", timeout=2)
    assert response.status_code == 200 and len(response.json()) == 4


def test_stop_does_not_wait_for_a_hanging_request():
    city = SandboxCity().start()
    city.mode = "hang"  # the default 30 s
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(city.base_url + "services.json", timeout=0.2)
    started = time.monotonic()
    city.stop()
    assert time.monotonic() - started < 2


def test_garbage_mode(city, http):
    city.mode = "garbage"
    for response in (http.get("services.json"), http.get("requests.xml"), post(http)):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        with pytest.raises(ValueError):
            json.loads(response.text)
        with pytest.raises(ET.ParseError):
            ET.fromstring(response.text)
    assert city.tickets == {}


def test_xml_only_mode(city, http):
    city.mode = "xml_only"
    for response in (http.get("services.json"), post(http)):
        assert response.status_code == 406
        assert "only serves XML" in response.text
    assert city.tickets == {}
    assert xml(http.get("services.xml")).tag == "services"
    assert xml(post(http, "xml")).findtext("request/service_request_id") == "1001"


def test_crash_after_accept_drops_the_reply_but_keeps_the_ticket(city, http):
    city.crash_after_accept_next()
    reference = "civic-ref-7f3a"
    with pytest.raises(httpx.RemoteProtocolError):
        post(http, description=f"Pothole [{reference}]")
    assert len(city.tickets) == 1
    [ticket] = city.tickets.values()
    # The client's way to find out: list a window of requests and look for its reference.
    listed = http.get(
        "requests.json",
        params={
            "start_date": (T0 - timedelta(minutes=5)).isoformat(),
            "end_date": (T0 + timedelta(minutes=5)).isoformat(),
        },
    ).json()
    assert [r["service_request_id"] for r in listed if reference in r["description"]] == [ticket["service_request_id"]]
    # Only once: a retry that does not check first makes a second ticket.
    assert post(http, description=f"Pothole [{reference}]").status_code == 200
    assert len(city.tickets) == 2


def test_crash_waits_for_a_post_that_creates_a_ticket(city, http):
    city.crash_after_accept_next()
    assert post(http, api_key="wrong").status_code == 403
    with pytest.raises(httpx.RemoteProtocolError):
        post(http)
    assert len(city.tickets) == 1


# --- updates -----------------------------------------------------------------------------------


def test_update_and_close_feed_servicerequestupdates(city, http):
    first, second = created_id(http), created_id(http)
    at(city, T0 + timedelta(hours=1))
    city.update(first, "IN_PROGRESS", "Crew assigned")
    at(city, T0 + timedelta(hours=2))
    city.close(first, "Filled with asphalt", status="FIXED")
    city.close(second, "Same as 1001", status="DUPLICATE")

    [record] = http.get(f"requests/{first}.json").json()
    assert (record["status"], record["status_notes"], record["updated_datetime"]) == (
        "closed",
        "Filled with asphalt",
        "2026-11-24T12:00:00-05:00",
    )
    assert record["requested_datetime"] == "2026-11-24T10:00:00-05:00"

    feed = http.get("servicerequestupdates.json").json()
    assert [(u["service_request_id"], u["status"], u["description"]) for u in feed] == [
        (first, "IN_PROGRESS", "Crew assigned"),
        (first, "FIXED", "Filled with asphalt"),
        (second, "DUPLICATE", "Same as 1001"),
    ]
    assert set(feed[0]) == {"update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"}
    assert feed[0]["updated_datetime"] == "2026-11-24T11:00:00-05:00"
    assert len({u["update_id"] for u in feed}) == 3

    window = {"start_date": (T0 + timedelta(minutes=90)).isoformat(), "end_date": (T0 + timedelta(hours=3)).isoformat()}
    assert [u["status"] for u in http.get("servicerequestupdates.json", params=window).json()] == ["FIXED", "DUPLICATE"]

    root = xml(http.get("servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert [u.tag for u in root] == ["request_update"] * 3
    assert root[1].findtext("status") == "FIXED"


def test_extended_statuses_keep_the_plain_status_open_or_closed(city, http):
    rid = created_id(http)
    city.update(rid, "NOT_COUNCILS_RESPONSIBILITY", "Private land")
    assert city.tickets[rid]["status"] == "closed"
    city.update(rid, "in_progress", "Reopened by the supervisor")
    assert city.tickets[rid]["status"] == "open"
    city.update(rid, "Awaiting Contractor", "Odd status from a real city")  # unknown: status unchanged
    assert city.tickets[rid]["status"] == "open"
    city.update(rid, "no_further_action", None)
    assert http.get("requests.json", params={"status": "closed"}).json()[0]["status"] == "closed"
    assert [u["status"] for u in city.updates][-1] == "no_further_action"
    with pytest.raises(KeyError):
        city.close("999", "no such ticket")


# --- demo entry point --------------------------------------------------------------------------


def test_main_serves_on_the_given_port():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.pretend_city", "--port", str(port), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert base_url == f"http://127.0.0.1:{port}/open311/v2/"
        assert len(httpx.get(base_url + "services.json", timeout=5).json()) == 4
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()


def test_connect_saves_it_as_civics_endpoint_with_its_services_mapped(app, database_url, categories):
    """`python -m tools.pretend_city --connect`: the endpoint saved in the database CIVIC_* names, the
    city's services fetched from it and mapped to civic's categories."""
    import os

    import sqlalchemy as sa

    from civic.city311.models import CityService, Endpoint
    from civic.database import unit_of_work
    from civic.extensions import db

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
    env.update(CIVIC_DATABASE_URL=database_url, CIVIC_SECRET_KEY="pretend-city-test")
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.pretend_city", "--port", str(port), "--quiet", "--connect"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline().strip() for _ in range(3)]
        assert lines[0] == f"http://127.0.0.1:{port}/open311/v2/"
        assert lines[2].startswith("Connected to civic: ") and "services mapped" in lines[2]
        with app.app_context(), unit_of_work():
            endpoint = db.session.scalar(sa.select(Endpoint).where(Endpoint.name == "Sandbox"))
            assert (endpoint.base_url, endpoint.api_key, endpoint.active) == (lines[0], "sandbox-key", True)
            mapped = {
                s.service_code: s.category_id
                for s in db.session.scalars(sa.select(CityService).where(CityService.endpoint_id == endpoint.id))
            }
        assert mapped["POTHOLE"] == categories["pothole"] and set(mapped) == {
            "POTHOLE",
            "STREETLIGHT",
            "DUMPING",
            "GRAFFITI",
        }
        assert len(httpx.get(lines[0] + "services.json", timeout=5).json()) == 4  # and it keeps serving
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()


def test_the_old_flask_command_says_how_to_start_it(runner):
    result = runner.invoke(args=["open311", "sandbox", "--port", "8311"])
    assert result.exit_code == 0 and "python -m tools.pretend_city --port 8311 --connect" in result.output


def test_add_ticket_makes_a_ticket_without_http(city, http):
    record = city.add_ticket(
        "DUMPING", "Mattress on the corner", address="5th and Market", requested=T0 - timedelta(days=2)
    )
    listed = http.get("requests.json", params={"end_date": (T0 - timedelta(days=1)).isoformat()}).json()
    assert [(r["service_request_id"], r["agency_responsible"], r["requested_datetime"]) for r in listed] == [
        (record["service_request_id"], "Sanitation", "2026-11-22T10:00:00-05:00")
    ]
    with pytest.raises(KeyError):
        city.add_ticket("NOPE")
