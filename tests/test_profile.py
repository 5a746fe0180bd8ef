"""Profile: name, language, home by neighbourhood or exact point."""

from __future__ import annotations

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.extensions import db


def saved(app, user_id) -> User:
    with app.app_context(), unit_of_work():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_choosing_a_neighbourhood_sets_home_at_its_centre(app, client, auth, make_user):
    user = make_user()
    auth.login_as(user)
    response = client.post(
        "/account", data={"display_name": "New Name", "locale": "es", "home_neighbourhood": "fishtown"}
    )
    assert response.status_code == 302
    me = saved(app, user.id)
    assert me.display_name == "New Name" and me.locale == "es"
    assert me.home_neighbourhood == "fishtown"
    assert 39.96 < me.home_lat < 39.99 and -75.15 < me.home_lon < -75.11


def test_an_exact_point_names_its_neighbourhood(app, client, auth, make_user):
    user = make_user()
    auth.login_as(user)
    # Independence Hall
    client.post("/account", data={"display_name": "Ben", "home_lat": "39.9489", "home_lon": "-75.1500"})
    me = saved(app, user.id)
    assert (me.home_lat, me.home_lon) == (39.9489, -75.15)
    assert me.home_neighbourhood == "old_city"


def test_bad_home_input_is_explained_and_nothing_saved(app, client, auth, make_user):
    user = make_user()
    auth.login_as(user)
    cases = [
        ({"home_lat": "123", "home_lon": "10"}, "Latitude is between -90 and 90."),
        ({"home_lat": "39.9"}, "Give both latitude and longitude, or neither."),
        ({"home_lat": "north", "home_lon": "west"}, "Not a valid float value."),
        ({"home_neighbourhood": "atlantis"}, "Not a valid choice."),
    ]
    for extra, message in cases:
        response = client.post("/account", data={"display_name": "Changed", **extra})
        assert response.status_code == 400, extra
        assert message in response.get_data(as_text=True), extra
    me = saved(app, user.id)
    assert me.display_name == user.display_name and me.home_lat is None


def test_api_updates_my_profile(app, client, auth, make_user):
    user = make_user()
    auth.login_as(user)
    response = client.patch("/api/v1/me", json={"locale": "es", "home": {"lat": 39.9489, "lon": -75.15}})
    assert response.status_code == 200
    assert response.get_json()["home"]["neighbourhood"] == "old_city"
    me = saved(app, user.id)
    assert me.locale == "es" and me.home_neighbourhood == "old_city"


def test_api_rejects_bad_profile_input_with_json_errors(app, client, auth, make_user):
    user = make_user()
    auth.login_as(user)
    cases = [
        ("not json", "Send a JSON object."),
        ({"home": {"lat": "north", "lon": 1}}, "home must be null"),
        ({"home": {"lat": 123, "lon": 1}}, "That is not a place on Earth"),
        ({"locale": "fr"}, "Choose English or Spanish."),
        ({"display_name": "   "}, "Enter the name neighbours will see."),
        ({"is_admin": True}, "Unknown fields: is_admin."),
    ]
    for body, message in cases:
        kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, str) else {"json": body}
        response = client.patch("/api/v1/me", **kwargs)
        assert response.status_code == 400, body
        assert message in response.get_json()["error"]["message"], body
    me = saved(app, user.id)
    assert me.locale is None and me.home_lat is None and me.display_name == user.display_name
