"""'Already reported?': open issues of the same category within 100 m, in the service and the form."""

from __future__ import annotations

import sqlalchemy as sa

from civic.database import unit_of_work
from civic.extensions import db
from civic.issues import services
from civic.issues.models import Issue
from tests.conftest import FISHTOWN, offset


def nearby_ids(app, categories, at=FISHTOWN, category="pothole"):
    with app.app_context(), unit_of_work():
        return [(issue.id, round(d)) for issue, d in services.nearby_open_issues(*at, categories[category])]


def test_radius_is_100_metres_and_nearest_comes_first(app, categories, make_issue):
    at_90 = make_issue(at=offset(*FISHTOWN, north_m=90))
    at_40 = make_issue(at=offset(*FISHTOWN, east_m=-40))
    make_issue(at=offset(*FISHTOWN, north_m=110))
    found = nearby_ids(app, categories)
    assert [issue_id for issue_id, _ in found] == [at_40, at_90]
    assert [d for _, d in found] == [40, 90]


def test_only_open_issues_of_the_same_category(app, categories, make_issue):
    make_issue(category="graffiti", at=offset(*FISHTOWN, north_m=10))
    make_issue(status="fixed", at=offset(*FISHTOWN, north_m=20))
    make_issue(status="closed", at=offset(*FISHTOWN, north_m=30))
    in_progress = make_issue(status="in_progress", at=offset(*FISHTOWN, north_m=40))
    assert [i for i, _ in nearby_ids(app, categories)] == [in_progress]


def test_api_lists_nearby_issues_with_distance(client, categories, make_issue):
    issue_id = make_issue(at=offset(*FISHTOWN, east_m=25))
    response = client.get(
        f"/api/v1/issues/nearby?lat={FISHTOWN[0]}&lon={FISHTOWN[1]}&category_id={categories['pothole']}"
    )
    [feature] = response.get_json()["features"]
    assert feature["id"] == issue_id and feature["properties"]["distance_m"] == 25


def test_api_rejects_bad_points(client):
    assert client.get("/api/v1/issues/nearby?lat=abc&lon=1").status_code == 400
    outside = client.get("/api/v1/issues/nearby?lat=40.7128&lon=-74.006")
    assert outside.status_code == 400 and "outside Philadelphia" in outside.get_json()["error"]["message"]


def test_form_without_javascript_offers_duplicates_before_reporting(
    app, client, auth, make_user, categories, make_issue
):
    existing = make_issue(title="Crater on Norris St", at=offset(*FISHTOWN, north_m=50))
    auth.login_as(make_user())
    data = {
        "category": str(categories["pothole"]),
        "title": "Hole in the road",
        "description": "Deep.",
        "lat": str(FISHTOWN[0]),
        "lon": str(FISHTOWN[1]),
    }
    first = client.post("/issues/new", data=data)
    body = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "Already reported? Add your vote instead" in body and "Crater on Norris St" in body
    assert f'action="/issues/{existing}/upvote"' in body
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 1
    second = client.post("/issues/new", data={**data, "duplicates_seen": "1"})
    assert second.status_code == 302
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 2
