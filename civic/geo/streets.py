"""Lookups in the street gazetteer: a typed address, a crossing or a street to a point, and a point to its
nearest block ("1400 block of E Columbia Ave").

Distances and interpolation are worked out in metres on a flat projection around the place asked about
(a few hundred metres across, the error is far below a house's width). Nothing here writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import linemerge, nearest_points
from sqlalchemy import select

from civic.extensions import db
from civic.geo.models import StreetSegment
from civic.geo.street_names import Query, StreetName, parse_query

NEAREST_BLOCK_M = 60.0  # a point further than this from every segment is on no block
SIDE_OFFSET_M = 8.0  # an address is drawn this far off the centreline, on its side of the street
SAME_CROSSING_M = 40.0  # crossings closer than this are one place (a divided avenue meets a street twice)
TOUCH_M = 5.0  # two segments this close meet
# An address's point keeps this share of the segment from each end: 1400 is the first house of its block,
# not the corner, where it would sit on the 1300 block's end as much as on its own.
END_SQUEEZE = 0.1
MAX_PLACES = 5
_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class StreetPlace:
    label: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Block:
    number: int | None  # 1400: the address on that side rounded down to the hundred; None without ranges
    street: str  # "E Columbia Ave"
    distance_m: float


def has_gazetteer() -> bool:
    return db.session.scalar(select(StreetSegment.id).limit(1)) is not None


# --- flat metres around a point -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    lat0: float
    lon0: float

    @property
    def kx(self) -> float:
        return _M_PER_DEG * math.cos(math.radians(self.lat0))

    def to_m(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * _M_PER_DEG

    def to_deg(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lon) of a point in metres."""
        return round(self.lat0 + y / _M_PER_DEG, 6), round(self.lon0 + x / self.kx, 6)

    def line(self, segment: StreetSegment) -> LineString:
        """The segment as one line in metres (parts that do not join are drawn one after the other)."""
        lines = [LineString([self.to_m(lon, lat) for lon, lat in part]) for part in segment.parts if len(part) > 1]
        merged = linemerge(lines) if len(lines) > 1 else lines[0]
        if isinstance(merged, MultiLineString):
            merged = LineString([c for part in merged.geoms for c in part.coords])
        return merged


def _frame_for(segments: Sequence[StreetSegment]) -> _Frame:
    return _Frame(
        sum(s.min_lat + s.max_lat for s in segments) / (2 * len(segments)),
        sum(s.min_lon + s.max_lon for s in segments) / (2 * len(segments)),
    )


def _point_beside(line: LineString, fraction: float, offset_m: float) -> tuple[float, float]:
    """The point `fraction` of the way along the line, moved offset_m to its left (negative: right)."""
    at = line.interpolate(fraction, normalized=True)
    ahead = line.interpolate(min(fraction + 0.01, 1.0), normalized=True)
    behind = line.interpolate(max(fraction - 0.01, 0.0), normalized=True)
    dx, dy = ahead.x - behind.x, ahead.y - behind.y
    norm = math.hypot(dx, dy) or 1.0
    return at.x - dy / norm * offset_m, at.y + dx / norm * offset_m


# --- the ranges on each side ------------------------------------------------------------------------


def _range(start: int | None, end: int | None) -> tuple[int, int] | None:
    """A side's (from, to), or None where the city gives none (blank, or 0-0)."""
    if start is None and end is None:
        return None
    start, end = start if start is not None else end, end if end is not None else start
    return None if not start and not end else (int(start or 0), int(end or 0))


def _sides(segment: StreetSegment) -> list[tuple[int, tuple[int, int]]]:
    """[(+1 for left, range), (-1 for right, range)], for the sides that have addresses."""
    sides = [(1, _range(segment.left_from, segment.left_to)), (-1, _range(segment.right_from, segment.right_to))]
    return [(side, r) for side, r in sides if r is not None]


def _holds(rng: tuple[int, int], number: int) -> bool:
    low, high = min(rng), max(rng)
    same_parity = rng[0] % 2 == rng[1] % 2
    return low <= number <= high and (not same_parity or number % 2 == rng[0] % 2)


def _fraction(rng: tuple[int, int], number: float) -> float:
    start, end = rng
    return 0.5 if start == end else min(max((number - start) / (end - start), 0.0), 1.0)


# --- finding streets -------------------------------------------------------------------------------------


def _segments_of(street: StreetName) -> list[StreetSegment]:
    """The segments of a street as asked: same name, and the direction and type when given and known.
    A wrong type is forgiven when nothing matches with it ("Girard St" for Girard Ave)."""
    found = list(
        db.session.scalars(
            select(StreetSegment).where(StreetSegment.name_key == street.name_key).order_by(StreetSegment.id)
        )
    )

    def fits(segment: StreetSegment, *, check_type: bool) -> bool:
        return all(
            (
                not street.pre_dir or not segment.pre_dir or segment.pre_dir == street.pre_dir,
                not street.suf_dir or not segment.suf_dir or segment.suf_dir == street.suf_dir,
                not check_type or not street.street_type or segment.street_type == street.street_type,
            )
        )

    strict = [s for s in found if fits(s, check_type=True)]
    return strict or [s for s in found if fits(s, check_type=False)]


def _by_street(segments: Iterable[StreetSegment]) -> dict[str, list[StreetSegment]]:
    streets: dict[str, list[StreetSegment]] = {}
    for segment in segments:
        streets.setdefault(segment.display_name, []).append(segment)
    return streets


def _address(query: Query, number: int) -> list[StreetPlace]:
    places = []
    for street, segments in _by_street(_segments_of(query.street)).items():
        for segment in segments:
            side_range = next(((side, r) for side, r in _sides(segment) if _holds(r, number)), None)
            if side_range is None:
                continue
            side, rng = side_range
            frame = _frame_for([segment])
            fraction = END_SQUEEZE + (1 - 2 * END_SQUEEZE) * _fraction(rng, number)
            x, y = _point_beside(frame.line(segment), fraction, side * SIDE_OFFSET_M)
            places.append(StreetPlace(f"{number} {street}", *frame.to_deg(x, y)))
            break  # one point per street, from its first segment holding the number
    return places


def _street_middle(street: str, segments: list[StreetSegment]) -> StreetPlace:
    """The point of the street nearest the middle of its segments' midpoints: on the street, near its centre."""
    frame = _frame_for(segments)
    lines = [frame.line(s) for s in segments]
    mids = [line.interpolate(0.5, normalized=True) for line in lines]
    centre = Point(sum(p.x for p in mids) / len(mids), sum(p.y for p in mids) / len(mids))
    on_street = nearest_points(MultiLineString(lines), centre)[0]
    return StreetPlace(street, *frame.to_deg(on_street.x, on_street.y))


def _streets(query: Query) -> list[StreetPlace]:
    return [_street_middle(street, segments) for street, segments in _by_street(_segments_of(query.street)).items()]


def _crossings(query: Query, cross: StreetName) -> list[StreetPlace]:
    firsts, seconds = _segments_of(query.street), _segments_of(cross)
    if not firsts or not seconds:
        return []
    frame = _frame_for(firsts + seconds)
    second_lines = [(s, frame.line(s)) for s in seconds]
    places: list[tuple[Point, StreetPlace]] = []
    for first in firsts:
        line = frame.line(first)
        for second, other in second_lines:
            if second.display_name == first.display_name or line.distance(other) > TOUCH_M:
                continue
            meet = line.intersection(other)
            point = meet.representative_point() if not meet.is_empty else nearest_points(line, other)[0]
            if any(point.distance(p) < SAME_CROSSING_M for p, _place in places):
                continue
            label = _("%(first)s and %(second)s", first=first.display_name, second=second.display_name)
            places.append((point, StreetPlace(label, *frame.to_deg(point.x, point.y))))
    return [place for _point, place in places]


def find(text: str) -> list[StreetPlace]:
    """Places for a typed address ("1400 E Columbia Ave"), crossing ("Girard and Front") or street
    ("Columbia Ave"), best first; several when the text fits several (E and W Columbia Ave). An address whose
    number no segment holds falls back to the street itself."""
    query = parse_query(text)
    if query is None:
        return []
    if query.cross is not None:
        places = _crossings(query, query.cross)
    elif query.number is not None:
        places = _address(query, query.number) or _streets(query)
    else:
        places = _streets(query)
    return places[:MAX_PLACES]


# --- the nearest block --------------------------------------------------------------------------------


def nearest_block(lat: float, lon: float, max_m: float = NEAREST_BLOCK_M) -> Block | None:
    """The block a point is on: the nearest segment within max_m, the side of it the point is on, and the
    address there rounded down to the hundred (the other side's when that side has no addresses)."""
    dlat = max_m / _M_PER_DEG
    dlon = max_m / (_M_PER_DEG * max(math.cos(math.radians(lat)), 1e-6))
    candidates = list(
        db.session.scalars(
            select(StreetSegment).where(
                StreetSegment.min_lat <= lat + dlat,
                StreetSegment.max_lat >= lat - dlat,
                StreetSegment.min_lon <= lon + dlon,
                StreetSegment.max_lon >= lon - dlon,
            )
        )
    )
    if not candidates:
        return None
    frame = _Frame(lat, lon)
    here = Point(0.0, 0.0)
    distance, segment, line = min(
        ((here.distance(line), s, line) for s in candidates for line in [frame.line(s)]), key=lambda t: (t[0], t[1].id)
    )
    if distance > max_m:
        return None
    fraction = line.project(here, normalized=True) if line.length else 0.5
    sides = dict(_sides(segment))
    on_left = _left_of(line, fraction, here)
    rng = sides.get(1 if on_left else -1) or sides.get(-1 if on_left else 1)
    number = None
    if rng is not None:
        start, end = rng
        number = int(start + fraction * (end - start)) // 100 * 100
    return Block(number, segment.display_name, round(distance, 1))


def _left_of(line: LineString, fraction: float, point: Point) -> bool:
    ahead = line.interpolate(min(fraction + 0.01, 1.0), normalized=True)
    behind = line.interpolate(max(fraction - 0.01, 0.0), normalized=True)
    cross = (ahead.x - behind.x) * (point.y - behind.y) - (ahead.y - behind.y) * (point.x - behind.x)
    return cross > 0
