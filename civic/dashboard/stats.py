"""Service-level figures, computed from plain rows so they can be checked by hand.

Definitions (shown to the public on /dashboard, keep the two in step):
- time to first official response = issue.first_response_at - issue.created_at (issues that have one);
- time to fix = the FIRST status change to "fixed" by the city - issue.created_at (issues the city ever fixed);
  a fix reported by neighbours after a clean-up is the neighbourhood's, not the city's: it is counted apart
  ("fixed by the neighbourhood", and how many of those the city confirmed) and never in the city's times;
- median = the middle value (the mean of the two middle values when the count is even);
  90th percentile = nearest rank: the smallest value with at least 90 % of the values at or below it;
- closed without a fix = issues now "closed" / issues now "fixed" or "closed" (duplicates are closed);
- reopened = issues with a change from "fixed" back to an open status / issues ever changed to "fixed";
- open backlog = at t = now - k weeks (k = 11..0), issues created at or before t whose status at t was
  open; the status at t is the target of the issue's last status change at or before t.

Only `load()` touches the database; everything else takes and returns plain values.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civic.database import utcnow
from civic.extensions import db
from civic.issues.models import OPEN_STATUSES, Category, Issue, IssueStatus, StatusChange

OPEN = frozenset(s.value for s in OPEN_STATUSES)
FIXED, CLOSED = IssueStatus.FIXED.value, IssueStatus.CLOSED.value
BACKLOG_WEEKS = 12


@dataclass(frozen=True)
class IssueRow:
    id: int
    category: str  # the category's label
    department: str  # its department's label (the reader's language: dashboard_data caches per language)
    neighbourhood: str | None  # slug
    status: str  # IssueStatus value, now
    created_at: datetime
    first_response_at: datetime | None = None
    fixed_by_community: bool = False  # now fixed, by neighbours at a clean-up
    community_fix_confirmed: bool = False  # ... and the city confirmed it


@dataclass(frozen=True)
class ChangeRow:
    issue_id: int
    from_status: str | None
    to_status: str
    at: datetime
    by_community: bool = False


@dataclass(frozen=True)
class Durations:
    """Durations in hours: how many, their median and 90th percentile (None when there are none)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, hours: Iterable[float]) -> Durations:
        values = sorted(hours)
        return cls(len(values), median(values), percentile(values, 90))


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Figures:
    issues: int
    open: int
    fixed: int  # by the city
    closed: int
    response: Durations
    fix: Durations
    closed_without_fix: Share
    reopened: Share
    community_fixed: int = 0  # fixed by the neighbourhood (now)
    community_confirmed: int = 0


@dataclass(frozen=True)
class Dashboard:
    overall: Figures
    by_category: list[tuple[str, Figures]]
    by_department: list[tuple[str, Figures]]
    by_neighbourhood: list[tuple[str, Figures]]  # keyed by slug
    backlog: list[tuple[datetime, int]]  # oldest first
    now: datetime


# --- small pure helpers ------------------------------------------------------------------------


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the value at rank ceil(p/100 * n) of the sorted values (1-based)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def first_fixed_at(changes: Iterable[ChangeRow]) -> dict[int, datetime]:
    """When the city first marked each issue fixed (neighbours' fixes are not the city's)."""
    first: dict[int, datetime] = {}
    for change in changes:
        if (
            change.to_status == FIXED
            and not change.by_community
            and (change.issue_id not in first or change.at < first[change.issue_id])
        ):
            first[change.issue_id] = change.at
    return first


def reopened_ids(changes: Iterable[ChangeRow]) -> set[int]:
    """Issues that went from fixed back to an open status at least once."""
    return {c.issue_id for c in changes if c.from_status == FIXED and c.to_status in OPEN}


# --- figures -----------------------------------------------------------------------------------


def figures(issues: list[IssueRow], fixed_at: dict[int, datetime], reopened: set[int]) -> Figures:
    statuses = [i.status for i in issues]
    fixed_now, closed_now = statuses.count(FIXED), statuses.count(CLOSED)
    by_neighbours = [i for i in issues if i.status == FIXED and i.fixed_by_community]
    ever_fixed = [i for i in issues if i.id in fixed_at]
    return Figures(
        issues=len(issues),
        open=sum(1 for s in statuses if s in OPEN),
        fixed=fixed_now - len(by_neighbours),
        community_fixed=len(by_neighbours),
        community_confirmed=sum(1 for i in by_neighbours if i.community_fix_confirmed),
        closed=closed_now,
        response=Durations.of(
            hours_between(i.created_at, i.first_response_at) for i in issues if i.first_response_at is not None
        ),
        fix=Durations.of(hours_between(i.created_at, fixed_at[i.id]) for i in ever_fixed),
        closed_without_fix=Share(closed_now, fixed_now + closed_now),
        reopened=Share(sum(1 for i in ever_fixed if i.id in reopened), len(ever_fixed)),
    )


def grouped(
    issues: list[IssueRow], key: Callable[[IssueRow], str | None], fixed_at: dict[int, datetime], reopened: set[int]
) -> list[tuple[str, Figures]]:
    """Figures per group, sorted by group key; issues whose key is None are left out."""
    groups: dict[str, list[IssueRow]] = defaultdict(list)
    for issue in issues:
        k = key(issue)
        if k is not None:
            groups[k].append(issue)
    return [(k, figures(rows, fixed_at, reopened)) for k, rows in sorted(groups.items(), key=lambda kv: kv[0].lower())]


# --- backlog over time -------------------------------------------------------------------------


def week_ends(now: datetime, weeks: int = BACKLOG_WEEKS) -> list[datetime]:
    """now - k*7 days for k = weeks-1 .. 0: oldest first, the last one is now."""
    return [now - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]


def backlog(issues: list[IssueRow], changes: Iterable[ChangeRow], ends: list[datetime]) -> list[tuple[datetime, int]]:
    """For each t in ends: issues created at or before t whose status at t was open."""
    history: dict[int, list[ChangeRow]] = defaultdict(list)
    for change in changes:
        history[change.issue_id].append(change)
    counts = [0] * len(ends)
    for issue in issues:
        steps = sorted(history.get(issue.id, []), key=lambda c: c.at)  # stable: ties keep the given order
        times = [c.at for c in steps]
        for n, t in enumerate(ends):
            if issue.created_at > t:
                continue
            last = bisect.bisect_right(times, t)
            status = steps[last - 1].to_status if last else IssueStatus.OPEN.value  # reported = open
            if status in OPEN:
                counts[n] += 1
    return list(zip(ends, counts, strict=True))


def compute(issues: list[IssueRow], changes: list[ChangeRow], now: datetime) -> Dashboard:
    fixed_at, reopened = first_fixed_at(changes), reopened_ids(changes)
    return Dashboard(
        overall=figures(issues, fixed_at, reopened),
        by_category=grouped(issues, lambda i: i.category, fixed_at, reopened),
        by_department=grouped(issues, lambda i: i.department, fixed_at, reopened),
        by_neighbourhood=grouped(issues, lambda i: i.neighbourhood, fixed_at, reopened),
        backlog=backlog(issues, changes, week_ends(now)),
        now=now,
    )


# --- the one function that reads the database --------------------------------------------------


def _value(status: IssueStatus | str) -> str:
    return status.value if isinstance(status, IssueStatus) else status


def load_rows() -> tuple[list[IssueRow], list[ChangeRow]]:
    """Every issue and status change as plain rows (a few columns each: no text, no people)."""
    categories = {
        c.id: (c.label, c.department.label)
        for c in db.session.scalars(select(Category).options(joinedload(Category.department)))
    }
    issues = [
        IssueRow(
            row.id,
            *categories[row.category_id],
            row.neighbourhood,
            _value(row.status),
            row.created_at,
            row.first_response_at,
            bool(row.fixed_by_community),
            row.community_fix_confirmed_at is not None,
        )
        for row in db.session.execute(
            select(
                Issue.id,
                Issue.category_id,
                Issue.neighbourhood,
                Issue.status,
                Issue.created_at,
                Issue.first_response_at,
                Issue.fixed_by_community,
                Issue.community_fix_confirmed_at,
            ).where(Issue.hidden_at.is_(None))
        )
    ]
    changes = [
        ChangeRow(
            row.issue_id,
            _value(row.from_status) if row.from_status is not None else None,
            _value(row.to_status),
            row.created_at,
            bool(row.by_community),
        )
        for row in db.session.execute(
            select(
                StatusChange.issue_id,
                StatusChange.from_status,
                StatusChange.to_status,
                StatusChange.created_at,
                StatusChange.by_community,
            ).order_by(StatusChange.issue_id, StatusChange.created_at, StatusChange.id)
        )
    ]
    return issues, changes


def load(now: datetime | None = None) -> Dashboard:
    issues, changes = load_rows()
    return compute(issues, changes, now or utcnow())
