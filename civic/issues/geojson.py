"""GeoJSON for the map and the API: an issue as a Point feature, a cluster as a Point with a count."""
from __future__ import annotations

from flask import url_for

from civic.issues.models import Issue
from civic.issues.queries import Cluster


def issue_properties(issue: Issue) -> dict:
    return {
        "id": issue.id,
        "title": issue.title,
        "category": issue.category.slug,
        "category_label": issue.category.label,
        "status": issue.status.value,
        "status_label": issue.status.label,
        "upvotes": issue.upvote_count,
        "comments": issue.comment_count,
        "neighbourhood": issue.neighbourhood,
        "created_at": issue.created_at.isoformat(),
        "url": url_for("issues.detail", issue_id=issue.id),
    }


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def issue_feature(issue: Issue) -> dict:
    return {"type": "Feature", "id": issue.id, "geometry": point(issue.lon, issue.lat),
            "properties": issue_properties(issue)}


def cluster_feature(cluster: Cluster) -> dict:
    return {"type": "Feature", "geometry": point(cluster.lon, cluster.lat),
            "properties": {"cluster": True, "count": cluster.count}}


def collection(features: list[dict], **members) -> dict:
    return {"type": "FeatureCollection", "features": features, **members}
