"""Upvotes: one per resident per issue, toggled, and a count that stays right under concurrent clicks."""

from __future__ import annotations

import sqlalchemy as sa

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.extensions import db
from civic.issues import services
from civic.issues.models import Issue, Upvote
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
