"""API root and the signed-in user's own record (read it, change it)."""

from __future__ import annotations

from flask import current_app, jsonify, url_for
from flask_login import current_user, login_required

from civic.accounts import services
from civic.api import bp, openapi
from civic.api.openapi import operation, ref
from civic.api.schemas import MeChange
from civic.api.validation import body_of


@bp.get("/")
@operation(
    "The API's name and version",
    ok={
        "type": "object",
        "required": ["name", "version"],
        "properties": {"name": {"type": "string"}, "version": {"type": "integer"}, "openapi": {"type": "string"}},
    },
)
def index():
    return jsonify(name="civic", version=1, openapi=url_for("api.openapi_document"))


@bp.get("/openapi.json")
@operation("This document", ok={"type": "object", "required": ["openapi", "paths"]})
def openapi_document():
    """This API's OpenAPI 3 document, generated from the code (civic/api/openapi.py)."""
    return jsonify(openapi.document(current_app))


def _me_json(user):
    return {
        "id": user.id,
        "display_name": user.display_name,
        "show_name": user.show_name,
        "role": user.role.value,
        "verified": user.is_verified,
        "department": user.department.name if user.department else None,
        "locale": user.locale,
        "home": {"lat": user.home_lat, "lon": user.home_lon, "neighbourhood": user.home_neighbourhood}
        if user.has_home
        else None,
    }


@bp.get("/me")
@login_required
@operation("My account", ok=ref("Me"), errors=(401,))
def me():
    return jsonify(_me_json(current_user))


@bp.patch("/me")
@login_required
@operation(
    "Change my name, whether neighbours see it, language or home",
    ok=ref("Me"),
    body=MeChange,
    errors=(400,),
    write=True,
)
def update_me():
    """Change name, language or home. Session-authenticated, so it needs the X-CSRFToken header."""
    change = body_of(MeChange)
    given = change.model_fields_set  # what is left out stays as it is
    home = (change.home.model_dump() if change.home else None) if "home" in given else _current_home()
    name = change.display_name if "display_name" in given else current_user.display_name
    locale = change.locale if "locale" in given else current_user.locale
    show_name = change.show_name if "show_name" in given else current_user.show_name
    services.update_profile(
        current_user,
        display_name=name,
        show_name=show_name,
        locale=locale,
        home_lat=float(home["lat"]) if home else None,
        home_lon=float(home["lon"]) if home else None,
    )
    return jsonify(_me_json(current_user))


def _current_home():
    return {"lat": current_user.home_lat, "lon": current_user.home_lon} if current_user.has_home else None
