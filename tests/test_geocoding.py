"""Typing an address: the city's neighbourhood names always work; a configured geocoder is asked over HTTP."""

from __future__ import annotations

import sqlalchemy as sa

from civic.database import unit_of_work
from civic.extensions import db
from civic.geo.geocoding import geocode
from civic.issues.models import Issue


def test_neighbourhood_names_work_without_a_geocoder(app):
    with app.app_context(), unit_of_work():
        [place] = geocode("fishtown")
        assert place.label == "Fishtown - Lower Kensington" and place.source == "neighbourhood"
        assert geocode("xy") == [] and geocode("Atlantis") == []


def test_geocoder_is_asked_and_bounded_to_the_city(app, geocoder):
    with app.app_context(), unit_of_work():
        [place] = geocode("1200 Frankford Ave")
        assert (place.lat, place.lon, place.source) == (39.969, -75.1345, "geocoder")
        assert geocode("Times Square") == []  # outside the city: dropped
    query = geocoder.queries[0]
    assert query["q"] == "1200 Frankford Ave" and query["bounded"] == "1" and query["format"] == "jsonv2"


def test_a_failing_geocoder_falls_back_to_neighbourhoods(app, geocoder):
    geocoder.fail = True
    with app.app_context(), unit_of_work():
        assert [p.source for p in geocode("Fishtown")] == ["neighbourhood"]


def test_report_by_address_without_javascript(app, client, auth, make_user, categories, geocoder):
    auth.login_as(make_user())
    data = {
        "category": str(categories["pothole"]),
        "title": "Pothole",
        "description": "Deep.",
        "address": "1200 Frankford Ave",
        "lat": "",  # sent empty, as a browser does
        "lon": "",
    }
    first = client.post("/issues/new", data=data)
    body = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "We placed the pin at “1200 Frankford Ave, Philadelphia”" in body
    assert 'value="39.969"' in body and 'value="-75.1345"' in body
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 0
    second = client.post("/issues/new", data={**data, "lat": "39.969", "lon": "-75.1345"})
    assert second.status_code == 302
    with app.app_context(), unit_of_work():
        issue = db.session.scalar(sa.select(Issue))
        assert issue.address == "1200 Frankford Ave" and issue.neighbourhood == "fishtown"


def test_unknown_address_is_explained(client, auth, make_user, categories, geocoder):
    auth.login_as(make_user())
    response = client.post(
        "/issues/new",
        data={
            "category": str(categories["pothole"]),
            "title": "Pothole",
            "description": "Deep.",
            "address": "Nowhere Lane 99",
        },
    )
    assert response.status_code == 400
    assert "We could not find that place in Philadelphia" in response.get_data(as_text=True)


def test_geocode_api(client, geocoder):
    assert client.get("/api/v1/geocode?q=1200 Frankford Ave").get_json()[0]["source"] == "geocoder"
    assert client.get("/api/v1/geocode?q=ab").status_code == 400
