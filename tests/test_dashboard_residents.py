"""The dashboard for residents: plain sentences first, map bands from the real spread of the figures, "too few to
judge" under 5, figures per 1,000 residents from a population CSV the city loads, names in the reader's language.

The seeded city (HOODS): every issue reported 60 days ago; hours to the first reply and to the city's fix.

  neighbourhood   issues (reply h, fix h)                  fixed  median fix
  Fishtown        5 x (2, 24)                              5      24 h = 1 day
  Old City        5 x (12, 72)                             5      72 h = 3 days
  Rittenhouse     5 x (50, 240)                            5      240 h = 10 days
  Bella Vista     2 x (100, 48), 1 open, no reply          2      too few to judge (fewer than 5 fixed)

Worked out by hand:
- replies (17): 2 x5, 12 x5, 50 x5, 100 x2 -> median = the 9th = 12 hours; nine in ten: rank ceil(0.9*17) = 16
  -> 100 h = 4.2 days.
- fixes (17): 24 x5, 48 x2, 72 x5, 240 x5 -> median = the 9th = 72 h = 3 days; rank 16 -> 240 h = 10 days.
- counts: 18 reports, 17 fixed, 0 closed, 1 open.
- bands from the measured medians [1, 3, 10] days: quartiles (inclusive) 2, 3, 6.5 -> rounded 2, 3, 7; 3 has no
  value between 2 and it, so limits [2, 7]: "1 to 2 days" (Fishtown), "2 to 7 days" (Old City), "7 to 10 days"
  (Rittenhouse), in ColorBrewer OrRd's three classes.
- per 1,000 residents (POPULATION_CSV): Fishtown 5 of 5,000 = 1.0; Old City 5 of 2,500 = 2.0; Bella Vista 3 of
  1,500 = 2.0 and 1 open of 1,500 = 0.7; Rittenhouse is not in the file: population not known.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from civic.database import unit_of_work, utcnow
from civic.extensions import db
from tests.test_dashboard import _cells, _text, city  # noqa: F401 - `city`: the small hand-built city fixture

D, H = timedelta(days=1), timedelta(hours=1)

# slug: [(hours to first reply or None, hours to the city's fix or None)]
HOODS = {
    "fishtown": [(2, 24)] * 5,
    "old_city": [(12, 72)] * 5,
    "rittenhouse": [(50, 240)] * 5,
    "bella_vista": [(100, 48)] * 2 + [(None, None)],
}
POPULATION_CSV = """Neighborhood , Pop
  FISHTOWN - lower kensington ,"5,000"
old_city,2500
Bella Vista,1500
"""


@pytest.fixture
def seeded(app, make_issue, make_user):
    from civic.geo.neighbourhoods import by_slug
    from civic.issues.models import Issue, IssueStatus, StatusChange

    staff = make_user("staff", department="streets")
    planned = []
    for slug, issues in HOODS.items():
        hood = by_slug(slug)
        assert hood is not None
        planned += [(make_issue(category="pothole", at=hood.centre), reply, fix) for reply, fix in issues]
    now = utcnow().replace(microsecond=0)
    with app.app_context(), unit_of_work():
        for issue_id, reply, fix in planned:
            issue = db.session.get(Issue, issue_id)
            issue.created_at = now - 60 * D
            db.session.execute(
                sa.update(StatusChange).where(StatusChange.issue_id == issue_id).values(created_at=issue.created_at)
            )
            issue.first_response_at = issue.created_at + reply * H if reply else None
            if fix:
                issue.status, issue.fixed_at = IssueStatus.FIXED, issue.created_at + fix * H
                db.session.add(
                    StatusChange(
                        issue_id=issue_id,
                        from_status=IssueStatus.OPEN,
                        to_status=IssueStatus.FIXED,
                        actor_id=staff.id,
                        created_at=issue.fixed_at,
                    )
                )
    assert {db_hood(app, i) for i, _r, _f in planned} == set(HOODS)  # the centres fell in their neighbourhoods
    return planned


def db_hood(app, issue_id: int) -> str:
    from civic.issues.models import Issue

    with app.app_context():
        return db.session.get(Issue, issue_id).neighbourhood


def in_short(html: str) -> list[str]:
    block = html.split('id="in-short">')[1].split("</ul>")[0]
    return [_text(item) for item in block.split("<li>")[1:]]


# --- the plain sentences -----------------------------------------------------------------------


def test_the_sentences_come_first_with_the_hand_computed_figures(client, seeded):
    html = client.get("/dashboard").get_data(as_text=True)
    assert html.index('id="in-short"') < html.index('id="overall"')  # before any table
    assert in_short(html) == [
        "Half of reports get a city reply within 12 hours; nine in ten within 4.2 days.",
        "Half of the issues the city fixed were fixed within 3 days; nine in ten within 10 days.",
        "Of 18 reports so far: 17 fixed, 0 closed without a fix, 1 still open.",
    ]
    # One source of truth: the table below says the same.
    overall = _text(html.split('id="overall">')[1].split("</dl>")[0])
    assert "Median time to first official response 12 hours" in overall and "answered within 4.2 days" in overall
    assert "Median time to fix 3 days" in overall and "Nine in ten fixed within 10 days" in overall
    # What a median is, in one plain line, next to every figure that is one.
    assert html.count("half of reports are answered (or fixed) faster than this, half slower") == 3


def test_the_sentences_in_spanish(client, seeded):
    html = client.get("/dashboard", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert in_short(html) == [
        "La mitad de los avisos recibe una respuesta de la ciudad en 12 horas o menos; "
        "nueve de cada diez, en 4,2 días.",
        "La mitad de los avisos que arregló la ciudad se arreglaron en 3 días o menos; nueve de cada diez, en 10 días.",
        "De 18 avisos hasta ahora: arreglados, 17; cerrados sin arreglo, 0; aún abiertos, 1.",
    ]
    assert "la mitad de los avisos se responde (o se arregla) más rápido que esto" in html


def test_too_few_figures_say_so_instead_of_a_time(client, city):  # noqa: F811 - the fixture imported above
    """The small city has 4 replies and 3 fixes: fewer than 5, so no sentence tells a time."""
    html = client.get("/dashboard").get_data(as_text=True)
    assert in_short(html) == [
        "Too few reports yet to say how long a reply takes.",
        "Too few issues fixed yet to say how long a fix takes.",
        "Of 7 reports so far: 3 fixed, 2 closed without a fix, 2 still open.",
    ]
    spanish = client.get("/dashboard", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert in_short(spanish)[0] == "Aún hay demasiado pocos avisos para decir cuánto tarda una respuesta."


def test_with_no_issue_the_block_says_so(client, categories):
    assert in_short(client.get("/dashboard").get_data(as_text=True)) == ["No issue has been reported yet."]


def test_fixes_by_neighbours_are_told_apart(app):
    from civic.dashboard import stats, summary

    f = stats.Figures(
        issues=9,
        open=2,
        fixed=4,
        closed=1,
        response=stats.Durations(0, None, None),
        fix=stats.Durations(0, None, None),
        closed_without_fix=stats.Share(1, 7),
        reopened=stats.Share(0, 4),
        community_fixed=2,
    )
    with app.test_request_context():
        assert summary.sentences(f)[2:] == [
            "Of 9 reports so far: 6 fixed, 1 closed without a fix, 2 still open.",
            "Neighbours fixed 2 of them themselves, at clean-ups.",
        ]


# --- department names follow the reader, through the cache -------------------------------------


def test_department_names_follow_the_reader_s_language_through_the_cache(client, city):  # noqa: F811
    spanish = client.get("/dashboard", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Departamento de Calles" in _text(spanish.split('id="by-department"')[1].split("</table>")[0])
    english = client.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    table = english.split('id="by-department"')[1].split("</table>")[0]
    assert "Streets Department" in table and "Departamento" not in table


# --- colour bands from the real spread ---------------------------------------------------------


def test_band_limits_by_hand():
    from civic.dashboard.bands import ORRD, Band, bands, limits

    # Quartiles of 1..8 (inclusive): 2.75, 4.5, 6.25 -> 3, 5 (halves round up), 6.
    assert limits([8, 1, 2, 3, 4, 5, 6, 7]) == [3, 5, 6]
    assert [(b.low, b.high) for b in bands(list(range(1, 9)))] == [(1, 3), (3, 5), (5, 6), (6, 8)]
    assert [b.colour for b in bands(list(range(1, 9)))] == list(ORRD[4])
    # [2, 2, 2, 10]: quartiles 2, 2, 4; no value is under 2, so 2 is no limit: two bands, not an empty one.
    assert limits([2, 2, 2, 10]) == [4]
    assert bands([2, 2, 2, 10]) == [Band(2, 4, ORRD[2][0]), Band(4, 10, ORRD[2][1])]
    # One value: one band; nothing measured: no band.
    assert bands([3, 3, 3]) == [Band(3, 3, ORRD[1][0])] and bands([]) == []


def test_bands_are_never_empty_nor_the_same():
    from civic.dashboard.bands import band_of, bands

    rng = random.Random(17)
    for _ in range(500):
        values = [round(rng.expovariate(0.2), 1) for _ in range(rng.randint(1, 12))]
        scale = bands(values)
        members = [band_of(v, scale) for v in values]
        assert sorted(set(members)) == list(range(len(scale))), (values, scale)  # every band holds a value
        assert len({(b.low, b.high) for b in scale}) == len(scale) <= 4
        assert all(a.high <= b.low for a, b in zip(scale, scale[1:], strict=False))


def test_band_labels_in_words(app):
    from civic.dashboard.bands import Band
    from civic.dashboard.views import band_label

    with app.test_request_context():
        assert [band_label(Band(*b, "#fff")) for b in ((3, 9), (0, 2), (0, 1), (4, 4))] == [
            "3 to 9 days",
            "Under 2 days",
            "Under 1 day",
            "4 days",
        ]
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert band_label(Band(3, 9, "#fff")) == "De 3 a 9 días"


def test_the_map_and_its_legend_use_the_computed_bands(client, seeded):
    html = client.get("/dashboard/neighbourhoods").get_data(as_text=True)
    legend = html.split('id="equity-legend-list">')[1].split("</ul>")[0]
    assert [_text(item) for item in legend.split("<li>")[1:]] == [
        "1 to 2 days",
        "2 to 7 days",
        "7 to 10 days",
        "Too few fixed issues to judge (fewer than 5)",
    ]
    # OrRd, three classes, in the order of the bands; Bella Vista (2 fixed) is dashed, not coloured.
    for colour in ("#fee8c8", "#fdbb84", "#e34a33"):
        assert f'"fillColor": "{colour}"' in html
    assert html.count('"fillOpacity": 0.75') == 3
    # The table, the map's list alternative, says the same.
    table = html.split('id="neighbourhood-table"')[1]
    # issues, open, median fix, on the map, median reply, closed without a fix
    assert _cells(table, "Fishtown - Lower Kensington") == "5 0 24 hours 1 to 2 days 2 hours 0% (0 of 5)"
    assert _cells(table, "Old City") == "5 0 3 days 2 to 7 days 12 hours 0% (0 of 5)"
    assert _cells(table, "Bella Vista") == ("3 1 2 days too few to judge (2 fixed) 4.2 days too few to judge (0 of 2)")
    assert _cells(table, "Rittenhouse") == "5 0 10 days 7 to 10 days 2.1 days 0% (0 of 5)"


# --- the population CSV ------------------------------------------------------------------------


def load(runner, tmp_path: Path, text: str, name: str = "population.csv", *options: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["geo", "load-population", str(path), *options])


def stored(app) -> dict[str, tuple[int, str | None]]:
    from civic.geo.models import NeighbourhoodPopulation

    with app.app_context():
        return {r.name: (r.population, r.source) for r in db.session.scalars(sa.select(NeighbourhoodPopulation))}


def test_a_good_file_is_loaded_with_loose_headers_and_names(app, runner, tmp_path):
    result = load(runner, tmp_path, POPULATION_CSV)
    assert result.exit_code == 0, result.output
    assert "Loaded the population of 3 neighbourhoods from population.csv." in result.output
    assert "Skipped no rows." in result.output
    assert stored(app) == {
        "fishtown": (5000, "population.csv"),
        "old_city": (2500, "population.csv"),
        "bella_vista": (1500, "population.csv"),
    }


def test_unknown_names_and_bad_numbers_are_skipped_and_reported(app, runner, tmp_path):
    text = "name;residents\nOld City;2500\nAtlantis;900\nRittenhouse;lots\nBella Vista;-3\nold city;1\n"
    result = load(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    assert "Loaded the population of 1 neighbourhoods" in result.output
    assert "Skipped 4 rows: 2 with a population that is not a whole number above 0" in result.output
    assert "1 with an unknown neighbourhood ('Atlantis')" in result.output
    assert "1 with a neighbourhood already given in an earlier row ('old city')" in result.output
    assert stored(app) == {"old_city": (2500, "population.csv")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("neighbourhood,households\nOld City,1200\n", "needs a neighbourhood column"),
        ("slug,population\nAtlantis,900\n", "holds no row with a known neighbourhood and a population"),
        ("", "needs a neighbourhood column"),
    ],
)
def test_a_wrong_file_is_refused_and_changes_nothing(app, runner, tmp_path, text, message):
    assert load(runner, tmp_path, POPULATION_CSV, "first.csv").exit_code == 0
    before = stored(app)
    result = load(runner, tmp_path, text, "wrong.csv")
    assert result.exit_code == 1 and message in result.output and "wrong.csv" in result.output
    assert stored(app) == before
    missing = runner.invoke(args=["geo", "load-population", str(tmp_path / "nowhere.csv")])
    assert missing.exit_code == 1 and "There is no file at" in missing.output
    (tmp_path / "latin1.csv").write_bytes("name,population\nOld City,2500\nPe\xf1a,1\n".encode("latin-1"))
    latin1 = runner.invoke(args=["geo", "load-population", str(tmp_path / "latin1.csv")])
    assert latin1.exit_code == 1 and "is not a UTF-8 CSV file" in latin1.output
    assert stored(app) == before


def test_a_new_load_replaces_the_previous_one(app, runner, tmp_path):
    assert load(runner, tmp_path, POPULATION_CSV).exit_code == 0
    result = load(runner, tmp_path, "slug,population\nrittenhouse,20000\n", "census.csv", "--source", "Census 2020")
    assert result.exit_code == 0, result.output
    assert stored(app) == {"rittenhouse": (20000, "Census 2020")}


# --- per 1,000 residents -----------------------------------------------------------------------


def test_figures_per_1000_residents_by_hand(app, client, runner, tmp_path, seeded):
    assert load(runner, tmp_path, POPULATION_CSV, "philly-2020.csv").exit_code == 0
    html = client.get("/dashboard/neighbourhoods").get_data(as_text=True)
    table = html.split('id="neighbourhood-table"')[1]
    # issues, open, residents, reports per 1,000, open per 1,000, then the per-issue figures as before
    assert _cells(table, "Fishtown - Lower Kensington").startswith("5 0 5,000 1.0 0.0 24 hours")
    assert _cells(table, "Old City").startswith("5 0 2,500 2.0 0.0 3 days")
    assert _cells(table, "Bella Vista").startswith("3 1 1,500 2.0 0.7 2 days")
    assert _cells(table, "Rittenhouse").startswith("5 0 population not known — No data — No data 10 days")
    note = _text(html.split('id="population-source">')[1].split("</p>")[0])
    assert note.startswith("Population figures: philly-2020.csv, loaded on ")
    assert "population-hint" not in html
    # A sort by it: most reports per 1,000 first, ties by name, the unknown last.
    ranked = client.get("/dashboard/neighbourhoods?sort=-per1000").get_data(as_text=True)
    table = ranked.split('id="neighbourhood-table"')[1]
    names = ["Bella Vista", "Old City", "Fishtown - Lower Kensington", "Rittenhouse"]
    assert sorted(names, key=table.index) == names
    assert '<option value="-per1000" selected>Reports per 1,000 residents, highest first</option>' in ranked


def test_without_populations_the_page_works_per_issue_and_tells_admins(client, auth, make_user, seeded):
    html = client.get("/dashboard/neighbourhoods").get_data(as_text=True)
    assert "Reports per 1,000 residents" not in html.split('id="neighbourhood-table"')[1]
    assert "population-hint" not in html and "load-population" not in html  # not for residents
    assert _cells(html, "Old City").startswith("5 0 3 days 2 to 7 days")
    auth.login_as(make_user("admin"))
    admin = client.get("/dashboard/neighbourhoods").get_data(as_text=True)
    hint = _text(admin.split('id="population-hint">')[1].split("</p>")[0])
    assert "flask geo load-population FILE.csv" in hint


def test_the_sort_menu_works_without_the_headings(client, seeded):
    """On a phone the table stacks and its headings are hidden: the menu sorts the same way."""
    html = client.get("/dashboard/neighbourhoods?sort=-fix").get_data(as_text=True)
    assert re.search(r'<select id="sort" name="sort">', html)
    assert '<option value="-fix" selected>Median time to fix, highest first</option>' in html
    table = html.split('id="neighbourhood-table"')[1]
    names = ["Rittenhouse", "Old City", "Bella Vista", "Fishtown - Lower Kensington"]
    assert sorted(names, key=table.index) == names
    assert 'table--stack" id="neighbourhood-table"' in html and '<td data-label="On the map">' in html
