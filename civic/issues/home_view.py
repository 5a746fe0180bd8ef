"""Where the home map opens: `?lat=&lon=&zoom=` (and the `place` the search box found there), read from a
link or the place search, checked, and turned into the same area as a list for readers without the map."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from civic.errors import ValidationError
from civic.issues.map_view import MAX_ZOOM, MIN_ZOOM, in_city

DEFAULT_ZOOM = 16
LIST_HALF_WIDTH_PX = 320  # the list stands for about a phone screen's width of map around the point
PLACE_MAX = 200


@dataclass(frozen=True)
class HomeView:
    lat: float
    lon: float
    zoom: int
    place: str  # what the search box found there ("" for a bare link)

    def list_bbox(self) -> str:
        """minLon,minLat,maxLon,maxLat of about a screenful around the point, for /issues?bbox=."""
        half_lon = LIST_HALF_WIDTH_PX * 360 / (256 * 2**self.zoom)
        half_lat = half_lon * math.cos(math.radians(self.lat))
        return ",".join(
            f"{v:.5f}" for v in (self.lon - half_lon, self.lat - half_lat, self.lon + half_lon, self.lat + half_lat)
        )


def _number(args: MultiDict, name: str) -> float:
    try:
        value = float(args.get(name, ""))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValidationError(_("lat and lon must be numbers, such as lat=39.9526&lon=-75.1652."), field=name)
    return value


def parse(args: MultiDict) -> HomeView | None:
    """The view the arguments ask for, None when they ask for none; ValidationError when they are wrong."""
    if not any(args.get(name, "").strip() for name in ("lat", "lon", "zoom")):
        return None
    if not (args.get("lat", "").strip() and args.get("lon", "").strip()):
        raise ValidationError(_("Give both lat and lon to open the map at a place."), field="lat")
    lat, lon = _number(args, "lat"), _number(args, "lon")
    if not in_city(lat, lon):
        raise ValidationError(_("That point is outside the city: the map shows the whole city instead."), field="lat")
    raw_zoom = args.get("zoom", "").strip()
    if not raw_zoom:
        zoom = DEFAULT_ZOOM
    elif raw_zoom.isdigit() and MIN_ZOOM <= int(raw_zoom) <= MAX_ZOOM:
        zoom = int(raw_zoom)
    else:
        raise ValidationError(
            _("zoom must be a whole number from %(low)d to %(high)d.", low=MIN_ZOOM, high=MAX_ZOOM), field="zoom"
        )
    return HomeView(lat, lon, zoom, args.get("place", "").strip()[:PLACE_MAX])
