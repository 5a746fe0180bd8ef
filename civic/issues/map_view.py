"""A map view read from a URL (`?lat=..&lon=..&zoom=..`): the home map opens where a shared link says, and
the report form's picker opens where the reader was looking. Anything unusable (not a number, outside the
city, a zoom the maps do not offer) is ignored, so a hand-edited link shows the city view instead of an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from civic.geo import geocoding

MIN_ZOOM = 10
MAX_ZOOM = 19
MARGIN_DEGREES = 0.02  # ~2 km around the outermost neighbourhood: a view of the city's edge still counts


@dataclass(frozen=True)
class MapView:
    lat: float
    lon: float
    zoom: int

    @property
    def centre(self) -> tuple[float, float]:
        return self.lat, self.lon


def in_city(lat: float, lon: float) -> bool:
    """Inside the box around all neighbourhoods, with MARGIN_DEGREES to spare."""
    min_lon, min_lat, max_lon, max_lat = geocoding.city_bounds()
    return (
        min_lat - MARGIN_DEGREES <= lat <= max_lat + MARGIN_DEGREES
        and min_lon - MARGIN_DEGREES <= lon <= max_lon + MARGIN_DEGREES
    )


def _number(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_view(args: MultiDict) -> MapView | None:
    """The view a URL asks for, or None when it asks for none or for one that cannot be shown."""
    lat, lon, zoom = _number(args.get("lat")), _number(args.get("lon")), _number(args.get("zoom"))
    if lat is None or lon is None or zoom is None or not in_city(lat, lon):
        return None
    if zoom != int(zoom) or not MIN_ZOOM <= zoom <= MAX_ZOOM:
        return None
    return MapView(round(lat, 6), round(lon, 6), int(zoom))
