"""API root and the signed-in user's own record."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required

from civic.api import bp


@bp.get("/")
def index():
    return jsonify(name="civic", version=1)


@bp.get("/me")
@login_required
def me():
    user = current_user
    return jsonify(
        id=user.id,
        display_name=user.display_name,
        role=user.role.value,
        verified=user.is_verified,
        department=user.department.name if user.department else None,
        locale=user.locale,
    )
