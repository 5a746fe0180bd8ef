"""Neighbourhood populations from a CSV the city loads (`flask geo load-population FILE.csv`), so the dashboard can
compare neighbourhoods per 1,000 residents.

The file needs a neighbourhood column (its name or slug, matched case- and space-insensitively against the city's
neighbourhoods) and a population column; the header names are matched loosely (NEIGHBOURHOOD_HEADERS,
POPULATION_HEADERS). A load replaces every row; a file that cannot be read, or that holds no usable row, is
refused before anything is written. Rows are keyed by the neighbourhood's slug (the `name` column), the key
issues carry.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import delete, select

from civic.database import utcnow
from civic.errors import ValidationError
from civic.extensions import db
from civic.geo.models import NeighbourhoodPopulation
from civic.geo.neighbourhoods import all_neighbourhoods

NEIGHBOURHOOD_HEADERS = ("neighbourhood", "neighborhood", "name", "slug")
POPULATION_HEADERS = ("population", "pop", "residents")

# Why a row was left out, as the command reports it ("2 with an unknown neighbourhood").
UNKNOWN = "an unknown neighbourhood"
BAD_NUMBER = "a population that is not a whole number above 0"
REPEATED = "a neighbourhood already given in an earlier row"


@dataclass
class LoadResult:
    loaded: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> the first few values, to fix the file

    def skip(self, reason: str, value: str) -> None:
        self.skipped[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 3:
            shown.append(value)


@dataclass(frozen=True)
class Populations:
    """What the dashboard needs: residents per neighbourhood slug, and where and when the figures came from."""

    by_slug: dict[str, int]
    source: str | None
    loaded_at: datetime | None


def _key(text: str) -> str:
    """'Old  City', 'old_city', 'OLD-CITY' -> 'oldcity'."""
    return re.sub(r"[\s_\-]+", "", text).casefold()


def _header(fields: list[str], wanted: tuple[str, ...]) -> str | None:
    by_key = {_key(f): f for f in fields if f}
    return next((by_key[_key(w)] for w in wanted if _key(w) in by_key), None)


def _number(text: str) -> int | None:
    """'12,345', ' 12345 ', '12345.0' -> 12345; anything else (or 0 and below) -> None."""
    cleaned = re.sub(r"[\s,_]", "", text or "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return int(value) if value.is_integer() and value > 0 else None


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise ValidationError(_("There is no file at %(path)s.", path=str(path)))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("%(file)s is not a UTF-8 CSV file.", file=path.name)) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    return list(reader.fieldnames or []), list(reader)


def parse(path: Path) -> tuple[dict[str, int], LoadResult]:
    """The file's populations by neighbourhood slug, and what was left out and why. Writes nothing."""
    fields, rows = _read(path)
    hood_column, pop_column = _header(fields, NEIGHBOURHOOD_HEADERS), _header(fields, POPULATION_HEADERS)
    if hood_column is None or pop_column is None:
        raise ValidationError(
            _(
                "%(file)s needs a neighbourhood column (neighbourhood, neighborhood, name or slug) and a population "
                "column (population, pop or residents).",
                file=path.name,
            )
        )
    slugs: dict[str, str] = {}
    for hood in all_neighbourhoods():
        slugs[_key(hood.name)] = hood.slug
        slugs[_key(hood.slug)] = hood.slug
    found: dict[str, int] = {}
    result = LoadResult()
    for row in rows:
        name, raw = (row.get(hood_column) or "").strip(), (row.get(pop_column) or "").strip()
        if not name and not raw:
            continue  # a blank line
        slug = slugs.get(_key(name))
        population = _number(raw)
        if slug is None:
            result.skip(UNKNOWN, name)
        elif population is None:
            result.skip(BAD_NUMBER, f"{name}: {raw}")
        elif slug in found:
            result.skip(REPEATED, name)
        else:
            found[slug] = population
    if not found:
        raise ValidationError(_("%(file)s holds no row with a known neighbourhood and a population.", file=path.name))
    result.loaded = len(found)
    return found, result


def load_population(path: Path, source: str | None = None) -> LoadResult:
    """Replace every neighbourhood population with the file's (flushes; the caller's unit of work commits)."""
    found, result = parse(path)
    now, label = utcnow(), (source or path.name)[:200]
    db.session.execute(delete(NeighbourhoodPopulation))
    db.session.add_all(
        NeighbourhoodPopulation(name=slug, population=n, source=label, loaded_at=now) for slug, n in found.items()
    )
    db.session.flush()
    return result


def populations() -> Populations:
    rows = list(db.session.scalars(select(NeighbourhoodPopulation)))
    latest = max(rows, key=lambda r: r.loaded_at, default=None)
    return Populations(
        {r.name: r.population for r in rows},
        latest.source if latest else None,
        latest.loaded_at if latest else None,
    )
