"""The map's view in its URL: the home page opens a shared link (?lat=..&lon=..&zoom=..) at that view, the report
form's picker opens at street level where the reader was (their home, else the map they came from), anything
unusable falls back to the city view with a 200; and the base layer's outlines file is small and cacheable."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from civic.database import unit_of_work
from civic.extensions import db
from tests.conftest import FISHTOWN

CITY_CENTRE_ZOOM = 12


def _map_view(html: str, name: str) -> tuple[float, float, int]:
    """Where folium's script for map_<name> opens the map: (lat, lon, zoom)."""
    script = html[html.index(f"var map_{name} = L.map(") :]
    centre = re.search(r"center: \[([-\d.]+), ([-\d.]+)\]", script)
    zoom = re.search(r'"zoom": (\d+)', script)
    assert centre and zoom, script[:400]
    return float(centre.group(1)), float(centre.group(2)), int(zoom.group(1))


def _city_view(app) -> tuple[float, float, int]:
    from civic.issues.maps import city_centre

    with app.app_context():
        lat, lon = city_centre()
    return lat, lon, CITY_CENTRE_ZOOM


def test_a_shared_link_opens_the_home_map_at_its_view_with_its_filter(client, categories):
    response = client.get(f"/?lat={FISHTOWN[0]}&lon={FISHTOWN[1]}&zoom=16&category=pothole")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _map_view(html, "city") == (FISHTOWN[0], FISHTOWN[1], 16)
    assert re.search(r'<option value="pothole"\s+selected>', html)
    # Without JavaScript the share link is this very view.
    assert "data-share-view>" in html and "lat=39.9712&amp;lon=-75.1339&amp;zoom=16&amp;category=pothole" in html


@pytest.mark.parametrize(
    "query",
    [
        "lat=48.85&lon=2.35&zoom=15",  # Paris: not the city
        "lat=abc&lon=-75.13&zoom=15",
        "lat=nan&lon=-75.13&zoom=15",
        "lat=inf&lon=-75.13&zoom=15",
        "lat=39.97&lon=-75.13&zoom=25",  # no such zoom
        "lat=39.97&lon=-75.13&zoom=3",
        "lat=39.97&lon=-75.13&zoom=15.5",
        "lat=39.97&zoom=15",  # half a point
        "lat=1e400&lon=-75.13&zoom=15",
    ],
)
def test_a_view_that_cannot_be_shown_falls_back_to_the_city_and_says_why(app, client, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 400  # bad input, said in the page; the city map still works
    html = response.get_data(as_text=True)
    assert _map_view(html, "city") == _city_view(app)
    assert 'role="alert"' in html


@pytest.mark.parametrize("query", ["lat=39.97&lon=-75.13", "lat=39.97&lon=-75.13&zoom="])
def test_a_point_without_a_zoom_opens_at_street_level(client, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    assert _map_view(response.get_data(as_text=True), "city") == (39.97, -75.13, 16)


def test_a_shared_link_with_a_retired_category_keeps_its_view_and_says_why(client, categories):
    response = client.get(f"/?lat={FISHTOWN[0]}&lon={FISHTOWN[1]}&zoom=16&category=unicorns")
    assert response.status_code == 400  # the filter is bad input, as everywhere; the page still works
    html = response.get_data(as_text=True)
    assert "Unknown category: unicorns" in html
    assert _map_view(html, "city") == (FISHTOWN[0], FISHTOWN[1], 16)


def test_a_resident_with_a_home_sees_it_unless_the_link_says_otherwise(app, client, auth, make_user):
    from civic.accounts.models import User

    user = make_user()
    with app.app_context(), unit_of_work():
        me = db.session.get(User, user.id)
        me.home_lat, me.home_lon = FISHTOWN
        db.session.commit()
    auth.login_as(user)
    assert _map_view(client.get("/").get_data(as_text=True), "city") == (FISHTOWN[0], FISHTOWN[1], 15)
    shared = client.get("/?lat=39.95&lon=-75.16&zoom=13").get_data(as_text=True)
    assert _map_view(shared, "city") == (39.95, -75.16, 13)
    assert _map_view(client.get("/?lat=0&lon=0&zoom=13").get_data(as_text=True), "city")[:2] == FISHTOWN


def test_the_picker_opens_at_street_level_at_the_readers_home(app, client, auth, make_user):
    from civic.accounts.models import User

    user = make_user()
    with app.app_context(), unit_of_work():
        me = db.session.get(User, user.id)
        me.home_lat, me.home_lon = FISHTOWN
        db.session.commit()
    auth.login_as(user)
    html = client.get("/issues/new?lat=39.95&lon=-75.16&zoom=16").get_data(as_text=True)
    assert _map_view(html, "picker") == (FISHTOWN[0], FISHTOWN[1], 17)  # the home wins over the view
    assert 'data-view-source="home"' in html


def test_the_picker_opens_where_the_reader_was_looking(app, client, auth, make_user):
    auth.login_as(make_user())
    html = client.get("/issues/new?lat=39.95&lon=-75.16&zoom=15").get_data(as_text=True)
    assert _map_view(html, "picker") == (39.95, -75.16, 17)  # a neighbourhood's view: street level there
    assert 'data-view-source="view"' in html
    html = client.get("/issues/new?lat=39.95&lon=-75.16&zoom=11").get_data(as_text=True)
    assert _map_view(html, "picker") == (39.95, -75.16, 11)  # the whole city: it stays, "zoom in" says the hint


def test_the_picker_without_a_home_or_a_good_view_opens_on_the_city(app, client, auth, make_user):
    auth.login_as(make_user())
    for query in ("", "?lat=48.85&lon=2.35&zoom=15", "?lat=x&lon=y&zoom=z"):
        response = client.get(f"/issues/new{query}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        lat, lon, _zoom = _city_view(app)
        assert _map_view(html, "picker") == (lat, lon, CITY_CENTRE_ZOOM + 1)
        assert 'data-view-source="city"' in html


def test_the_home_map_counts_what_is_in_view_in_both_languages(client):
    html = client.get("/").get_data(as_text=True)
    assert 'data-label-count-one="{n} issue in this view"' in html
    assert 'data-label-count-other="{n} issues in this view"' in html
    html = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'data-label-count-other="{n} avisos en esta vista"' in html
    assert "Mapa de calles no disponible: se muestran los barrios" in html


def test_the_outlines_file_is_small_versioned_and_cached(app, client):
    html = client.get("/").get_data(as_text=True)
    url = re.search(r'data-boundaries="([^"]+)"', html).group(1).replace("&amp;", "&")
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    data = json.loads(response.data)
    assert len(data["features"]) > 150 and "Abaca Labs" in data["attribution"]
    fishtown = next(f for f in data["features"] if f["properties"]["name"] == "Fishtown - Lower Kensington")
    assert fishtown["geometry"]["type"] in ("Polygon", "MultiPolygon") and len(fishtown["properties"]["label"]) == 2
    assert len(response.data) < 100_000 and len(gzip.compress(response.data)) < 25_000  # measured: 87 KB, 18 KB
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    unversioned = client.get("/map/neighbourhoods.geojson?v=old")
    assert unversioned.status_code == 200 and "immutable" not in unversioned.headers["Cache-Control"]
