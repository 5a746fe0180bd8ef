"""The issue query behind the map, the list and the API: filters parsed from request arguments,
issues or server-side clusters in a bounding box, and sorting."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import Float, Select, bindparam, func, select
from werkzeug.datastructures import MultiDict

from civic.database import utcnow
from civic.errors import PermissionDenied, ValidationError
from civic.extensions import db
from civic.issues import cells, search
from civic.issues.cells import Cluster
from civic.issues.models import Category, Issue, IssueStatus
from civic.issues.spatial import BBox, dialect_name, grid_cell, within
from civic.text import refuse_hostile_characters

SORTS = ("newest", "upvotes", "nearest")
MINE = ("1", "others")  # my own reports; reports a liaison filed on someone's behalf
MAX_DAYS = 3650
CLUSTER_BELOW_ZOOM = 16  # from this zoom on, always individual markers
MAX_MARKERS = 500  # more issues than this in view: clusters instead
CLUSTER_CELL_PX = 64  # a cluster covers a square of about this many pixels (cells.cell_size)
MAX_BBOX_DEGREES = 2.0  # a whole city fits; a continent does not


@dataclass(frozen=True)
class FilterShape:
    """Which filters a request sets, not their values: the map keeps one statement per shape, built once with
    parameters in place of the values (IssueFilters.parameters), since building one costs more than SQLite
    takes to run it."""

    categories: bool
    statuses: bool
    days: bool
    bbox: bool
    spatial_index: bool
    dialect: str
    text: bool = False
    few_matches: bool = False  # PostgreSQL: the search first (search.matching)


@dataclass
class IssueFilters:
    categories: list[str] = field(default_factory=list)  # slugs
    statuses: list[IssueStatus] = field(default_factory=list)
    days: int | None = None
    bbox: BBox | None = None
    sort: str = "newest"
    q: str = ""  # a text search, as typed (civic/issues/search.py); "" when it holds no word
    mine: str = ""  # the list only: "1" my reports, "others" those I filed for others (MINE)

    def apply(self, stmt: Select, *, public: bool = True) -> Select:
        """stmt restricted to these filters, their values written into it. public=False keeps the issues
        hidden by the moderators (a reporter's own list)."""
        return _restrict(stmt, self.shape(), self, public=public)

    @property
    def search_words(self) -> list[str]:
        return search.words(self.q)

    @property
    def text_query(self) -> str | None:
        """The search in the database engine's syntax, or None without one."""
        found = self.search_words
        return search.engine_query(found, dialect_name()) if found else None

    def shape(self) -> FilterShape:
        return FilterShape(
            categories=bool(self.categories),
            statuses=bool(self.statuses),
            days=bool(self.days),
            bbox=self.bbox is not None,
            spatial_index=self.bbox is not None and not self._recent_fewer_than_in_box(),
            dialect=dialect_name(),
            text=bool(self.search_words),
            few_matches=search.few_matches(self.text_query, dialect_name()),
        )

    def parameters(self) -> dict:
        """The values for a statement from parametrised(stmt, self.shape())."""
        values: dict = {
            "categories": self.categories,
            "statuses": self.statuses,
            "since": self.since,
            "text_query": self.text_query,
        }
        if self.bbox is not None:
            values.update(
                min_lon=self.bbox.min_lon,
                min_lat=self.bbox.min_lat,
                max_lon=self.bbox.max_lon,
                max_lat=self.bbox.max_lat,
            )
        return values

    @property
    def since(self):
        return utcnow() - timedelta(days=self.days) if self.days else None

    def _recent_fewer_than_in_box(self) -> bool:
        """With `days` or a text search over a big box (last month, whole city), the date index or the text
        index finds fewer rows than the spatial one: compare the counts, each bounded by the other, before
        choosing (SQLite only)."""
        if not (self.days or self.search_words) or self.bbox is None or dialect_name() != "sqlite":
            return False
        in_box = cells.count_touching(self.bbox)
        if self.search_words and search.count_matches(self.text_query, at_most=in_box + 1) <= in_box:
            return True
        if not self.days:
            return False
        recent = select(Issue.id).where(Issue.created_at >= self.since).limit(in_box + 1).subquery()
        return (db.session.scalar(select(func.count()).select_from(recent)) or 0) <= in_box

    def as_args(self) -> dict:
        """Back to query-string arguments, for links that keep the same filters."""
        args: dict = {}
        if self.categories:
            args["category"] = self.categories
        if self.statuses:
            args["status"] = [s.value for s in self.statuses]
        if self.days:
            args["days"] = self.days
        if self.sort != "newest":
            args["sort"] = self.sort
        if self.q:
            args["q"] = self.q
        if self.mine:
            args["mine"] = self.mine
        return args

    def map_args(self) -> dict:
        """as_args() for the map, which shows everyone's issues in the newest order."""
        return {k: v for k, v in self.as_args().items() if k not in ("mine", "sort")}


def _restrict(stmt: Select, shape: FilterShape, values, *, public: bool = True) -> Select:
    """The one place the filters' rules live; `values` holds either the values (an IssueFilters) or
    parameters standing for them (_PLACEHOLDERS)."""
    if public:
        stmt = stmt.where(Issue.hidden_at.is_(None))  # hidden by the moderators: out of every public view
    if shape.categories:
        # A subquery, not a join: callers may join categories themselves (civic/issues/markers.py).
        chosen = select(Category.id).where(Category.slug.in_(values.categories)).scalar_subquery()
        stmt = stmt.where(Issue.category_id.in_(chosen))
    if shape.statuses:
        stmt = stmt.where(Issue.status.in_(values.statuses))
    if shape.days:
        stmt = stmt.where(Issue.created_at >= values.since)
    if shape.bbox:
        stmt = within(stmt, values.bbox, use_index=shape.spatial_index)
    if shape.text:
        stmt = stmt.where(search.matching(values.text_query, shape.dialect, few=shape.few_matches))
    return stmt


_PLACEHOLDERS = SimpleNamespace(
    categories=bindparam("categories", expanding=True),
    statuses=bindparam("statuses", expanding=True),
    since=bindparam("since"),
    text_query=bindparam("text_query"),
    bbox=BBox(*(bindparam(name, type_=Float()) for name in ("min_lon", "min_lat", "max_lon", "max_lat"))),  # type: ignore[arg-type]  # placeholders
)


def parametrised(stmt: Select, shape: FilterShape) -> Select:
    """stmt restricted by filters of this shape, with parameters for their values: build it once per shape,
    run it with IssueFilters.parameters()."""
    return _restrict(stmt, shape, _PLACEHOLDERS)


def _many(args: MultiDict, name: str) -> list[str]:
    """`?status=open&status=fixed` and `?status=open,fixed` both work."""
    values: list[str] = []
    for raw in args.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def parse_bbox(raw: str) -> BBox:
    parts = raw.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise ValidationError(_("bbox must be four numbers: minLon,minLat,maxLon,maxLat."), field="bbox")
    box = BBox(*numbers)
    if not (-180 <= box.min_lon < box.max_lon <= 180 and -90 <= box.min_lat < box.max_lat <= 90):
        raise ValidationError(
            _("bbox corners are out of order or off the globe: use minLon,minLat,maxLon,maxLat."), field="bbox"
        )
    if box.max_lon - box.min_lon > MAX_BBOX_DEGREES or box.max_lat - box.min_lat > MAX_BBOX_DEGREES:
        raise ValidationError(
            _("bbox is too large: zoom in to at most %(n)s degrees across.", n=MAX_BBOX_DEGREES), field="bbox"
        )
    return box


def parse_filters(args: MultiDict, *, require_bbox: bool = False) -> IssueFilters:
    filters = IssueFilters()
    filters.categories = _many(args, "category")
    known = (
        set(db.session.scalars(select(Category.slug).where(Category.slug.in_(filters.categories))))
        if filters.categories
        else set()
    )
    unknown = [c for c in filters.categories if c not in known]
    if unknown:
        raise ValidationError(_("Unknown category: %(names)s.", names=", ".join(unknown[:5])), field="category")
    try:
        filters.statuses = [IssueStatus(s) for s in _many(args, "status")]
    except ValueError:
        raise ValidationError(
            _("Unknown status. Use: %(names)s.", names=", ".join(s.value for s in IssueStatus)), field="status"
        ) from None
    days = args.get("days", "").strip()
    if days:
        if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
            raise ValidationError(_("days must be a whole number from 1 to %(n)d.", n=MAX_DAYS), field="days")
        filters.days = int(days)
    raw_bbox = args.get("bbox", "").strip()
    if raw_bbox:
        filters.bbox = parse_bbox(raw_bbox)
    elif require_bbox:
        raise ValidationError(_("bbox is required: minLon,minLat,maxLon,maxLat."), field="bbox")
    filters.q = refuse_hostile_characters(args.get("q", ""), field="q").strip()
    if len(filters.q) > search.MAX_QUERY_LENGTH:
        raise ValidationError(
            _("The search is too long: at most %(n)d characters.", n=search.MAX_QUERY_LENGTH), field="q"
        )
    sort = args.get("sort", "newest")
    if sort not in SORTS:
        raise ValidationError(_("sort must be one of: %(names)s.", names=", ".join(SORTS)), field="sort")
    filters.sort = sort
    return filters


def parse_zoom(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 0 <= int(raw) <= 22:
        raise ValidationError(_("zoom must be a whole number from 0 to 22."), field="zoom")
    return int(raw)


def ordered(stmt: Select, sort: str, home: tuple[float, float] | None) -> Select:
    if sort == "upvotes":
        return stmt.order_by(Issue.upvote_count.desc(), Issue.created_at.desc(), Issue.id.desc())
    if sort == "nearest" and home is not None:
        lat, lon = home
        kx = math.cos(math.radians(lat))  # metres per degree of longitude shrink with latitude
        distance2 = (Issue.lat - lat) * (Issue.lat - lat) + (Issue.lon - lon) * (Issue.lon - lon) * kx * kx
        return stmt.order_by(distance2, Issue.id.desc())
    return stmt.order_by(Issue.created_at.desc(), Issue.id.desc())


def parse_mine(args: MultiDict) -> str:
    """The list's `mine` argument: "" (everyone's), "1" (my reports) or "others" (reports I filed for others)."""
    mine = args.get("mine", "").strip()
    if mine and mine not in MINE:
        raise ValidationError(_("mine must be 1 or others."), field="mine")
    return mine


def list_query(filters: IssueFilters, home: tuple[float, float] | None = None, viewer=None) -> Select:
    """The list's issues. With `mine`, only the viewer's own reports, whatever their status and including
    those the moderators hid (their reporter still sees them listed); a signed-out viewer has none."""
    if not filters.mine:
        return ordered(filters.apply(select(Issue)), filters.sort, home)
    if viewer is None or not viewer.is_authenticated:
        raise PermissionDenied(_("Sign in to see your reports."))
    stmt = select(Issue).where(Issue.reporter_id == viewer.id)
    if filters.mine == "others":
        stmt = stmt.where(Issue.on_behalf_name.is_not(None))
    else:
        stmt = stmt.where(Issue.on_behalf_name.is_(None))
    return ordered(filters.apply(stmt, public=False), filters.sort, home)


def count_in_view(filters: IssueFilters) -> int:
    return db.session.scalar(filters.apply(select(func.count(Issue.id)))) or 0


def must_cluster(total: int, zoom: int | None) -> bool:
    """Too many markers for this view: above MAX_MARKERS always, above a fifth of it below street zoom."""
    return total > MAX_MARKERS or (zoom is not None and zoom < CLUSTER_BELOW_ZOOM and total > MAX_MARKERS // 5)


def precomputed_clusters(filters: IssueFilters, zoom: int) -> list[Cluster] | None:
    """Clusters from the precomputed cell counts (civic/issues/cells.py), or None when they cannot answer:
    a `days` filter, a text search, or a zoom finer than the finest level."""
    level = cells.level_for(zoom)
    if filters.days or filters.search_words or level is None or filters.bbox is None:
        return None
    return cells.clusters(filters.bbox, level, filters.categories, filters.statuses)


def clusters(filters: IssueFilters, zoom: int) -> list[Cluster]:
    """Group the issues themselves into square grid cells about CLUSTER_CELL_PX wide at this zoom."""
    cell = cells.cell_size(zoom)
    gx, gy = grid_cell(Issue.lon, -180.0, cell), grid_cell(Issue.lat, -90.0, cell)
    stmt = filters.apply(
        select(func.count(Issue.id), func.avg(Issue.lat), func.avg(Issue.lon), func.min(Issue.id))
    ).group_by(gx, gy)
    return [
        Cluster(lat=float(lat), lon=float(lon), count=int(n), issue_id=int(first))
        for n, lat, lon, first in db.session.execute(stmt)
    ]
