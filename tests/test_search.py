"""Text search over issues' titles and descriptions (migration 0016; civic/issues/search.py), on SQLite FTS5
and PostgreSQL full-text alike: in the list, the bbox API and at city zoom, with prefixes, accents folded,
whatever people type, and an index kept in step by the database itself."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from civic.database import unit_of_work
from civic.extensions import db
from tests.conftest import FISHTOWN

AROUND_FISHTOWN = "-75.14,39.965,-75.125,39.98"
CITY = "-75.28,39.87,-74.96,40.14"
TITLE = re.compile(r'id="issue-\d+-title"><a href="[^"]+">([^<]+)</a>')


def listed(client, q: str, **args) -> list[str]:
    response = client.get("/issues", query_string={"q": q, **args})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return TITLE.findall(response.get_data(as_text=True))


def on_map(client, q: str, zoom: int = 17, bbox: str = AROUND_FISHTOWN) -> dict:
    response = client.get("/api/v1/issues", query_string={"bbox": bbox, "zoom": zoom, "q": q})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


@pytest.fixture
def three(make_issue):
    make_issue(title="Deep pothole on Girard", description="The bus swerves around it every morning.")
    make_issue(title="Broken street light", description="Dark corner by the hydrant since Tuesday.")
    make_issue(
        title="Bache enorme en la calle Peñón",
        description="Señal de tráfico caída junto a la escuela.",
        category="graffiti",
    )


def test_finds_words_in_titles_and_descriptions(client, three):
    assert listed(client, "pothole") == ["Deep pothole on Girard"]
    assert listed(client, "hydrant") == ["Broken street light"]  # only in the description
    assert listed(client, "bus girard") == ["Deep pothole on Girard"]  # every word, in either field
    assert listed(client, "bus light") == []
    assert listed(client, "POTHOLE") == ["Deep pothole on Girard"]


def test_the_last_word_may_be_the_start_of_one(client, three):
    assert listed(client, "pothol") == ["Deep pothole on Girard"]
    assert listed(client, "street li") == ["Broken street light"]
    assert listed(client, "pothol girard") == []  # only the last word is a prefix


def test_spanish_with_or_without_accents(client, backend, three):
    assert listed(client, "peñón") == ["Bache enorme en la calle Peñón"]
    assert listed(client, "señal tráfico") == ["Bache enorme en la calle Peñón"]
    assert listed(client, "senal trafico") == ["Bache enorme en la calle Peñón"]  # accents folded
    assert listed(client, "PENON") == ["Bache enorme en la calle Peñón"]


POTHOLE = ["Deep pothole on Girard"]
EVERYTHING = None  # no word in it: no search at all


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ('"', EVERYTHING),
        ("*", EVERYTHING),
        ('"pothole', POTHOLE),
        ('pothole"', POTHOLE),
        ("pothole*", POTHOLE),
        ("-pothole", POTHOLE),
        ("NOT pothole", []),  # "not" is a word to find, not an operator
        ("pothole OR light", []),
        ("title:pothole", []),
        ("(pothole", POTHOLE),
        ("pothole & | ! : <-> ^", POTHOLE),
        ("'; DROP TABLE issues; --", []),
        ("\\", EVERYTHING),
        ("%_", EVERYTHING),
        ("NEAR(pothole girard)", []),
        ("🚧 pothole", POTHOLE),
        ("\u202epothole", POTHOLE),  # a NUL is refused with a 400 (tests/test_hostile_input.py)
        ("pothole\u00a0girard", POTHOLE),
    ],
)
def test_whatever_people_type_never_fails(client, three, typed, expected):
    found = listed(client, typed)
    assert found == expected if expected is not EVERYTHING else len(found) == 3
    assert on_map(client, typed)["type"] == "FeatureCollection"
    assert client.get("/api/v1/issues", query_string={"bbox": CITY, "zoom": 11, "q": typed}).status_code == 200


def test_quotes_and_stars_are_just_punctuation(client, three):
    assert listed(client, '"pothole"') == ["Deep pothole on Girard"]
    assert listed(client, "pot*") == ["Deep pothole on Girard"]
    assert listed(client, "girard OR light") == []  # "or" is a word to find, not an operator


def test_punctuation_only_is_no_search(client, three):
    page = client.get("/issues", query_string={"q": "***"}).get_data(as_text=True)
    assert len(TITLE.findall(page)) == 3 and "3 issues match" in page


def test_a_search_too_long_is_a_clear_400(client, three):
    response = client.get("/issues", query_string={"q": "a" * 201})
    assert response.status_code == 400 and "at most 200 characters" in response.get_data(as_text=True)
    api = client.get("/api/v1/issues", query_string={"bbox": AROUND_FISHTOWN, "q": "a" * 201})
    assert api.status_code == 400 and "at most 200 characters" in api.get_data(as_text=True)
    assert listed(client, "pothole " + " " * 150) == ["Deep pothole on Girard"]  # trimmed first


def test_the_count_says_what_it_counts(client, three):
    page = client.get("/issues", query_string={"q": "pothole"}).get_data(as_text=True)
    assert "1 issue matches “pothole”" in page
    assert 'value="pothole"' in page  # the search box keeps what was typed
    assert "3 issues match" in client.get("/issues").get_data(as_text=True)
    spanish = client.get("/issues", query_string={"q": "bache"}, headers={"Accept-Language": "es"})
    assert "1 aviso coincide con “bache”" in spanish.get_data(as_text=True)


def test_the_bbox_api_honours_the_search(client, three):
    data = on_map(client, "hydrant")
    assert [f["properties"]["title"] for f in data["features"]] == ["Broken street light"] and data["total"] == 1
    assert on_map(client, "nothing-like-this")["total"] == 0


def test_a_search_at_city_zoom_counts_the_matching_issues_not_the_precomputed_cells(app, client, make_issue):
    from civic.demo import seeding as demo

    with app.app_context(), unit_of_work():
        demo.seed_people()
        demo.seed_issues(150, citywide=False)
    make_issue(title="Zebra crossing faded", at=(40.13, -75.01))
    everything = on_map(client, "", zoom=11, bbox=CITY)
    assert everything["clustered"] is True and everything["total"] == 151
    zebra = on_map(client, "zebra", zoom=11, bbox=CITY)
    assert zebra["total"] == 1
    assert [f["properties"]["title"] for f in zebra["features"]] == ["Zebra crossing faded"]


def test_the_index_follows_edits_by_the_reporter_and_the_moderators(app, client, make_user, make_issue):
    from civic.accounts.models import User
    from civic.issues import services
    from civic.issues.models import Issue
    from civic.moderation import services as moderation
    from civic.moderation.models import ContentKind

    reporter = make_user()
    moderator = make_user("moderator")
    issue_id = make_issue(reporter, title="Broken hydrant", description="Water everywhere, call Maria 555-0101.")
    assert listed(client, "maria") == ["Broken hydrant"]

    with app.test_request_context(), unit_of_work():
        services.edit_issue(
            db.session.get(User, reporter.id),
            db.session.get(Issue, issue_id),
            title="Leaking hydrant",
            description="Water everywhere, call Maria 555-0101.",
        )
    assert listed(client, "broken") == [] and listed(client, "leaking") == ["Leaking hydrant"]

    with app.test_request_context(), unit_of_work():  # a moderator removes personal data from the text
        moderation.moderator_edit(
            db.session.get(User, moderator.id),
            ContentKind.ISSUE,
            issue_id,
            {"title": "Leaking hydrant", "description": "Water everywhere."},
            "Personal data",
        )
    assert listed(client, "maria") == [] and listed(client, "555") == []
    assert listed(client, "everywhere") == ["Leaking hydrant"]

    with app.test_request_context(), unit_of_work():
        moderation.hide(db.session.get(User, moderator.id), ContentKind.ISSUE, issue_id, "Spam")
    assert listed(client, "leaking") == [] and on_map(client, "leaking")["total"] == 0


def test_a_deleted_issue_leaves_nothing_to_find(app, client, backend, make_issue):
    from civic.issues.models import Issue

    gone = make_issue(title="Abandoned sofa")
    with app.app_context(), unit_of_work():
        db.session.delete(db.session.get(Issue, gone))
    # SQLite gives the next issue the deleted one's id: an index that kept the old words would find it.
    reused = make_issue(title="Overflowing bin")
    if backend == "sqlite":
        assert reused == gone
    assert listed(client, "sofa") == [] and listed(client, "bin") == ["Overflowing bin"]
    if backend == "sqlite":
        with app.app_context(), unit_of_work():  # raises if the index and the issues disagree
            db.session.execute(sa.text("INSERT INTO issues_fts (issues_fts, rank) VALUES ('integrity-check', 1)"))


def test_the_migration_indexes_issues_that_already_exist(app, client, make_issue):
    from flask_migrate import downgrade, upgrade

    from civic import ROOT

    make_issue(title="Faded crosswalk", at=FISHTOWN)
    with app.app_context():
        downgrade(directory=str(ROOT / "migrations"), revision="-1")
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    assert listed(client, "crosswalk") == ["Faded crosswalk"]
