"""Loading the city's street centreline file into the gazetteer (`flask geo import-streets FILE`).

The file as Philadelphia publishes it ("Street Centerlines", OpenDataPhilly / the Streets Department's
Street_Centerline layer): GeoJSON of LineString/MultiLineString features (or the ArcGIS REST JSON the same
layer answers with), or CSV with the line in a `the_geom`/`shape`/`geometry` column as WKT, hex WKB (CARTO's
export) or GeoJSON text. Field names are matched case-insensitively (the shapefile writes SEG_ID, the
current layer seg_id): SEG_ID, PRE_DIR, ST_NAME, ST_TYPE, SUF_DIR or the concatenated STNAME, and the
address ranges L_F_ADD, L_T_ADD, R_F_ADD, R_T_ADD.

Files are read as a stream (a city's centreline is tens of megabytes), and one import replaces the
previous one in the caller's transaction: a file refused half-way leaves the old gazetteer as it was.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ijson
import shapely
from flask_babel import gettext as _
from shapely.geometry import LineString, MultiLineString, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, insert, select

from civic.errors import ValidationError
from civic.extensions import db
from civic.geo.models import StreetSegment
from civic.geo.street_names import StreetName, city_street, parse_street, words

BATCH = 1000
KNOWN_FIELDS = {
    "seg_id",
    "stname",
    "st_name",
    "pre_dir",
    "st_type",
    "suf_dir",
    "l_f_add",
    "l_t_add",
    "r_f_add",
    "r_t_add",
    "l_hundred",
    "r_hundred",
    "st_code",
}
NAME_FIELDS = ("st_name", "stname")
GEOMETRY_COLUMNS = ("the_geom", "shape", "geometry", "geom", "wkt")

# Why a row was left out, as the command reports it ("2 with no street name").
NO_NAME = "no street name"
NO_LINE = "no line geometry"
BAD_GEOMETRY = "an unreadable geometry"
NOT_LONLAT = "coordinates that are not longitude/latitude (export the file in WGS 84, EPSG:4326)"


@dataclass
class ImportResult:
    imported: int = 0
    streets: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def import_streets(path: Path) -> ImportResult:
    """Replace the gazetteer with the segments of the file at `path`. Raises ValidationError for a file
    that is not a street centreline (nothing is changed then)."""
    records = _records(path)
    first = next(records, None)
    if first is None:
        raise ValidationError(_("%(file)s holds no street segments.", file=path.name))
    _check_fields(path, first[0])
    db.session.execute(delete(StreetSegment))
    result = ImportResult()
    batch: list[dict[str, Any]] = []
    for properties, geometry in _chain(first, records):
        row = _row(properties, geometry, result.skipped)
        if row is None:
            continue
        batch.append(row)
        if len(batch) == BATCH:
            result.imported += _insert(batch)
    result.imported += _insert(batch)
    db.session.flush()
    result.streets = db.session.scalar(select(func.count(func.distinct(StreetSegment.display_name)))) or 0
    return result


def _insert(batch: list[dict[str, Any]]) -> int:
    if batch:
        db.session.execute(insert(StreetSegment), batch)
    count = len(batch)
    batch.clear()
    return count


def _chain(first, rest) -> Iterator:
    yield first
    yield from rest


def _check_fields(path: Path, properties: dict[str, Any]) -> None:
    if not KNOWN_FIELDS & properties.keys():
        raise ValidationError(
            _(
                "%(file)s has none of the street centreline's fields (SEG_ID, ST_NAME or STNAME, PRE_DIR, ST_TYPE, "
                "L_F_ADD, L_T_ADD, R_F_ADD, R_T_ADD): is it the city's Street Centerlines file?",
                file=path.name,
            )
        )
    if not any(name in properties for name in NAME_FIELDS):
        raise ValidationError(_("%(file)s has no street name field (ST_NAME or STNAME).", file=path.name))


# --- reading the file -------------------------------------------------------------------------------

Record = tuple[dict[str, Any], Any]  # (properties with lower-case keys, geometry as found)


def _records(path: Path) -> Iterator[Record]:
    if not path.is_file():
        raise ValidationError(_("There is no file at %(path)s.", path=str(path)))
    with path.open("rb") as probe:
        start = probe.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if path.suffix.lower() in (".geojson", ".json") or start.startswith(b"{"):
        return _geojson_records(path)
    return _csv_records(path)


def _geojson_records(path: Path) -> Iterator[Record]:
    with path.open("rb") as stream:
        try:
            for feature in ijson.items(stream, "features.item", use_float=True):
                if not isinstance(feature, dict):
                    continue
                # GeoJSON has "properties"; the ArcGIS REST JSON of the same layer has "attributes".
                properties = feature.get("properties") or feature.get("attributes") or {}
                yield {str(k).lower(): v for k, v in properties.items()}, feature.get("geometry")
        except ijson.JSONError as exc:
            raise ValidationError(_("%(file)s is not valid GeoJSON: %(error)s", file=path.name, error=exc)) from None


def _csv_records(path: Path) -> Iterator[Record]:
    csv.field_size_limit(100_000_000)  # a long street's WKT is far over csv's 128 KB default
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as stream:
        try:
            reader = csv.DictReader(stream)
            columns = {c.lower(): c for c in reader.fieldnames or ()}
            geometry_column = next((columns[c] for c in GEOMETRY_COLUMNS if c in columns), None)
            if columns and KNOWN_FIELDS & columns.keys() and geometry_column is None:
                raise ValidationError(
                    _(
                        "%(file)s has no geometry column (%(columns)s): export the file with its geometry "
                        "(GeoJSON, or CSV with the line as WKT).",
                        file=path.name,
                        columns=", ".join(GEOMETRY_COLUMNS),
                    )
                )
            for row in reader:
                properties = {str(k).lower(): v for k, v in row.items() if k is not None}
                yield properties, row.get(geometry_column) if geometry_column else None
        except csv.Error as exc:
            message = _("%(file)s is not a readable CSV file: %(error)s", file=path.name, error=exc)
            raise ValidationError(message) from None


# --- one row ----------------------------------------------------------------------------------------


def _row(properties: dict[str, Any], geometry: Any, skipped: Counter[str]) -> dict[str, Any] | None:
    street = _street(properties)
    if street is None:
        skipped[NO_NAME] += 1
        return None
    try:
        line = _line(geometry)
    except (ValueError, TypeError, KeyError, shapely.errors.GEOSException):
        skipped[BAD_GEOMETRY] += 1
        return None
    if line is None:
        skipped[NO_LINE] += 1
        return None
    parts = [[[round(x, 7), round(y, 7)] for x, y, *_z in part.coords] for part in _parts(line)]
    min_lon, min_lat, max_lon, max_lat = line.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        skipped[NOT_LONLAT] += 1
        return None
    return {
        "seg_id": _text(properties.get("seg_id"), 40),
        "pre_dir": street.pre_dir,
        "name": " ".join(w.capitalize() for w in street.name_key.split())[:80],
        "street_type": (street.street_type or "")[:8] or None,
        "suf_dir": street.suf_dir,
        "display_name": street.display[:120],
        "name_key": street.name_key[:80],
        "left_from": _number(properties.get("l_f_add")),
        "left_to": _number(properties.get("l_t_add")),
        "right_from": _number(properties.get("r_f_add")),
        "right_to": _number(properties.get("r_t_add")),
        "coordinates": json.dumps(parts, separators=(",", ":")),
        "min_lat": min_lat,
        "min_lon": min_lon,
        "max_lat": max_lat,
        "max_lon": max_lon,
    }


def _street(properties: dict[str, Any]) -> StreetName | None:
    if _text(properties.get("st_name"), 80):
        return city_street(
            properties.get("pre_dir"), properties.get("st_name"), properties.get("st_type"), properties.get("suf_dir")
        )
    return parse_street(words(str(properties.get("stname") or "")))


def _line(geometry: Any) -> BaseGeometry | None:
    """The segment's line from a GeoJSON/ArcGIS geometry object or a WKT / hex WKB / GeoJSON text."""
    if geometry is None or geometry == "":
        return None
    if isinstance(geometry, str):
        text = geometry.strip()
        if text.startswith("{"):
            geometry = json.loads(text)
        elif all(c in "0123456789abcdefABCDEF" for c in text):
            return _only_lines(shapely.from_wkb(bytes.fromhex(text)))
        else:
            return _only_lines(shapely.from_wkt(text.split(";", 1)[-1]))  # "SRID=4326;LINESTRING(...)" too
    if isinstance(geometry, dict) and "paths" in geometry:  # ArcGIS REST JSON
        return _only_lines(MultiLineString(geometry["paths"]))
    return _only_lines(shape(geometry))


def _only_lines(geometry: BaseGeometry) -> BaseGeometry | None:
    if isinstance(geometry, LineString | MultiLineString) and not geometry.is_empty:
        return geometry
    return None


def _parts(line: BaseGeometry) -> list[LineString]:
    return list(line.geoms) if isinstance(line, MultiLineString) else [line]  # type: ignore[list-item]


def _number(value: Any) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _text(value: Any, limit: int) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text[:limit] or None
