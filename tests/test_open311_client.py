"""The Open311 client, outbox and sync, over real HTTP against the pretend city (tools/pretend_city; the
`city` and `connected` fixtures are in conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.accounts.models import User
from civic.city311 import outbox, sending, sync
from civic.city311.client import GeoReportClient
from civic.city311.models import CityService, Endpoint, Submission, SubmissionState
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Comment, Issue, IssueStatus
from tests.conftest import FISHTOWN, offset


def run_outbox(app, later_minutes: float = 0):
    with app.test_request_context():
        return sending.process_due(now=utcnow() + timedelta(minutes=later_minutes))


def submission_of(app, issue_id) -> Submission:
    with app.app_context(), unit_of_work():
        row = db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id))
        db.session.expunge(row)
        return row


def test_services_are_fetched_and_mapped_in_json_and_xml(app, city, connected, categories):
    with app.app_context(), unit_of_work():
        services = {s.service_code: s for s in db.session.scalars(sa.select(CityService))}
        assert services["POTHOLE"].category_id == categories["pothole"]
        assert services["STREETLIGHT"].category_id == categories["street-light"]
        assert [a["code"] for a in services["STREETLIGHT"].attributes] == ["pole_type", "pole_number"]
    city.mode = "xml_only"
    client = GeoReportClient(city.base_url)
    assert {s["service_code"] for s in client.services()} >= {"POTHOLE", "GRAFFITI"} and client.fmt == "xml"
    assert client.service_definition("STREETLIGHT")["service_code"] == "STREETLIGHT"


def test_a_new_issue_becomes_one_ticket(app, client, city, connected, make_issue):
    issue_id = make_issue(title="Crater on Norris", address="1200 Frankford Ave")
    assert submission_of(app, issue_id).state is SubmissionState.QUEUED
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Queued for 311" in page
    assert run_outbox(app) == 1
    submission = submission_of(app, issue_id)
    assert submission.state is SubmissionState.ACCEPTED and submission.service_request_id == "1001"
    [post] = city.posts
    assert post["service_code"] == "POTHOLE" and post["lat"].startswith("39.9712")
    assert "Crater on Norris" in post["description"] and "[civic ref " in post["description"]
    assert "email" not in post  # no contact details without consent
    assert "311 ticket #1001" in client.get(f"/issues/{issue_id}").get_data(as_text=True)


def test_city_down_then_back_gives_exactly_one_ticket(app, city, connected, make_issue):
    city.mode = "fail"
    issue_id = make_issue()
    run_outbox(app)
    queued = submission_of(app, issue_id)
    assert queued.state is SubmissionState.QUEUED and queued.attempts == 1 and "503" in queued.last_error
    assert run_outbox(app) == 0  # backing off: not due yet
    city.mode = "normal"
    run_outbox(app, later_minutes=5)  # the city is back: first a lookup for a ticket the 503 might have made
    looked = submission_of(app, issue_id)
    assert looked.state is SubmissionState.QUEUED and looked.absent_lookups == 1 and not city.tickets
    run_outbox(app, later_minutes=10)  # a second lookup minutes later agrees: only then is it posted again
    assert submission_of(app, issue_id).state is SubmissionState.ACCEPTED
    assert len(city.tickets) == 1


def test_crash_after_the_city_accepted_does_not_make_a_second_ticket(app, city, connected, make_issue):
    city.crash_after_accept_next()
    issue_id = make_issue()
    run_outbox(app)  # the city created the ticket; we never heard back
    assert submission_of(app, issue_id).state is SubmissionState.QUEUED and len(city.tickets) == 1
    run_outbox(app, later_minutes=5)
    accepted = submission_of(app, issue_id)
    assert accepted.state is SubmissionState.ACCEPTED and accepted.service_request_id in city.tickets
    assert len(city.tickets) == 1 and len(city.posts) == 1


def test_garbage_reply_is_kept_and_shown_to_staff_only(app, city, connected, make_issue, make_user):
    city.mode = "garbage"
    issue_id = make_issue()
    run_outbox(app)
    queued = submission_of(app, issue_id)
    assert queued.state is SubmissionState.QUEUED and "not GeoReport JSON" in queued.last_error
    staff = app.test_client()
    user = make_user("staff", department="streets")
    staff.post("/login", data={"email": user.email, "password": user.password})
    assert "the city said" in staff.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "the city said" not in app.test_client().get(f"/issues/{issue_id}").get_data(as_text=True)


def test_a_refusal_is_final_with_the_citys_words(app, city, connected, make_issue):
    city.require_address_string = True
    issue_id = make_issue()  # no address
    with app.app_context(), unit_of_work():
        db.session.get(Endpoint, connected).needs_address = False
        db.session.commit()
    run_outbox(app)
    failed = submission_of(app, issue_id)
    assert failed.state is SubmissionState.FAILED and "address_string required" in failed.last_error


def test_endpoint_that_needs_an_address_gets_one(app, city, connected, make_issue):
    city.require_address_string = True
    with app.app_context(), unit_of_work():
        db.session.get(Endpoint, connected).needs_address = True
        db.session.commit()
    issue_id = make_issue()
    run_outbox(app)
    assert submission_of(app, issue_id).state is SubmissionState.ACCEPTED
    assert city.posts[0]["address_string"]


def test_token_only_city(app, city, connected, make_issue):
    city.mode = "token"
    issue_id = make_issue()
    run_outbox(app)
    waiting = submission_of(app, issue_id)
    assert waiting.state is SubmissionState.AWAITING_TOKEN and waiting.token
    run_outbox(app)
    run_outbox(app)
    assert submission_of(app, issue_id).state is SubmissionState.ACCEPTED


def test_slow_city_times_out(app, city, connected, make_issue):
    city.mode, city.hang_seconds = "hang", 3
    issue_id = make_issue()
    with app.test_request_context(), unit_of_work():
        submission = db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id))
        sending.send(submission, GeoReportClient(city.base_url, api_key="sandbox-key", timeout=0.5))
        assert submission.state is SubmissionState.QUEUED and "did not answer" in submission.last_error


def test_link_an_existing_ticket(app, client, auth, city, connected, make_issue, make_user):
    city.mode = "fail"  # keep the automatic submission out of the way
    issue_id = make_issue()
    ticket = city.add_ticket("POTHOLE", "Called in by phone", lat=FISHTOWN[0], long=FISHTOWN[1])
    city.mode = "normal"
    auth.login_as(make_user())
    client.post(f"/issues/{issue_id}/311/link", data={"service_request_id": "999999"})
    assert "The city has no ticket 999999" in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    client.post(f"/issues/{issue_id}/311/link", data={"service_request_id": ticket["service_request_id"]})
    with app.app_context(), unit_of_work():
        linked = db.session.scalar(sa.select(Submission).where(Submission.linked.is_(True)))
        assert linked.service_request_id == ticket["service_request_id"] and linked.state is SubmissionState.ACCEPTED


def test_city_status_flows_back_and_closed_is_not_fixed(app, client, city, connected, make_issue, make_user):
    fixed_id = make_issue(title="Will be fixed")
    closed_id = make_issue(title="Will be closed", at=offset(*FISHTOWN, north_m=300))
    run_outbox(app)
    fixed_ticket, closed_ticket = (
        submission_of(app, fixed_id).service_request_id,
        submission_of(app, closed_id).service_request_id,
    )
    city.update(fixed_ticket, "in_progress", "Crew booked for Tuesday")
    with app.test_request_context(), unit_of_work():
        assert sync.sync_all() >= 1
    assert "Crew booked for Tuesday" in client.get(f"/issues/{fixed_id}").get_data(as_text=True)
    city.close(fixed_ticket, "Pothole filled", status="fixed")
    city.close(closed_ticket, "Closed by the city")
    with app.test_request_context(), unit_of_work():
        sync.sync_all()
    with app.app_context(), unit_of_work():
        assert db.session.get(Issue, fixed_id).status is IssueStatus.FIXED
        closed = db.session.get(Issue, closed_id)
        assert closed.status is IssueStatus.CLOSED and closed.closed_reason == "no_further_action"
        notes = [c.body for c in db.session.scalars(sa.select(Comment).where(Comment.issue_id == fixed_id))]
        assert any("Pothole filled" in n for n in notes)
        assert all(c.official for c in db.session.scalars(sa.select(Comment).where(Comment.issue_id == fixed_id)))


def test_batches_respect_the_page_size_and_404_means_none(app, city, connected):
    client = GeoReportClient(city.base_url, page_size=2)
    ids = [
        city.add_ticket("POTHOLE", f"t{n}", lat=FISHTOWN[0], long=FISHTOWN[1])["service_request_id"] for n in range(5)
    ]
    assert sorted(t.service_request_id for t in client.get_requests(ids)) == sorted(ids)
    batches = [q for m, p, q in city.request_log if p.endswith("requests.json") and "service_request_id" in q]
    assert len(batches) == 3
    city.not_found_is_404 = True
    assert client.get_requests(["424242"]) == []
    city.naive_datetimes = True
    assert client.get_request(ids[0]).updated_at.tzinfo is not None


def test_requests_from_another_311_app_are_not_filed_back(app, client, city, connected, make_user, categories):
    """An issue POSTed into civic's own endpoint is not sent on to the city again."""
    from civic.georeport.keys import create_api_key

    partner = make_user(display_name="Partner app")
    with app.app_context(), unit_of_work():
        key = create_api_key("Partner", db.session.get(User, partner.id))
    response = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "pothole",
            "lat": str(FISHTOWN[0]),
            "long": str(FISHTOWN[1]),
            "description": "Deep pothole reported through a partner app",
        },
    )
    assert response.status_code == 200
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


def test_cli_creates_an_api_key(app, runner, make_user):
    partner = make_user()
    result = runner.invoke(args=["open311", "create-api-key", "Partner", "--user", partner.email])
    assert result.exit_code == 0 and "shown once" in result.output
    assert runner.invoke(args=["open311", "create-api-key", "X", "--user", "nobody@example.org"]).exit_code != 0


def test_the_citys_required_attributes_are_asked_and_sent(app, client, auth, city, connected, make_user, categories):
    auth.login_as(make_user())
    form = client.get("/issues/new").get_data(as_text=True)
    assert "The city asks, for “Street light out”" in form and 'name="attribute[pole_type]"' in form
    data = {
        "category": str(categories["street-light"]),
        "title": "Light out",
        "description": "Dark corner.",
        "lat": str(FISHTOWN[0]),
        "lon": str(FISHTOWN[1]),
        "duplicates_seen": "1",
    }
    missing = client.post("/issues/new", data=data)
    assert missing.status_code == 400 and "The city needs this detail" in missing.get_data(as_text=True)
    wrong = client.post("/issues/new", data={**data, "attribute[pole_type]": "plastic"})
    assert wrong.status_code == 400 and "from the list" in wrong.get_data(as_text=True)
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 0
    assert client.post("/issues/new", data={**data, "attribute[pole_type]": "metal"}).status_code == 302
    run_outbox(app)
    [post] = city.posts
    assert post["service_code"] == "STREETLIGHT" and post["attribute[pole_type]"] == "metal"


def test_endpoint_from_the_environment(make_app, city, categories, monkeypatch):
    monkeypatch.setenv("CIVIC_OPEN311_URL", city.base_url)
    monkeypatch.setenv("CIVIC_OPEN311_API_KEY", "sandbox-key")
    monkeypatch.setenv("CIVIC_OPEN311_PAGE_SIZE", "25")
    app = make_app()
    result = app.test_cli_runner().invoke(args=["open311", "services"])
    assert result.exit_code == 0 and "POTHOLE" in result.output and "-> pothole" in result.output
    with app.app_context(), unit_of_work():
        endpoint = db.session.scalar(sa.select(Endpoint).where(Endpoint.name == "environment"))
        assert (endpoint.base_url, endpoint.api_key, endpoint.page_size) == (city.base_url, "sandbox-key", 25)


def test_city_updates_name_the_agency(app, client, city, connected, make_issue):
    issue_id = make_issue()
    run_outbox(app)
    ticket = submission_of(app, issue_id).service_request_id
    city.close(ticket, "Pothole filled", status="fixed")
    with app.test_request_context(), unit_of_work():
        sync.sync_all()
    with app.app_context(), unit_of_work():
        bodies = [c.body for c in db.session.scalars(sa.select(Comment).where(Comment.issue_id == issue_id))]
    assert bodies == [f"Streets Department (311 #{ticket}): Pothole filled"]
    assert "Streets Department" in client.get(f"/issues/{issue_id}").get_data(as_text=True)


# --- the outbox row joins the issue's transaction: both or neither --------------------------------


def counts(app) -> tuple[int, int]:
    with app.app_context(), unit_of_work():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Issue)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Submission)),
        )


@pytest.fixture
def crash_after_the_outbox_row(monkeypatch):
    """The city's issue_reported receiver queues the outbox row, which is flushed (it has its id), and then
    the work fails: the failure comes after both the issue and its outbox row were written."""
    real_queue, seen = outbox.queue, []

    def queue_then_crash(issue, *args, **kwargs):
        submission = real_queue(issue, *args, **kwargs)
        seen.append(
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Submission)
                .where(Submission.id == submission.id, Submission.issue_id == issue.id)
            )
        )
        raise RuntimeError("crashed after the issue and its outbox row were flushed")

    monkeypatch.setattr(outbox, "queue", queue_then_crash)
    return seen


def report_form(categories) -> dict:
    return {
        "category": str(categories["pothole"]),
        "title": "Crater on Girard",
        "description": "Deep.",
        "lat": str(FISHTOWN[0]),
        "lon": str(FISHTOWN[1]),
        "duplicates_seen": "1",
    }


def test_without_a_failure_the_issue_and_its_outbox_row_are_both_kept(
    app, client, auth, connected, make_user, categories
):
    auth.login_as(make_user())
    assert client.post("/issues/new", data=report_form(categories)).status_code == 302
    assert counts(app) == (1, 1)


def test_a_failure_after_the_outbox_row_keeps_neither_through_a_request(
    make_app, connected, make_user, categories, crash_after_the_outbox_row
):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    user = make_user()
    assert client.post("/login", data={"email": user.email, "password": user.password}).status_code == 302
    answer = client.post("/issues/new", data=report_form(categories))
    assert answer.status_code == 500
    assert crash_after_the_outbox_row == [1]  # the row had been written when the failure came
    assert counts(app) == (0, 0)


def test_a_failure_after_the_outbox_row_keeps_neither_in_a_unit_of_work(
    app, connected, make_user, categories, crash_after_the_outbox_row
):
    from civic.issues import services

    reporter = make_user()
    with pytest.raises(RuntimeError, match="outbox row were flushed"):
        with app.test_request_context(), unit_of_work():
            services.report_issue(
                db.session.get(User, reporter.id),
                services.IssueDraft(
                    category_id=categories["pothole"],
                    title="Crater on Girard",
                    description="Deep.",
                    lat=FISHTOWN[0],
                    lon=FISHTOWN[1],
                ),
            )
    assert crash_after_the_outbox_row == [1]
    assert counts(app) == (0, 0)


def test_queue_only_flushes_so_a_rolled_back_unit_of_work_keeps_no_outbox_row(app, connected, make_issue):
    """The outbox half on its own (whatever the issues services do): queue writes in the caller's
    transaction, and a failure after it leaves no row."""
    issue_id = make_issue()
    with app.app_context(), unit_of_work():
        db.session.execute(sa.delete(Submission))
    with pytest.raises(RuntimeError):
        with app.test_request_context(), unit_of_work():
            submission = outbox.queue(db.session.get(Issue, issue_id), None)
            assert submission.id is not None  # flushed: it has its id
            raise RuntimeError("the caller failed after queueing")
    assert counts(app) == (1, 0)
