"""Areas on the city's map as geometry: bounding boxes, great-circle distances, a circle around a point, a
shape drawn on the map (checked: simple, not too large, inside the city). Used by followed areas
(notifications), staff triage, feeds, events and the issues' spatial index."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext as _
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from civic.errors import ValidationError
from civic.geo import neighbourhoods

EARTH_RADIUS_M = 6_371_000.0
MIN_RADIUS_M, MAX_RADIUS_M = 50, 5000
MAX_SHAPE_POINTS = 200
MAX_SHAPE_DEGREES = 0.5  # a drawn shape may not be much larger than the city


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.min_lat + self.max_lat) / 2, (self.min_lon + self.max_lon) / 2

    @classmethod
    def around(cls, lat: float, lon: float, radius_m: float) -> BBox:
        dlat = math.degrees(radius_m / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
        return cls(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), good to centimetres at city scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def circle_bounds(lat: float, lon: float, radius_m: int) -> BBox:
    if not (MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M):
        raise ValidationError(
            _("Choose a distance from %(min)d to %(max)d metres.", min=MIN_RADIUS_M, max=MAX_RADIUS_M), field="radius_m"
        )
    if neighbourhoods.containing(lat, lon) is None:
        raise ValidationError(_("Choose a centre inside the city."), field="lat")
    return BBox.around(lat, lon, radius_m)


def shape_polygon(points) -> Polygon:
    """A drawn shape: a list of [lon, lat] pairs (at least 3), simple (not crossing itself)."""
    try:
        ring = [(float(lon), float(lat)) for lon, lat in points]
    except (TypeError, ValueError):
        raise ValidationError(_("The shape must be a list of [longitude, latitude] points."), field="shape") from None
    if not 3 <= len(ring) <= MAX_SHAPE_POINTS:
        raise ValidationError(_("Draw a shape with 3 to %(n)d points.", n=MAX_SHAPE_POINTS), field="shape")
    polygon = Polygon(ring)
    if not polygon.is_valid:
        raise ValidationError(
            _("The shape crosses itself (%(why)s). Draw it again.", why=explain_validity(polygon)), field="shape"
        )
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    if max_lon - min_lon > MAX_SHAPE_DEGREES or max_lat - min_lat > MAX_SHAPE_DEGREES:
        raise ValidationError(_("The shape is too large: keep it within the city."), field="shape")
    if not any(h.geometry.intersects(polygon) for h in neighbourhoods.all_neighbourhoods()):
        raise ValidationError(_("The shape is outside the city."), field="shape")
    return polygon
