"""Upvotes: one per resident per issue, toggled, and a count that stays right under concurrent clicks."""

from __future__ import annotations

import sqlalchemy as sa

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.extensions import db
from civic.issues import services
from civic.issues.models import Issue, IssueStatus, Upvote
from tests.concurrency import run_together


def counts(app, issue_id) -> tuple[int, int]:
    """(the issue's counter, the rows behind it)"""
    with app.app_context(), unit_of_work():
        counter = db.session.get(Issue, issue_id).upvote_count
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(Upvote).where(Upvote.issue_id == issue_id))
        return counter, rows


def test_toggle_on_and_off_through_the_page(app, client, auth, make_user, make_issue):
    issue_id = make_issue()
    auth.login_as(make_user())
    client.post(f"/issues/{issue_id}/upvote")
    assert counts(app, issue_id) == (1, 1)
    assert "1 neighbour wants this fixed" in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    client.post(f"/issues/{issue_id}/upvote")
    assert counts(app, issue_id) == (0, 0)


def test_voting_twice_counts_once(app, client, auth, make_user, make_issue):
    issue_id = make_issue()
    auth.login_as(make_user())
    for _ in range(3):
        assert client.post(f"/api/v1/issues/{issue_id}/upvote", json={"upvoted": True}).get_json()["upvotes"] == 1
    assert counts(app, issue_id) == (1, 1)


def test_api_upvote_errors(client, auth, make_user, make_issue):
    issue_id = make_issue()
    anonymous = client.post(f"/api/v1/issues/{issue_id}/upvote")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"
    auth.login_as(make_user())
    assert client.post(f"/api/v1/issues/{issue_id}/upvote", json={"upvoted": "yes"}).status_code == 400
    missing = client.post("/api/v1/issues/999999/upvote")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def voting(app, user_id: int, issue_id: int):
    def action():
        with app.app_context(), unit_of_work():
            services.set_upvote(db.session.get(User, user_id), issue_id, True)

    return action


def test_concurrent_upvotes_from_many_residents_are_all_counted(app, make_user, make_issue):
    issue_id = make_issue()
    voters = [make_user() for _ in range(12)]
    assert run_together([voting(app, v.id, issue_id) for v in voters]) == []
    assert counts(app, issue_id) == (12, 12)


def test_concurrent_clicks_by_one_resident_count_once(app, make_user, make_issue):
    issue_id = make_issue()
    voter = make_user()
    assert run_together([voting(app, voter.id, issue_id) for _ in range(8)]) == []
    assert counts(app, issue_id) == (1, 1)


# --- who may vote, and when: not the reporter, and not once the issue is fixed or closed ----------------


def test_the_reporter_cannot_vote_for_their_own_issue(app, client, auth, make_user, make_issue):
    reporter = make_user()
    issue_id = make_issue(reporter)
    auth.login_as(reporter)
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "You reported this." in page and f'action="/issues/{issue_id}/upvote"' not in page
    refused = client.post(f"/issues/{issue_id}/upvote", data={"upvoted": "1"})
    assert refused.status_code == 403 and "votes are for other neighbours" in refused.get_data(as_text=True)
    api = client.post(f"/api/v1/issues/{issue_id}/upvote", json={"upvoted": True})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"
    assert "votes are for other neighbours" in api.get_json()["error"]["message"]
    assert client.post(f"/api/v1/issues/{issue_id}/upvote").status_code == 403  # a toggle would add one
    assert counts(app, issue_id) == (0, 0)


def test_others_still_see_the_vote_button(client, auth, make_user, make_issue):
    issue_id = make_issue()
    auth.login_as(make_user())
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert f'action="/issues/{issue_id}/upvote"' in page and "You reported this." not in page


def test_fixed_and_closed_issues_offer_no_vote_and_refuse_one(app, client, auth, make_user, make_issue):
    staff = make_user("staff", department="streets")
    for status, words in (("fixed", "This issue is fixed"), ("closed", "This issue is closed")):
        issue_id = make_issue(status=status)
        for viewer in (None, make_user(), staff):
            auth.logout()
            if viewer is not None:
                auth.login_as(viewer)
            page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
            assert words in page
            assert f'action="/issues/{issue_id}/upvote"' not in page and "Sign in to add your vote" not in page
        refused = client.post(f"/issues/{issue_id}/upvote", data={"upvoted": "1"})
        assert refused.status_code == 409 and words in refused.get_data(as_text=True)
        api = client.post(f"/api/v1/issues/{issue_id}/upvote", json={"upvoted": True})
        assert api.status_code == 409 and api.get_json()["error"]["code"] == "conflict"
        assert counts(app, issue_id) == (0, 0)


def test_votes_cast_before_the_fix_stay_counted(app, client, auth, make_user, make_issue):
    issue_id = make_issue()
    voter = make_user()
    auth.login_as(voter)
    client.post(f"/issues/{issue_id}/upvote", data={"upvoted": "1"})
    with app.app_context(), unit_of_work():
        db.session.get(Issue, issue_id).status = IssueStatus.FIXED
    assert counts(app, issue_id) == (1, 1)
    assert "1 neighbour wants this fixed" in client.get(f"/issues/{issue_id}").get_data(as_text=True)
