"""civic's own GeoReport v2 endpoint (/open311/v2): every answer checked against the standard's field
list in JSON and in XML, the filters, POST with api keys, status updates, errors as arrays everywhere
under /open311/ (and nowhere else), and no personal data in any response."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from civic.database import unit_of_work
from civic.extensions import db
from tests.conftest import FISHTOWN, offset

FORMATS = ("json", "xml")
BASE = "/open311/v2"
OUTSIDE_THE_CITY = (40.7128, -74.0060)  # New York
CITY_ZONE = ZoneInfo("America/New_York")  # the zone datetimes are written in
DATETIME, OPTIONAL_DATETIME = "datetime", "datetime or empty"

# The standard's field lists, with the type of each field.
DISCOVERY_FIELDS = {"changeset": DATETIME, "contact": str, "key_service": str, "endpoints": list}
ENDPOINT_FIELDS = {"specification": str, "url": str, "changeset": DATETIME, "type": str, "formats": list}
SERVICE_FIELDS = {
    "service_code": str,
    "service_name": str,
    "description": str,
    "metadata": bool,
    "type": str,
    "keywords": str,
    "group": str,
}
DEFINITION_FIELDS = {"service_code": str, "attributes": list}
REQUEST_FIELDS = {
    "service_request_id": str,
    "status": str,
    "status_notes": str,
    "service_name": str,
    "service_code": str,
    "description": str,
    "agency_responsible": str,
    "service_notice": str,
    "requested_datetime": DATETIME,
    "updated_datetime": DATETIME,
    "expected_datetime": OPTIONAL_DATETIME,
    "address": str,
    "address_id": str,
    "zipcode": str,
    "lat": float,
    "long": float,
    "media_url": str,
}
POST_REPLY_FIELDS = {"service_request_id": str, "service_notice": str, "account_id": str}
UPDATE_FIELDS = {
    "update_id": str,
    "service_request_id": str,
    "status": str,
    "updated_datetime": DATETIME,
    "description": str,
    "media_url": str,
}
ERROR_FIELDS = {"code": int, "description": str}
# XML: (root element, record element) of each list.
SERVICES_XML = ("services", "service")
REQUESTS_XML = ("service_requests", "request")
UPDATES_XML = ("service_request_updates", "request_update")
ERRORS_XML = ("errors", "error")


# --- checking responses against the standard --------------------------------------------------


def check_value(name: str, kind, value):
    """A JSON value of the declared type (bool is not a number; floats may arrive as ints)."""
    if kind in (DATETIME, OPTIONAL_DATETIME):
        assert isinstance(value, str), name
        if value or kind is DATETIME:
            assert datetime.fromisoformat(value).tzinfo is not None, f"{name} lacks a time zone: {value}"
    elif kind is float:
        assert isinstance(value, (int, float)) and not isinstance(value, bool), name
    elif kind is int:
        assert isinstance(value, int) and not isinstance(value, bool), name
    else:
        assert isinstance(value, kind), f"{name}: {value!r} is not {kind.__name__}"


def check_record(record: dict, fields: dict) -> dict:
    assert set(record) == set(fields), set(record) ^ set(fields)
    for name, kind in fields.items():
        check_value(name, kind, record[name])
    return record


def from_xml(node: ET.Element, fields: dict) -> dict:
    """An XML record as JSON would give it: exactly the standard's elements, each text of its type."""
    names = [child.tag for child in node]
    assert sorted(names) == sorted(fields), set(names) ^ set(fields)
    record = {}
    for child in node:
        kind, text = fields[child.tag], child.text or ""
        if kind is list:
            record[child.tag] = child  # the caller checks nested lists
            continue
        assert len(child) == 0, f"{child.tag} should hold text only"
        if kind is float:
            record[child.tag] = float(text)
        elif kind is int:
            assert text.isdigit(), child.tag
            record[child.tag] = int(text)
        elif kind is bool:
            assert text in ("true", "false"), child.tag
            record[child.tag] = text == "true"
        else:
            record[child.tag] = text
    return check_record(record, {k: (object if v is list else v) for k, v in fields.items()})


def fetch(
    client, path: str, fmt: str, *, fields: dict, xml: tuple[str, str], status: int = 200, method: str = "get", **kwargs
) -> list[dict]:
    """GET (or POST) a list; check the status, content type and every record; return JSON-like dicts."""
    response = client.open(f"{BASE}/{path}.{fmt}", method=method.upper(), **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if fmt == "json":
        assert response.mimetype == "application/json"
        data = response.get_json()
        assert isinstance(data, list)
        return [check_record(record, fields) for record in data]
    assert response.mimetype == "text/xml" and response.mimetype_params.get("charset") == "utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(response.data)
    assert root.tag == xml[0]
    assert all(node.tag == xml[1] for node in root)
    return [from_xml(node, fields) for node in root]


def both(client, path: str, **kwargs) -> list[dict]:
    """The same list in JSON and XML: they must say the same thing."""
    as_json = fetch(client, path, "json", **kwargs)
    as_xml = fetch(client, path, "xml", **kwargs)
    assert as_json == as_xml
    return as_json


def requests_list(client, query: str = "", **kwargs) -> list[dict]:
    """GET requests.{json,xml}?query (a raw query string: an unencoded "+" arrives as a space)."""
    return both(client, "requests", fields=REQUEST_FIELDS, xml=REQUESTS_XML, query_string=query, **kwargs)


def ids(records) -> list[str]:
    return [r["service_request_id"] for r in records]


def error(client, path: str, fmt: str, status: int, method: str = "get", **kwargs) -> str:
    """An error array: [{code, description}] or <errors><error>, with the status; never an HTML page."""
    url = path if path.startswith("/") else f"{BASE}/{path}"
    response = client.open(url, method=method.upper(), **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_data(as_text=True)
    assert "<html" not in body.lower() and "<!doctype" not in body.lower()
    if fmt == "json":
        assert response.mimetype == "application/json"
        data = response.get_json()
        assert isinstance(data, list) and len(data) == 1
        record = check_record(data[0], ERROR_FIELDS)
    else:
        assert response.mimetype == "text/xml"
        root = ET.fromstring(response.data)
        assert root.tag == "errors" and [n.tag for n in root] == ["error"]
        record = from_xml(root[0], ERROR_FIELDS)
    assert record["code"] == status and record["description"]
    return record["description"]


# --- data helpers -----------------------------------------------------------------------------


def jpeg_upload(colour: str = "red") -> FileStorage:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG")
    buf.seek(0)
    return FileStorage(stream=buf, filename=f"{colour}.jpg", content_type="image/jpeg")


def reported_at(app, issue_id: int, at: datetime) -> None:
    """Move a report (and its initial history row) back in time."""
    from civic.issues.models import Issue

    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        issue.created_at = issue.updated_at = at
        for change in issue.status_changes:
            change.created_at = at
        db.session.commit()


def change_status(
    app, issue_id: int, to: str, reason: str | None, at: datetime | None = None, closed_reason: str | None = None
) -> int:
    """What the staff workflow does: a StatusChange row and the issue's new status."""
    from civic.issues.models import Issue, IssueStatus, StatusChange

    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        change = StatusChange(
            issue_id=issue_id,
            from_status=issue.status,
            to_status=IssueStatus(to),
            reason=reason,
            **({"created_at": at} if at else {}),
        )
        issue.status = IssueStatus(to)
        issue.closed_reason = closed_reason
        db.session.add(change)
        db.session.commit()
        return change.id


@pytest.fixture
def api_key(app, make_user):
    """A live key for a resident account; returns (plain key, the user)."""
    from civic.accounts.models import User
    from civic.georeport.keys import create_api_key

    user = make_user(display_name="Partner App Account")
    with app.app_context(), unit_of_work():
        return create_api_key("Partner 311 app", db.session.get(User, user.id)), user


def post_form(**overrides) -> dict:
    """A valid POST requests form but for the key; None drops a field."""
    data = {
        "service_code": "pothole",
        "lat": str(FISHTOWN[0]),
        "long": str(FISHTOWN[1]),
        "description": "Deep pothole in the bike lane on Frankford Ave, right by the bus stop.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def issue_row(app, issue_id: int) -> dict:
    from civic.issues.models import Issue

    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, int(issue_id))
        return {
            "category": issue.category.slug,
            "lat": issue.lat,
            "lon": issue.lon,
            "title": issue.title,
            "description": issue.description,
            "address": issue.address,
            "reporter_id": issue.reporter_id,
            "on_behalf_name": issue.on_behalf_name,
            "on_behalf_contact": issue.on_behalf_contact,
            "show_reporter_name": issue.show_reporter_name,
            "status": issue.status.value,
        }


def issue_count(app) -> int:
    from civic.issues.models import Issue

    with app.app_context(), unit_of_work():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Issue))


# --- discovery and services -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_this_endpoint_and_both_formats(client, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        data = check_record(response.get_json(), DISCOVERY_FIELDS)
        endpoint = check_record(data["endpoints"][0], ENDPOINT_FIELDS)
        formats = endpoint["formats"]
    else:
        root = ET.fromstring(response.data)
        assert root.tag == "discovery"
        data = from_xml(root, DISCOVERY_FIELDS)
        assert [n.tag for n in data["endpoints"]] == ["endpoint"]
        endpoint = from_xml(data["endpoints"][0], ENDPOINT_FIELDS)
        formats = [n.text for n in endpoint["formats"] if n.tag == "format"]
    assert len(data["endpoints"]) == 1
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["type"] == "production"
    assert formats == ["application/json", "text/xml"]
    assert data["contact"] and data["key_service"]


def test_services_are_the_active_categories(app, client, categories):
    from civic.issues.models import Category

    with app.app_context(), unit_of_work():
        db.session.get(Category, categories["graffiti"]).active = False
        db.session.commit()

    services = both(client, "services", fields=SERVICE_FIELDS, xml=SERVICES_XML)

    codes = [s["service_code"] for s in services]
    assert codes == [c for c in categories if c != "graffiti"]  # the list's order
    pothole = services[0]
    assert pothole["service_name"] == "Pothole"
    assert pothole["group"] == "Streets Department"
    assert "Bache" in pothole["description"]
    assert pothole["metadata"] is False and pothole["type"] == "realtime" and pothole["keywords"] == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_has_no_attributes(app, client, categories, fmt):
    response = client.get(f"{BASE}/services/pothole.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        assert check_record(response.get_json(), DEFINITION_FIELDS) == {"service_code": "pothole", "attributes": []}
    else:
        root = ET.fromstring(response.data)
        assert root.tag == "service_definition"
        record = from_xml(root, DEFINITION_FIELDS)
        assert record["service_code"] == "pothole" and len(record["attributes"]) == 0

    from civic.issues.models import Category

    with app.app_context(), unit_of_work():
        db.session.get(Category, categories["graffiti"]).active = False
        db.session.commit()
    for code in ("no-such-service", "graffiti"):
        assert code in error(client, f"services/{code}.{fmt}", fmt, 404)


# --- requests ---------------------------------------------------------------------------------


def test_requests_list_and_single_request_carry_every_field(app, client, make_user, make_issue, upload_dir):
    plain = make_issue(
        category="street-light",
        title="Light out",
        description="Dark corner at night.",
        address="1200 Frankford Ave",
        at=offset(*FISHTOWN, north_m=50),
    )
    with_photo = make_issue(photos=[jpeg_upload("red"), jpeg_upload("blue")])

    records = requests_list(client)

    assert ids(records) == [str(with_photo), str(plain)]  # newest first
    first, second = records
    assert second["status"] == "open" and second["status_notes"] == ""
    assert second["service_code"] == "street-light" and second["service_name"] == "Street light out"
    assert second["agency_responsible"] == "Streets Department"
    assert second["description"] == "Dark corner at night."
    assert second["address"] == "1200 Frankford Ave"
    assert (second["lat"], second["long"]) == pytest.approx(offset(*FISHTOWN, north_m=50))
    assert second["media_url"] == "" and second["expected_datetime"] == ""
    assert second["service_notice"] == second["address_id"] == second["zipcode"] == ""
    assert first["address"] == ""
    assert first["media_url"].startswith("http://localhost/media/")
    photo = client.get(first["media_url"].removeprefix("http://localhost"))
    photo.close()  # send_file's open file
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"

    single = both(client, f"requests/{plain}", fields=REQUEST_FIELDS, xml=REQUESTS_XML)
    assert single == [second]


def test_datetimes_are_in_the_city_zone_with_its_offset(app, client, make_issue):
    issue = make_issue()
    at = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    reported_at(app, issue, at)
    change_status(app, issue, "acknowledged", "Crew is looking.", at=at + timedelta(hours=2))

    record = both(client, f"requests/{issue}", fields=REQUEST_FIELDS, xml=REQUESTS_XML)[0]

    assert record["requested_datetime"] == "2026-11-20T10:30:00-05:00"  # America/New_York in November
    assert record["updated_datetime"] == "2026-11-20T12:30:00-05:00"  # the status change is the latest
    assert record["status_notes"] == "Crew is looking."


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_is_a_404_error_array(client, make_issue, fmt):
    make_issue()
    for request_id in ("999999", "abc", "0", "99999999999999999999", "-1"):
        error(client, f"requests/{request_id}.{fmt}", fmt, 404)


def test_filters_by_id_service_code_and_status(app, client, make_issue):
    pothole = make_issue(category="pothole")
    light = make_issue(category="street-light")
    dumping = make_issue(category="illegal-dumping", status="in_progress")
    fixed = make_issue(category="pothole", status="fixed")
    closed = make_issue(category="graffiti", status="closed")
    old = make_issue(category="pothole")
    reported_at(app, old, datetime.now(UTC) - timedelta(days=120))

    assert ids(requests_list(client)) == [str(i) for i in (closed, fixed, dumping, light, pothole)]
    assert ids(requests_list(client, "service_code=pothole,street-light")) == [str(fixed), str(light), str(pothole)]
    assert ids(requests_list(client, "status=open")) == [str(dumping), str(light), str(pothole)]
    assert ids(requests_list(client, "status=closed")) == [str(closed), str(fixed)]
    assert ids(requests_list(client, "status=open,closed")) == ids(requests_list(client))
    assert ids(requests_list(client, "status=closed&service_code=pothole")) == [str(fixed)]
    assert {r["status"] for r in requests_list(client, "status=closed")} == {"closed"}
    # service_request_id overrides every other filter, even the date window
    assert ids(requests_list(client, f"service_request_id={old},{light},nope&status=closed&service_code=graffiti")) == [
        str(light),
        str(old),
    ]
    assert ids(requests_list(client, "service_request_id=424242")) == []
    assert ids(requests_list(client, "service_code=no-such-service")) == []
    assert ids(requests_list(client, "page_size=2")) == [str(closed), str(fixed)]
    assert ids(requests_list(client, "page_size=2&page=3")) == [str(pothole)]


def test_date_window(app, client, make_issue):
    recent, month_ago, old = make_issue(), make_issue(), make_issue()
    now = datetime.now(UTC)
    reported_at(app, month_ago, now - timedelta(days=30))
    reported_at(app, old, now - timedelta(days=100))

    def window(start: datetime, end: datetime | None = None) -> str:
        query = f"start_date={start.isoformat()}"
        return query + (f"&end_date={end.isoformat()}" if end else "")

    assert ids(requests_list(client)) == [str(recent), str(month_ago)]  # the last 90 days
    assert ids(
        requests_list(client, window(now - timedelta(days=31), now - timedelta(days=29)).replace("+", "%2B"))
    ) == [str(month_ago)]
    # start alone reaches 90 days from it; end alone 90 days back
    assert ids(requests_list(client, window(now - timedelta(days=101)).replace("+", "%2B"))) == [
        str(month_ago),
        str(old),
    ]
    assert ids(requests_list(client, f"end_date={(now - timedelta(days=29)).isoformat()}".replace("+", "%2B"))) == [
        str(month_ago),
        str(old),
    ]
    assert ids(requests_list(client, f"end_date={(now - timedelta(days=1)).isoformat()}".replace("+", "%2B"))) == [
        str(month_ago)
    ]
    # naive times are the city's; "+" sent unencoded arrives as a space and still counts as "+"
    day = (now - timedelta(days=30)).astimezone(CITY_ZONE)
    naive = (
        f"start_date={(day - timedelta(hours=1)).replace(tzinfo=None).isoformat()}"
        f"&end_date={(day + timedelta(hours=1)).replace(tzinfo=None).isoformat()}"
    )
    assert ids(requests_list(client, naive)) == [str(month_ago)]
    spaced = (
        f"start_date={(now - timedelta(days=31)).isoformat(timespec='seconds')}"
        f"&end_date={(now - timedelta(days=29)).isoformat(timespec='seconds')}"
    )
    assert "+00:00" in spaced
    assert ids(requests_list(client, spaced)) == [str(month_ago)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_filters_are_400_error_arrays(client, fmt):
    too_long = "start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:00Z"  # 91 days
    assert "90 days" in error(client, f"requests.{fmt}?{too_long}", fmt, 400)
    assert "90 days" in error(client, f"servicerequestupdates.{fmt}?{too_long}", fmt, 400)
    error(client, f"requests.{fmt}?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", fmt, 400)
    assert "start_date" in error(client, f"requests.{fmt}?start_date=last+tuesday", fmt, 400)
    assert "status" in error(client, f"requests.{fmt}?status=pending", fmt, 400)
    for edge in ("start_date=9999-12-31T00:00:00", "end_date=0001-01-01", "start_date=2026-13-01"):
        error(client, f"requests.{fmt}?{edge}", fmt, 400)
        error(client, f"servicerequestupdates.{fmt}?{edge}", fmt, 400)
    for paging in ("page=0", "page=x", "page=-1", "page=1000000000000000000000", "page_size=1001", "page_size=0"):
        error(client, f"requests.{fmt}?{paging}", fmt, 400)
    ok = "start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:00Z"  # exactly 90 days
    assert client.get(f"{BASE}/requests.{fmt}?{ok}").status_code == 200


# --- POST requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_a_valid_key_reports_the_issue(app, client, categories, api_key, upload_dir, fmt):
    key, user = api_key
    at = offset(*FISHTOWN, north_m=30, east_m=-20)
    reply = fetch(
        client,
        "requests",
        fmt,
        method="post",
        fields=POST_REPLY_FIELDS,
        xml=REQUESTS_XML,
        data=post_form(
            api_key=key,
            service_code="street-light",
            lat=str(at[0]),
            long=str(at[1]),
            description="  The light at the corner of Girard and Frankford has been out for a week, it is very dark  ",
            address_string="Girard Ave & Frankford Ave",
            media_url="https://example.org/photo.jpg",
            jurisdiction_id="philadelphia",
            **{"attribute[WHISPER]": "ignored"},
        ),
    )
    assert len(reply) == 1
    assert reply[0]["service_notice"] == "" and reply[0]["account_id"] == ""
    issue = issue_row(app, reply[0]["service_request_id"])
    assert issue["category"] == "street-light"
    assert (issue["lat"], issue["lon"]) == pytest.approx(at)
    assert issue["reporter_id"] == user.id and issue["status"] == "open"
    assert issue["address"] == "Girard Ave & Frankford Ave"
    assert issue["description"].startswith("The light at the corner")
    assert issue["title"].startswith("The light at the corner of Girard") and issue["title"].endswith("…")
    assert len(issue["title"]) <= 80
    assert issue["show_reporter_name"] is False

    record = both(client, f"requests/{reply[0]['service_request_id']}", fields=REQUEST_FIELDS, xml=REQUESTS_XML)[0]
    assert record["service_code"] == "street-light" and record["media_url"] == ""  # media_url is not fetched


def test_post_title_falls_back_for_a_short_description(app, client, categories, api_key):
    key, _user = api_key
    short = client.post(f"{BASE}/requests.json", data=post_form(api_key=key, description="Hole"))
    tiny = client.post(f"{BASE}/requests.json", data=post_form(api_key=key, description="ok"))
    assert issue_row(app, short.get_json()[0]["service_request_id"])["title"] == "Hole"
    assert issue_row(app, tiny.get_json()[0]["service_request_id"])["title"] == "Service request"


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_a_valid_key_is_403(app, client, categories, api_key, fmt):
    from civic.georeport.keys import revoke_api_key
    from civic.georeport.models import ApiKey

    key, _user = api_key
    error(client, f"requests.{fmt}", fmt, 403, method="post", data=post_form())
    error(client, f"requests.{fmt}", fmt, 403, method="post", data=post_form(api_key=""))
    error(client, f"requests.{fmt}", fmt, 403, method="post", data=post_form(api_key=key + "x"))
    with app.app_context(), unit_of_work():
        revoke_api_key(db.session.scalar(sa.select(ApiKey)))
    assert "api_key" in error(client, f"requests.{fmt}", fmt, 403, method="post", data=post_form(api_key=key))
    assert issue_count(app) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_refuses_bad_input_with_400(app, client, categories, api_key, fmt):
    key, _user = api_key

    def refused(**overrides) -> str:
        return error(client, f"requests.{fmt}", fmt, 400, method="post", data=post_form(api_key=key, **overrides))

    assert "service_code" in refused(service_code=None)
    assert "no-such-service" in refused(service_code="no-such-service")
    assert "outside Philadelphia" in refused(lat=str(OUTSIDE_THE_CITY[0]), long=str(OUTSIDE_THE_CITY[1]))
    assert refused(description="x" * 4001) == "Use at most 4000 characters."
    assert refused(lat=None, long=None, address_string="1200 Frankford Ave") == "lat and long are required."
    assert refused(long=None) == "lat and long are required."
    assert refused(lat="north", long="east") == "lat and long must be numbers."
    assert refused(lat="nan") == "lat and long must be numbers."
    assert refused(description="   ") == "Describe the problem so the city can find and fix it."
    assert issue_count(app) == 0
    # exactly 4000 characters is fine
    assert client.post(f"{BASE}/requests.{fmt}", data=post_form(api_key=key, description="y" * 4000)).status_code == 200


def test_post_needs_no_csrf_token(make_app, categories, api_key):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post(f"{BASE}/requests.json", data=post_form(api_key=api_key[0]))
    assert response.status_code == 200, response.get_data(as_text=True)
    # the rest of the site still checks it
    assert app.test_client().post("/logout").status_code == 400


def test_post_does_not_store_or_echo_contact_details(app, client, categories, api_key):
    key, _user = api_key
    contact = {
        "email": "ziggy.contact@private.example",
        "first_name": "Zbigniew",
        "last_name": "Quuxley",
        "phone": "215-555-0123",
        "device_id": "device-77",
        "account_id": "acct-9",
    }
    response = client.post(f"{BASE}/requests.json", data=post_form(api_key=key, **contact))
    assert response.status_code == 200
    issue_id = response.get_json()[0]["service_request_id"]
    stored = issue_row(app, issue_id)
    assert stored["on_behalf_name"] is None and stored["on_behalf_contact"] is None
    bodies = [response.get_data(as_text=True), str(stored)]
    for fmt in FORMATS:
        bodies.append(client.get(f"{BASE}/requests/{issue_id}.{fmt}").get_data(as_text=True))
        bodies.append(client.get(f"{BASE}/requests.{fmt}").get_data(as_text=True))
    for body in bodies:
        for value in contact.values():
            assert value not in body


# --- tokens and updates -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_tokens_are_never_issued(client, fmt):
    assert "token" in error(client, f"tokens/abc123.{fmt}", fmt, 404)


def test_updates_list_status_changes_with_extended_statuses(app, client, make_issue):
    now = datetime.now(UTC).replace(microsecond=0)
    a, b, c, d = make_issue(), make_issue(), make_issue(), make_issue()
    for issue in (a, b, c, d):
        reported_at(app, issue, now - timedelta(days=5))
    acknowledged = change_status(app, a, "acknowledged", "We have seen it.", at=now - timedelta(days=4))
    working = change_status(app, a, "in_progress", "Crew scheduled.", at=now - timedelta(days=3))
    fixed = change_status(app, a, "fixed", "Patched.", at=now - timedelta(days=2))
    dup = change_status(
        app, b, "closed", "Same as another report.", at=now - timedelta(days=4), closed_reason="duplicate"
    )
    first_close = change_status(
        app, c, "closed", "Private property.", at=now - timedelta(days=4), closed_reason="not_responsible"
    )
    reopened = change_status(app, c, "open", "It is on the sidewalk after all.", at=now - timedelta(days=3))
    closed_again = change_status(
        app, c, "closed", "Could not find it.", at=now - timedelta(days=2), closed_reason="cannot_locate"
    )
    nfa = change_status(app, d, "closed", None, at=now - timedelta(days=1), closed_reason="no_further_action")

    updates = both(client, "servicerequestupdates", fields=UPDATE_FIELDS, xml=UPDATES_XML)

    assert [(u["update_id"], u["service_request_id"], u["status"]) for u in updates] == [
        (str(acknowledged), str(a), "investigating"),
        (str(dup), str(b), "duplicate"),
        (str(first_close), str(c), "closed"),  # its reason was replaced when the issue was reopened
        (str(working), str(a), "in_progress"),
        (str(reopened), str(c), "open"),
        (str(fixed), str(a), "fixed"),
        (str(closed_again), str(c), "unable_to_fix"),
        (str(nfa), str(d), "no_further_action"),
    ]  # oldest first; the reports themselves are not updates
    assert updates[0]["description"] == "We have seen it." and updates[-1]["description"] == ""
    assert updates[0]["updated_datetime"] == (now - timedelta(days=4)).astimezone(CITY_ZONE).isoformat()
    assert {u["media_url"] for u in updates} == {""}

    window = {
        "start_date": (now - timedelta(days=3, hours=1)).isoformat(),
        "end_date": (now - timedelta(days=1, hours=12)).isoformat(),
    }
    windowed = both(client, "servicerequestupdates", fields=UPDATE_FIELDS, xml=UPDATES_XML, query_string=window)
    assert [u["update_id"] for u in windowed] == [str(working), str(reopened), str(fixed), str(closed_again)]

    not_responsible = make_issue()
    change_status(app, not_responsible, "closed", "Not ours.", closed_reason="not_responsible")
    assert (
        both(client, "servicerequestupdates", fields=UPDATE_FIELDS, xml=UPDATES_XML)[-1]["status"]
        == "not_councils_responsibility"
    )

    listed = {r["service_request_id"]: r for r in requests_list(client)}
    assert listed[str(a)]["status"] == "closed" and listed[str(a)]["status_notes"] == "Patched."
    assert listed[str(c)]["status"] == "closed" and listed[str(c)]["status_notes"] == "Could not find it."


# --- privacy ----------------------------------------------------------------------------------


def test_no_personal_data_in_any_response(app, client, make_user, make_issue, upload_dir):
    from civic.accounts.models import User
    from civic.issues import services
    from civic.issues.models import Comment
    from civic.staff.models import InternalNote

    liaison = make_user("liaison", display_name="Lucia Liaisonwoman", email="lucia@liaison.example")
    for_someone = make_issue(
        liaison, on_behalf_name="Maria Privada", on_behalf_contact="215-555-0199 maria@home.example"
    )
    shy = make_user(display_name="Hieronymus Hiddenreporter", email="hieronymus@shy.example")
    named = make_issue(shy, show_reporter_name=True)
    commenter = make_user(display_name="Carl Commentwriter", email="carl@comments.example")
    staff = make_user("staff", display_name="Stella Staffmember", email="stella@city.example")
    with app.test_request_context(), unit_of_work():
        services.add_comment(db.session.get(User, commenter.id), services.get_issue(named), "Secret-ish comment text")
        db.session.add(InternalNote(issue_id=for_someone, author_id=staff.id, body="Internal note: call Maria"))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1
    change_status(app, named, "acknowledged", "Seen by the crew.")

    paths = [
        "discovery",
        "services",
        "services/pothole",
        "requests",
        f"requests/{for_someone}",
        f"requests/{named}",
        "servicerequestupdates",
        f"requests?service_request_id={for_someone},{named}",
    ]
    secrets = (
        "Lucia",
        "Liaisonwoman",
        "lucia@",
        "Maria",
        "215-555-0199",
        "maria@home",
        "Hieronymus",
        "Hiddenreporter",
        "hieronymus@",
        "Carl",
        "carl@",
        "Secret-ish",
        "Internal note",
        "Stella",
        "stella@",
        "@example",
        "Neighbour ",
    )
    for path in paths:
        for fmt in FORMATS:
            route, _sep, query = path.partition("?")
            response = client.get(f"{BASE}/{route}.{fmt}" + (f"?{query}" if query else ""))
            assert response.status_code == 200
            body = response.get_data(as_text=True)
            for secret in secrets:
                assert secret not in body, (path, fmt, secret)
    assert "Seen by the crew." in client.get(f"{BASE}/requests/{named}.json").get_data(as_text=True)


# --- errors: arrays under /open311/, the site's pages elsewhere --------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_paths_and_extensions_under_open311_are_error_arrays(client, categories, fmt):
    error(client, f"no-such-thing.{fmt}", fmt, 404)
    error(client, f"requests/1/comments.{fmt}", fmt, 404)
    error(client, f"/open311/v1/services.{fmt}", fmt, 404)
    error(client, f"/open311/services.{fmt}", fmt, 404)
    for path in ("services.csv", "services.html", "services", "requests/1.txt", "discovery.JSON", "services/pothole"):
        error(client, path, "json", 404)
    error(client, "/open311/", "json", 404)
    wrong_method = client.delete(f"{BASE}/requests.{fmt}")
    assert wrong_method.status_code == 405 and set(wrong_method.headers["Allow"].split(", ")) >= {"GET", "POST"}
    error(client, f"requests.{fmt}", fmt, 405, method="delete")
    error(client, f"services.{fmt}", fmt, 405, method="post")


def test_oversized_post_is_a_413_error_array(make_app, categories):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    error(app.test_client(), "requests.xml", "xml", 413, method="post", data={"description": "x" * 4096})


def test_a_crash_is_a_500_error_array(make_app, monkeypatch, categories):
    from civic.georeport import records

    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken(category):
        raise RuntimeError("a bug")

    monkeypatch.setattr(records, "service", broken)
    client = app.test_client()
    for fmt in FORMATS:
        assert "went wrong" in error(client, f"services.{fmt}", fmt, 500)
    assert client.get("/no-such-page").status_code == 404


def test_other_paths_keep_the_sites_own_error_pages(client, make_issue):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Page not found" in page.get_data(as_text=True) and 'href="#main"' in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.get_json() == {"error": {"code": "not_found", "message": "Page not found"}}
    missing_issue = client.get("/issues/999999")
    assert missing_issue.status_code == 404 and missing_issue.mimetype == "text/html"
    wrong_method = client.get("/logout")
    assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["Allow"]
    assert "That action is not possible here" in wrong_method.get_data(as_text=True)
    # a path that only starts like ours
    assert client.get("/open311v2/services.json").mimetype == "text/html"


# --- keys and XML -----------------------------------------------------------------------------


def test_api_keys_store_only_a_hash_and_can_be_revoked(app, make_user):
    import hashlib

    from civic.accounts.models import User
    from civic.errors import ValidationError
    from civic.georeport.keys import create_api_key, revoke_api_key, user_for_key
    from civic.georeport.models import ApiKey

    info = make_user()
    with app.app_context(), unit_of_work():
        user = db.session.get(User, info.id)
        plain = create_api_key("  Partner app  ", user)
        other = create_api_key("Another app", user)
        row = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == "Partner app"))
        assert len(plain) >= 40 and plain != other
        assert row.key_hash == hashlib.sha256(plain.encode()).hexdigest()
        assert plain not in {row.key_hash, row.name}
        assert user_for_key(plain).id == info.id
        for wrong in (None, "", " ", plain[:-1], row.key_hash, "x" * 500):
            assert user_for_key(wrong) is None
        revoked = revoke_api_key(row.id)
        first = revoked.revoked_at
        assert first is not None and revoke_api_key(row).revoked_at == first
        assert user_for_key(plain) is None and user_for_key(other).id == info.id
        with pytest.raises(ValidationError):
            create_api_key("   ", user)


def test_xml_writer_escapes_and_drops_what_xml_cannot_hold():
    from civic.georeport import xml

    body = xml.dumps(
        "service_requests",
        "request",
        [
            {
                "description": 'a < b & "c" \x00\x07\x1b done\ttab',
                "lat": 39.5,
                "flag": True,
                "none": None,
                "nested": {"inner": 1},
                "values": [{"key": "k", "name": "n"}],
                "formats": ["a", "b"],
            },
        ],
    )
    root = ET.fromstring(body)
    request = root.find("request")
    assert request.findtext("description") == 'a < b & "c"  done\ttab'
    assert request.findtext("lat") == "39.5" and request.findtext("flag") == "true" and request.findtext("none") == ""
    assert request.find("nested/inner").text == "1"
    assert [v.findtext("key") for v in request.findall("values/value")] == ["k"]
    assert [f.text for f in request.findall("formats/format")] == ["a", "b"]
    with pytest.raises(ValueError):
        xml.dumps("root", "item", [{"not a tag": 1}])
