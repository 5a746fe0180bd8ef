"""Socket.IO events from browsers: connect (joins the signed-in user's private room), watch an issue,
watch a map view. Nobody can ask to join another user's room: no event takes a room name."""
from __future__ import annotations

from flask_login import current_user
from flask_socketio import join_room, leave_room, rooms

from civic.extensions import db, socketio
from civic.issues.spatial import BBox
from civic.realtime.rooms import issue_room, tile_rooms_for_view, user_room


@socketio.on("connect")
def _connect(auth=None):
    if current_user.is_authenticated:
        join_room(user_room(current_user.id))


@socketio.on("watch_issue")
def _watch_issue(data):
    from civic.issues.models import Issue

    issue_id = data.get("issue_id") if isinstance(data, dict) else None
    if not isinstance(issue_id, int) or isinstance(issue_id, bool) or db.session.get(Issue, issue_id) is None:
        return {"ok": False, "error": "unknown issue"}
    for room in rooms():
        if room.startswith("issue:"):
            leave_room(room)
    join_room(issue_room(issue_id))
    return {"ok": True}


@socketio.on("watch_area")
def _watch_area(data):
    raw = data.get("bbox") if isinstance(data, dict) else None
    try:
        box = BBox(*[float(v) for v in raw])
    except (TypeError, ValueError):
        return {"ok": False, "error": "bbox must be [minLon, minLat, maxLon, maxLat]"}
    if not (box.min_lon < box.max_lon and box.min_lat < box.max_lat):
        return {"ok": False, "error": "bbox corners are out of order"}
    for room in rooms():
        if room.startswith("tile:"):
            leave_room(room)
    wanted = tile_rooms_for_view(box)
    for room in wanted:
        join_room(room)
    return {"ok": True, "tiles": len(wanted)}
