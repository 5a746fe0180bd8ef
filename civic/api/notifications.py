"""/api/v1/notifications: the signed-in user's unread count (the badge the pages show, for other clients)."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required

from civic.api import bp
from civic.api.openapi import operation
from civic.notifications import services


@bp.get("/notifications/unread")
@login_required
@operation(
    "How many of my notifications are unread",
    errors=(401,),
    ok={"type": "object", "required": ["unread"], "properties": {"unread": {"type": "integer"}}},
)
def unread():
    return jsonify(unread=services.unread_count(current_user))
