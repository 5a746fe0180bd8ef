"""The street gazetteer: `flask geo import-streets` with files in Philadelphia's own format (tests/data),
geocoding addresses, crossings and streets offline, and every issue's nearest block on pages, lists, the
map's features, feeds and GeoReport — with the configured geocoder and the neighbourhoods as fallbacks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import sqlalchemy as sa

from civic.database import unit_of_work
from civic.extensions import db
from civic.geo.geocoding import geocode
from civic.geo.models import StreetSegment
from civic.issues.models import Issue
from civic.issues.places import assign_blocks, place_label
from tests.conftest import FISHTOWN, offset

DATA = Path(__file__).parent / "data"
GEOJSON = DATA / "street_centerline.geojson"
CSV = DATA / "street_centerline.csv"
# Ten metres south of the 1400 block of E Columbia Ave (its even side, R_F_ADD 1400 .. R_T_ADD 1498).
ON_COLUMBIA_1400 = (39.97460, -75.12820)
FRONT_AND_GIRARD = (39.96898, -75.13598)  # where the test file's Front St and Girard Ave segments meet
BLOCK = "1400 block of E Columbia Ave"


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def import_file(runner, path: Path):
    return runner.invoke(args=["geo", "import-streets", str(path)])


@pytest.fixture
def streets(runner):
    result = import_file(runner, GEOJSON)
    assert result.exit_code == 0, result.output
    return result


def segments(app) -> list[StreetSegment]:
    with app.app_context(), unit_of_work():
        return list(db.session.scalars(sa.select(StreetSegment).order_by(StreetSegment.id)))


def places(app, query: str, **headers) -> list:
    with app.test_request_context(headers=headers), unit_of_work():
        return geocode(query)


def stored_issue(app, issue_id: int | None = None) -> Issue:
    with app.app_context(), unit_of_work():
        stmt = sa.select(Issue) if issue_id is None else sa.select(Issue).where(Issue.id == issue_id)
        return db.session.scalars(stmt).one()


# --- importing -----------------------------------------------------------------------------------------


def test_geojson_import_counts_segments_and_says_why_rows_were_skipped(app, streets):
    assert "Imported 10 street segments of 6 streets from street_centerline.geojson." in streets.output
    assert "Skipped 3 rows: 2 with no line geometry, 1 with no street name." in streets.output
    rows = segments(app)
    assert len(rows) == 10
    columbia = next(s for s in rows if s.seg_id == "420302")
    assert (columbia.display_name, columbia.pre_dir, columbia.name, columbia.street_type) == (
        "E Columbia Ave",
        "E",
        "Columbia",
        "AVE",
    )
    assert (columbia.left_from, columbia.left_to, columbia.right_from, columbia.right_to) == (1401, 1499, 1400, 1498)
    assert columbia.parts == [[[-75.1288, 39.97463], [-75.1282, 39.97469], [-75.1276, 39.97474]]]
    assert (columbia.min_lon, columbia.max_lat) == (-75.1288, 39.97474)
    frankford = next(s for s in rows if s.seg_id == "420501")
    assert frankford.display_name == "Frankford Ave" and frankford.pre_dir is None


def test_csv_import_reads_lower_case_fields_wkt_and_hex_wkb(app, runner):
    result = import_file(runner, CSV)
    assert result.exit_code == 0, result.output
    assert "Imported 4 street segments of 3 streets" in result.output
    assert "1 with no line geometry" in result.output and "1 with an unreadable geometry" in result.output
    assert "1 with no street name" in result.output
    by_id = {s.seg_id: s for s in segments(app)}
    assert set(by_id) == {"420301", "420302", "420102", "420201"}
    girard = by_id["420201"]  # its line is CARTO's hex EWKB
    assert girard.display_name == "W Girard Ave" and girard.parts[0][0] == [-75.13598, 39.96898]


def test_a_new_import_replaces_the_previous_one(app, runner, streets):
    assert "1400 W Columbia Ave" in [p.label for p in places(app, "1400 Columbia Ave")]
    assert import_file(runner, CSV).exit_code == 0
    assert len(segments(app)) == 4
    assert [p.label for p in places(app, "1400 Columbia Ave")] == ["1400 E Columbia Ave"]


def test_a_file_that_is_not_a_street_centreline_is_refused_and_changes_nothing(app, runner, streets, tmp_path):
    hoods = Path(app.root_path) / "data" / "philadelphia-neighborhoods.geojson"
    other_csv = tmp_path / "trees.csv"
    other_csv.write_text("name,lat,lon\nOak,39.97,-75.13\n")
    no_geometry = tmp_path / "no_geometry.csv"
    no_geometry.write_text("SEG_ID,STNAME,L_F_ADD\n1,E COLUMBIA AVE,1400\n")
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"ST_NAME": ')
    cases = {
        hoods: "has none of the street centreline's fields",
        other_csv: "has none of the street centreline's fields",
        no_geometry: "has no geometry column",
        broken: "is not valid GeoJSON",
        tmp_path / "missing.geojson": "There is no file",
    }
    for path, message in cases.items():
        result = import_file(runner, path)
        assert result.exit_code != 0, path
        assert message in result.output, result.output
        assert "Traceback" not in result.output
    assert len(segments(app)) == 10  # the earlier import is intact


# --- geocoding with the gazetteer ------------------------------------------------------------------


def test_an_address_lands_on_its_side_of_its_block(app, streets):
    [even] = places(app, "1400 E Columbia Ave")
    [odd] = places(app, "1401 E Columbia Ave")
    [middle] = places(app, "1450 E Columbia Ave")
    assert (even.label, even.source) == ("1400 E Columbia Ave", "street")
    # The segment runs east from (-75.1288, 39.97463): 1400 is near its start, on the right (south) side.
    assert metres((even.lat, even.lon), (39.97463, -75.1288)) < 20
    assert even.lat < 39.97463 < odd.lat
    assert -75.1288 < middle.lon < -75.1276 and abs(middle.lon - -75.1282) < 0.0001


def test_abbreviations_case_and_accents_do_not_matter(app, streets):
    [expected] = places(app, "1400 E Columbia Ave")
    for typed in (
        "1400 east columbia avenue",
        "1400 E. COLUMBIA AV",
        "1400 É Colúmbia Ave, Philadelphia, PA 19125",
    ):
        assert [(p.lat, p.lon) for p in places(app, typed)] == [(expected.lat, expected.lon)], typed
    [front] = places(app, "1250 North Front Street")
    assert front.label == "1250 N Front St"


def test_crossings_are_found_however_they_are_written(app, streets):
    for typed in ("Girard and Front", "Girard & Front St", "Front St at Girard Ave"):
        found = places(app, typed)
        assert len(found) == 1, (typed, found)
        assert metres((found[0].lat, found[0].lon), FRONT_AND_GIRARD) < 5
        assert "Front St" in found[0].label and "Girard Ave" in found[0].label
    [spanish] = places(app, "Frankford y Girard", **{"Accept-Language": "es"})
    assert spanish.label == "Frankford Ave y E Girard Ave"


def test_a_street_geocodes_to_its_middle_and_an_ambiguous_one_lists_each(app, streets):
    [east] = places(app, "E Columbia Ave")
    assert east.label == "E Columbia Ave"
    assert -75.1288 <= east.lon <= -75.1276  # on the middle one of its three segments
    both = places(app, "Columbia Ave")
    assert [p.label for p in both] == ["E Columbia Ave", "W Columbia Ave"]
    assert [p.label for p in places(app, "1400 Columbia Ave")] == ["1400 E Columbia Ave", "1400 W Columbia Ave"]
    # A number no segment holds: the street itself, not a made-up spot.
    assert [p.label for p in places(app, "9900 E Columbia Ave")] == ["E Columbia Ave"]


def test_the_geocode_api_lists_every_place_an_ambiguous_text_may_mean(client, streets):
    answer = client.get("/api/v1/geocode", query_string={"q": "1400 Columbia Ave"}).get_json()
    assert [(p["label"], p["source"]) for p in answer] == [
        ("1400 E Columbia Ave", "street"),
        ("1400 W Columbia Ave", "street"),
    ]


def test_without_a_gazetteer_the_geocoder_then_the_neighbourhoods_answer(app, runner, geocoder):
    assert [p.source for p in places(app, "1200 Frankford Ave")] == ["geocoder"]
    assert [p.source for p in places(app, "Fishtown")] == ["neighbourhood"]
    asked = len(geocoder.queries)
    assert import_file(runner, GEOJSON).exit_code == 0
    [found] = places(app, "1200 Frankford Ave")
    assert (found.label, found.source) == ("1200 Frankford Ave", "street")
    assert len(geocoder.queries) == asked  # the gazetteer answered: the geocoder was not asked
    assert [p.source for p in places(app, "Fishtown")] == ["neighbourhood"]


def test_without_gazetteer_or_geocoder_neighbourhoods_still_answer(app):
    assert [(p.label, p.source) for p in places(app, "fishtown")] == [("Fishtown - Lower Kensington", "neighbourhood")]
    assert places(app, "1400 E Columbia Ave") == []


# --- the nearest block on every issue ------------------------------------------------------------------


def report_form(categories, **fields) -> dict:
    return {"category": str(categories["pothole"]), "title": "Pothole", "description": "Deep.", **fields}


def test_a_report_through_the_form_stores_its_block_and_pages_show_it(
    app, client, auth, make_user, categories, streets
):
    auth.login_as(make_user())
    lat, lon = ON_COLUMBIA_1400
    response = client.post("/issues/new", data=report_form(categories, lat=str(lat), lon=str(lon)))
    assert response.status_code == 302, response.get_data(as_text=True)
    issue = stored_issue(app)
    assert (issue.block_number, issue.block_street, issue.neighbourhood) == (1400, "E Columbia Ave", "fishtown")
    page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert f"<strong>{BLOCK}</strong>" in page
    assert BLOCK in client.get("/issues").get_data(as_text=True)  # the list card
    spanish = client.get(f"/issues/{issue.id}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Cuadra 1400 de E Columbia Ave" in spanish


def test_a_liaison_s_typed_address_places_the_pin_at_the_address(app, client, auth, make_user, categories, streets):
    auth.login_as(make_user("liaison"))
    # As a browser without JavaScript sends it: the latitude and longitude fields empty.
    typed = report_form(categories, address="1400 E Columbia Ave", on_behalf_name="Rosa Vecina", lat="", lon="")
    first = client.post("/issues/new", data=typed)
    body = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "We placed the pin at “1400 E Columbia Ave”" in body
    [expected] = places(app, "1400 E Columbia Ave")
    assert f'value="{expected.lat}"' in body and f'value="{expected.lon}"' in body
    second = client.post("/issues/new", data={**typed, "lat": str(expected.lat), "lon": str(expected.lon)})
    assert second.status_code == 302
    issue = stored_issue(app)
    assert (issue.lat, issue.lon) == (expected.lat, expected.lon)
    assert (issue.block_number, issue.block_street, issue.address) == (1400, "E Columbia Ave", "1400 E Columbia Ave")


def test_an_ambiguous_typed_address_offers_the_other_places_without_javascript(
    app, client, auth, make_user, categories, streets
):
    auth.login_as(make_user())
    typed = report_form(categories, address="1400 Columbia Ave")
    body = client.post("/issues/new", data=typed).get_data(as_text=True)
    east, west = places(app, "1400 Columbia Ave")
    assert "We placed the pin at “1400 E Columbia Ave”" in body
    assert f'name="place" value="{west.lat},{west.lon}"' in body and "1400 W Columbia Ave</button>" in body
    picked = client.post(
        "/issues/new", data={**typed, "lat": str(east.lat), "lon": str(east.lon), "place": f"{west.lat},{west.lon}"}
    )
    body = picked.get_data(as_text=True)
    assert picked.status_code == 200 and "We placed the pin at “1400 W Columbia Ave”" in body
    assert f'value="{west.lat}"' in body
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 0  # nothing filed yet


def test_an_api_report_stores_its_block_and_the_features_say_it(app, client, auth, make_user, categories, streets):
    auth.login_as(make_user())
    lat, lon = ON_COLUMBIA_1400
    made = client.post(
        "/api/v1/issues",
        json={"category_id": categories["pothole"], "title": "Pothole", "description": "Deep.", "lat": lat, "lon": lon},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["properties"]["place"] == BLOCK
    issue = stored_issue(app, made.get_json()["id"])
    assert (issue.block_number, issue.block_street) == (1400, "E Columbia Ave")
    bbox = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    view = client.get("/api/v1/issues", query_string={"bbox": bbox}).get_json()
    assert [f["properties"]["place"] for f in view["features"]] == [BLOCK]
    spanish = client.get("/api/v1/issues", query_string={"bbox": bbox}, headers={"Accept-Language": "es"})
    assert [f["properties"]["place"] for f in spanish.get_json()["features"]] == ["Cuadra 1400 de E Columbia Ave"]


def test_an_issue_far_from_every_street_is_labelled_by_its_neighbourhood(app, client, make_issue, streets):
    issue_id = make_issue(at=FISHTOWN)
    issue = stored_issue(app, issue_id)
    assert issue.block_street is None
    with app.test_request_context():
        assert place_label(issue) == "Fishtown - Lower Kensington"
    bbox = f"{FISHTOWN[1] - 0.001},{FISHTOWN[0] - 0.001},{FISHTOWN[1] + 0.001},{FISHTOWN[0] + 0.001}"
    view = client.get("/api/v1/issues", query_string={"bbox": bbox}).get_json()
    assert [f["properties"]["place"] for f in view["features"]] == ["Fishtown - Lower Kensington"]


def test_assign_blocks_fills_issues_filed_before_the_import(app, runner, make_issue):
    near = make_issue(at=ON_COLUMBIA_1400)
    across = make_issue(at=offset(*ON_COLUMBIA_1400, north_m=20))  # the odd side: still the 1400 block
    far = make_issue(at=FISHTOWN)
    assert stored_issue(app, near).block_street is None  # no streets yet
    assert import_file(runner, GEOJSON).exit_code == 0
    result = runner.invoke(args=["geo", "assign-blocks", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "2 issues are on a known block." in result.output
    assert [(stored_issue(app, i).block_number, stored_issue(app, i).block_street) for i in (near, across, far)] == [
        (1400, "E Columbia Ave"),
        (1400, "E Columbia Ave"),
        (None, None),
    ]
    with app.app_context(), unit_of_work():
        assert assign_blocks(batch=1) == 2  # the demo's helper: safe to run again


def test_georeport_address_is_the_typed_one_else_the_block(app, client, make_issue, streets):
    typed = make_issue(at=ON_COLUMBIA_1400, address="Behind the laundromat")
    untyped = make_issue(at=ON_COLUMBIA_1400)
    far = make_issue(at=FISHTOWN)
    addresses = {
        int(r["service_request_id"]): r["address"]
        for r in client.get(
            "/open311/v2/requests.json", query_string={"service_request_id": f"{typed},{untyped},{far}"}
        ).get_json()
    }
    assert addresses == {typed: "Behind the laundromat", untyped: BLOCK, far: ""}


def test_feeds_say_where_the_issue_is(client, make_issue, streets):
    issue_id = make_issue(at=ON_COLUMBIA_1400)
    assert BLOCK in client.get(f"/issues/{issue_id}/feed.atom").get_data(as_text=True)
    lat, lon = ON_COLUMBIA_1400
    area = client.get("/feeds/area.atom", query_string={"bbox": f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"})
    assert area.status_code == 200 and BLOCK in area.get_data(as_text=True)
