"""Open data: every issue, with its status history, as CSV and GeoJSON, streamed in chunks.

What goes out is chosen column by column (never a whole row), so a field added to Issue later stays
private until someone adds it here. Never exported: reporter, assignee or actor ids and names,
on-behalf names and contacts, emails, titles, descriptions, addresses, comment text, internal notes.
Category and department are given by their canonical (English) names, whatever the visitor's language.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from civic.accounts.models import Department
from civic.database import utcnow
from civic.extensions import db
from civic.geo.neighbourhoods import ATTRIBUTION, by_slug
from civic.issues.models import Category, Issue, IssueStatus, StatusChange

CHUNK = 500
ISSUE_FIELDS = [
    "id",
    "category",
    "category_label",
    "department",
    "status",
    "closed_reason",
    "duplicate_of",
    "neighbourhood",
    "neighbourhood_name",
    "lat",
    "lon",
    "created_at",
    "first_response_at",
    "fixed_at",
    "fixed_by",
    "upvotes",
    "comments",
]
HISTORY_FIELDS = ["issue_id", "from", "to", "at", "reason", "by_community"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value is not None else None


def _value(enum_or_none) -> str | None:
    return enum_or_none.value if enum_or_none is not None else None


def _issue_chunks() -> Iterator[list[dict]]:
    """Issues as plain dicts (ISSUE_FIELDS plus "history"), CHUNK at a time, by id (keyset pagination)."""
    columns = (
        Issue.id,
        Category.slug,
        Category.name,
        Department.name.label("department"),
        Issue.status,
        Issue.closed_reason,
        Issue.duplicate_of_id,
        Issue.neighbourhood,
        Issue.lat,
        Issue.lon,
        Issue.created_at,
        Issue.first_response_at,
        Issue.fixed_at,
        Issue.fixed_by_community,
        Issue.upvote_count,
        Issue.comment_count,
    )
    last_id = 0
    while True:
        rows = db.session.execute(
            select(*columns)
            .join(Category, Issue.category_id == Category.id)
            .join(Department, Category.department_id == Department.id)
            .where(Issue.id > last_id, Issue.hidden_at.is_(None))
            .order_by(Issue.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        histories = _histories([row.id for row in rows])
        yield [_issue_record(row, histories[row.id]) for row in rows]
        last_id = rows[-1].id


def _issue_record(row, history: list[dict]) -> dict:
    hood = by_slug(row.neighbourhood) if row.neighbourhood else None
    return {
        "id": row.id,
        "category": row.slug,
        "category_label": row.name,
        "department": row.department,
        "status": row.status.value,
        "closed_reason": row.closed_reason,
        "duplicate_of": row.duplicate_of_id,
        "neighbourhood": row.neighbourhood,
        "neighbourhood_name": hood.name if hood else None,
        "lat": round(row.lat, 6),
        "lon": round(row.lon, 6),
        "created_at": _iso(row.created_at),
        "first_response_at": _iso(row.first_response_at),
        "fixed_at": _iso(row.fixed_at),
        # "city" or "neighbourhood" (a clean-up) for issues fixed now; empty otherwise.
        "fixed_by": (
            ("neighbourhood" if row.fixed_by_community else "city") if row.status is IssueStatus.FIXED else None
        ),
        "upvotes": row.upvote_count,
        "comments": row.comment_count,
        "history": history,
    }


def _histories(issue_ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    stmt = (
        select(
            StatusChange.issue_id,
            StatusChange.from_status,
            StatusChange.to_status,
            StatusChange.created_at,
            StatusChange.reason,
            StatusChange.by_community,
        )
        .where(StatusChange.issue_id.in_(issue_ids))
        .order_by(StatusChange.issue_id, StatusChange.created_at, StatusChange.id)
    )
    for row in db.session.execute(stmt):
        found[row.issue_id].append(
            {
                "from": _value(row.from_status),
                "to": _value(row.to_status),
                "at": _iso(row.created_at),
                "reason": row.reason,
                "by_community": bool(row.by_community),
            }
        )
    return found


# --- CSV ---------------------------------------------------------------------------------------


def _cell(value) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP's CSV injection advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _csv_lines(header: list[str], rows: Iterator[list[list]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow(header)
    for chunk in rows:
        for row in chunk:
            writer.writerow([_cell(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def issues_csv() -> Iterator[str]:
    return _csv_lines(ISSUE_FIELDS, ([[r[f] for f in ISSUE_FIELDS] for r in chunk] for chunk in _issue_chunks()))


def status_history_csv() -> Iterator[str]:
    return _csv_lines(
        HISTORY_FIELDS,
        (
            [
                [r["id"], h["from"], h["to"], h["at"], h["reason"], h["by_community"]]
                for r in chunk
                for h in r["history"]
            ]
            for chunk in _issue_chunks()
        ),
    )


# --- GeoJSON -----------------------------------------------------------------------------------


def metadata() -> dict:
    return {
        "title": f"Issues reported with civic in {current_app.config['CITY_NAME']}",
        "generated_at": _iso(utcnow()),
        "attribution": ATTRIBUTION,  # the neighbourhood names and slugs come from these boundaries
        "fields": ISSUE_FIELDS + ["history"],
        "history_fields": HISTORY_FIELDS,
        "note": "Times are ISO 8601 in UTC. No personal data: no reporters, contacts, titles or comment text.",
    }


def issues_geojson() -> Iterator[str]:
    head = {"type": "FeatureCollection", "metadata": metadata()}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
    first = True
    for chunk in _issue_chunks():
        parts = []
        for record in chunk:
            properties = {k: v for k, v in record.items() if k not in ("lat", "lon")}
            feature = {
                "type": "Feature",
                "id": record["id"],
                "geometry": {"type": "Point", "coordinates": [record["lon"], record["lat"]]},
                "properties": properties,
            }
            parts.append(("" if first else ",") + json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
            first = False
        yield "".join(parts)
    yield "]}"
