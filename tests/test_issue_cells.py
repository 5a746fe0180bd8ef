"""The precomputed cluster counts (civic/issues/cells.py, migration 0010): kept exact by the triggers through
every change an issue goes through, and answering the map's city view as grouping the issues would."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues import cells
from civic.issues.models import Issue, IssueStatus
from tests.conftest import FISHTOWN, offset

CITY = "-75.30,39.85,-74.94,40.16"  # all of Philadelphia


def assert_cells_match_issues() -> None:
    stored, live = cells.stored_totals(), cells.live_totals()
    assert stored.keys() == live.keys()
    for key, (n, sum_lat, sum_lon, sum_id) in live.items():
        got = stored[key]
        assert (got[0], got[3]) == (n, sum_id), key
        assert math.isclose(got[1], sum_lat, abs_tol=1e-6) and math.isclose(got[2], sum_lon, abs_tol=1e-6), key


def test_counts_follow_every_change_to_an_issue(app, make_issue, categories):
    first = make_issue(at=offset(*FISHTOWN, north_m=300))
    second = make_issue(category="graffiti", at=offset(*FISHTOWN, east_m=-5000))
    third = make_issue(at=offset(*FISHTOWN, north_m=2000, east_m=-2000), status="fixed")
    with app.app_context(), unit_of_work():
        assert_cells_match_issues()
        assert {k[0] for k in cells.stored_totals()} == set(cells.CELL_LEVELS)

        issue = db.session.get(Issue, first)
        issue.lat, issue.lon = offset(*FISHTOWN, north_m=6000, east_m=-6000)  # moved across cells
        db.session.commit()
        assert_cells_match_issues()

        issue.lat += 0.00001  # moved within its cells
        db.session.get(Issue, second).status = IssueStatus.IN_PROGRESS
        db.session.get(Issue, third).category_id = categories["graffiti"]
        db.session.commit()
        assert_cells_match_issues()

        db.session.get(Issue, second).hidden_at = utcnow()  # hidden by a moderator
        db.session.commit()
        assert_cells_match_issues()
        assert all(sum_id != second for _n, _a, _b, sum_id in cells.stored_totals().values())

        db.session.get(Issue, second).hidden_at = None  # restored
        db.session.delete(db.session.get(Issue, third))
        db.session.commit()
        assert_cells_match_issues()
        level_8 = [v for k, v in cells.stored_totals().items() if k[0] == 8 and k[3:] != cells.ALL_KINDS]
        assert sum(n for n, *_ in level_8) == 2
        assert sum(v[0] for k, v in cells.stored_totals().items() if k[0] == 8 and k[3:] == cells.ALL_KINDS) == 2


def test_city_view_is_answered_from_the_counts_as_grouping_would(app, client, categories):
    from civic.demo import seeding as demo
    from civic.issues.queries import IssueFilters, clusters, parse_bbox

    with app.app_context(), unit_of_work():
        demo.seed_people()
        demo.seed_issues(700, citywide=True)
        some = db.session.scalars(db.select(Issue).limit(40)).all()
        for issue in some[:20]:
            issue.status = IssueStatus.FIXED
        for issue in some[20:25]:
            issue.hidden_at = utcnow()
        db.session.commit()
        assert_cells_match_issues()
        live = clusters(IssueFilters(bbox=parse_bbox(CITY)), 12)

    data = client.get(f"/api/v1/issues?bbox={CITY}&zoom=12").get_json()
    assert data["clustered"] is True and data["total"] == 695
    served = sorted(
        (f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0], f["properties"].get("count", 1))
        for f in data["features"]
    )
    grouped = sorted((c.lat, c.lon, c.count) for c in live)
    assert [n for *_, n in served] == [n for *_, n in grouped]
    assert all(
        math.isclose(a, b, abs_tol=2e-6)
        for s, g in zip(served, grouped, strict=True)
        for a, b in zip(s[:2], g[:2], strict=True)
    )
    singles = [f for f in data["features"] if "cluster" not in f["properties"]]
    assert singles and all(f["properties"]["title"] for f in singles)  # one issue: shown as itself

    for status in IssueStatus:  # some statuses have few issues: those come back as markers, counted exactly
        answer = client.get(f"/api/v1/issues?bbox={CITY}&zoom=12&status={status.value}").get_json()
        with app.app_context(), unit_of_work():
            expected = db.session.scalar(
                db.select(db.func.count()).select_from(Issue).where(Issue.hidden_at.is_(None), Issue.status == status)
            )
        assert answer["total"] == expected and answer["clustered"] is (expected > 100), status
    one_kind = client.get(f"/api/v1/issues?bbox={CITY}&zoom=12&category=pothole").get_json()
    with app.app_context(), unit_of_work():
        potholes = db.session.scalar(
            db.select(db.func.count())
            .select_from(Issue)
            .join(Issue.category)
            .where(Issue.hidden_at.is_(None))
            .filter_by(slug="pothole")
        )
    assert one_kind["total"] == potholes


@pytest.mark.parametrize("zoom", [9, 14, 16])
def test_clusters_add_up_at_every_level(app, client, categories, zoom):
    from civic.demo import seeding as demo

    with app.app_context(), unit_of_work():
        demo.seed_people()
        demo.seed_issues(600, citywide=False)
    data = client.get(f"/api/v1/issues?bbox={CITY}&zoom={zoom}").get_json()
    assert data["clustered"] is True and data["total"] == 600
    assert sum(f["properties"].get("count", 1) for f in data["features"]) == 600


def test_days_filter_is_grouped_live(app, client, categories):
    from civic.demo import seeding as demo

    with app.app_context(), unit_of_work():
        demo.seed_people()
        demo.seed_issues(600, citywide=True)
        old = db.session.scalars(db.select(Issue).order_by(Issue.id).limit(100)).all()
        for issue in old:
            issue.created_at = utcnow() - timedelta(days=3700)
        db.session.commit()
        recent = db.session.scalar(
            db.select(db.func.count()).select_from(Issue).where(Issue.created_at >= utcnow() - timedelta(days=3650))
        )
    data = client.get(f"/api/v1/issues?bbox={CITY}&zoom=12&days=3650").get_json()
    assert data["clustered"] is True and data["total"] == recent
    assert sum(f["properties"].get("count", 1) for f in data["features"]) == recent


def test_a_rebuild_counts_the_same_as_the_triggers(app, client, categories):
    from civic.demo import seeding as demo

    with app.app_context(), unit_of_work():
        demo.seed_people()
        demo.seed_issues(300, citywide=True)
        db.session.get(Issue, 7).hidden_at = utcnow()
        db.session.commit()
        by_triggers = cells.stored_totals()
        before = client.get(f"/api/v1/issues?bbox={CITY}&zoom=12").data
        cells.rebuild()
        assert cells.stored_totals().keys() == by_triggers.keys()
        assert_cells_match_issues()
    assert client.get(f"/api/v1/issues?bbox={CITY}&zoom=12").data == before


def test_views_of_any_width_find_the_same_cells(app, make_issue):
    """Cells are searched column by column (gx IN ...) and, for views wider than WIDE_COLUMNS columns, by
    range: both find exactly the issues' cells."""
    from civic.issues.spatial import BBox

    ids = [
        make_issue(at=offset(*FISHTOWN, north_m=north, east_m=east))
        for north, east in ((0, -4000), (0, 0), (2500, -1500))
    ]
    with app.app_context(), unit_of_work():
        narrow = BBox(FISHTOWN[1] - 0.01, FISHTOWN[0] - 0.01, FISHTOWN[1] + 0.01, FISHTOWN[0] + 0.01)
        wide = BBox(FISHTOWN[1] - 1.0, FISHTOWN[0] - 0.5, FISHTOWN[1] + 1.0, FISHTOWN[0] + 0.5)
        columns = (wide.max_lon - wide.min_lon) / cells.cell_size(16)
        assert columns > cells.WIDE_COLUMNS
        for level in (12, 16):
            found = cells.clusters(wide, level, [], [])
            assert sorted(c.issue_id for c in found) == sorted(ids) and {c.count for c in found} == {1}
        assert [c.issue_id for c in cells.clusters(narrow, 16, [], [])] == [ids[1]]
        assert [c.issue_id for c in cells.clusters(narrow, 16, ["graffiti"], [])] == []
        assert [c.issue_id for c in cells.clusters(narrow, 16, ["pothole"], [IssueStatus.OPEN])] == [ids[1]]
