"""Public pages (no sign-in): /dashboard, /dashboard/neighbourhoods (the equity view), /open-data and
its three downloads. Figures come from civic.dashboard.stats; this module only formats and renders."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import folium
from flask import Response, current_app, render_template, request, stream_with_context
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from civic.dashboard import bands, bp, charts, formatting, opendata, stats, summary
from civic.geo.neighbourhoods import DATA_FILE, by_slug
from civic.geo.population import Populations, populations
from civic.issues import maps

# --- formatting, shared by every dashboard template -------------------------------------------

human_duration = formatting.human_duration  # (imported from here by older code and tests)


@bp.context_processor
def _helpers():
    return {
        "duration": formatting.human_duration,
        "hours_label": formatting.hours_label,
        "percent": formatting.percent,
        "rate": formatting.rate,
        "whole": formatting.whole,
    }


def dashboard_data() -> stats.Dashboard:
    """stats.load(), kept DASHBOARD_CACHE_SECONDS (default 60; 0: never) per app and language.

    Every figure reads every issue (about a second for 20,000 on SQLite): without this, anyone could keep
    the database busy by reloading a public page. The cache lives on the app, so it dies with it.
    """
    ttl = current_app.config.get("DASHBOARD_CACHE_SECONDS", 60)
    cache = current_app.extensions.setdefault("civic_dashboard", {})
    key = str(get_locale())  # category labels are translated
    hit = cache.get(key)
    if ttl and hit and hit[0] > time.monotonic():
        return hit[1]
    data = stats.load()
    if ttl:
        cache[key] = (time.monotonic() + ttl, data)
    return data


# --- /dashboard --------------------------------------------------------------------------------


def _fix_chart(chart_id: str, title: str, groups: list[tuple[str, stats.Figures]]) -> Markup | None:
    """Median days to fix per group; None when nothing was fixed yet (the page says so instead)."""
    bars = [
        charts.Bar(name, f.fix.median / 24, human_duration(f.fix.median))
        for name, f in groups
        if f.fix.median is not None
    ]
    if not bars:
        return None
    summary = "; ".join(f"{b.label}: {b.value_label}" for b in bars)
    return charts.bar_chart(chart_id, title, _("Bar chart, in days. %(values)s", values=summary), bars)


def _backlog_chart(points: list[tuple[datetime, int]]) -> Markup:
    labelled = [(formatting.short_date(t), n) for t, n in points]
    summary = "; ".join(f"{label}: {n}" for label, n in labelled)
    return charts.line_chart(
        "chart-backlog",
        _("Open issues, week by week"),
        _(
            "Line chart of the issues open now and at the same hour on the same weekday in each of the %(n)d weeks "
            "before. %(values)s",
            n=len(points) - 1,
            values=summary,
        ),
        labelled,
    )


@bp.get("/dashboard")
def index():
    data = dashboard_data()
    return render_template(
        "dashboard/index.html",
        data=data,
        sentences=summary.sentences(data.overall),
        category_chart=_fix_chart("chart-category", _("Median time to fix, by category"), data.by_category),
        department_chart=_fix_chart("chart-department", _("Median time to fix, by department"), data.by_department),
        backlog_chart=_backlog_chart(data.backlog),
        backlog=[(format_date(t, "medium"), n) for t, n in data.backlog],
    )


# --- /dashboard/neighbourhoods: the equity view ------------------------------------------------

# The map's colours come from the spread of the measured neighbourhoods' medians (civic/dashboard/bands.py).
# A neighbourhood with fewer than bands.MIN_MEASURED fixed issues is drawn "too few to judge": pale, dashed.
TOO_FEW_COLOUR = "#ffffff"
OUTLINE = "#4a5560"


def band_label(band: bands.Band) -> str:
    """ "3 to 9 days", "Under 2 days", "4 days" (a band of one value)."""
    if band.low == band.high:
        return ngettext("%(num)d day", "%(num)d days", band.low)
    if band.low == 0:
        return ngettext("Under %(num)d day", "Under %(num)d days", band.high)
    return _("%(low)d to %(high)d days", low=band.low, high=band.high)


def too_few_label(fixed: int) -> str:
    return ngettext("Too few to judge (%(num)d fixed)", "Too few to judge (%(num)d fixed)", fixed)


@dataclass(frozen=True)
class HoodRow:
    slug: str
    name: str
    figures: stats.Figures
    population: int | None = None  # residents, when the city loaded them
    band: int | None = None  # its band on the map; None: too few fixed issues to judge

    def _per_1000(self, count: int) -> float | None:
        return 1000 * count / self.population if self.population else None

    @property
    def issues_per_1000(self) -> float | None:
        return self._per_1000(self.figures.issues)

    @property
    def open_per_1000(self) -> float | None:
        return self._per_1000(self.figures.open)


def measured(f: stats.Figures) -> bool:
    return f.fix.median is not None and f.fix.count >= bands.MIN_MEASURED


def hood_rows(
    groups: list[tuple[str, stats.Figures]], population: dict[str, int]
) -> tuple[list[HoodRow], list[bands.Band]]:
    """A row per neighbourhood with issues, each in its band of the scale computed from the measured ones."""
    scale = bands.bands([f.fix.median / 24 for _slug, f in groups if measured(f) and f.fix.median is not None])
    rows = []
    for slug, f in groups:
        band = bands.band_of(f.fix.median / 24, scale) if measured(f) and f.fix.median is not None else None
        rows.append(HoodRow(slug, hood.name if (hood := by_slug(slug)) else slug, f, population.get(slug), band))
    return rows, scale


SORTS = {
    "name": lambda r: r.name.lower(),
    "issues": lambda r: r.figures.issues,
    "open": lambda r: r.figures.open,
    "per1000": lambda r: r.issues_per_1000,
    "open_per1000": lambda r: r.open_per_1000,
    "fix": lambda r: r.figures.fix.median,
    "response": lambda r: r.figures.response.median,
    "closed": lambda r: r.figures.closed_without_fix.percent,
}


def sort_rows(rows: list[HoodRow], sort: str) -> list[HoodRow]:
    """Sort by a SORTS key ("-key": descending); rows with no value come last, by name."""
    key = SORTS[sort.lstrip("-")]
    by_name = sorted(rows, key=SORTS["name"])
    known = sorted((r for r in by_name if key(r) is not None), key=key, reverse=sort.startswith("-"))
    return known + [r for r in by_name if key(r) is None]


def sort_choices(with_population: bool) -> list[tuple[str, str]]:
    """The sort menu (the table's headings do the same, but are hidden when the table stacks on a phone)."""
    columns = [
        ("issues", _("Issues")),
        ("open", _("Open now")),
        *(
            [("per1000", _("Reports per 1,000 residents")), ("open_per1000", _("Open per 1,000 residents"))]
            if with_population
            else []
        ),
        ("fix", _("Median time to fix")),
        ("response", _("Median time to first official response")),
        ("closed", _("Closed without a fix")),
    ]
    choices = [("name", _("Neighbourhood, A to Z")), ("-name", _("Neighbourhood, Z to A"))]
    for key, label in columns:
        choices += [("-" + key, _("%(column)s, highest first", column=label))]
        choices += [(key, _("%(column)s, lowest first", column=label))]
    return choices


@lru_cache(maxsize=1)
def _outlines() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _style(feature: dict) -> dict:
    colour = feature["properties"]["colour"]
    return {
        "fillColor": colour or TOO_FEW_COLOUR,
        "fillOpacity": 0.75 if colour else 0.15,
        "color": OUTLINE,
        "weight": 1,
        "dashArray": None if colour else "4 4",
    }


def equity_map(rows: list[HoodRow], scale: list[bands.Band]) -> maps.MapParts:
    """Neighbourhood outlines coloured by median time to fix; the table on the page holds the same figures."""
    found = {r.slug: r for r in rows}
    features = []
    for feature in _outlines()["features"]:
        row = found.get(feature["properties"]["slug"])
        if row is not None and row.band is not None:
            fix, colour = human_duration(row.figures.fix.median), scale[row.band].colour
        else:
            fix, colour = too_few_label(row.figures.fix.count if row else 0), None
        features.append(
            {
                "type": "Feature",
                "id": feature["properties"]["slug"],
                "geometry": feature["geometry"],
                "properties": {"name": feature["properties"]["name"], "fix": fix, "colour": colour},
            }
        )
    fmap = maps.base_map("equity", maps.city_centre(), maps.CITY_ZOOM)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="neighbourhoods",
        style_function=_style,
        highlight_function=lambda _f: {"weight": 3, "color": "#1b1f24"},
        tooltip=folium.GeoJsonTooltip(fields=["name", "fix"], aliases=[_("Neighbourhood"), _("Median time to fix")]),
    ).add_to(fmap)
    return maps.parts(fmap, "equity")


def _population_note(pops: Populations) -> str | None:
    if not pops.by_slug or pops.loaded_at is None:
        return None
    return _(
        "Population figures: %(source)s, loaded on %(date)s.",
        source=pops.source or "—",
        date=format_date(pops.loaded_at, "long"),
    )


@bp.get("/dashboard/neighbourhoods")
def neighbourhoods():
    data = dashboard_data()
    pops = populations()
    rows, scale = hood_rows(data.by_neighbourhood, pops.by_slug)
    sort = request.args.get("sort", "name")
    error = sort.lstrip("-") not in SORTS or sort.count("-") > 1
    if error:
        sort = "name"
    return render_template(
        "dashboard/neighbourhoods.html",
        rows=sort_rows(rows, sort),
        sort=sort,
        sort_error=error,
        sort_choices=sort_choices(bool(pops.by_slug)),
        fmap=equity_map(rows, scale),
        legend=[(band_label(b), b.colour) for b in scale],
        band_labels=[band_label(b) for b in scale],
        with_population=bool(pops.by_slug),
        population_note=_population_note(pops),
        min_measured=bands.MIN_MEASURED,
        too_few_colour=TOO_FEW_COLOUR,
        outline=OUTLINE,
        now=data.now,
    ), (400 if error else 200)


# --- open data ---------------------------------------------------------------------------------


@bp.get("/open-data")
def open_data():
    return render_template("dashboard/open_data.html")


def _download(lines, mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(lines), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data: other sites' scripts may read it
    return response


@bp.get("/open-data/issues.csv")
def issues_csv():
    return _download(opendata.issues_csv(), "text/csv", "issues.csv")


@bp.get("/open-data/status-history.csv")
def status_history_csv():
    return _download(opendata.status_history_csv(), "text/csv", "status-history.csv")


@bp.get("/open-data/issues.geojson")
def issues_geojson():
    return _download(opendata.issues_geojson(), "application/geo+json", "issues.geojson")
