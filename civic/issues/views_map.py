"""The maps' base layer served as a file: the neighbourhood outlines and their names (civic/issues/boundaries.py)."""

from __future__ import annotations

from flask import current_app, request, url_for

from civic.issues import bp
from civic.issues.boundaries import boundaries

ONE_YEAR = 365 * 24 * 3600


@bp.get("/map/neighbourhoods.geojson")
def boundaries_file():
    data = boundaries()
    response = current_app.response_class(data.body, mimetype="application/geo+json")
    if request.args.get("v") == data.version:  # the versioned URL the pages use never changes content
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "public, max-age=3600"
    response.set_etag(data.version)
    return response.make_conditional(request)


@bp.app_template_global("boundaries_url")
def boundaries_url() -> str:
    return url_for("issues.boundaries_file", v=boundaries().version)
