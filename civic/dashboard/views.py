"""Public pages (no sign-in): /dashboard, /dashboard/neighbourhoods (the equity view), /open-data and
its three downloads. Figures come from civic.dashboard.stats; this module only formats and renders."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import folium
from babel.dates import format_skeleton
from flask import Response, current_app, render_template, request, stream_with_context
from flask_babel import format_date, format_decimal, format_percent, get_locale, get_timezone, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from civic.dashboard import bp, charts, opendata, stats
from civic.geo.neighbourhoods import DATA_FILE, by_slug
from civic.issues import maps

# --- formatting, shared by every dashboard template -------------------------------------------


def human_duration(hours: float | None) -> str:
    """ "45 minutes", "5 hours", "2.5 days": minutes under an hour, hours under two days, then days."""
    if hours is None:
        return "—"
    minutes = round(hours * 60)
    if minutes < 60:
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)
    if hours < 48:
        value = round(float(hours), 1)
        if value.is_integer():
            return ngettext("%(num)d hour", "%(num)d hours", int(value))
        return _("%(value)s hours", value=format_decimal(value, "#,##0.#"))
    value = round(hours / 24, 1)
    if value.is_integer():
        return ngettext("%(num)d day", "%(num)d days", int(value))
    return _("%(value)s days", value=format_decimal(value, "#,##0.#"))


def hours_label(hours: float) -> str:
    return _("%(hours)s h", hours=format_decimal(round(hours, 1), "#,##0.#"))


def percent(share: stats.Share) -> str:
    return "—" if share.percent is None else format_percent(share.percent / 100, "#,##0.#%")


def short_date(moment) -> str:
    return format_skeleton("MMMd", moment, tzinfo=get_timezone(), locale=get_locale())


@bp.context_processor
def _helpers():
    return {"duration": human_duration, "hours_label": hours_label, "percent": percent}


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
    labelled = [(short_date(t), n) for t, n in points]
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
        category_chart=_fix_chart("chart-category", _("Median time to fix, by category"), data.by_category),
        department_chart=_fix_chart("chart-department", _("Median time to fix, by department"), data.by_department),
        backlog_chart=_backlog_chart(data.backlog),
        backlog=[(format_date(t, "medium"), n) for t, n in data.backlog],
    )


# --- /dashboard/neighbourhoods: the equity view ------------------------------------------------

# Median days to fix -> colour (ColorBrewer OrRd: darker is slower). Upper bounds in days; None: no bound.
BINS = [(2, "#fef0d9"), (7, "#fdcc8a"), (30, "#fc8d59"), (None, "#d7301f")]
NO_DATA_COLOUR = "#ffffff"
OUTLINE = "#4a5560"


def bin_labels() -> list[str]:
    return [_("Under 2 days"), _("2 to 7 days"), _("7 to 30 days"), _("30 days or more")]


def fix_bin(median_hours: float | None) -> int | None:
    if median_hours is None:
        return None
    days = median_hours / 24
    return next(n for n, (limit, _colour) in enumerate(BINS) if limit is None or days < limit)


@dataclass(frozen=True)
class HoodRow:
    slug: str
    name: str
    figures: stats.Figures

    @property
    def bin(self) -> int | None:
        return fix_bin(self.figures.fix.median)


SORTS = {
    "name": lambda r: r.name.lower(),
    "issues": lambda r: r.figures.issues,
    "open": lambda r: r.figures.open,
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


@lru_cache(maxsize=1)
def _outlines() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _style(feature: dict) -> dict:
    n = feature["properties"]["bin"]
    colour = NO_DATA_COLOUR if n < 0 else BINS[n][1]
    return {
        "fillColor": colour,
        "fillOpacity": 0.15 if n < 0 else 0.75,
        "color": OUTLINE,
        "weight": 1,
        "dashArray": "4 4" if n < 0 else None,
    }


def equity_map(rows: list[HoodRow]) -> maps.MapParts:
    """Neighbourhood outlines coloured by median time to fix; the table on the page holds the same figures."""
    found = {r.slug: r for r in rows}
    features = []
    for feature in _outlines()["features"]:
        row = found.get(feature["properties"]["slug"])
        n = row.bin if row else None
        fix = human_duration(row.figures.fix.median) if row is not None and n is not None else _("No fixed issue yet")
        features.append(
            {
                "type": "Feature",
                "id": feature["properties"]["slug"],
                "geometry": feature["geometry"],
                "properties": {"name": feature["properties"]["name"], "fix": fix, "bin": -1 if n is None else n},
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


@bp.get("/dashboard/neighbourhoods")
def neighbourhoods():
    data = dashboard_data()
    rows = [HoodRow(slug, hood.name if (hood := by_slug(slug)) else slug, f) for slug, f in data.by_neighbourhood]
    sort = request.args.get("sort", "name")
    error = sort.lstrip("-") not in SORTS or sort.count("-") > 1
    if error:
        sort = "name"
    legend = [(label, colour) for label, (_limit, colour) in zip(bin_labels(), BINS, strict=True)]
    return render_template(
        "dashboard/neighbourhoods.html",
        rows=sort_rows(rows, sort),
        sort=sort,
        sort_error=error,
        fmap=equity_map(rows),
        legend=legend,
        no_data_colour=NO_DATA_COLOUR,
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
