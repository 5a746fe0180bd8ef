"""The printable progress summary of an issue (/issues/<id>/summary), for a liaison to pass on to a neighbour
without internet: who may see it, what it says, and where it is linked from."""

from __future__ import annotations

from civic.accounts.models import User
from civic.city311.models import Endpoint, Submission, SubmissionState
from civic.database import unit_of_work
from civic.extensions import db
from civic.issues.models import Issue, IssueStatus
from civic.issues.services import add_comment
from civic.staff.replies import post_official_reply
from civic.staff.workflow import change_status


def progressed_issue(app, make_user, make_issue, reporter) -> int:
    """An issue a liaison filed for Rosa, acknowledged then fixed by staff with two official replies, a
    neighbour's comment, and a 311 ticket."""
    issue_id = make_issue(reporter, title="Broken kerb", on_behalf_name="Rosa Alvarez", on_behalf_contact="555-0100")
    staff = make_user("staff", department="streets")
    neighbour = make_user()
    with app.test_request_context(), unit_of_work():
        actor, issue = db.session.get(User, staff.id), db.session.get(Issue, issue_id)
        change_status(actor, issue, IssueStatus.ACKNOWLEDGED, "Crew booked")
        post_official_reply(actor, issue, "We will inspect it this week.")
        add_comment(db.session.get(User, neighbour.id), issue, "A neighbour's chatter")
        change_status(actor, issue, IssueStatus.FIXED, "Kerb rebuilt")
        post_official_reply(actor, issue, "The kerb is rebuilt.")
        endpoint = Endpoint(name="City", base_url="http://127.0.0.1:9/", api_key="k")
        db.session.add(endpoint)
        db.session.flush()
        db.session.add(
            Submission(
                issue_id=issue_id,
                endpoint_id=endpoint.id,
                idempotency_key="summary-key",
                state=SubmissionState.ACCEPTED,
                service_request_id="4521",
            )
        )
    return issue_id


def test_the_liaison_prints_the_progress_in_order(app, client, auth, make_user, make_issue):
    liaison = make_user("liaison")
    issue_id = progressed_issue(app, make_user, make_issue, liaison)
    auth.login_as(liaison)
    response = client.get(f"/issues/{issue_id}/summary")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Broken kerb" in page and "Reported on behalf of Rosa Alvarez." in page
    assert '<p class="summary__status">Fixed</p>' in page
    assert "Ticket number 4521" in page
    # The history and the replies, oldest first; the neighbour's comment is not the city's.
    texts = ("Crew booked", "Kerb rebuilt", "We will inspect it this week.", "The kerb is rebuilt.")
    order = [page.index(text) for text in texts]
    assert order == sorted(order)
    assert "from Open to Acknowledged" in page and "from Acknowledged to Fixed" in page
    assert "A neighbour&#39;s chatter" not in page and "A neighbour's chatter" not in page
    assert "map-frame" not in page and "data-print" in page and "needs-js" in page
    # Dates in words, not digits: "Wednesday, December 2, 2026".
    assert any(day in page for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))


def test_staff_may_see_the_summary_and_others_may_not(app, client, auth, make_user, make_issue):
    liaison = make_user("liaison")
    issue_id = progressed_issue(app, make_user, make_issue, liaison)
    auth.login_as(make_user("staff", department="parks"))
    assert client.get(f"/issues/{issue_id}/summary").status_code == 200
    auth.logout()
    auth.login_as(make_user())
    refused = client.get(f"/issues/{issue_id}/summary")
    assert refused.status_code == 403 and "Rosa" not in refused.get_data(as_text=True)
    assert "Printable summary" not in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    auth.logout()
    assert client.get(f"/issues/{issue_id}/summary").status_code == 302  # to sign in
    assert client.get("/issues/999999/summary").status_code in (302, 404)


def test_the_summary_is_linked_from_the_issue_and_the_liaisons_list(app, client, auth, make_user, make_issue):
    liaison = make_user("liaison")
    issue_id = make_issue(liaison, title="Broken kerb", on_behalf_name="Rosa Alvarez", status="in_progress")
    auth.login_as(liaison)
    assert f'href="/issues/{issue_id}/summary"' in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    listed = client.get("/issues?mine=others").get_data(as_text=True)
    assert f'href="/issues/{issue_id}/summary"' in listed
    assert "For Rosa Alvarez (private)" in listed and "In progress" in listed
    # Not on anyone else's list of everyone's issues: the name stays private.
    auth.logout()
    auth.login_as(make_user())
    everyone = client.get("/issues").get_data(as_text=True)
    assert "Broken kerb" in everyone and "Rosa Alvarez" not in everyone and "/summary" not in everyone


def test_a_missing_issue_is_404_for_staff(client, auth, make_user):
    auth.login_as(make_user("staff", department="streets"))
    missing = client.get("/issues/999999/summary")
    assert missing.status_code == 404
