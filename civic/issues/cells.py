"""Server-side clusters from precomputed counts: the map's city view without reading every issue.

`issue_cells` (migration 0010) holds, per grid level 8-16, per cell, category and status (and for all of
them together), how many visible issues lie in the cell and the sums of their coordinates and ids; triggers
keep it exact on every insert, move, status or category change, hide and delete. A view then costs a few
hundred rows whatever the number of issues, where grouping the issues themselves costs one row read per issue
in view.

A cell at level z is 90 / 2**z degrees square, about 64 screen pixels at zoom z (see CLUSTER_CELL_PX).
The table cannot answer the `days` filter (counts are not kept per date); queries.clusters falls back to
grouping the issues live for it, and for zooms finer than the last level.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
)

from civic.extensions import db
from civic.issues.models import Category, IssueStatus
from civic.issues.spatial import BBox

CELL_LEVELS = range(8, 17)  # keep in step with migration 0010
ALL_KINDS = (0, "")  # the (category_id, status) of the rows counting every issue in a cell

# Descriptions for building queries; the tables and their triggers are made by migration 0010.
_metadata = MetaData()
issue_cells = Table(
    "issue_cells",
    _metadata,
    Column("level", Integer, primary_key=True),
    Column("gx", Integer, primary_key=True),
    Column("gy", Integer, primary_key=True),
    Column("category_id", Integer, primary_key=True),
    Column("status", String(20), primary_key=True),
    Column("n", Integer),
    Column("sum_lat", Float),
    Column("sum_lon", Float),
    Column("sum_id", BigInteger),
)


@dataclass
class Cluster:
    lat: float
    lon: float
    count: int
    issue_id: int  # one member (the only one, when count == 1)


def cell_size(zoom: int) -> float:
    """Degrees across a cell of about CLUSTER_CELL_PX (64) pixels at this zoom."""
    return 90.0 / 2**zoom


def level_for(zoom: int) -> int | None:
    """The table's level serving this zoom, or None when the zoom is finer than the finest level.
    Zooms coarser than the first level use it: a bbox is at most 2° across, so that is a few cells."""
    if zoom > CELL_LEVELS[-1]:
        return None
    return max(zoom, CELL_LEVELS[0])


def _cell_range(low: float, high: float, origin: float, level: int) -> tuple[int, int]:
    scale = 2**level
    return math.floor((low - origin) / 90.0 * scale), math.floor((high - origin) / 90.0 * scale)


WIDE_COLUMNS = 256  # more columns than this in view (an API caller's 2° at zoom 16): a range instead


def _columns(wide: bool):
    """The view's columns: as a list of values (`gx IN (...)`), so the index is searched column by column on
    its next key, gy, too (SQLite uses only the first range of a key; a range on gx would read every cell of
    those columns across the whole city, about 10x slower at street zoom); as a range when very wide."""
    c = issue_cells.c
    return c.gx.between(bindparam("x0"), bindparam("x1")) if wide else c.gx.in_(bindparam("columns", expanding=True))


def _window(x0: int, x1: int, y0: int, y1: int) -> tuple[bool, dict]:
    """Whether the columns x0..x1 make a wide view, and the parameters of a window for _columns."""
    wide = x1 - x0 >= WIDE_COLUMNS
    params: dict[str, int | list[int]] = {"y0": y0, "y1": y1}
    params.update({"x0": x0, "x1": x1} if wide else {"columns": list(range(x0, x1 + 1))})
    return wide, params


@functools.cache
def _clusters_statement(wide: bool, by_category: bool, by_status: bool) -> Select:
    """The clusters query for one shape of request, built once per process with its values as parameters:
    the map asks it on every pan, and building the expression costs more than SQLite takes to answer it."""
    c = issue_cells.c
    stmt = (
        select(func.sum(c.n), func.sum(c.sum_lat), func.sum(c.sum_lon), func.sum(c.sum_id))
        .where(c.level == bindparam("level"), _columns(wide), c.gy.between(bindparam("y0"), bindparam("y1")))
        .group_by(c.gx, c.gy)
        .having(func.sum(c.n) > 0)
    )
    if by_category:
        ids = select(Category.id).where(Category.slug.in_(bindparam("categories", expanding=True))).scalar_subquery()
        stmt = stmt.where(c.category_id.in_(ids))
    if by_status:
        stmt = stmt.where(c.status.in_(bindparam("statuses", expanding=True)))
    if not by_category and not by_status:
        stmt = stmt.where(c.category_id == ALL_KINDS[0], c.status == ALL_KINDS[1])
    return stmt


def clusters(bbox: BBox, level: int, category_slugs: list[str], statuses: list[IssueStatus]) -> list[Cluster]:
    """The clusters whose centroid lies in the box: every cell touching it, summed over the chosen
    categories and statuses. Their counts add up to the issues shown, which may differ from an exact
    count of the box by issues in cells straddling its edge."""
    wide, params = _window(
        *_cell_range(bbox.min_lon, bbox.max_lon, -180.0, level), *_cell_range(bbox.min_lat, bbox.max_lat, -90.0, level)
    )
    stmt = _clusters_statement(wide, bool(category_slugs), bool(statuses))
    params.update(level=level, categories=category_slugs, statuses=[s.value for s in statuses])
    found = []
    for n, sum_lat, sum_lon, sum_id in db.session.connection().execute(stmt, params):
        lat, lon = sum_lat / n, sum_lon / n
        if bbox.min_lat <= lat <= bbox.max_lat and bbox.min_lon <= lon <= bbox.max_lon:
            found.append(Cluster(lat=lat, lon=lon, count=int(n), issue_id=int(sum_id)))
    return found


def count_touching(bbox: BBox) -> int:
    """An upper bound on the visible issues in the box, from the counts of the few cells touching it (at
    the level where the box spans about four): cheap at any size, for choosing between the spatial index
    and a more selective filter."""
    span = max(bbox.max_lon - bbox.min_lon, bbox.max_lat - bbox.min_lat, 1e-9)
    level = min(max(math.floor(math.log2(90.0 / span)) + 2, CELL_LEVELS[0]), CELL_LEVELS[-1])
    wide, params = _window(
        *_cell_range(bbox.min_lon, bbox.max_lon, -180.0, level), *_cell_range(bbox.min_lat, bbox.max_lat, -90.0, level)
    )
    return db.session.scalar(_touching_statement(wide), {**params, "level": level}) or 0


@functools.cache
def _touching_statement(wide: bool) -> Select:
    c = issue_cells.c
    return select(func.coalesce(func.sum(c.n), 0)).where(
        c.level == bindparam("level"), _columns(wide), c.gy.between(bindparam("y0"), bindparam("y1"))
    )


def rebuild() -> None:
    """Count every cell again from the issues: after a bulk load made with the triggers off (tests/perf),
    or to repair the table by hand. Same counts as migration 0010's."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    floor = "floor(%s)::integer" if postgres else "CAST(%s AS INTEGER)"
    gx, gy = floor % "(i.lon + 180.0) / 90.0 * l.scale", floor % "(i.lat + 90.0) / 90.0 * l.scale"
    db.session.execute(text("DELETE FROM issue_cells"))
    for category, status, kinds in (
        ("i.category_id", "i.status", ", i.category_id, i.status"),
        (str(ALL_KINDS[0]), f"'{ALL_KINDS[1]}'", ""),
    ):
        db.session.execute(
            text(
                f"INSERT INTO issue_cells (level, gx, gy, category_id, status, n, sum_lat, sum_lon, sum_id) "  # noqa: S608 - fixed fragments
                f"SELECT l.level, {gx}, {gy}, {category}, {status}, count(*), sum(i.lat), sum(i.lon), sum(i.id) "
                f"FROM issues i CROSS JOIN issue_cell_levels l WHERE i.hidden_at IS NULL "
                f"GROUP BY l.level, {gx}, {gy}{kinds}"
            )
        )
    db.session.execute(text("UPDATE change_counters SET n = n + 1"))  # cached answers are out of date
    db.session.flush()


def live_totals() -> dict[tuple, tuple[int, float, float, int]]:
    """The table's content recomputed from the issues themselves (for tests and `flask issues check-cells`)."""
    from civic.issues.models import Issue

    totals: dict[tuple, tuple[int, float, float, int]] = {}
    rows = db.session.execute(
        select(Issue.id, Issue.lat, Issue.lon, Issue.category_id, Issue.status).where(Issue.hidden_at.is_(None))
    )
    for issue_id, lat, lon, category_id, status in rows:
        for level in CELL_LEVELS:
            gx, _ = _cell_range(lon, lon, -180.0, level)
            gy, _ = _cell_range(lat, lat, -90.0, level)
            for key in ((level, gx, gy, category_id, status.value), (level, gx, gy, *ALL_KINDS)):
                n, slat, slon, sid = totals.get(key, (0, 0.0, 0.0, 0))
                totals[key] = (n + 1, slat + lat, slon + lon, sid + issue_id)
    return totals


def stored_totals() -> dict[tuple, tuple[int, float, float, int]]:
    c = issue_cells.c
    rows = db.session.execute(
        select(c.level, c.gx, c.gy, c.category_id, c.status, c.n, c.sum_lat, c.sum_lon, c.sum_id).where(c.n != 0)
    )
    return {tuple(row[:5]): (row.n, row.sum_lat, row.sum_lon, row.sum_id) for row in rows}
