"""The bbox API's answer cache (civic/issues/viewcache.py): a repeated view is served from memory, and no
change to what a map shows is ever hidden by it — new issues, votes, moderation, category names — in
either language."""

from __future__ import annotations

from civic.accounts.models import User
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues import services
from civic.issues.models import Category, Issue
from tests.conftest import FISHTOWN, offset

VIEW = "/api/v1/issues?bbox=-75.145,39.965,-75.125,39.978&zoom=16"


def features(client, url: str = VIEW) -> dict[int, dict]:
    return {f["id"]: f["properties"] for f in client.get(url).get_json()["features"]}


def cached_answers(app) -> int:
    cache = app.extensions.get("civic_caches", {}).get("map")
    return len(cache.entries) if cache else 0


def test_a_repeated_view_is_answered_from_memory(app, client, make_issue):
    make_issue()
    first = client.get(VIEW).data
    assert cached_answers(app) == 1
    assert client.get(VIEW).data == first and cached_answers(app) == 1
    client.get(VIEW + "&status=open")
    assert cached_answers(app) == 2  # another question, another answer


def test_every_change_a_map_shows_reaches_the_next_answer(app, client, make_issue, make_user):
    first = make_issue(title="Deep pothole")
    assert set(features(client)) == {first}

    second = make_issue(title="Second pothole", at=offset(*FISHTOWN, north_m=200))
    assert set(features(client)) == {first, second}  # reported

    voter = make_user()
    with app.test_request_context(), unit_of_work():
        services.set_upvote(db.session.get(User, voter.id), first, True)
    assert features(client)[first]["upvotes"] == 1  # voted

    with app.app_context(), unit_of_work():
        db.session.get(Issue, second).hidden_at = utcnow()
        db.session.commit()
    assert set(features(client)) == {first}  # hidden by moderators

    with app.app_context(), unit_of_work():
        pothole = db.session.scalar(db.select(Category).filter_by(slug="pothole"))
        pothole.name, pothole.name_es = "Road hole", "Bache profundo"
        db.session.commit()
    assert features(client)[first]["category_label"] == "Road hole"  # renamed
    spanish = {
        f["id"]: f["properties"] for f in client.get(VIEW, headers={"Accept-Language": "es"}).get_json()["features"]
    }
    assert spanish[first]["category_label"] == "Bache profundo"  # each language its own answer

    with app.app_context(), unit_of_work():
        db.session.delete(db.session.get(Issue, first))
        db.session.commit()
    assert features(client) == {}  # deleted


def test_answers_that_depend_on_the_clock_are_not_kept(app, client, make_issue):
    make_issue()
    client.get(VIEW + "&days=7")
    assert cached_answers(app) == 0


def test_the_cache_can_be_turned_off(make_app, make_issue):
    app = make_app(MAP_CACHE_ENTRIES=0)
    app.test_client().get(VIEW)
    assert cached_answers(app) == 0
