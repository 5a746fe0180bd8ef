"""Follow rules and the notification centre. Notifications are made by handlers.py from signals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import bindparam, func, or_, select, update

from civic import signals
from civic.accounts.models import EmailFrequency, User
from civic.database import fits_id, insert_ignoring_duplicates, utcnow
from civic.errors import NotFound, PermissionDenied, ValidationError
from civic.extensions import db
from civic.geo import neighbourhoods
from civic.issues.models import Category, Comment, Issue, StatusChange
from civic.issues.places import point_label
from civic.issues.spatial import BBox, within
from civic.notifications import areas
from civic.notifications.models import AreaFollow, AreaKind, Follow, FollowReason, Notification, NotificationKind

MAX_AREAS = 20
NEAR_ME_DEFAULT_DAYS = 7


def _require_user(user: User | AnonymousUserMixin) -> None:
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to follow issues and areas."))


# --- following issues -------------------------------------------------------------------------


def auto_follow(user_id: int, issue_id: int, reason: FollowReason) -> None:
    """Reporting, commenting and voting follow the issue, unless the user chose to stop following it."""
    db.session.execute(
        insert_ignoring_duplicates(
            Follow, user_id=user_id, issue_id=issue_id, active=True, reason=reason, created_at=utcnow()
        )
    )
    db.session.flush()


def set_following(user: User, issue_id: int, following: bool) -> None:
    _require_user(user)
    if not fits_id(issue_id) or db.session.get(Issue, issue_id) is None:
        raise NotFound(_("There is no issue number %(id)d.", id=issue_id))
    follow = db.session.get(Follow, (user.id, issue_id))
    if follow is None:
        follow = Follow(user_id=user.id, issue_id=issue_id, reason=FollowReason.CHOSEN)
        db.session.add(follow)
    follow.active = following
    db.session.flush()


def is_following(user: User | AnonymousUserMixin, issue_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    follow = db.session.get(Follow, (user.id, issue_id))
    return follow is not None and follow.active


def issue_followers(issue_id: int) -> list[int]:
    return list(db.session.scalars(select(Follow.user_id).where(Follow.issue_id == issue_id, Follow.active.is_(True))))


def followed_issues(user: User) -> list[Issue]:
    return list(
        db.session.scalars(
            select(Issue)
            .join(Follow, Follow.issue_id == Issue.id)
            .where(Follow.user_id == user.id, Follow.active.is_(True), Issue.hidden_at.is_(None))
            .order_by(Issue.updated_at.desc())
        )
    )


# --- following areas --------------------------------------------------------------------------


def follow_area(
    user: User,
    *,
    name: str,
    kind: AreaKind,
    lat: float | None = None,
    lon: float | None = None,
    radius_m: int | None = None,
    neighbourhood: str | None = None,
    shape: Sequence | None = None,
    category_id: int | None = None,
) -> AreaFollow:
    _require_user(user)
    count = db.session.scalar(select(func.count()).select_from(AreaFollow).where(AreaFollow.user_id == user.id))
    if (count or 0) >= MAX_AREAS:
        raise ValidationError(_("You follow %(n)d areas already; stop following one first.", n=MAX_AREAS))
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise ValidationError(_("Choose a category from the list."), field="category")
    area = AreaFollow(user_id=user.id, kind=kind, category_id=category_id)
    if kind is AreaKind.CIRCLE:
        if lat is None or lon is None or radius_m is None:
            raise ValidationError(_("Give a centre and a distance."), field="radius_m")
        box = areas.circle_bounds(lat, lon, radius_m)
        area.lat, area.lon, area.radius_m = lat, lon, radius_m
        centre = point_label(lat, lon)
        default_name = (
            _("Within %(m)d m of %(place)s", m=radius_m, place=centre)
            if centre
            else _("Within %(m)d m of a point", m=radius_m)
        )
    elif kind is AreaKind.NEIGHBOURHOOD:
        hood = neighbourhoods.by_slug(neighbourhood or "")
        if hood is None:
            raise ValidationError(_("Choose a neighbourhood from the list."), field="neighbourhood")
        min_lon, min_lat, max_lon, max_lat = hood.geometry.bounds
        box = BBox(min_lon, min_lat, max_lon, max_lat)
        area.neighbourhood = hood.slug
        default_name = hood.name
    else:
        polygon = areas.shape_polygon(shape)
        box = BBox(*polygon.bounds)
        area.shape = [list(p) for p in polygon.exterior.coords]
        default_name = _("A shape drawn on the map")
    area.name = (name or "").strip()[:120] or default_name
    area.min_lon, area.min_lat, area.max_lon, area.max_lat = box.min_lon, box.min_lat, box.max_lon, box.max_lat
    db.session.add(area)
    db.session.flush()
    return area


def stop_following_area(user: User, area_id: int) -> None:
    _require_user(user)
    area = db.session.get(AreaFollow, area_id)
    if area is None or area.user_id != user.id:
        raise NotFound(_("You do not follow that area."))
    db.session.delete(area)
    db.session.flush()


def user_areas(user: User) -> list[AreaFollow]:
    return list(db.session.scalars(select(AreaFollow).where(AreaFollow.user_id == user.id).order_by(AreaFollow.id)))


def area_followers_of(issue: Issue) -> list[tuple[int, AreaFollow]]:
    """(user id, area) for every followed area containing the issue, one area per user."""
    stmt = select(AreaFollow).where(
        AreaFollow.min_lon <= issue.lon,
        AreaFollow.max_lon >= issue.lon,
        AreaFollow.min_lat <= issue.lat,
        AreaFollow.max_lat >= issue.lat,
        or_(AreaFollow.category_id.is_(None), AreaFollow.category_id == issue.category_id),
    )
    found: dict[int, AreaFollow] = {}
    for area in db.session.scalars(stmt):
        if area.user_id not in found and areas.contains(area, issue.lat, issue.lon):
            found[area.user_id] = area
    return list(found.items())


def issues_in_area(area: AreaFollow, since: datetime | None = None, limit: int = 200) -> list[Issue]:
    stmt = within(select(Issue), areas.bounds_of(area)).where(Issue.hidden_at.is_(None))
    if area.category_id:
        stmt = stmt.where(Issue.category_id == area.category_id)
    if since is not None:
        stmt = stmt.where(Issue.updated_at >= since)
    stmt = stmt.order_by(Issue.updated_at.desc()).limit(limit * 2)
    return [i for i in db.session.scalars(stmt) if areas.contains(area, i.lat, i.lon)][:limit]


# --- notifications ------------------------------------------------------------------------------


def notify(
    user_ids: Iterable[int],
    kind: NotificationKind,
    *,
    issue: Issue | None,
    actor_id: int | None = None,
    payload: dict | None = None,
) -> list[Notification]:
    created = [
        Notification(
            user_id=uid, kind=kind, issue_id=issue.id if issue else None, actor_id=actor_id, payload=payload or {}
        )
        for uid in dict.fromkeys(user_ids)
        if uid != actor_id
    ]
    if not created:
        return []
    db.session.add_all(created)
    db.session.flush()
    app = signals.sender()
    for notification in created:
        signals.notification_created.send(app, notification=notification)
    return created


# The header's badge, on every page a signed-in person opens: built once, run with the user as a parameter.
_UNREAD = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
)


def unread_count(user: User | AnonymousUserMixin) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return db.session.scalar(_UNREAD, {"user_id": user.id}) or 0


def notifications_page(user: User, page: int = 1, per_page: int = 30) -> Pagination:
    stmt = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of the user's notifications read. Never touches anyone else's."""
    _require_user(user)
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(notification_ids))
    changed = db.session.execute(stmt.values(read_at=utcnow())).rowcount  # type: ignore[attr-defined]  # a CursorResult
    db.session.flush()
    signals.notification_created.send(signals.sender(), notification=None, user_id=user.id)
    return changed


def set_email_frequency(user: User, frequency: EmailFrequency) -> None:
    user.email_frequency = frequency
    db.session.flush()


# --- "near me" ------------------------------------------------------------------------------------


def near_me(user: User) -> dict:
    """What changed in my followed areas and issues since my last visit (or the last week)."""
    since = user.near_me_seen_at or (utcnow() - timedelta(days=NEAR_ME_DEFAULT_DAYS))
    by_area = [(area, issues_in_area(area, since=since, limit=50)) for area in user_areas(user)]
    followed_ids = [i.id for i in followed_issues(user)]
    comments = (
        list(
            db.session.scalars(
                select(Comment)
                .where(
                    Comment.issue_id.in_(followed_ids),
                    Comment.created_at >= since,
                    Comment.deleted_at.is_(None),
                    Comment.hidden_at.is_(None),
                    Comment.author_id != user.id,
                )
                .order_by(Comment.created_at.desc())
                .limit(100)
            )
        )
        if followed_ids
        else []
    )
    changes = (
        list(
            db.session.scalars(
                select(StatusChange)
                .where(
                    StatusChange.issue_id.in_(followed_ids),
                    StatusChange.created_at >= since,
                    StatusChange.from_status.is_not(None),
                )
                .order_by(StatusChange.created_at.desc())
                .limit(100)
            )
        )
        if followed_ids
        else []
    )
    return {"since": since, "areas": by_area, "comments": comments, "changes": changes}


def mark_near_me_seen(user: User) -> None:
    user.near_me_seen_at = utcnow()
    db.session.flush()
