"""Spatial filtering of issues by bounding box, served by an index on every backend.

SQLite: an R*Tree virtual table `issue_rtree`, kept in step with `issues` by triggers (migration 0002).
PostgreSQL: a GiST index on point(lon, lat) (`ix_issues_location_gist`), queried with `<@ box`.
Neither is part of the SQLAlchemy metadata (Alembic cannot describe them); `SPATIAL_NAMES` keeps
autogenerate from proposing to drop them.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, Select, Table, and_, func

from civic.extensions import db
from civic.geo.areas import BBox, distance_m  # noqa: F401  (re-exported for the callers of issues.spatial)
from civic.issues.models import Issue

SPATIAL_NAMES = ("issue_rtree", "ix_issues_location_gist")

# A description of the R*Tree for building queries; never created through this metadata.
issue_rtree = Table(
    "issue_rtree",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("min_lon", Float),
    Column("max_lon", Float),
    Column("min_lat", Float),
    Column("max_lat", Float),
)

# R*Tree stores 32-bit floats rounded outwards; widen the query a hair, then filter exactly.
_RTREE_SLACK = 1e-5


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def within(stmt: Select, bbox: BBox, *, use_index: bool = True) -> Select:
    """Restrict a query over Issue to the box, through the spatial index unless told that another filter
    is more selective (SQLite's R*Tree join fixes the plan; PostgreSQL's planner chooses by itself)."""
    exact = and_(Issue.lon.between(bbox.min_lon, bbox.max_lon), Issue.lat.between(bbox.min_lat, bbox.max_lat))
    if not use_index:
        return stmt.where(exact)
    if dialect_name() == "postgresql":
        box = func.box(func.point(bbox.min_lon, bbox.min_lat), func.point(bbox.max_lon, bbox.max_lat))
        return stmt.where(func.point(Issue.lon, Issue.lat).op("<@")(box))
    if dialect_name() == "sqlite":
        r = issue_rtree.c
        return stmt.join(issue_rtree, r.id == Issue.id).where(
            r.min_lon >= bbox.min_lon - _RTREE_SLACK,
            r.max_lon <= bbox.max_lon + _RTREE_SLACK,
            r.min_lat >= bbox.min_lat - _RTREE_SLACK,
            r.max_lat <= bbox.max_lat + _RTREE_SLACK,
            exact,
        )
    return stmt.where(exact)


def grid_cell(column, origin: float, cell: float):
    """Integer grid index of a coordinate column: floor((x - origin) / cell), portable across backends."""
    shifted = (column - origin) / cell
    if dialect_name() == "postgresql":
        return func.floor(shifted)
    return func.cast(shifted, Integer)  # SQLite truncates towards zero; shifted is never negative here
