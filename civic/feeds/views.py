"""GET /issues/<id>/feed.atom (one issue's history) and GET /feeds/area.atom (issues in an area).

Only what an anonymous visitor sees on the issue page goes into a feed: the public reporter label,
never on-behalf names, contacts or emails, and no deleted comment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from flask import current_app, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from civic.database import utcnow
from civic.errors import ValidationError
from civic.extensions import db
from civic.feeds import bp
from civic.feeds.atom import Entry, atom_response, build_feed, tag
from civic.issues import services
from civic.issues.models import Category, Comment, Issue, StatusChange
from civic.issues.places import place_label
from civic.issues.queries import IssueFilters, parse_bbox
from civic.issues.spatial import BBox, distance_m
from civic.text import render_user_text

AREA_MAX_ENTRIES = 50
RADIUS_MIN_M, RADIUS_MAX_M = 50, 5000


def _issue_url(issue_id: int, anchor: str | None = None) -> str:
    return url_for("issues.detail", issue_id=issue_id, _anchor=anchor, _external=True)


def _later(a, b):
    return b if b is not None and b > a else a


# --- one issue --------------------------------------------------------------------------------


@bp.get("/issues/<int:issue_id>/feed.atom")
def issue_feed(issue_id: int):
    issue = services.get_visible_issue(issue_id, None)  # NotFound -> 404, also while hidden
    entries = _issue_entries(issue)
    fg = build_feed(
        feed_id=tag(f"issue/{issue.id}"),
        title=_("Updates on issue %(id)d: %(title)s", id=issue.id, title=issue.title),
        self_url=url_for("feeds.issue_feed", issue_id=issue.id, _external=True),
        alternate_url=_issue_url(issue.id),
        entries=entries,
        updated=max(e.updated for e in entries),
    )
    return atom_response(fg)


def _issue_entries(issue: Issue) -> list[Entry]:
    """The report, its status changes (not the initial 'Reported' one) and live comments, newest first."""
    ranked: list[tuple[tuple, Entry]] = [
        (
            (issue.created_at, 0, issue.id),
            Entry(
                id=tag(f"issue/{issue.id}/report"),
                title=issue.title,
                url=_issue_url(issue.id),
                published=issue.created_at,
                updated=_later(issue.created_at, _last_edit(issue)),  # the reporter may edit for 24 hours
                html=_with_place(issue),
                author=services.reporter_label(issue, None),  # "A neighbour" unless the name is public
            ),
        )
    ]
    for change in issue.status_changes:
        if change.from_status is None:  # the "Reported" row written with the report itself
            continue
        ranked.append(
            (
                (change.created_at, 1, change.id),
                Entry(
                    id=tag(f"issue/{issue.id}/status/{change.id}"),
                    title=_("%(old)s → %(new)s", old=change.from_status.label, new=change.to_status.label),
                    url=_issue_url(issue.id, "history-heading"),
                    published=change.created_at,
                    updated=change.created_at,
                    text=change.reason_text,
                ),
            )
        )
    comments = db.session.scalars(
        select(Comment)
        .where(Comment.issue_id == issue.id, Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
        .options(selectinload(Comment.author), selectinload(Comment.department))
    )
    for comment in comments:
        author = services.comment_author(comment, None)  # a feed is public: names only where they are public
        ranked.append(
            (
                (comment.created_at, 2, comment.id),
                Entry(
                    id=tag(f"issue/{issue.id}/comment/{comment.id}"),
                    title=_("Comment by %(name)s", name=author.in_sentence),
                    url=_issue_url(issue.id, f"comment-{comment.id}"),
                    published=comment.created_at,
                    updated=_later(comment.created_at, comment.edited_at),
                    html=render_user_text(comment.text),
                    author=author.label,
                ),
            )
        )
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _key, entry in ranked]


def _with_place(issue: Issue) -> str:
    """The report's text after where it is ("1400 block of E Columbia Ave", else the neighbourhood)."""
    place = place_label(issue)
    where = Markup("<p>{}</p>").format(escape(place)) if place else Markup("")
    return str(where + render_user_text(issue.description))


def _last_edit(issue: Issue):
    return issue.revisions[-1].created_at if issue.revisions else None


# --- an area ----------------------------------------------------------------------------------


@dataclass
class Area:
    bbox: BBox  # the index query (for a circle: the box around it)
    circle: tuple[float, float, float] | None  # lat, lon, radius in metres
    categories: list[str]

    def args(self) -> list[tuple[str, str]]:
        """Canonical query arguments: the same area always gives the same self link and feed id."""
        if self.circle:
            lat, lon, radius = self.circle
            pairs = [("lat", _num(lat)), ("lon", _num(lon)), ("radius", _num(radius))]
        else:
            b = self.bbox
            pairs = [("bbox", ",".join(_num(v) for v in (b.min_lon, b.min_lat, b.max_lon, b.max_lat)))]
        return pairs + [("category", slug) for slug in self.categories]


def _num(value: float) -> str:
    return repr(float(value)).removesuffix(".0")


def _many(args: MultiDict, name: str) -> list[str]:
    values: list[str] = []
    for raw in args.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def _number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_area(args: MultiDict) -> Area:
    categories = sorted(set(_many(args, "category")))
    known = set(db.session.scalars(select(Category.slug).where(Category.slug.in_(categories))))
    unknown = [c for c in categories if c not in known]
    if unknown:
        raise ValidationError(_("Unknown category: %(names)s.", names=", ".join(unknown[:5])), field="category")

    raw_bbox = args.get("bbox", "").strip()
    circle_args = [args.get(name, "").strip() for name in ("lat", "lon", "radius")]
    if raw_bbox and any(circle_args):
        raise ValidationError(_("Give either bbox or lat, lon and radius, not both."), field="bbox")
    if raw_bbox:
        return Area(bbox=parse_bbox(raw_bbox), circle=None, categories=categories)
    if not any(circle_args):
        raise ValidationError(
            _("Choose an area: bbox=minLon,minLat,maxLon,maxLat, or lat, lon and radius in metres."), field="bbox"
        )
    lat, lon, radius = (_number(raw) for raw in circle_args)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(_("lat and lon must be numbers: latitude -90 to 90, longitude -180 to 180."), field="lat")
    if radius is None or not RADIUS_MIN_M <= radius <= RADIUS_MAX_M:
        raise ValidationError(
            _("radius must be a number of metres from %(min)d to %(max)d.", min=RADIUS_MIN_M, max=RADIUS_MAX_M),
            field="radius",
        )
    return Area(bbox=BBox.around(lat, lon, radius), circle=(lat, lon, radius), categories=categories)


def _recent_in_area(area: Area) -> list[tuple[Issue, datetime]]:
    """Issues in the area with their latest activity (report or status change), newest first, at most 50."""
    changed_at = (
        select(func.max(StatusChange.created_at))
        .where(StatusChange.issue_id == Issue.id)
        .correlate(Issue)
        .scalar_subquery()
    )
    activity = case((changed_at > Issue.created_at, changed_at), else_=Issue.created_at).label("activity")
    stmt = (
        IssueFilters(categories=area.categories, bbox=area.bbox)
        .apply(select(Issue, activity))
        .order_by(activity.desc(), Issue.id.desc())
        .options(selectinload(Issue.category), selectinload(Issue.reporter))
    )
    if area.circle is None:
        return [(issue, when) for issue, when in db.session.execute(stmt.limit(AREA_MAX_ENTRIES))]
    # A circle: the box around it comes through the index; the corners are dropped here, reading on
    # only until 50 issues inside the circle are found.
    lat, lon, radius = area.circle
    found: list[tuple[Issue, datetime]] = []
    result = db.session.execute(stmt.execution_options(yield_per=AREA_MAX_ENTRIES * 2))
    try:
        for issue, when in result:
            if distance_m(lat, lon, issue.lat, issue.lon) <= radius:
                found.append((issue, when))
                if len(found) == AREA_MAX_ENTRIES:
                    break
    finally:
        result.close()
    return found


@bp.get("/feeds/area.atom")
def area_feed():
    area = parse_area(request.args)  # ValidationError -> 400
    entries = [
        Entry(
            id=tag(f"issue/{issue.id}"),
            title=_(
                "%(category)s: %(title)s (%(status)s)",
                category=issue.category.label,
                title=issue.title,
                status=issue.status.label,
            ),
            url=_issue_url(issue.id),
            published=issue.created_at,
            updated=when,
            html=_with_place(issue),
            author=services.reporter_label(issue, None),
        )
        for issue, when in _recent_in_area(area)
    ]
    args = urlencode(area.args(), safe=",")
    b = area.bbox  # the list view takes a box; for a circle, the box around it
    list_args = [("bbox", ",".join(_num(round(v, 6)) for v in (b.min_lon, b.min_lat, b.max_lon, b.max_lat)))]
    list_args += [("category", slug) for slug in area.categories]
    city = current_app.config["CITY_NAME"]
    title = (
        _(
            "Issues in an area of %(city)s: %(categories)s",
            city=city,
            categories=", ".join(e.label for e in _categories(area.categories)),
        )
        if area.categories
        else _("Issues in an area of %(city)s", city=city)
    )
    fg = build_feed(
        feed_id=tag(f"area?{args}"),
        title=title,
        self_url=url_for("feeds.area_feed", _external=True) + f"?{args}",
        alternate_url=url_for("issues.index", _external=True) + "?" + urlencode(list_args, safe=","),
        entries=entries,
        # An empty area has no activity to date the feed by: it is as new as this answer.
        updated=max((e.updated for e in entries), default=utcnow()),
    )
    return atom_response(fg)


def _categories(slugs: list[str]) -> list[Category]:
    return list(
        db.session.scalars(select(Category).where(Category.slug.in_(slugs)).order_by(Category.position, Category.name))
    )
