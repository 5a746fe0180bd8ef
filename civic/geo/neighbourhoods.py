"""The city's neighbourhoods, loaded once from civic/data/philadelphia-neighborhoods.geojson.

Credit required by the licence wherever the outlines are shown or shipped: ATTRIBUTION below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "philadelphia-neighborhoods.geojson"
ATTRIBUTION = "Neighbourhood boundaries © Abaca Labs, CC BY 4.0"  # in files civic ships (open data, outlines)


def attribution() -> str:
    """The same credit in the reader's language, for pages and maps."""
    return gettext("Neighbourhood boundaries © Abaca Labs, CC BY 4.0")


@dataclass(frozen=True)
class Neighbourhood:
    slug: str
    name: str
    geometry: BaseGeometry

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon) of a point guaranteed inside the outline."""
        point = self.geometry.representative_point()
        return round(point.y, 6), round(point.x, 6)


@lru_cache(maxsize=1)
def _load() -> tuple[tuple[Neighbourhood, ...], STRtree]:
    features = json.loads(DATA_FILE.read_text(encoding="utf-8"))["features"]
    hoods = tuple(
        sorted(
            (Neighbourhood(f["properties"]["slug"], f["properties"]["name"], shape(f["geometry"])) for f in features),
            key=lambda h: h.name.lower(),
        )
    )
    return hoods, STRtree([h.geometry for h in hoods])


def all_neighbourhoods() -> tuple[Neighbourhood, ...]:
    return _load()[0]


def by_slug(slug: str) -> Neighbourhood | None:
    return next((h for h in all_neighbourhoods() if h.slug == slug), None)


def containing(lat: float, lon: float) -> Neighbourhood | None:
    """The neighbourhood a point is in. The simplified outlines overlap by a few metres in places;
    there the smallest outline wins, so the answer never depends on index order."""
    hoods, tree = _load()
    matches = [hoods[int(i)] for i in tree.query(Point(lon, lat), predicate="intersects")]
    return min(matches, key=lambda h: (h.geometry.area, h.slug)) if matches else None
