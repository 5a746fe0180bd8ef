"""Socket.IO events from browsers: connect (joins the signed-in user's private room), watch an issue,
watch a map view. Nobody can ask to join another user's room: no event takes a room name.

`register_handlers` is called by create_app after every `socketio.init_app`: Flask-SocketIO only
remembers decorated handlers for servers created later if no server existed yet, so module-level
decorators would reach the first app of a process and no other.
"""

from __future__ import annotations

from flask_login import current_user
from flask_socketio import SocketIO, emit, join_room, leave_room, rooms

from civic.extensions import db
from civic.issues.spatial import BBox
from civic.realtime.rooms import issue_room, tile_rooms_for_view, user_room


def _join(room: str) -> None:
    try:
        join_room(room)
    except ValueError:  # the browser left (navigated away) while its event was being handled
        pass


def _leave(room: str) -> None:
    try:
        leave_room(room)
    except ValueError:
        pass


def _current_rooms() -> list[str]:
    try:
        return list(rooms())
    except (ValueError, KeyError):
        return []


def on_connect(auth=None):
    if current_user.is_authenticated:
        from civic.notifications.services import unread_count

        _join(user_room(current_user.id))
        # The badge may come from a cached page, or updates may have happened while disconnected.
        try:
            emit("notifications", {"unread": unread_count(current_user)})
        except ValueError:
            pass


def on_watch_issue(data):
    from civic.issues.models import Issue

    issue_id = data.get("issue_id") if isinstance(data, dict) else None
    if not isinstance(issue_id, int) or isinstance(issue_id, bool) or db.session.get(Issue, issue_id) is None:
        return {"ok": False, "error": "unknown issue"}
    for room in _current_rooms():
        if room.startswith("issue:"):
            _leave(room)
    _join(issue_room(issue_id))
    return {"ok": True}


def on_watch_area(data):
    raw = data.get("bbox") if isinstance(data, dict) else None
    try:
        box = BBox(*[float(v) for v in raw])  # type: ignore[union-attr]  # None: the TypeError below
    except (TypeError, ValueError):
        return {"ok": False, "error": "bbox must be [minLon, minLat, maxLon, maxLat]"}
    if not (box.min_lon < box.max_lon and box.min_lat < box.max_lat):
        return {"ok": False, "error": "bbox corners are out of order"}
    for room in _current_rooms():
        if room.startswith("tile:"):
            _leave(room)
    wanted = tile_rooms_for_view(box)
    for room in wanted:
        _join(room)
    return {"ok": True, "tiles": len(wanted)}


def register_handlers(sio: SocketIO) -> None:
    sio.on_event("connect", on_connect)
    sio.on_event("watch_issue", on_watch_issue)
    sio.on_event("watch_area", on_watch_area)
