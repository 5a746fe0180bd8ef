"""Turn what a resident types ("1200 Frankford Ave", "Fishtown") into a point inside the city.

Two sources: the city's neighbourhood names (always available, works on an intranet), and, when
CIVIC_GEOCODER_URL is set, a Nominatim-compatible search service (the city's own, or any Nominatim),
asked over HTTP and bounded to the city's extent. A geocoder that is down never breaks the form: the
neighbourhood names and the map still work.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

import httpx
from flask import current_app

from civic.geo import neighbourhoods

log = logging.getLogger(__name__)
MIN_QUERY = 3


@dataclass(frozen=True)
class Place:
    label: str
    lat: float
    lon: float
    source: str  # "geocoder" or "neighbourhood"


def _fold(text: str) -> str:
    """Lower-case without accents, so "Kensington" matches "kensington" and "Peña" matches "pena"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def city_bounds() -> tuple[float, float, float, float]:
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


def geocode(query: str | None) -> list[Place]:
    """Best matches first: the geocoder's precise addresses, then neighbourhoods whose name matches."""
    query = (query or "").strip()
    if len(query) < MIN_QUERY:
        return []
    return _from_geocoder(query) + _from_neighbourhoods(query)
