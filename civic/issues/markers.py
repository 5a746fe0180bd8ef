"""The map's markers as plain rows: the few columns a marker shows, its category joined in the same query,
turned into GeoJSON features without ORM objects, url_for or a translation lookup per issue.

The bbox API answers up to MAX_MARKERS markers per request and is the busiest endpoint; loading Issue
objects (with their categories through a second query), building each URL with url_for and translating each
label cost several times what the database does (tests/perf/bench_map.py, bench_throughput.py). A feature
here is the same as geojson.issue_feature's for the same issue (tests/test_issue_browse.py compares them).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from flask import url_for
from flask_babel import get_locale
from sqlalchemy import Row, Select, select

from civic.extensions import db
from civic.issues.cards import first_thumbs
from civic.issues.geojson import marker_feature
from civic.issues.models import Category, Issue, IssueStatus
from civic.issues.places import label_for
from civic.issues.queries import FilterShape, IssueFilters, ordered, parametrised

_COLUMNS = (
    Issue.id,
    Issue.title,
    Issue.status,
    Issue.upvote_count,
    Issue.comment_count,
    Issue.neighbourhood,
    Issue.block_number,
    Issue.block_street,
    Issue.created_at,
    Issue.lat,
    Issue.lon,
    Category.slug,
    Category.name,
    Category.name_es,
)


def marker_select() -> Select:
    """SELECT of a marker's columns; filter and order it like any query over Issue."""
    return select(*_COLUMNS).join(Category, Category.id == Issue.category_id)


@functools.lru_cache(maxsize=256)
def _in_view_statement(shape: FilterShape, sort: str, limit: int) -> Select:
    return ordered(parametrised(marker_select(), shape), sort, None).limit(limit)


def in_view(filters: IssueFilters, limit: int) -> Sequence[Row]:
    """Up to `limit` markers in the filters' view, in their order (the statement is kept per shape)."""
    stmt = _in_view_statement(filters.shape(), filters.sort, limit)
    return db.session.connection().execute(stmt, filters.parameters()).all()


def by_id(ids: Iterable[int]) -> dict[int, Row]:
    ids = list(ids)
    if not ids:
        return {}
    return {row.id: row for row in db.session.connection().execute(marker_select().where(Issue.id.in_(ids)))}


@functools.cache
def _status_labels(locale: str) -> dict[IssueStatus, str]:
    """Each status's label in this request's language (the catalogs do not change while a process runs)."""
    return {status: status.label for status in IssueStatus}


class FeatureWriter:
    """Turns marker rows into features, with what is the same for every row of a request worked out once."""

    def __init__(self) -> None:
        # "/issues/0" without its 0: the same path url_for gives each issue (blueprint prefix, SCRIPT_NAME).
        self.url_prefix = url_for("issues.detail", issue_id=0)[:-1]
        self.photo_prefix = url_for("media.photo", key="0")[:-1]  # keys are URL-safe (media.storage)
        self.thumbs: dict[int, str] = {}
        locale = get_locale()
        self.spanish = locale is not None and locale.language == "es"
        self.status_labels = _status_labels(str(locale))

    def load_photos(self, rows: Iterable[Row]) -> None:
        """The first photos of these rows' issues, in one query: call before feature() on them."""
        self.thumbs.update(first_thumbs(row.id for row in rows))

    def feature(self, row: Row) -> dict:
        thumb = self.thumbs.get(row.id)
        return marker_feature(
            id=row.id,
            title=row.title,
            category=row.slug,
            category_label=row.name_es if self.spanish and row.name_es else row.name,
            status=row.status,
            status_label=self.status_labels[row.status],
            upvotes=row.upvote_count,
            comments=row.comment_count,
            neighbourhood=row.neighbourhood,
            place=label_for(row.block_number, row.block_street, row.neighbourhood),
            created_at=row.created_at,
            url=f"{self.url_prefix}{row.id}",
            thumb=f"{self.photo_prefix}{thumb}" if thumb else None,
            lat=row.lat,
            lon=row.lon,
        )

    def features(self, rows: Sequence[Row]) -> list[dict]:
        self.load_photos(rows)
        return [self.feature(row) for row in rows]
