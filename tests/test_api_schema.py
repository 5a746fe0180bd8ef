"""The OpenAPI document tells the truth (issue 18): each request rule it states is the one the API enforces,
because both come from the same pydantic model (civic/api/schemas.py). Here, the rules schemathesis found
missing from the old hand-written document: each is in the document and refused with a JSON 400 naming the
field."""

from __future__ import annotations

import re

import pytest

from civic.geo.geocoding import city_bounds
from tests.conftest import FISHTOWN


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def _param(doc: dict, path: str, name: str) -> dict:
    return next(p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == name)


def _refused(response, field: str) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["field"] == field
    return error["message"]


def test_page_has_its_real_maximum(client, doc):
    page = _param(doc, "/api/v1/events", "page")["schema"]
    assert (page["minimum"], page["maximum"]) == (1, 100_000)
    assert client.get(f"/api/v1/events?page={page['maximum']}").status_code == 200
    assert "page" in _refused(client.get(f"/api/v1/events?page={page['maximum'] + 1}"), "page")
    _refused(client.get("/api/v1/events?page=0"), "page")


def test_bbox_must_be_four_numbers_and_empty_is_refused(client, doc):
    pattern = _param(doc, "/api/v1/issues", "bbox")["schema"]["pattern"]
    assert re.search(pattern, "-75.2,39.9,-75.1,40.0")
    for bad in ("", "1,2,3", "a,b,c,d", "1,2,3,4,5"):
        assert not re.search(pattern, bad), bad
        assert "bbox" in _refused(client.get(f"/api/v1/issues?bbox={bad}"), "bbox")
    # What the pattern cannot say, the description does, and the service refuses.
    assert "at most 2 degrees" in _param(doc, "/api/v1/issues", "bbox")["description"]
    _refused(client.get("/api/v1/issues?bbox=-75.1,39.9,-75.2,40.0"), "bbox")


def test_coordinates_are_bounded_by_the_city(app, client, auth, make_user, categories, doc):
    with app.app_context():
        min_lon, min_lat, max_lon, max_lat = city_bounds()
    lat = _param(doc, "/api/v1/issues/nearby", "lat")["schema"]
    lon = _param(doc, "/api/v1/issues/nearby", "lon")["schema"]
    assert (lat["minimum"], lat["maximum"], lon["minimum"], lon["maximum"]) == (min_lat, max_lat, min_lon, max_lon)
    body = doc["components"]["schemas"]["NewIssue"]["properties"]
    assert (body["lat"]["minimum"], body["lon"]["maximum"]) == (min_lat, max_lon)

    assert client.get(f"/api/v1/issues/nearby?lat={FISHTOWN[0]}&lon={FISHTOWN[1]}").status_code == 200
    _refused(client.get(f"/api/v1/issues/nearby?lat={max_lat + 0.01}&lon={FISHTOWN[1]}"), "lat")
    _refused(client.get(f"/api/v1/issues/nearby?lat={FISHTOWN[0]}&lon=nan"), "lon")
    auth.login_as(make_user())
    report = {"category_id": categories["pothole"], "title": "Hole in road", "description": "Deep"}
    outside = client.post("/api/v1/issues", json={**report, "lat": FISHTOWN[0], "lon": min_lon - 0.01})
    assert "outside" in _refused(outside, "lon")
    assert _refused(client.post("/api/v1/issues", json={**report, "lat": "39.9", "lon": FISHTOWN[1]}), "lat")


def test_display_name_needs_a_character_besides_spaces(client, auth, make_user, doc):
    name = doc["components"]["schemas"]["MeChange"]["properties"]["display_name"]
    assert not re.search(name["pattern"], "   ") and not re.search(name["pattern"], "")
    assert re.search(name["pattern"], " Ana ") and name["maxLength"] == 80
    auth.login_as(make_user())
    for bad in ("", "   ", "x" * 81):
        _refused(client.patch("/api/v1/me", json={"display_name": bad}), "display_name")
    assert client.patch("/api/v1/me", json={"display_name": " Ana "}).get_json()["display_name"] == "Ana"


def test_geocode_counts_three_characters_after_trimming(client, doc):
    q = _param(doc, "/api/v1/geocode", "q")["schema"]
    assert not re.search(q["pattern"], "  ab  ") and re.search(q["pattern"], " abc ")
    assert "3 characters" in _refused(client.get("/api/v1/geocode?q=%20%20ab%20%20"), "q")
    assert client.get("/api/v1/geocode?q=%20Fishtown%20").status_code == 200


def test_bodies_refuse_wrong_types_and_unknown_fields_in_civic_error_shape(client, auth, make_user, make_issue, doc):
    person = make_user()
    issue_id = make_issue(person)
    auth.login_as(person)
    message = _refused(client.put(f"/api/v1/issues/{issue_id}/follow", json={"following": "yes"}), "following")
    assert message == "following must be true or false."
    unknown = client.put(f"/api/v1/issues/{issue_id}/follow", json={"following": True, "extra": 1})
    assert unknown.status_code == 400 and unknown.get_json()["error"]["message"] == "Unknown fields: extra."
    assert doc["components"]["schemas"]["Following"]["additionalProperties"] is False


def test_document_bodies_are_the_models_schemas(doc):
    """The document's request bodies are generated from the models the views validate with, nothing else."""
    from civic.api import schemas
    from civic.api.schemadoc import body_schemas

    models = [schemas.NewIssue, schemas.MeChange, schemas.NewComment, schemas.Upvote, schemas.Following, schemas.Rsvp]
    for name, schema in body_schemas(models).items():
        if name in ("NewIssue",):  # its bounds are the city's, computed in the app
            continue
        assert doc["components"]["schemas"][name] == schema, name
