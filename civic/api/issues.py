"""/api/v1/issues: GeoJSON for a bounding box (issues, or server-side clusters when there are many),
one issue, duplicates near a point, categories, and the upvote toggle."""

from __future__ import annotations

import orjson
from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.api import bp
from civic.api.openapi import operation, ref
from civic.api.schemas import GeocodeQuery, IssuesQuery, NearbyQuery, Upvote
from civic.api.validation import body_of, query_of
from civic.errors import ValidationError
from civic.geo.geocoding import geocode
from civic.issues import markers, services, viewcache
from civic.issues.geojson import cluster_feature, collection, issue_feature
from civic.issues.queries import (
    MAX_MARKERS,
    clusters,
    count_in_view,
    must_cluster,
    parse_filters,
    parse_zoom,
    precomputed_clusters,
)
from civic.ratelimits import limited


@bp.get("/issues")
@operation(
    "Issues in a bounding box (GeoJSON), or server-side clusters when there are many",
    ok=ref("IssueCollection"),
    query=IssuesQuery,
    errors=(400,),
)
def issues_in_view():
    query_of(IssuesQuery)  # the document's rules; then the filters' own (the box's order and size, known slugs)
    filters = parse_filters(request.args, require_bbox=True)
    zoom = parse_zoom(request.args.get("zoom"))
    key = viewcache.key_for_request()
    body = viewcache.get(key)
    if body is None:
        body = orjson.dumps(_view(filters, zoom))  # plain values only; several times faster than json
        viewcache.put(key, body)
    return current_app.response_class(body, mimetype="application/json")


def _view(filters, zoom: int | None) -> dict:
    # With a zoom, group first (from the precomputed counts where they can answer, else from the issues, in
    # one pass); a view that proves small is then listed as markers, counted exactly by listing one more.
    groups = None
    if zoom is not None:
        groups = precomputed_clusters(filters, zoom)
        if groups is None:
            groups = clusters(filters, zoom)
    total = sum(c.count for c in groups) if groups is not None else count_in_view(filters)
    clustered = must_cluster(total, zoom)
    writer = markers.FeatureWriter()
    if clustered:
        if groups is None:  # no zoom given
            raise ValidationError(
                _("There are too many issues here to list: give zoom, or a smaller bbox."), field="zoom"
            )
        singles = markers.by_id(c.issue_id for c in groups if c.count == 1)  # shown as themselves
        writer.load_photos(singles.values())
        features = [
            writer.feature(singles[c.issue_id]) if c.count == 1 and c.issue_id in singles else cluster_feature(c)
            for c in groups
        ]
    else:
        rows = markers.in_view(filters, MAX_MARKERS + 1)
        if groups is not None:
            total = len(rows) if len(rows) <= MAX_MARKERS else count_in_view(filters)
        features = writer.features(rows[:MAX_MARKERS])
    return collection(features, total=total, clustered=clustered)


@bp.get("/issues/<int:issue_id>")
@operation("One issue, with its description and photos", ok=ref("IssueDetail"), errors=(404,))
def issue_detail(issue_id: int):
    issue = services.get_visible_issue(issue_id, current_user)
    feature = issue_feature(issue)
    feature["properties"].update(
        description=issue.description,
        reporter=services.reporter_label(issue, current_user),
        upvoted=services.has_upvoted(current_user, issue.id),
        photos=[{"url": _photo_url(p.key), "thumbnail": _photo_url(p.thumb_key)} for p in issue.photos],
    )
    return jsonify(feature)


def _photo_url(key: str) -> str:
    return url_for("media.photo", key=key)


@bp.get("/issues/nearby")
@operation(
    'Open issues within 100 m of a point ("already reported?")',
    ok=ref("NearbyCollection"),
    errors=(400,),
    query=NearbyQuery,
)
def nearby():
    """Open issues of a category within 100 m of a point: the report form's 'Already reported?'."""
    point = query_of(NearbyQuery)
    lat, lon = point.lat, point.lon
    services.locate(lat, lon)
    found = services.nearby_open_issues(lat, lon, point.category_id)
    features = []
    for issue, distance in found:
        feature = issue_feature(issue)
        feature["properties"].update(
            distance_m=round(distance),
            upvoted=services.has_upvoted(current_user, issue.id),
            # The caller's own report: their report already counts, so the form offers no vote (vote_refusal).
            mine=current_user.is_authenticated and issue.reporter_id == current_user.id,
        )
        features.append(feature)
    return jsonify(collection(features, radius_m=services.DUPLICATE_RADIUS_M))


@bp.post("/issues/<int:issue_id>/upvote")
@login_required
@limited("UPVOTE_RATE_LIMIT")  # and API_WRITE_RATE_LIMIT, like every API write
@operation(
    "Vote for an issue, withdraw the vote, or toggle it",
    ok=ref("UpvoteResult"),
    body=Upvote,
    body_required=False,
    errors=(400, 404),
    write=True,
)
def upvote(issue_id: int):
    """Toggle, or set with {"upvoted": true|false}. Session callers send the X-CSRFToken header."""
    if request.get_data() and not isinstance(request.get_json(silent=True), dict):
        raise ValidationError(_('Send a JSON object like {"upvoted": true}, or no body to toggle.'))
    wanted = body_of(Upvote, optional=True)
    if wanted.upvoted is not None:
        voted, count = services.set_upvote(current_user, issue_id, wanted.upvoted)
    else:
        voted, count = services.toggle_upvote(current_user, issue_id)
    return jsonify(issue_id=issue_id, upvoted=voted, upvotes=count)


@bp.get("/categories")
@operation("The city's service categories", ok={"type": "array", "items": ref("Category")})
def categories():
    return jsonify(
        [
            {"id": c.id, "slug": c.slug, "name": c.label, "department": c.department.name}
            for c in services.active_categories()
        ]
    )


@bp.get("/geocode")
@operation(
    "Places in the city matching a text",
    ok={"type": "array", "items": ref("Place")},
    errors=(400,),
    query=GeocodeQuery,
)
def geocode_place():
    """Places in the city matching what was typed: the report form's "Find on the map"."""
    query = query_of(GeocodeQuery).q
    return jsonify([{"label": p.label, "lat": p.lat, "lon": p.lon, "source": p.source} for p in geocode(query)])
