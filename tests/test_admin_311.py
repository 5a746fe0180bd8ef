"""Admin pages for the city's 311 link (/admin/311), over real HTTP against the pretend city (tools/pretend_city;
the `city` and `connected` fixtures are in conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.city311 import outbox
from civic.city311.models import CityService, Endpoint, Submission, SubmissionState
from civic.city311.services_list import suggest_category
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Category, Issue
from tests.test_open311_client import run_outbox

GOOD = {
    "name": "City of Example",
    "base_url": "https://311.example.gov/open311/v2/",
    "api_key": "secret-key-1",
    "jurisdiction_id": "",
    "format": "json",
    "page_size": "50",
    "active": "y",
}


@pytest.fixture
def admin(client, auth, make_user):
    user = make_user("admin", display_name="Ada Admin")
    auth.login_as(user)
    return user


def endpoint_row(app, endpoint_id: int) -> Endpoint:
    with app.app_context(), unit_of_work():
        row = db.session.get(Endpoint, endpoint_id)
        db.session.expunge(row)
        return row


def submissions(app) -> dict[int, Submission]:
    """{issue_id: submission} for every submission, detached."""
    with app.app_context(), unit_of_work():
        rows = list(db.session.scalars(sa.select(Submission)))
        for row in rows:
            db.session.expunge(row)
        return {row.issue_id: row for row in rows}


def refused_issues(app, city, connected, make_issue, titles) -> list[int]:
    """Issues whose submissions the city refused: it wants an address, the endpoint does not send one."""
    city.require_address_string = True
    with app.app_context(), unit_of_work():
        db.session.get(Endpoint, connected).needs_address = False
    ids = [make_issue(title=title) for title in titles]
    run_outbox(app)
    assert all(submissions(app)[i].state is SubmissionState.FAILED for i in ids)
    return ids


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- who may enter -------------------------------------------------------------------------------


def test_only_admins_reach_the_311_pages(app, client, auth, make_user, connected):
    gets = [
        "/admin/311",
        "/admin/311/endpoints/new",
        f"/admin/311/endpoints/{connected}",
        f"/admin/311/endpoints/{connected}/services",
    ]
    posts = [
        "/admin/311/retry",
        "/admin/311/resend",
        f"/admin/311/endpoints/{connected}/test",
        f"/admin/311/endpoints/{connected}/services/refresh",
        f"/admin/311/endpoints/{connected}",
    ]
    for path in gets:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for role in ("resident", "staff", "moderator"):
        auth.login_as(make_user(role))
        for path in gets:
            assert client.get(path).status_code == 403, (role, path)
        for path in posts:
            assert client.post(path, data={**GOOD, "scope": "all"}).status_code == 403, (role, path)
        auth.logout()
    assert endpoint_row(app, connected).name == "Sandbox"  # the refused edit changed nothing
    assert "/admin/311" not in page(client, "/")
    auth.login_as(make_user("admin"))
    assert 'href="/admin/311"' in page(client, "/")  # the "311" link in the admin menu


def test_an_unknown_endpoint_is_not_found(client, admin):
    assert client.get("/admin/311/endpoints/4242").status_code == 404
    assert client.post("/admin/311/endpoints/4242/test").status_code == 404
    assert client.get("/admin/311/endpoints/99999999999999").status_code == 404


# --- adding and editing endpoints ------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"base_url": "ftp://311.example.gov/open311/v2/"}, "starting with http:// or https://"),
        ({"base_url": "311.example.gov/open311/v2/"}, "starting with http:// or https://"),
        ({"base_url": "https://311.example.gov/open311/v2/services.json"}, "before services.json"),
        ({"page_size": "0"}, "between 1 and 1000"),
        ({"page_size": "5000"}, "between 1 and 1000"),
        ({"page_size": "many"}, "Not a valid integer value."),
        ({"format": "csv"}, "Not a valid choice."),
        ({"name": ""}, "This field is required."),
    ],
    ids=["ftp", "no-scheme", "services.json", "page-0", "page-5000", "page-text", "format", "no-name"],
)
def test_a_bad_endpoint_is_explained_in_the_form(app, client, admin, changes, message):
    response = client.post("/admin/311/endpoints/new", data={**GOOD, **changes})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and message in body
    assert 'aria-invalid="true"' in body
    assert "secret-key-1" not in body  # the key typed in is not shown back either
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Endpoint)) == 0


def test_an_admin_adds_an_endpoint(app, client, admin):
    response = client.post("/admin/311/endpoints/new", data={**GOOD, "needs_address": "y", "page_size": "200"})
    assert response.status_code == 302
    with app.app_context(), unit_of_work():
        endpoint = db.session.scalar(sa.select(Endpoint))
        assert (endpoint.name, endpoint.base_url, endpoint.api_key) == (GOOD["name"], GOOD["base_url"], "secret-key-1")
        assert endpoint.page_size == 200 and endpoint.needs_address and endpoint.active
        assert endpoint.jurisdiction_id is None and endpoint.format == "json"
    body = page(client, response.headers["Location"])
    assert "Saved the endpoint “City of Example”." in body
    # A second endpoint of the same name is refused in the form.
    again = client.post("/admin/311/endpoints/new", data=GOOD)
    assert again.status_code == 400 and "Another endpoint is called “City of Example”." in again.get_data(as_text=True)


def test_editing_keeps_the_key_when_left_blank(app, client, admin, connected):
    form = page(client, f"/admin/311/endpoints/{connected}")
    assert "sandbox-key" not in form and "A key is stored" in form
    edit = {**GOOD, "name": "Sandbox city", "base_url": endpoint_row(app, connected).base_url, "api_key": ""}
    assert client.post(f"/admin/311/endpoints/{connected}", data=edit).status_code == 302
    row = endpoint_row(app, connected)
    assert row.name == "Sandbox city" and row.api_key == "sandbox-key"
    client.post(f"/admin/311/endpoints/{connected}", data={**edit, "api_key": "new-key"})
    assert endpoint_row(app, connected).api_key == "new-key"
    assert "new-key" not in page(client, f"/admin/311/endpoints/{connected}")
    client.post(f"/admin/311/endpoints/{connected}", data={**edit, "clear_api_key": "y"})
    assert endpoint_row(app, connected).api_key is None
    assert "Leave blank if the city needs no key." in page(client, f"/admin/311/endpoints/{connected}")


# --- testing the connection -------------------------------------------------------------------------


def test_testing_the_connection_reports_what_the_city_offers(app, client, admin, city, connected):
    response = client.post(f"/admin/311/endpoints/{connected}/test")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Service list: 4 services" in body
    assert "Search: answered" in body
    assert "Status updates (servicerequestupdates): offered" in body
    assert "Tokens: offered" in body
    assert ("GET", "/open311/v2/tokens/civic-probe.json") in [(m, p) for m, p, _q in city.request_log]
    row = endpoint_row(app, connected)
    assert row.last_success_at is not None and row.last_error is None
    assert row.capabilities["servicerequestupdates"]["available"] is True
    assert row.capabilities["tokens"]["available"] is True


def test_a_failing_city_is_reported_with_its_words_and_no_500(app, client, admin, city, connected):
    city.mode = "fail"
    response = client.post(f"/admin/311/endpoints/{connected}/test")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Service list: the city answered 503" in body and "Service Unavailable" in body
    assert "The other checks were not tried" in body
    row = endpoint_row(app, connected)
    assert "503" in row.last_error and row.last_error_at is not None
    overview = page(client, "/admin/311")
    assert "503 Service Unavailable" in overview and "Last error" in overview

    city.mode = "garbage"  # HTML where GeoReport JSON should be
    body = client.post(f"/admin/311/endpoints/{connected}/test").get_data(as_text=True)
    assert "Service list:" in body and "City Services Portal" in body


def test_an_unreachable_city_is_reported_without_a_500(app, client, admin, categories):
    with app.app_context(), unit_of_work():
        db.session.add(Endpoint(name="Nowhere", base_url="http://127.0.0.1:9/open311/v2/"))
    with app.app_context(), unit_of_work():
        endpoint_id = db.session.scalar(sa.select(Endpoint.id))
    response = client.post(f"/admin/311/endpoints/{endpoint_id}/test")
    assert response.status_code == 200 and "could not reach the city" in response.get_data(as_text=True)
    refresh = client.post(f"/admin/311/endpoints/{endpoint_id}/services/refresh", follow_redirects=True)
    assert refresh.status_code == 200
    assert "The service list could not be fetched: could not reach the city" in refresh.get_data(as_text=True)


def test_a_missing_optional_endpoint_is_reported_and_recorded(app, client, admin, city, connected):
    city.missing_endpoints = {"servicerequestupdates"}
    body = client.post(f"/admin/311/endpoints/{connected}/test").get_data(as_text=True)
    assert "Status updates (servicerequestupdates): not offered by this city" in body
    assert endpoint_row(app, connected).capabilities["servicerequestupdates"]["available"] is False
    assert "servicerequestupdates" in page(client, "/admin/311")


# --- services and categories ------------------------------------------------------------------------


def mapping_of(app, connected) -> dict[str, int | None]:
    with app.app_context(), unit_of_work():
        services = db.session.scalars(sa.select(CityService).where(CityService.endpoint_id == connected))
        return {s.service_code: s.category_id for s in services}


def service_ids(app, connected) -> dict[str, int]:
    with app.app_context(), unit_of_work():
        services = db.session.scalars(sa.select(CityService).where(CityService.endpoint_id == connected))
        return {s.service_code: s.id for s in services}


def test_the_mapping_form_maps_a_service_and_issues_follow_it(
    app, client, admin, city, connected, categories, make_issue
):
    body = page(client, f"/admin/311/endpoints/{connected}/services")
    assert "Street Light Outage" in body and ">STREETLIGHT</code>" in body
    assert "Not sent to 311: Missed trash collection, Abandoned vehicle, Something else" in body
    ids = service_ids(app, connected)
    current = mapping_of(app, connected)
    form = {f"service_{sid}": str(current[code] or "") for code, sid in ids.items()}
    form[f"service_{ids['DUMPING']}"] = str(categories["trash-collection"])
    form[f"service_{ids['STREETLIGHT']}"] = ""  # not sent to 311 any more
    response = client.post(f"/admin/311/endpoints/{connected}/services", data=form)
    assert response.status_code == 302
    assert "Saved: 2 services changed." in page(client, response.headers["Location"])
    mapping = mapping_of(app, connected)
    assert mapping["DUMPING"] == categories["trash-collection"] and mapping["STREETLIGHT"] is None
    assert mapping["POTHOLE"] == categories["pothole"]

    body = page(client, f"/admin/311/endpoints/{connected}/services")
    assert "Suggested: Street light out" in body  # beside the service just unmapped
    assert "Not sent to 311: Street light out, Illegal dumping, Abandoned vehicle, Something else" in body

    issue_id = make_issue(category="trash-collection", title="Bags left out for a week")
    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        assert outbox.route_for(issue).service_code == "DUMPING"
        assert outbox.current_submission(issue_id).state is SubmissionState.QUEUED  # queued for the city at once


def test_a_bad_mapping_is_refused_without_a_500(app, client, admin, connected, categories):
    ids = service_ids(app, connected)
    before = mapping_of(app, connected)
    response = client.post(f"/admin/311/endpoints/{connected}/services", data={f"service_{ids['POTHOLE']}": "999999"})
    assert response.status_code == 400 and "Not a valid choice." in response.get_data(as_text=True)
    assert mapping_of(app, connected) == before


def test_fetching_the_service_list_again(app, client, admin, city, connected):
    with app.app_context(), unit_of_work():
        db.session.execute(sa.delete(CityService).where(CityService.service_code == "GRAFFITI"))
    response = client.post(f"/admin/311/endpoints/{connected}/services/refresh", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "The city lists 4 services." in body
    assert "Graffiti Removal" in body
    assert mapping_of(app, connected)["GRAFFITI"] is not None  # the HINTS guess still applies at refresh


def test_suggest_category_from_shared_words(app, categories):
    with app.app_context(), unit_of_work():
        cats = list(db.session.scalars(sa.select(Category).order_by(Category.position)))
        by_slug = {c.slug: c for c in cats}
        assert suggest_category("Street Light Outage", None, cats) is by_slug["street-light"]
        assert suggest_category("Streetlights", "A light that is out", cats) is by_slug["street-light"]
        assert suggest_category("Pothole", "A hole or broken surface in a street.", cats) is by_slug["pothole"]
        assert suggest_category("Illegal Dumping", None, cats) is by_slug["illegal-dumping"]
        assert suggest_category("Missed Trash Pickup", None, cats) is by_slug["trash-collection"]
        assert suggest_category("Abandoned Vehicles", None, cats) is by_slug["abandoned-vehicle"]
        assert suggest_category("Tree Trimming", "Branches over the sidewalk", cats) is None


# --- the stuck outbox: retry now, resend failed -------------------------------------------------------


def test_resend_failed_selected_then_all(app, client, admin, city, connected, make_issue):
    first, second, third = refused_issues(app, city, connected, make_issue, ["First refused", "Second", "Third"])
    overview = page(client, "/admin/311")
    assert "First refused" in overview and "Refused by the city" in overview
    assert "address_string required" in overview  # the city's own words, in the table and as last error
    assert "3 submissions" in overview

    chosen = submissions(app)[first].id
    response = client.post("/admin/311/resend", data={"scope": "selected", "submission": [str(chosen)]})
    assert response.status_code == 302
    assert "1 refused submission is queued to be sent again." in page(client, "/admin/311")
    rows = submissions(app)
    assert rows[first].state is SubmissionState.QUEUED and rows[first].attempts == 0
    assert rows[second].state is SubmissionState.FAILED and rows[third].state is SubmissionState.FAILED

    client.post("/admin/311/resend", data={"scope": "selected"})  # nothing ticked: nothing changes
    assert "Tick at least one submission first." in page(client, "/admin/311")
    assert submissions(app)[second].state is SubmissionState.FAILED

    client.post("/admin/311/resend", data={"scope": "all"})
    assert "2 refused submissions are queued to be sent again." in page(client, "/admin/311")
    assert all(row.state is SubmissionState.QUEUED for row in submissions(app).values())

    city.require_address_string = False  # the cause is fixed: the next run delivers them
    run_outbox(app)
    assert all(row.state is SubmissionState.ACCEPTED for row in submissions(app).values())
    assert "Nothing is waiting" in page(client, "/admin/311")


def test_retry_now_selected_then_all(app, client, admin, city, connected, make_issue):
    city.mode = "fail"
    one, two = make_issue(title="Waiting one"), make_issue(title="Waiting two")
    run_outbox(app)
    later = utcnow() + timedelta(seconds=10)
    rows = submissions(app)
    assert all(rows[i].state is SubmissionState.QUEUED and rows[i].next_attempt_at > later for i in (one, two))
    overview = page(client, "/admin/311")
    assert "Waiting to be sent" in overview and "503" in overview and "Oldest waiting" in overview

    client.post("/admin/311/retry", data={"scope": "selected", "submission": [str(rows[one].id)]})
    assert "1 waiting submission will be sent again now." in page(client, "/admin/311")
    rows = submissions(app)
    assert rows[one].next_attempt_at <= utcnow() < rows[two].next_attempt_at

    client.post("/admin/311/retry", data={"scope": "all"})
    assert "2 waiting submissions will be sent again now." in page(client, "/admin/311")
    assert all(row.next_attempt_at <= utcnow() for row in submissions(app).values())


def test_selection_posts_with_bad_input_are_refused(client, admin, connected):
    assert client.post("/admin/311/retry", data={"scope": "some"}).status_code == 400
    assert client.post("/admin/311/resend", data={"scope": "selected", "submission": ["x"]}).status_code == 400
