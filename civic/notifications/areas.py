"""Followed areas: where a followed area is (its stored box) and whether a point lies in it (a circle around a
point, a neighbourhood, or a shape drawn on the map). The geometry itself is in civic.geo.areas."""

from __future__ import annotations

from shapely.geometry import Point, Polygon

from civic.geo import neighbourhoods
from civic.geo.areas import BBox, circle_bounds, distance_m, shape_polygon
from civic.notifications.models import AreaFollow, AreaKind

__all__ = ["bounds_of", "circle_bounds", "contains", "shape_polygon"]


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
