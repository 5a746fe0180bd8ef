"""Followed areas as geometry: a circle around a point, a neighbourhood, or a shape drawn on the map."""
from __future__ import annotations

from flask_babel import gettext as _
from shapely.geometry import Point, Polygon
from shapely.validation import explain_validity

from civic.errors import ValidationError
from civic.geo import neighbourhoods
from civic.issues.spatial import BBox, distance_m
from civic.notifications.models import AreaFollow, AreaKind

MIN_RADIUS_M, MAX_RADIUS_M = 50, 5000
MAX_SHAPE_POINTS = 200
MAX_SHAPE_DEGREES = 0.5  # a drawn shape may not be much larger than the city


def circle_bounds(lat: float, lon: float, radius_m: int) -> BBox:
    if not (MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M):
        raise ValidationError(_("Choose a distance from %(min)d to %(max)d metres.", min=MIN_RADIUS_M, max=MAX_RADIUS_M),
                              field="radius_m")
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
        raise ValidationError(_("The shape crosses itself (%(why)s). Draw it again.", why=explain_validity(polygon)),
                              field="shape")
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    if max_lon - min_lon > MAX_SHAPE_DEGREES or max_lat - min_lat > MAX_SHAPE_DEGREES:
        raise ValidationError(_("The shape is too large: keep it within the city."), field="shape")
    if not any(h.geometry.intersects(polygon) for h in neighbourhoods.all_neighbourhoods()):
        raise ValidationError(_("The shape is outside the city."), field="shape")
    return polygon


def bounds_of(area: AreaFollow) -> BBox:
    return BBox(area.min_lon, area.min_lat, area.max_lon, area.max_lat)


def contains(area: AreaFollow, lat: float, lon: float) -> bool:
    if not (area.min_lon <= lon <= area.max_lon and area.min_lat <= lat <= area.max_lat):
        return False
    if area.kind is AreaKind.CIRCLE:
        return distance_m(area.lat, area.lon, lat, lon) <= area.radius_m  # type: ignore[arg-type, operator]  # a circle has all three
    if area.kind is AreaKind.NEIGHBOURHOOD:
        hood = neighbourhoods.containing(lat, lon)
        return hood is not None and hood.slug == area.neighbourhood
    return Polygon(area.shape).covers(Point(lon, lat))
