"""civic's 311 link against what real GeoReport v2 servers do (each seen in real deployments' code), over real
HTTP against the pretend city's misbehaviour switches (tools/pretend_city): missing optional endpoints behind
JSON or HTML 404s, inverted or ignored date filters, answers after the client's timeout, error bodies of their
own shape, a default list of 20,000 records, integer ids, 200 or 201 on POST, null fields left out."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from civic.city311 import outbox, sending, sync
from civic.city311.client import MAX_RECORDS, GeoReportClient
from civic.city311.models import Endpoint, Submission, SubmissionState, TicketEvent, TicketEventKind
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Comment, Issue, IssueStatus
from tests.conftest import FISHTOWN, offset


def run_outbox(app, later_minutes: float = 0, **options) -> int:
    with app.test_request_context():
        return sending.process_due(now=utcnow() + timedelta(minutes=later_minutes), **options)


def run_sync(app) -> int:
    with app.test_request_context():
        return sync.sync_all()


def submission_of(app, issue_id) -> Submission:
    with app.app_context(), unit_of_work():
        row = db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id))
        db.session.expunge(row)
        return row


def endpoint_of(app, endpoint_id) -> Endpoint:
    with app.app_context(), unit_of_work():
        row = db.session.get(Endpoint, endpoint_id)
        db.session.expunge(row)
        return row


def tickets_for(city, app, issue_id) -> list[str]:
    """The city's tickets carrying this issue's civic reference."""
    with app.app_context(), unit_of_work():
        reference = outbox.reference(db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id)))
    return [number for number, ticket in city.tickets.items() if reference in (ticket["description"] or "")]


def accepted_ticket(app, city, make_issue, **issue) -> tuple[int, str]:
    issue_id = make_issue(**issue)
    run_outbox(app)
    submission = submission_of(app, issue_id)
    assert submission.state is SubmissionState.ACCEPTED
    return issue_id, submission.service_request_id


def status_of(app, issue_id) -> IssueStatus:
    with app.app_context(), unit_of_work():
        return db.session.get(Issue, issue_id).status


# --- the city's status comes back, whatever its optional endpoints say -------------------------------


def test_updates_missing_behind_a_json_404_still_bring_the_closed_status_back(app, city, connected, make_issue):
    issue_id, number = accepted_ticket(app, city, make_issue)
    city.missing_endpoints, city.missing_style = {"servicerequestupdates"}, "json"
    city.close(number, "Filled by the Streets crew")
    run_sync(app)
    assert status_of(app, issue_id) is IssueStatus.CLOSED
    endpoint = endpoint_of(app, connected)
    assert endpoint.format == "json"  # a missing endpoint never changes the format
    assert endpoint.capabilities["servicerequestupdates"]["available"] is False
    assert "GET endpoint not available" in endpoint.capabilities["servicerequestupdates"]["message"]


def test_updates_missing_behind_an_html_404_still_bring_the_closed_status_back(app, city, connected, make_issue):
    issue_id, number = accepted_ticket(app, city, make_issue)
    city.missing_endpoints, city.missing_style = {"servicerequestupdates"}, "html"
    city.close(number, "Filled")
    run_sync(app)
    assert status_of(app, issue_id) is IssueStatus.CLOSED
    assert endpoint_of(app, connected).format == "json"


def test_a_missing_updates_endpoint_is_asked_again_only_after_a_day(app, city, connected, make_issue):
    accepted_ticket(app, city, make_issue)
    city.missing_endpoints = {"servicerequestupdates"}
    run_sync(app)
    run_sync(app)
    asked = [p for method, p, _q in city.request_log if "servicerequestupdates" in p]
    assert len(asked) == 1
    with app.app_context(), unit_of_work():
        endpoint = db.session.get(Endpoint, connected)
        endpoint.capabilities = {
            "servicerequestupdates": {"available": False, "checked_at": (utcnow() - timedelta(days=2)).isoformat()}
        }
    city.missing_endpoints = set()
    run_sync(app)
    assert len([p for method, p, _q in city.request_log if "servicerequestupdates" in p]) == 2
    assert endpoint_of(app, connected).capabilities["servicerequestupdates"]["available"] is True


def test_a_failing_updates_call_does_not_stop_the_statuses(app, city, connected, make_issue):
    issue_id, number = accepted_ticket(app, city, make_issue)
    with app.app_context(), unit_of_work():  # a ticket older than the city's 90-day window: updates answer 400
        db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id)).accepted_at = utcnow() - (
            timedelta(days=120)
        )
    city.close(number, "Done")
    run_sync(app)
    assert status_of(app, issue_id) is IssueStatus.CLOSED
    assert "90 days" in endpoint_of(app, connected).last_error


def test_a_city_that_ignores_the_id_list_is_asked_ticket_by_ticket(app, city, connected, make_issue):
    issue_id, number = accepted_ticket(app, city, make_issue)
    other_id, other = accepted_ticket(app, city, make_issue, at=offset(*FISHTOWN, north_m=400))
    for n in range(5):
        city.add_ticket("GRAFFITI", f"Phoned in {n}", lat=FISHTOWN[0], long=FISHTOWN[1])
    city.id_filter, city.default_list_limit = "ignored", 3  # it answers its newest three, none of ours
    city.missing_endpoints = {"servicerequestupdates"}  # so statuses come from GET requests alone
    city.close(number, "Filled")
    city.close(other, "Cleared")
    run_sync(app)
    assert status_of(app, issue_id) is IssueStatus.CLOSED and status_of(app, other_id) is IssueStatus.CLOSED


def test_a_token_city_without_the_tokens_endpoint_is_found_by_reference(app, city, connected, make_issue):
    city.mode, city.missing_endpoints, city.missing_style = "token", {"tokens"}, "html"
    issue_id = make_issue()
    run_outbox(app)  # POSTed: a token; asking for it finds the endpoint missing
    assert submission_of(app, issue_id).state is SubmissionState.AWAITING_TOKEN
    assert endpoint_of(app, connected).capabilities["tokens"]["available"] is False
    run_outbox(app)  # the ticket is found by its reference instead
    submission = submission_of(app, issue_id)
    assert submission.state is SubmissionState.ACCEPTED and tickets_for(city, app, issue_id) == [
        submission.service_request_id
    ]


# --- never a second ticket -------------------------------------------------------------------------


def _slow_first_post(app, city, connected, issue_id) -> None:
    """The city makes the ticket but answers after civic's timeout."""
    city.post_delay_seconds = 1.5
    with app.test_request_context(), unit_of_work():
        submission = db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id))
        endpoint = db.session.get(Endpoint, connected)
        sending.send(submission, GeoReportClient.for_endpoint(endpoint, timeout=0.5))
        assert submission.state is SubmissionState.QUEUED and "did not answer" in submission.last_error
    city.post_delay_seconds = 0


def test_a_post_answered_after_the_timeout_with_inverted_date_filters_makes_one_ticket(
    app, city, connected, make_issue
):
    city.mode = "fail"
    issue_id = make_issue()  # queued; the job's own send is kept out of the way
    city.mode = "normal"
    _slow_first_post(app, city, connected, issue_id)
    assert len(tickets_for(city, app, issue_id)) == 1  # the city made it
    city.date_filters = "inverted"  # a sane window answers []
    run_outbox(app, later_minutes=5)
    run_outbox(app, later_minutes=10)
    submission = submission_of(app, issue_id)
    assert submission.state is SubmissionState.ACCEPTED
    assert tickets_for(city, app, issue_id) == [submission.service_request_id]
    assert len(city.posts) == 1


def test_a_post_answered_after_the_timeout_with_ignored_date_filters_makes_one_ticket(app, city, connected, make_issue):
    city.mode = "fail"
    issue_id = make_issue()
    city.mode = "normal"
    for n in range(30):  # other people's tickets around it
        city.add_ticket("POTHOLE", f"Phoned in {n}", lat=FISHTOWN[0], long=FISHTOWN[1])
    _slow_first_post(app, city, connected, issue_id)
    city.date_filters = "ignored"
    run_outbox(app, later_minutes=5)
    run_outbox(app, later_minutes=10)
    assert submission_of(app, issue_id).state is SubmissionState.ACCEPTED
    assert len(tickets_for(city, app, issue_id)) == 1 and len(city.posts) == 1


def test_two_tickets_with_one_reference_keep_the_first_and_record_the_second(app, city, connected, make_issue):
    city.mode = "fail"
    issue_id = make_issue()
    run_outbox(app)  # one failed try: the next one looks first
    city.mode = "normal"
    with app.app_context(), unit_of_work():
        reference = outbox.reference(db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id)))
    first = city.add_ticket("POTHOLE", f"Crater\n\n{reference}", lat=FISHTOWN[0], long=FISHTOWN[1])
    second = city.add_ticket("POTHOLE", f"Crater\n\n{reference}", lat=FISHTOWN[0], long=FISHTOWN[1])
    run_outbox(app, later_minutes=5)
    submission = submission_of(app, issue_id)
    assert submission.service_request_id == first["service_request_id"]
    assert submission.duplicate_ticket_ids == [second["service_request_id"]]
    with app.app_context(), unit_of_work():
        kinds = [e.kind for e in db.session.scalars(sa.select(TicketEvent).where(TicketEvent.issue_id == issue_id))]
    assert TicketEventKind.DUPLICATE in kinds and not city.posts


def test_a_lookup_reads_at_most_the_record_cap_of_a_default_list_of_20000(city):
    city.bulk(20_000)
    city.default_list_limit = None
    city.date_filters = "ignored"
    client = GeoReportClient(city.base_url)
    answer = client.fetch("GET", "requests")
    assert answer.truncated and 0 < len(answer.records) <= MAX_RECORDS
    lookup = client.find_by_reference("[civic ref nowhere]", utcnow() - timedelta(days=1), utcnow(), "POTHOLE")
    assert lookup.tickets == [] and lookup.reads >= 2


def test_a_linked_ticket_retires_the_queued_send(app, client, auth, city, connected, make_issue, make_user):
    city.mode = "fail"
    issue_id = make_issue()
    run_outbox(app)  # one failed try: the city may hold a ticket from it
    city.mode = "normal"
    phoned = city.add_ticket("POTHOLE", "Called in by phone", lat=FISHTOWN[0], long=FISHTOWN[1])
    auth.login_as(make_user())
    client.post(f"/issues/{issue_id}/311/link", data={"service_request_id": phoned["service_request_id"]})
    run_outbox(app, later_minutes=5)
    run_outbox(app, later_minutes=10)
    assert len(city.tickets) == 1 and not city.posts  # never posted for an issue that has its ticket
    with app.app_context(), unit_of_work():
        rows = db.session.scalars(sa.select(Submission).where(Submission.issue_id == issue_id)).all()
        assert [(s.linked, s.state) for s in rows] == [(True, SubmissionState.ACCEPTED)]  # the waiting one is gone


# --- only the city speaks as the city ----------------------------------------------------------------


def test_acceptance_is_a_ticket_event_not_an_official_reply(app, client, city, connected, make_issue):
    issue_id, number = accepted_ticket(app, city, make_issue)
    assert run_sync(app) == 0  # open, no notes: the city has said nothing yet
    with app.app_context(), unit_of_work():
        assert db.session.scalars(sa.select(Comment).where(Comment.issue_id == issue_id)).all() == []
        issue = db.session.get(Issue, issue_id)
        assert issue.first_response_at is None and issue.comment_count == 0
        events = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.issue_id == issue_id)).all()
        assert [(e.kind, e.value) for e in events] == [(TicketEventKind.RECEIVED, number)]
    city.update(number, "in_progress", "Crew booked for Tuesday")
    run_sync(app)
    run_sync(app)  # applied once
    with app.app_context(), unit_of_work():
        [comment] = db.session.scalars(sa.select(Comment).where(Comment.issue_id == issue_id)).all()
        assert "Crew booked for Tuesday" in comment.body and comment.official
        assert db.session.get(Issue, issue_id).first_response_at is not None


def test_a_status_change_without_words_is_no_official_reply(app, city, connected, make_issue):
    city.missing_endpoints = {"servicerequestupdates"}
    issue_id, number = accepted_ticket(app, city, make_issue)
    city.close(number)  # no notes
    run_sync(app)
    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        assert issue.status is IssueStatus.CLOSED and issue.first_response_at is None
        assert db.session.scalars(sa.select(Comment).where(Comment.issue_id == issue_id)).all() == []


# --- backoff that grows, the city's own words --------------------------------------------------------


def test_retries_slow_down_while_the_city_is_down_lookups_included(app, city, connected, make_issue):
    city.mode = "fail"
    issue_id = make_issue()
    gaps, minutes = [], 0.0
    for _try in range(5):
        run_outbox(app, later_minutes=minutes)
        submission = submission_of(app, issue_id)
        wait = (submission.next_attempt_at - (utcnow() + timedelta(minutes=minutes))).total_seconds()
        gaps.append(wait)
        minutes += wait / 60 + 0.1
    assert submission_of(app, issue_id).attempts == 5
    assert all(later > earlier for earlier, later in zip(gaps, gaps[1:], strict=False))
    assert gaps[-1] > 6 * 60  # 30 s doubling: the fifth wait is about 8 minutes


def test_after_an_unreachable_city_or_a_refusal_the_next_try_posts_at_once(app, city, connected, make_issue):
    with app.app_context(), unit_of_work():
        db.session.get(Endpoint, connected).base_url = "http://127.0.0.1:9/open311/v2/"  # nothing listens
    issue_id = make_issue()
    run_outbox(app)
    unreachable = submission_of(app, issue_id)
    assert "could not reach" in unreachable.last_error and not unreachable.maybe_at_city
    with app.app_context(), unit_of_work():
        db.session.get(Endpoint, connected).base_url = city.base_url
    run_outbox(app, later_minutes=5)  # no ticket can exist: no lookup, no waiting for a second one
    assert submission_of(app, issue_id).state is SubmissionState.ACCEPTED
    assert not [q for method, path, q in city.request_log if method == "GET" and path.endswith("requests.json")]


def test_a_wrong_key_keeps_the_citys_words_and_the_queue_until_fixed(app, city, connected, make_issue):
    city.error_style = "own"
    city.api_key = "the-real-key"
    issue_ids = [make_issue(at=offset(*FISHTOWN, north_m=200 * n)) for n in range(3)]
    run_outbox(app)
    for issue_id in issue_ids:
        submission = submission_of(app, issue_id)
        assert submission.state is SubmissionState.QUEUED  # not failed for good: the key is wrong, not the report
        assert "No API key provided" in submission.last_error
    assert "No API key provided" in endpoint_of(app, connected).last_error
    with app.app_context(), unit_of_work():
        db.session.get(Endpoint, connected).api_key = "the-real-key"
        assert outbox.retry_now() == 3
    run_outbox(app)  # one click after the fix: a refused POST made no ticket, so no lookup holds it back
    assert all(submission_of(app, i).state is SubmissionState.ACCEPTED for i in issue_ids)
    assert all(len(tickets_for(city, app, i)) == 1 for i in issue_ids)


def test_an_error_in_plain_text_is_kept(app, city, connected, make_issue):
    city.error_style = "text"
    city.require_address_string = True
    issue_id = make_issue()
    run_outbox(app)
    failed = submission_of(app, issue_id)
    assert failed.state is SubmissionState.FAILED and "address_string required" in failed.last_error


def test_sync_now_sends_what_is_waiting_too(app, runner, city, connected, make_issue):
    city.mode = "fail"
    issue_id = make_issue()
    run_outbox(app)
    city.mode = "normal"
    result = runner.invoke(args=["open311", "sync"])
    assert "Tried 0 submission(s)" in result.output  # backing off: not due
    runner.invoke(args=["open311", "sync", "--now"])  # a lookup
    with app.app_context(), unit_of_work():
        db.session.get(Submission, submission_of(app, issue_id).id).first_absent_at = utcnow() - timedelta(minutes=5)
    result = runner.invoke(args=["open311", "sync", "--now"])
    assert "Tried 1 submission(s)" in result.output
    assert submission_of(app, issue_id).state is SubmissionState.ACCEPTED


# --- the shapes of real servers ----------------------------------------------------------------------


def test_integer_ids_200_on_post_and_null_fields_left_out(app, city, categories, make_issue):
    from civic.city311.services_list import refresh

    city.integer_ids, city.omit_nulls, city.omit_service_fields = True, True, True
    city.post_status = 200
    with app.app_context(), unit_of_work():
        endpoint = Endpoint(name="Real", base_url=city.base_url, api_key=city.api_key)
        db.session.add(endpoint)
        db.session.flush()
        mapped = {s.service_code: s.category_id for s in refresh(endpoint)}
    assert mapped["1"] == categories["pothole"]
    issue_id, number = accepted_ticket(app, city, make_issue)
    assert number == "1001"
    city.close(int(number), "Filled")
    run_sync(app)
    assert status_of(app, issue_id) is IssueStatus.CLOSED


def test_201_on_post_is_accepted_too(app, city, connected, make_issue):
    city.post_status = 201
    accepted_ticket(app, city, make_issue)


def test_an_unknown_id_answered_with_an_empty_list(city):
    city.unknown_id = "empty"
    assert GeoReportClient(city.base_url).get_request("424242") is None


def test_a_city_that_refuses_page_never_sees_it(app, city, connected, make_issue):
    city.page_param = "500"
    issue_id, number = accepted_ticket(app, city, make_issue)
    city.close(number, "Done")
    run_sync(app)
    assert status_of(app, issue_id) is IssueStatus.CLOSED


# --- the figure for the closing note ------------------------------------------------------------------


def _try_once(app, connected, issue_id, timeout: float = 10.0) -> None:
    with app.test_request_context(), unit_of_work():
        submission = db.session.scalar(sa.select(Submission).where(Submission.issue_id == issue_id))
        endpoint = db.session.get(Endpoint, connected)
        sending.send(submission, GeoReportClient.for_endpoint(endpoint, timeout=timeout))


def test_a_run_of_faults_leaves_exactly_one_ticket_per_issue(app, city, connected, make_issue, capsys):
    """Each issue's first try meets one fault (down, slow past the timeout, a 500, HTML, a dropped connection,
    a wrong key) at a city whose date filters are inverted; then the city recovers and the outbox runs on.
    Each issue ends with exactly one city ticket."""
    city.date_filters, city.error_style = "inverted", "own"
    faults = ["down", "slow past the timeout", "500", "HTML", "dropped connection", "wrong key"]
    issues = {
        fault: make_issue(title=f"Fault: {fault}", at=offset(*FISHTOWN, north_m=150 * n))
        for n, fault in enumerate(faults)
    }
    city.mode = "fail"
    _try_once(app, connected, issues["down"])
    city.mode = "normal"
    city.post_delay_seconds = 1.5
    _try_once(app, connected, issues["slow past the timeout"], timeout=0.5)
    city.post_delay_seconds = 0
    city.fail_status = 500
    city.fail_next(1)
    _try_once(app, connected, issues["500"])
    city.mode = "garbage"
    _try_once(app, connected, issues["HTML"])
    city.mode = "normal"
    city.crash_after_accept_next()
    _try_once(app, connected, issues["dropped connection"])
    city.api_key = "rotated"
    _try_once(app, connected, issues["wrong key"])
    city.api_key = "sandbox-key"
    for minutes in (1, 5, 10, 20, 40, 80):
        run_outbox(app, later_minutes=minutes, waiting_too=True)
    counts = {fault: len(tickets_for(city, app, issue_id)) for fault, issue_id in issues.items()}
    print(f"\ncity tickets per issue after the run of faults: {counts}")
    assert counts == dict.fromkeys(issues, 1)
    assert all(submission_of(app, i).state is SubmissionState.ACCEPTED for i in issues.values())
