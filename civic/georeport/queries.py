"""The SQL behind civic's GeoReport endpoint: active categories, public issues (never hidden ones) with
what their records need loaded, and status changes for the updates feed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from civic.extensions import db
from civic.issues.models import OPEN_STATUSES, Category, Issue, IssueStatus, StatusChange

CLOSED_STATUSES = (IssueStatus.FIXED, IssueStatus.CLOSED)


def active_categories() -> Iterable[Category]:
    return db.session.scalars(
        select(Category)
        .options(joinedload(Category.department))
        .where(Category.active.is_(True))
        .order_by(Category.position, Category.name)
    )


def active_category(code: str) -> Category | None:
    return db.session.scalar(
        select(Category)
        .options(joinedload(Category.department))
        .where(Category.slug == code, Category.active.is_(True))
    )


def _public_issues() -> Select:
    return (
        select(Issue)
        .where(Issue.hidden_at.is_(None))
        .options(
            joinedload(Issue.category).joinedload(Category.department),
            selectinload(Issue.photos),
            selectinload(Issue.status_changes),
        )
    )


def issue(number: int) -> Issue | None:
    return db.session.scalars(_public_issues().where(Issue.id == number)).first()


def issues_by_id(ids: set[int], *, page: int, size: int) -> Iterable[Issue]:
    return _page_of(_public_issues().where(Issue.id.in_(ids)), page, size)


def issues_between(
    start: datetime, end: datetime, *, codes: Sequence[str], statuses: set[str], page: int, size: int
) -> Iterable[Issue]:
    """Issues reported in the window, of those service codes (all when empty), open or closed (both when
    `statuses` is empty or holds both)."""
    stmt = _public_issues().where(Issue.created_at >= start, Issue.created_at <= end)
    if codes:
        stmt = stmt.where(Issue.category_id.in_(select(Category.id).where(Category.slug.in_(codes))))
    if statuses == {"open"}:
        stmt = stmt.where(Issue.status.in_(OPEN_STATUSES))
    elif statuses == {"closed"}:
        stmt = stmt.where(Issue.status.in_(CLOSED_STATUSES))
    return _page_of(stmt, page, size)


def _page_of(stmt: Select, page: int, size: int) -> Iterable[Issue]:
    stmt = stmt.order_by(Issue.created_at.desc(), Issue.id.desc()).limit(size).offset((page - 1) * size)
    return db.session.scalars(stmt).unique()


def status_updates(
    start: datetime, end: datetime, *, page: int, size: int
) -> tuple[list[tuple[StatusChange, Issue]], dict[int, int]]:
    """The status changes in the window, oldest first (the report's own "open" row is not an update),
    and for each issue among them the id of its latest change."""
    rows = db.session.execute(
        select(StatusChange, Issue)
        .join(Issue, Issue.id == StatusChange.issue_id)
        .where(StatusChange.from_status.is_not(None), StatusChange.created_at >= start, StatusChange.created_at <= end)
        .order_by(StatusChange.created_at, StatusChange.id)
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    issue_ids = {issue.id for _change, issue in rows}
    latest = (
        dict(
            db.session.execute(
                select(StatusChange.issue_id, func.max(StatusChange.id))
                .where(StatusChange.issue_id.in_(issue_ids))
                .group_by(StatusChange.issue_id)
            ).all()
        )
        if issue_ids
        else {}
    )
    return [(change, issue) for change, issue in rows], latest
