"""Room names, and the pushes made when something happens (signal receivers).

Rooms: `issue:<id>` (an open issue page), `user:<id>` (a signed-in user's private updates),
`tile:<z>/<x>/<y>` (a map showing that Web Mercator tile). A map joins the few tiles covering its view
at the coarsest zoom level where they number at most MAX_TILES; every change is pushed to the tiles
containing it at each of those levels, so a client hears only about its own area.
"""

from __future__ import annotations

import math

from flask import get_template_attribute
from markupsafe import Markup

from civic import signals
from civic.database import on_commit
from civic.extensions import db, socketio
from civic.issues.services import comment_author
from civic.issues.spatial import BBox
from civic.text import render_user_text

TILE_ZOOMS = range(10, 15)  # 10 covers a city's worth of view; 14 a few streets
MAX_TILES = 16


def issue_room(issue_id: int) -> str:
    return f"issue:{issue_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def tile_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    n = 2**zoom
    lat = max(min(lat, 85.0511), -85.0511)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_room(zoom: int, x: int, y: int) -> str:
    return f"tile:{zoom}/{x}/{y}"


def tile_rooms_for_point(lat: float, lon: float) -> list[str]:
    return [tile_room(z, *tile_of(lat, lon, z)) for z in TILE_ZOOMS]


def tile_rooms_for_view(box: BBox) -> list[str]:
    """The rooms a map showing `box` should be in: the finest zoom whose tiles covering it are few."""
    for zoom in reversed(TILE_ZOOMS):
        x0, y0 = tile_of(box.max_lat, box.min_lon, zoom)  # north-west corner: smallest x and y
        x1, y1 = tile_of(box.min_lat, box.max_lon, zoom)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= MAX_TILES:
            return [tile_room(zoom, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return []


# --- pushes -------------------------------------------------------------------------------------


def _emit(event: str, data: dict, rooms: list[str] | str) -> None:
    """Push once the change is committed (the payload is computed now, inside the transaction); a change
    that is rolled back is never announced."""
    on_commit(lambda: socketio.emit(event, data, to=rooms))  # type: ignore[arg-type]  # python-socketio takes a list


def _issue_changed(issue, change: str) -> None:
    _emit(
        "issue_changed",
        {"id": issue.id, "change": change, "status": issue.status.value, "upvotes": issue.upvote_count},
        tile_rooms_for_point(issue.lat, issue.lon),
    )


@signals.issue_reported.connect
def _reported(app, issue, **_extra) -> None:
    _issue_changed(issue, "reported")


@signals.issue_edited.connect
def _edited(app, issue, **_extra) -> None:
    _issue_changed(issue, "edited")


@signals.issue_upvoted.connect
def _upvoted(app, issue_id, count, **_extra) -> None:
    from civic.issues.models import Issue

    _emit("upvotes", {"issue_id": issue_id, "upvotes": count}, issue_room(issue_id))
    issue = db.session.get(Issue, issue_id)
    if issue is not None:
        _issue_changed(issue, "upvoted")


def comment_payload(comment) -> dict:
    """One comment as every reader in the room gets it: the author's name only where it is public (the one rule,
    issues.services.comment_author); otherwise null, and each page says "a neighbour" in its reader's language."""
    from flask import url_for

    author = comment_author(comment, None)
    return {
        "id": comment.id,
        "author": author.label if author.public else None,
        "former": comment.author is None,  # no name because the account is gone ("a former member")
        "official": comment.official,
        "department": comment.department.label if comment.official and comment.department else "",
        "created_at": comment.created_at.isoformat(),
        "body_html": str(render_user_text(comment.text)),
        "photos": [
            {"url": url_for("media.photo", key=p.key), "thumbnail": url_for("media.photo", key=p.thumb_key)}
            for p in comment.photos
        ],
        "deleted": comment.is_deleted,
    }


@signals.comment_posted.connect
def _commented(app, issue, comment, **_extra) -> None:
    db.session.refresh(issue)
    _emit(
        "comment",
        {"issue_id": issue.id, "comments": issue.comment_count, "comment": comment_payload(comment)},
        issue_room(issue.id),
    )


@signals.comment_changed.connect
def _comment_changed(app, comment, **_extra) -> None:
    _emit(
        "comment_changed",
        {"issue_id": comment.issue_id, "comment": comment_payload(comment)},
        issue_room(comment.issue_id),
    )


@signals.status_changed.connect
def _status_changed(app, issue, change, **_extra) -> None:
    _emit(
        "status",
        {
            "issue_id": issue.id,
            "status": issue.status.value,
            "label": issue.status.label,
            "reason": change.reason_text,
        },
        issue_room(issue.id),
    )
    _issue_changed(issue, "status")


@signals.notification_created.connect
def _notification(app, notification=None, user_id: int | None = None, **_extra) -> None:
    """Only the owner's private room hears about their notifications."""
    from civic.accounts.models import User
    from civic.notifications.services import unread_count

    owner_id = notification.user_id if notification is not None else user_id
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is not None:
        _emit("notifications", {"unread": unread_count(owner)}, user_room(owner.id))


@signals.ticket_changed.connect
def _ticket_changed(app, submission, **_extra) -> None:
    """The ticket line of the issue page, rendered by the page's own partial (open311/_ticket_status.html)."""
    html = str(get_template_attribute("open311/_ticket_status.html", "ticket_status")(submission)).strip()
    text = Markup(html).striptags()  # noqa: S704 - our own rendered template, only stripped to plain text
    _emit("ticket", {"issue_id": submission.issue_id, "html": html, "text": text}, issue_room(submission.issue_id))
