"""The maps' base layer: the city's neighbourhood outlines and label points as one small GeoJSON document.

Every map draws it at city zoom and at every zoom when the street tiles fail (static/js/basemap.js). It is
built once per process from the bundled boundaries (civic/geo/neighbourhoods.py), simplified to a few metres
and written compactly, and served with a content hash in its URL so browsers keep it for a year.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from shapely.geometry import mapping

from civic.geo import neighbourhoods

# ~10 m at Philadelphia's latitude, a pixel at zoom 14: 4,400 points become 3,450, the file 108 KB -> 88 KB
# (18 KB gzipped). Enough for a base layer; the neighbourhood a point is in is decided by the full outlines.
SIMPLIFY_DEGREES = 0.0001
DECIMALS = 4


@dataclass(frozen=True)
class Boundaries:
    body: bytes
    version: str  # a hash of body: the URL changes when the outlines do


def _rounded(value):
    """Coordinates (nested to any depth) rounded, dropping points that rounding made repeat."""
    if isinstance(value[0], float):
        return [round(value[0], DECIMALS), round(value[1], DECIMALS)]
    out: list = []
    for item in value:
        item = _rounded(item)
        if not out or item != out[-1]:
            out.append(item)
    return out


def _feature(hood: neighbourhoods.Neighbourhood) -> dict:
    geometry = mapping(hood.geometry.simplify(SIMPLIFY_DEGREES, preserve_topology=True))
    lat, lon = hood.centre
    return {
        "type": "Feature",
        "properties": {
            "name": hood.name,
            "label": [round(lon, DECIMALS), round(lat, DECIMALS)],  # where the name goes: inside the outline
            # Larger neighbourhoods get their label first when names would overlap.
            "area": round(hood.geometry.area * 1e6),
        },
        "geometry": {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])},
    }


@lru_cache(maxsize=1)
def boundaries() -> Boundaries:
    document = {
        "type": "FeatureCollection",
        "attribution": neighbourhoods.ATTRIBUTION,
        "features": [_feature(h) for h in neighbourhoods.all_neighbourhoods()],
    }
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return Boundaries(body=body, version=hashlib.sha256(body).hexdigest()[:12])
