"""The home page's search box: a street, landmark or neighbourhood typed in (`GET /find?place=`) opens the home
map there when one place matches, offers the matches when several do, and says so (with the list and the
neighbourhoods to choose from) when none does. A plain GET form: it works without JavaScript."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from civic.core import bp
from civic.geo import geocoding, neighbourhoods
from civic.geo.geocoding import Place

QUERY_MAX = 200
MAX_CHOICES = 8
NEIGHBOURHOOD_ZOOM = 15  # a whole neighbourhood in view
STREET_ZOOM = 17  # an address, a crossing or a landmark


def map_link(place: Place) -> str:
    """The home map centred on the place (the parameters civic/issues/home_view.py reads)."""
    zoom = NEIGHBOURHOOD_ZOOM if place.source == "neighbourhood" else STREET_ZOOM
    return url_for("core.index", lat=f"{place.lat:.5f}", lon=f"{place.lon:.5f}", zoom=zoom, place=place.label)


def _distinct(places: list[Place]) -> list[Place]:
    """One entry per spot: a geocoder and the neighbourhood names may both answer with the same place."""
    seen: set[tuple[float, float]] = set()
    kept = []
    for place in places:
        key = (round(place.lat, 4), round(place.lon, 4))
        if key not in seen:
            seen.add(key)
            kept.append(place)
    return kept


def _choose(query: str, places: list[Place]) -> list[Place]:
    """A place named exactly as typed wins ("Kensington", not every neighbourhood with Kensington in its name)."""
    exact = [p for p in places if p.label.casefold() == query.casefold()]
    return exact[:1] or _distinct(places)[:MAX_CHOICES]


def _page(query: str, places: list[Place], error: str | None, status: int):
    return render_template(
        "core/find_place.html",
        query=query,
        places=[(place, map_link(place)) for place in places],
        error=error,
        neighbourhoods=neighbourhoods.all_neighbourhoods(),
    ), status


@bp.get("/find")
def find_place():
    query = " ".join(request.args.get("place", "").split())
    if len(query) < geocoding.MIN_QUERY or len(query) > QUERY_MAX:
        message = _(
            "Type at least %(low)d characters (and at most %(high)d): a street, a place or a neighbourhood.",
            low=geocoding.MIN_QUERY,
            high=QUERY_MAX,
        )
        return _page(query[:QUERY_MAX], [], message, 400)
    places = _choose(query, geocoding.geocode(query))
    if len(places) == 1:
        return redirect(map_link(places[0]), 303)
    return _page(query, places, None, 200)
