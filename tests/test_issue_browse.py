"""The bbox GeoJSON API (issues or server-side clusters), its errors, the spatial index, and the list view."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from civic.database import unit_of_work
from civic.extensions import db
from civic.issues.queries import IssueFilters, list_query
from civic.issues.spatial import BBox
from tests.conftest import FISHTOWN, offset

AROUND_FISHTOWN = "-75.14,39.965,-75.125,39.98"


def test_bbox_returns_only_issues_inside(client, make_issue):
    inside = make_issue(title="Inside")
    make_issue(title="Far away", at=(39.95, -75.20))
    data = client.get(f"/api/v1/issues?bbox={AROUND_FISHTOWN}&zoom=17").get_json()
    assert data["type"] == "FeatureCollection" and data["clustered"] is False
    assert [f["id"] for f in data["features"]] == [inside]
    props = data["features"][0]["properties"]
    assert props["status"] == "open" and props["category"] == "pothole" and props["url"] == f"/issues/{inside}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_map_markers_and_clusters_show_what_the_issue_api_shows(app, client, make_issue, language):
    """The bbox API builds markers from plain rows (civic/issues/markers.py); each must say exactly what the
    one-issue API says of the same issue, labels translated, whether listed or shown alone among clusters."""
    from civic.demo import seeding as demo

    fixed = make_issue(title="Fixed one", category="graffiti", status="fixed")
    listed = client.get(
        f"/api/v1/issues?bbox={AROUND_FISHTOWN}&zoom=17", headers={"Accept-Language": language}
    ).get_json()
    assert {f["id"] for f in listed["features"]} == {fixed} and listed["total"] == 1
    single = client.get(f"/api/v1/issues/{fixed}", headers={"Accept-Language": language}).get_json()
    extras = ("description", "reporter", "upvoted", "photos")
    expected = {**single, "properties": {k: v for k, v in single["properties"].items() if k not in extras}}
    assert listed["features"] == [expected]
    assert expected["properties"]["status_label"] == {"en": "Fixed", "es": "Arreglado"}[language]

    with app.app_context(), unit_of_work():
        demo.seed_people()
        demo.seed_issues(150, citywide=False)  # around Fishtown: clusters at city zoom, ours alone far away
    far = make_issue(title="Far north", at=(40.13, -75.01))
    city = client.get(
        "/api/v1/issues?bbox=-75.28,39.87,-74.96,40.14&zoom=11", headers={"Accept-Language": language}
    ).get_json()
    assert city["clustered"] is True and city["total"] == 152
    alone = [f for f in city["features"] if f.get("id") == far]
    single = client.get(f"/api/v1/issues/{far}", headers={"Accept-Language": language}).get_json()
    assert alone == [{**single, "properties": {k: v for k, v in single["properties"].items() if k not in extras}}]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "bbox is required"),
        ("bbox=1,2,3", "bbox must be four numbers"),
        ("bbox=a,b,c,d", "bbox must be four numbers"),
        ("bbox=-75.1,39.9,-75.2,40.0", "out of order"),
        ("bbox=nan,39.9,-75.2,40.0", "bbox must be four numbers"),
        ("bbox=-80,30,-70,45", "too large"),
        (f"bbox={AROUND_FISHTOWN}&status=lost", "Unknown status"),
        (f"bbox={AROUND_FISHTOWN}&category=unicorns", "Unknown category"),
        (f"bbox={AROUND_FISHTOWN}&days=0", "days must be"),
        (f"bbox={AROUND_FISHTOWN}&days=abc", "days must be"),
        (f"bbox={AROUND_FISHTOWN}&zoom=99", "zoom must be"),
        (f"bbox={AROUND_FISHTOWN}&sort=random", "sort must be"),
    ],
)
def test_bad_bbox_or_filters_are_json_400(client, categories, query, message):
    response = client.get(f"/api/v1/issues?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_filters_by_category_status_and_age(app, client, make_issue):
    pothole = make_issue()
    graffiti = make_issue(category="graffiti", at=offset(*FISHTOWN, north_m=200))
    make_issue(status="fixed", at=offset(*FISHTOWN, north_m=300))
    base = f"/api/v1/issues?bbox={AROUND_FISHTOWN}&zoom=17"
    ids = lambda q: sorted(f["id"] for f in client.get(base + q).get_json()["features"])  # noqa: E731 - a one-line helper read where it is used
    assert ids("&category=graffiti") == [graffiti]
    assert ids("&status=open") == sorted([pothole, graffiti])
    assert ids("&status=open,fixed&category=pothole") == sorted(ids("&category=pothole"))
    from datetime import timedelta

    from civic.database import utcnow
    from civic.issues.models import Issue

    with app.app_context(), unit_of_work():
        db.session.get(Issue, graffiti).created_at = utcnow() - timedelta(days=40)
        db.session.commit()
    assert graffiti not in ids("&days=30") and graffiti in ids("&days=90")


def test_many_issues_come_back_as_server_side_clusters(app, client, categories):
    from civic.demo import seeding as demo

    with app.app_context(), unit_of_work():
        demo.seed_people()
        demo.seed_issues(700, citywide=False)
    city = "-75.28,39.87,-74.96,40.14"
    data = client.get(f"/api/v1/issues?bbox={city}&zoom=12").get_json()
    assert data["clustered"] is True and data["total"] == 700
    counts = [f["properties"].get("count", 1) for f in data["features"]]
    assert sum(counts) == 700 and max(counts) > 1
    assert len(data["features"]) < 100
    street = client.get(f"/api/v1/issues?bbox={AROUND_FISHTOWN}&zoom=17").get_json()
    assert street["clustered"] is False
    assert all("cluster" not in f["properties"] for f in street["features"])


def test_cluster_view_needs_a_zoom(app, client, categories):
    from civic.demo import seeding as demo

    with app.app_context(), unit_of_work():
        demo.seed_people()
        demo.seed_issues(600, citywide=False)
    response = client.get("/api/v1/issues?bbox=-75.28,39.87,-74.96,40.14")
    assert response.status_code == 400 and "give zoom" in response.get_json()["error"]["message"]


def test_bbox_query_uses_the_spatial_index(app, backend, make_issue):
    make_issue()
    with app.app_context(), unit_of_work():
        stmt = list_query(IssueFilters(bbox=BBox(-75.14, 39.965, -75.125, 39.98)))
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        if backend == "sqlite":
            plan = " | ".join(row[-1] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "VIRTUAL TABLE INDEX" in plan and "issue_rtree" in plan, plan
            assert "SCAN issues" not in plan, plan
        else:
            db.session.execute(sa.text("SET enable_seqscan = off"))
            plan = " | ".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {compiled}")))
            assert "ix_issues_location_gist" in plan, plan
            db.session.rollback()


def test_list_view_filters_and_sorts_without_javascript(app, client, auth, make_user, make_issue):
    make_issue(title="Quiet pothole", at=offset(*FISHTOWN, north_m=900))
    popular = make_issue(title="Popular pothole", at=offset(*FISHTOWN, north_m=-900))
    make_issue(title="Some graffiti", category="graffiti")
    from civic.accounts.models import User
    from civic.issues import services

    for _ in range(2):
        voter = make_user()
        with app.test_request_context(), unit_of_work():
            services.set_upvote(db.session.get(User, voter.id), popular, True)

    page = client.get("/issues?category=pothole&sort=upvotes").get_data(as_text=True)
    assert "Some graffiti" not in page
    assert page.index("Popular pothole") < page.index("Quiet pothole")
    assert "2 upvotes" in page

    resident = make_user()
    auth.login_as(resident)
    north = offset(*FISHTOWN, north_m=950)
    client.post("/account", data={"display_name": "Me", "home_lat": str(north[0]), "home_lon": str(north[1])})
    nearest = client.get("/issues?category=pothole&sort=nearest").get_data(as_text=True)
    assert nearest.index("Quiet pothole") < nearest.index("Popular pothole")


def test_nearest_sort_without_a_home_explains_and_falls_back(client, make_issue):
    make_issue()
    page = client.get("/issues?sort=nearest").get_data(as_text=True)
    assert "To sort by distance, sign in and set your home" in page


def test_list_with_bad_filter_is_400_with_message(client, categories):
    response = client.get("/issues?status=lost")
    assert response.status_code == 400 and "Unknown status" in response.get_data(as_text=True)


def test_list_pages_keep_the_filters(app, client, categories):
    from civic.demo import seeding as demo

    with app.app_context(), unit_of_work():
        demo.seed_people()
        demo.seed_issues(120, citywide=False)
    first = client.get("/issues?days=3650&sort=upvotes").get_data(as_text=True)
    assert "Page 1 of 3" in first and first.count('<article class="issue-card') == 50
    assert "120 issues match" in first
    assert 'href="/issues?page=2&amp;days=3650&amp;sort=upvotes"' in first
    # "Show more" is a plain link to the next page: it works without JavaScript.
    more = first.split('class="show-more"')[1].split("</p>")[0]
    assert 'rel="next" href="/issues?page=2&amp;days=3650&amp;sort=upvotes"' in more and "Show more issues" in more
    last = client.get("/issues?days=3650&sort=upvotes&page=3").get_data(as_text=True)
    assert last.count('<article class="issue-card') == 20 and "Next" not in last.split('class="pager"')[1]
    assert 'class="show-more"' not in last


def _photo():
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), "red").save(buf, "JPEG")
    buf.seek(0)
    return FileStorage(stream=buf, filename="red.jpg", content_type="image/jpeg")


def test_list_cards_show_the_first_photo_the_place_and_the_age(app, client, make_issue):
    from datetime import timedelta

    from civic.issues.models import Issue, Photo

    with_photo = make_issue(title="Pothole with a photo", photos=[_photo(), _photo()])
    make_issue(title="Pothole without one")
    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, with_photo)
        issue.created_at = issue.created_at - timedelta(days=3)
        photos = sa.select(Photo).where(Photo.issue_id == with_photo).order_by(Photo.position)
        thumb = db.session.scalars(photos).first().thumb_key
    page = client.get("/issues").get_data(as_text=True)
    card = page.split(f'id="issue-{with_photo}-title"')[0].rsplit("<article", 1)[1]
    assert f'src="/media/{thumb}"' in card and 'alt=""' in card and 'loading="lazy"' in card
    assert 'width="96" height="96"' in card  # a fixed size: the list does not jump as photos load
    assert page.count("<img") == 1  # the card without a photo has none
    body = page.split(f'id="issue-{with_photo}-title"')[1].split("</article>")[0]
    assert f'class="issue-card__place">{_place(app, with_photo)}<' in body  # issues.places.place_label
    assert "3 days ago" in body and "<time datetime=" in body
    spanish = client.get("/issues", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "hace 3 días" in spanish


def test_hidden_photos_are_not_shown_on_cards_or_markers(app, client, make_issue):
    from civic.issues.models import Photo

    issue_id = make_issue(title="Pothole", photos=[_photo()])
    assert (
        client.get(f"/api/v1/issues?bbox={AROUND_FISHTOWN}&zoom=17")
        .get_json()["features"][0]["properties"]["thumb"]
        .startswith("/media/")
    )
    with app.app_context(), unit_of_work():
        for photo in db.session.scalars(sa.select(Photo).where(Photo.issue_id == issue_id)):
            photo.hidden_at = photo.created_at
    assert "<img" not in client.get("/issues").get_data(as_text=True)
    # The map's cached answer is dropped too (photos bump the 'map' counter, migration 0016).
    props = client.get(f"/api/v1/issues?bbox={AROUND_FISHTOWN}&zoom=17").get_json()["features"][0]["properties"]
    assert props["thumb"] is None


def test_sorted_by_nearest_the_cards_say_how_far(client, auth, make_user, make_issue):
    make_issue(title="Near one", at=offset(*FISHTOWN, north_m=250))
    make_issue(title="Far one", at=offset(*FISHTOWN, north_m=1200))
    auth.login_as(make_user())
    client.post("/account", data={"display_name": "Me", "home_lat": str(FISHTOWN[0]), "home_lon": str(FISHTOWN[1])})
    page = client.get("/issues?sort=nearest").get_data(as_text=True)
    assert page.index("Near one") < page.index("Far one")
    assert "250 m away" in page and "1.2 km away" in page
    assert "m away" not in client.get("/issues").get_data(as_text=True)  # only when sorted by distance


def _place(app, issue_id: int) -> str:
    from civic.issues.models import Issue
    from civic.issues.places import place_label

    with app.test_request_context():
        return place_label(db.session.get(Issue, issue_id))


def test_markers_carry_the_thumbnail_and_the_place(app, client, make_issue):
    with_photo = make_issue(title="Pothole with a photo", photos=[_photo()])
    make_issue(title="Pothole without one", at=offset(*FISHTOWN, north_m=100))
    features = client.get(f"/api/v1/issues?bbox={AROUND_FISHTOWN}&zoom=17").get_json()["features"]
    props = {f["id"]: f["properties"] for f in features}
    single = client.get(f"/api/v1/issues/{with_photo}").get_json()
    assert props[with_photo]["thumb"] == single["properties"]["photos"][0]["thumbnail"]
    assert props[with_photo]["place"] == _place(app, with_photo) != ""
    assert [p["thumb"] for i, p in props.items() if i != with_photo] == [None]
