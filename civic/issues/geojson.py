"""GeoJSON for the map and the API: an issue as a Point feature, a cluster as a Point with a count."""

from __future__ import annotations

from flask import url_for

from civic.issues.models import Issue, IssueStatus
from civic.issues.places import place_label
from civic.issues.queries import Cluster


def marker_feature(
    *,
    id: int,
    title: str,
    category: str,
    category_label: str,
    status: IssueStatus,
    status_label: str,
    upvotes: int,
    comments: int,
    neighbourhood: str | None,
    place: str,
    created_at,
    url: str,
    thumb: str | None,
    lat: float,
    lon: float,
) -> dict:
    """An issue's map feature, the same from an Issue (issue_feature) and from a marker row (markers.py)."""
    return {
        "type": "Feature",
        "id": id,
        "geometry": point(lon, lat),
        "properties": {
            "id": id,
            "title": title,
            "category": category,
            "category_label": category_label,
            "status": status.value,
            "status_label": status_label,
            "upvotes": upvotes,
            "comments": comments,
            "neighbourhood": neighbourhood,
            "place": place,  # issues.places.place_label: the street block, else the neighbourhood
            "created_at": created_at.isoformat(),  # the popup says how long ago, in the reader's time
            "url": url,
            "thumb": thumb,  # the first photo's thumbnail URL, or None
        },
    }


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def issue_feature(issue: Issue) -> dict:
    first_photo = issue.photos[0] if issue.photos else None
    return marker_feature(
        id=issue.id,
        title=issue.title,
        category=issue.category.slug,
        category_label=issue.category.label,
        status=issue.status,
        status_label=issue.status.label,
        upvotes=issue.upvote_count,
        comments=issue.comment_count,
        neighbourhood=issue.neighbourhood,
        place=place_label(issue),
        created_at=issue.created_at,
        url=url_for("issues.detail", issue_id=issue.id),
        thumb=url_for("media.photo", key=first_photo.thumb_key) if first_photo else None,
        lat=issue.lat,
        lon=issue.lon,
    )


def cluster_feature(cluster: Cluster) -> dict:
    return {
        "type": "Feature",
        "geometry": point(cluster.lon, cluster.lat),
        "properties": {"cluster": True, "count": cluster.count},
    }


def collection(features: list[dict], **members) -> dict:
    return {"type": "FeatureCollection", "features": features, **members}
