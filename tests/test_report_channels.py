"""One rule for every report channel: the city's required service attributes are checked by report_issue's
validating hook, so the form, the JSON API and civic's own GeoReport POST refuse a report that lacks them,
and what they accept reaches the city with its attributes (real HTTP against the pretend city)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from civic.accounts.models import User
from civic.city311 import sending
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.georeport.keys import create_api_key
from civic.issues.models import Issue
from tests.conftest import FISHTOWN


def issue_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Issue))


def street_light(categories, **extra) -> dict:
    return {
        "category_id": categories["street-light"],
        "title": "Light out",
        "description": "Dark corner.",
        "lat": FISHTOWN[0],
        "lon": FISHTOWN[1],
        **extra,
    }


def test_an_api_report_without_a_required_city_attribute_is_a_400_naming_it(
    app, client, auth, city, connected, make_user, categories
):
    auth.login_as(make_user())
    missing = client.post("/api/v1/issues", json=street_light(categories))
    assert missing.status_code == 400
    error = missing.get_json()["error"]
    assert "The city needs this detail" in error["message"] and "pole" in error["message"].lower()
    assert error.get("field") == "attribute[pole_type]"
    wrong = client.post("/api/v1/issues", json=street_light(categories, attributes={"pole_type": "plastic"}))
    assert wrong.status_code == 400 and "from the list" in wrong.get_json()["error"]["message"]
    assert issue_count(app) == 0

    made = client.post("/api/v1/issues", json=street_light(categories, attributes={"pole_type": "metal"}))
    assert made.status_code == 201, made.get_data(as_text=True)
    with app.test_request_context(), unit_of_work():
        sending.process_due(now=utcnow() + timedelta(minutes=1))
    [post] = city.posts
    assert post["service_code"] == "STREETLIGHT" and post["attribute[pole_type]"] == "metal"


def test_the_api_refuses_attributes_that_are_not_an_object_of_values(
    app, client, auth, city, connected, make_user, categories
):
    auth.login_as(make_user())
    for bad in (["metal"], {"pole_type": {"nested": "x"}}, "metal"):
        response = client.post("/api/v1/issues", json=street_light(categories, attributes=bad))
        assert response.status_code == 400 and response.get_json()["error"]["field"] == "attributes"
    assert issue_count(app) == 0


def test_civic_s_own_georeport_post_applies_the_same_rule(app, client, city, connected, make_user, categories):
    partner = make_user(display_name="Partner app")
    with app.app_context(), unit_of_work():
        key = create_api_key("Partner", db.session.get(User, partner.id))
    fields = {
        "api_key": key,
        "service_code": "street-light",
        "lat": str(FISHTOWN[0]),
        "long": str(FISHTOWN[1]),
        "description": "Light out on the corner",
    }
    refused = client.post("/open311/v2/requests.json", data=fields)
    assert refused.status_code == 400
    assert "The city needs this detail" in refused.get_json()[0]["description"]
    assert issue_count(app) == 0
    accepted = client.post("/open311/v2/requests.json", data={**fields, "attribute[pole_type]": "metal"})
    assert accepted.status_code == 200 and accepted.get_json()[0]["service_request_id"]
    assert issue_count(app) == 1
