"""What an issue's list card and map popup show besides its own columns: the first photo's thumbnail (one
query for a whole page or map view, never one per issue), how long ago it was reported, how far away it is."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import format_decimal, format_timedelta
from flask_babel import gettext as _
from sqlalchemy import select

from civic.database import utcnow
from civic.extensions import db
from civic.issues import bp
from civic.issues.models import Photo
from civic.issues.spatial import distance_m

THUMB_SIZE = 96  # CSS pixels, square: a card keeps its height whether its thumbnail has loaded or not


def first_thumbs(issue_ids: Iterable[int]) -> dict[int, str]:
    """issue id -> thumbnail key of its first visible photo (not a comment's, not removed or hidden)."""
    ids = list(set(issue_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Photo.issue_id, Photo.thumb_key)
        .where(
            Photo.issue_id.in_(ids),
            Photo.comment_id.is_(None),
            Photo.removed_at.is_(None),
            Photo.hidden_at.is_(None),
        )
        .order_by(Photo.issue_id, Photo.position.desc(), Photo.id.desc())
    )
    return {issue_id: key for issue_id, key in rows}  # the last one written per issue: its first photo


@bp.app_template_filter("age")
def age(moment: datetime, now: datetime | None = None) -> str:
    """ "3 days ago", "hace 3 días": the time since `moment`, in the reader's language."""
    return format_timedelta(moment - (now or utcnow()), add_direction=True, threshold=1)


def distance_text(metres: float) -> str:
    """ "250 m away" under a kilometre (to 10 m), "1.2 km away" above."""
    if metres < 1000:
        return _("%(distance)s m away", distance=format_decimal(max(10, round(metres, -1)), format="#,##0"))
    return _("%(distance)s km away", distance=format_decimal(metres / 1000, format="#,##0.0"))


def distances(issues: Iterable, home: tuple[float, float] | None) -> dict[int, str]:
    """issue id -> its distance from `home` in words; empty without a home."""
    if home is None:
        return {}
    return {issue.id: distance_text(distance_m(home[0], home[1], issue.lat, issue.lon)) for issue in issues}
