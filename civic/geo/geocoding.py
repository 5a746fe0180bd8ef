"""Turn what a resident types ("1400 E Columbia Ave", "Girard and Front", "Fishtown") into a point inside the city.

Three sources, in this order: the city's street gazetteer when one was imported (`flask geo
import-streets`; addresses, crossings and streets, offline), else, when CIVIC_GEOCODER_URL is set, a
Nominatim-compatible search service (the city's own, or any Nominatim) asked over HTTP and bounded to the
city's extent; and always the city's neighbourhood names (works on an intranet). A geocoder that is down
never breaks the form: the gazetteer, the neighbourhood names and the map still work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import httpx
from flask import current_app

from civic.geo import neighbourhoods, streets
from civic.geo.street_names import fold as _fold

log = logging.getLogger(__name__)
MIN_QUERY = 3


@dataclass(frozen=True)
class Place:
    label: str
    lat: float
    lon: float
    source: str  # "street" (the gazetteer), "geocoder" or "neighbourhood"


@lru_cache(maxsize=1)
def city_bounds() -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of all neighbourhoods (bundled: computed once per process)."""
    boxes = [h.geometry.bounds for h in neighbourhoods.all_neighbourhoods()]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _from_neighbourhoods(query: str) -> list[Place]:
    wanted = _fold(query)
    matches = [h for h in neighbourhoods.all_neighbourhoods() if wanted in _fold(h.name)]
    return [Place(h.name, *h.centre, source="neighbourhood") for h in matches[:5]]


def _from_geocoder(query: str) -> list[Place]:
    url = current_app.config.get("GEOCODER_URL")
    if not url:
        return []
    min_lon, min_lat, max_lon, max_lat = city_bounds()
    params: dict[str, str | int] = {
        "q": query,
        "format": "jsonv2",
        "limit": 5,
        "bounded": 1,
        "viewbox": f"{min_lon},{max_lat},{max_lon},{min_lat}",
    }
    headers = {"User-Agent": current_app.config.get("GEOCODER_USER_AGENT", "civic"), "Accept": "application/json"}
    try:
        response = httpx.get(url, params=params, headers=headers, timeout=current_app.config.get("GEOCODER_TIMEOUT", 5))
        response.raise_for_status()
        rows = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("geocoder %s failed for %r: %s", url, query, exc)
        return []
    places = []
    for row in rows if isinstance(rows, list) else []:
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except (KeyError, TypeError, ValueError):
            continue
        if neighbourhoods.containing(lat, lon) is not None:  # only places inside the city
            places.append(Place(str(row.get("display_name") or query)[:200], lat, lon, source="geocoder"))
    return places


def _from_gazetteer(query: str) -> list[Place]:
    return [Place(p.label, p.lat, p.lon, source="street") for p in streets.find(query)]


def geocode(query: str | None) -> list[Place]:
    """Best matches first: the gazetteer's addresses, crossings and streets (the geocoder is asked only when
    it finds none), then neighbourhoods whose name matches."""
    query = (query or "").strip()
    if len(query) < MIN_QUERY:
        return []
    precise = _from_gazetteer(query) or _from_geocoder(query)
    return precise + _from_neighbourhoods(query)


def finds_addresses() -> bool:
    """Whether a typed street address can be found (a street gazetteer, or a geocoding service), so forms
    only suggest typing one where it works; otherwise only neighbourhood names are found."""
    return bool(current_app.config.get("GEOCODER_URL")) or streets.has_gazetteer()
