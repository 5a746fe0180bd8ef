"""The department's queue: filters, sorts and what each row needs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from civic.database import utcnow
from civic.errors import ValidationError
from civic.geo.areas import shape_polygon
from civic.issues.models import OPEN_STATUSES, Category, Issue, IssueStatus
from civic.issues.spatial import BBox, within

SORTS = ("oldest_unanswered", "most_upvoted", "newest")


@dataclass
class QueueFilters:
    department_id: int
    category_id: int | None = None
    statuses: list[IssueStatus] = field(default_factory=lambda: list(OPEN_STATUSES))
    older_than_days: int | None = None
    min_upvotes: int | None = None
    shape: list | None = None  # [[lon, lat], ...] drawn on the map
    assignee_id: int | None = None
    sort: str = "oldest_unanswered"


def _int(args: MultiDict, name: str, low: int, high: int) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError(
            _("%(name)s must be a whole number from %(low)d to %(high)d.", name=name, low=low, high=high), field=name
        )
    return int(raw)


def parse(args: MultiDict, department_id: int) -> QueueFilters:
    filters = QueueFilters(department_id=department_id)
    filters.category_id = _int(args, "category", 1, 10**9)
    statuses = [s for s in args.getlist("status") if s]
    if statuses:
        try:
            filters.statuses = [IssueStatus(s) for s in statuses]
        except ValueError:
            raise ValidationError(_("Unknown status."), field="status") from None
    filters.older_than_days = _int(args, "older_than", 0, 3650)
    filters.min_upvotes = _int(args, "min_upvotes", 0, 10**6)
    filters.assignee_id = _int(args, "assignee", 1, 10**9)
    if args.get("shape"):
        try:
            filters.shape = [list(p) for p in shape_polygon(json.loads(args["shape"])).exterior.coords]
        except ValueError:
            raise ValidationError(
                _("The shape must be a list of [longitude, latitude] points."), field="shape"
            ) from None
    sort = args.get("sort", "oldest_unanswered")
    if sort not in SORTS:
        raise ValidationError(_("Unknown sort order."), field="sort")
    filters.sort = sort
    return filters


def query(filters: QueueFilters) -> Select:
    stmt = (
        select(Issue)
        .join(Category, Category.id == Issue.category_id)
        .where(
            Category.department_id == filters.department_id,
            Issue.status.in_(filters.statuses),
            Issue.hidden_at.is_(None),
        )  # hidden by moderators: back in the queue once restored
        .options(selectinload(Issue.category), selectinload(Issue.assignee))
    )
    if filters.category_id:
        stmt = stmt.where(Issue.category_id == filters.category_id)
    if filters.older_than_days:
        stmt = stmt.where(Issue.created_at <= utcnow() - timedelta(days=filters.older_than_days))
    if filters.min_upvotes:
        stmt = stmt.where(Issue.upvote_count >= filters.min_upvotes)
    if filters.assignee_id:
        stmt = stmt.where(Issue.assignee_id == filters.assignee_id)
    if filters.shape:
        lons, lats = [p[0] for p in filters.shape], [p[1] for p in filters.shape]
        stmt = within(stmt, BBox(min(lons), min(lats), max(lons), max(lats)))
    if filters.sort == "most_upvoted":
        return stmt.order_by(Issue.upvote_count.desc(), Issue.created_at)
    if filters.sort == "newest":
        return stmt.order_by(Issue.created_at.desc())
    # Oldest unanswered first: issues without an official reply, oldest first; answered ones after.
    return stmt.order_by(Issue.first_response_at.is_not(None), Issue.created_at)


def in_shape(filters: QueueFilters, issues: list[Issue]) -> list[Issue]:
    """The exact polygon test after the index's bounding-box cut."""
    if not filters.shape:
        return issues
    from shapely.geometry import Point, Polygon

    polygon = Polygon(filters.shape)
    return [i for i in issues if polygon.covers(Point(i.lon, i.lat))]
