"""The home page says what civic is and how it works, and its search box opens the map at a typed place."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

LINE = {
    "en": "Report problems in your neighbourhood, back your neighbours’ reports, and see the city answer.",
    "es": "Avisa de los problemas de tu barrio, apoya los avisos de tus vecinos y mira cómo responde la ciudad.",
}
STEPS = {
    "en": [
        ("/issues/new", "Report a problem"),
        ("/issues?sort=upvotes", "Neighbours back it"),
        ("/dashboard", "The city answers"),
    ],
    "es": [
        ("/issues/new", "Avisa de un problema"),
        ("/issues?sort=upvotes", "Tus vecinos lo apoyan"),
        ("/dashboard", "La ciudad responde"),
    ],
}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _map_centre(html: str) -> tuple[float, float, int]:
    """Where folium's city map opens: its `center` and `zoom` in the page's script."""
    centre = re.search(r"center: \[([-\d.]+), ([-\d.]+)\]", html)
    zoom = re.search(r'"zoom": (\d+)', html)
    assert centre and zoom, "no city map in the page"
    return float(centre[1]), float(centre[2]), int(zoom[1])


@pytest.mark.parametrize("language", ["en", "es"])
def test_home_says_what_civic_is_and_the_three_steps(client, language):
    html = _html(client.get("/", headers={"Accept-Language": language}))
    assert f'<h1 id="home-line" class="home-intro__line">{LINE[language]}</h1>' in html
    steps = re.search(r'<ol class="home-steps">(.*?)</ol>', html, re.S)
    assert steps, "no steps"
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', steps[1])
    assert [(href.replace("&amp;", "&"), text) for href, text in links] == STEPS[language]
    assert "Issues on the map" not in html


def test_home_has_one_list_control_and_the_filters_in_one_disclosure(client, categories):
    html = _html(client.get("/"))
    toolbar = html[html.index('<div class="map-toolbar') : html.index("data-issue-map")]
    assert re.findall(r'<a href="/issues[^"]*"', toolbar) == ['<a href="/issues"']  # one control for the list
    assert toolbar.count("<details") == 1 and "<summary>Filters</summary>" in toolbar
    assert re.search(r"<details class=\"map-filters\"\s*>", toolbar)  # closed: the map comes first
    assert "See these issues as a list" not in html
    assert 'data-label-count-other="{n} issues in this view"' in html  # the count says what it counts

    filtered = _html(client.get("/?category=pothole"))
    assert re.search(r"<details class=\"map-filters\"\s*open>", filtered)  # a filter is set: shown
    assert 'href="/issues?category=pothole" id="list-link"' in filtered


def test_one_neighbourhood_opens_the_map_centred_there(client):
    response = client.get("/find?place=fishtown")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    args = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert target.path == "/" and args["zoom"] == "15" and args["place"] == "Fishtown - Lower Kensington"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    lat, lon, zoom = _map_centre(_html(page))
    assert (lat, lon, zoom) == (float(args["lat"]), float(args["lon"]), 15)
    assert abs(lat - 39.97) < 0.02 and abs(lon + 75.13) < 0.02
    assert "Map centred on “Fishtown - Lower Kensington”." in _html(page)


def test_an_address_from_the_geocoder_opens_the_map_at_street_level(client, geocoder):
    response = client.get("/find?place=1200+Frankford+Ave")
    assert response.status_code == 303
    lat, lon, zoom = _map_centre(_html(client.get(response.headers["Location"])))
    assert (lat, lon, zoom) == (39.969, -75.1345, 17)


def test_several_matches_offer_a_choice(client):
    response = client.get("/find?place=Kensington")
    html = _html(response)
    assert response.status_code == 200
    choices = re.findall(r'<li><a href="(/\?lat=[^"]+)">([^<]+)</a>', html)
    names = [name for _, name in choices]
    assert {"East Kensington", "Upper Kensington", "Fishtown - Lower Kensington"} <= set(names)
    assert all("zoom=15" in href for href, _ in choices)


def test_a_name_typed_exactly_wins_over_the_names_containing_it(client):
    response = client.get("/find?place=east+kensington")
    assert response.status_code == 303 and "place=East+Kensington" in response.headers["Location"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "We could not find “Atlantis” in Philadelphia."),
        ("es", "No encontramos «Atlantis» en Philadelphia."),
    ],
)
def test_no_match_says_so_and_offers_the_list_and_the_neighbourhoods(client, language, message):
    response = client.get("/find?place=Atlantis", headers={"Accept-Language": language})
    html = _html(response)
    assert response.status_code == 200 and message in html
    assert 'href="/issues"' in html and 'href="/dashboard/neighbourhoods"' in html
    assert '<select id="neighbourhood-choice" name="place">' in html and ">Fishtown - Lower Kensington</option>" in html
    assert 'value="Atlantis"' in html  # the search box keeps what was typed


def test_choosing_a_neighbourhood_from_the_list_opens_the_map_there(client):
    response = client.get("/find?place=Fishtown+-+Lower+Kensington")
    assert response.status_code == 303 and "zoom=15" in response.headers["Location"]


@pytest.mark.parametrize("query", ["", "ab", "   x  ", "x" * 201])
def test_too_short_or_too_long_a_search_is_refused_with_a_message(client, query):
    response = client.get("/find", query_string={"place": query})
    assert response.status_code == 400
    assert "Type at least 3 characters (and at most 200)" in _html(response)


def test_a_search_without_the_parameter_is_refused_with_a_message(client):
    assert client.get("/find").status_code == 400


def test_a_failing_geocoder_still_answers(client, geocoder):
    geocoder.fail = True
    assert client.get("/find?place=1200+Frankford+Ave").status_code == 200  # nothing found, no 500
    assert client.get("/find?place=Fishtown").status_code == 303  # the neighbourhood names still work


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("lat=abc&lon=-75.13", "lat and lon must be numbers"),
        ("lat=nan&lon=-75.13", "lat and lon must be numbers"),
        ("lat=39.97", "Give both lat and lon"),
        ("zoom=15", "Give both lat and lon"),
        ("lat=40.7580&lon=-73.9855", "That point is outside the city"),
        ("lat=39.97&lon=-75.13&zoom=99", "zoom must be a whole number from 10 to 19."),
        ("lat=39.97&lon=-75.13&zoom=1.5", "zoom must be a whole number from 10 to 19."),
    ],
)
def test_bad_map_parameters_show_the_city_and_a_message(client, query, message):
    response = client.get(f"/?{query}")
    html = _html(response)
    assert response.status_code == 400 and message in html
    lat, lon, zoom = _map_centre(html)
    assert zoom == 12  # the whole city


def test_a_map_link_without_zoom_opens_at_street_level(client):
    response = client.get("/?lat=39.97&lon=-75.13")
    assert response.status_code == 200
    assert _map_centre(_html(response)) == (39.97, -75.13, 16)


def test_without_the_map_a_place_link_offers_its_issues_as_a_list(client, make_issue):
    near = make_issue(title="Near the place", at=(39.9701, -75.1301))
    make_issue(title="Far away", at=(40.05, -75.05))
    html = _html(client.get("/?lat=39.97&lon=-75.13&zoom=16&place=Somewhere"))
    link = re.search(r'<a href="(/issues\?bbox=[^"]+)">Issues near “Somewhere”, as a list</a>', html)
    assert link, "no list link for the place"
    listed = _html(client.get(link[1].replace("&amp;", "&")))
    assert f'href="/issues/{near}"' in listed and "Far away" not in listed


def test_the_search_box_suggests_an_address_only_where_one_can_be_found(client, geocoder):
    """Without a street gazetteer or a geocoder only neighbourhood names are found: the box must not invite an
    address it would answer "not found" to (the demo has no street file)."""
    geocoder_url = client.application.config.pop("GEOCODER_URL")
    html = _html(client.get("/"))
    assert "Find a neighbourhood</label>" in html and 'placeholder="e.g. Fishtown"' in html
    assert "1400 E Columbia Ave" not in html

    client.application.config["GEOCODER_URL"] = geocoder_url
    html = _html(client.get("/"))
    assert "Find a street or neighbourhood</label>" in html and "e.g. 1400 E Columbia Ave or Fishtown" in html
