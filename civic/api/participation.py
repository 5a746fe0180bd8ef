"""/api/v1: report an issue, comments on an issue (read, paginated; post), and following an issue."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from civic.api import bp
from civic.api.body import json_object
from civic.api.openapi import PAGE_PARAMS, operation, ref
from civic.api.paging import paginated
from civic.errors import ValidationError
from civic.issues import services
from civic.issues.geojson import issue_feature
from civic.issues.models import Comment
from civic.notifications import services as follows
from civic.ratelimits import limited


def _text(data: dict, name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise ValidationError(_("%(name)s must be text.", name=name), field=name)
    return value


def _number(data: dict, name: str) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(_("%(name)s must be a number.", name=name), field=name)
    return float(value)


@bp.post("/issues")
@login_required
@limited("REPORT_RATE_LIMIT")
@operation(
    "Report an issue (photos: use the site's form)",
    ok=ref("IssueFeature"),
    status=201,
    body="NewIssue",
    errors=(400,),
    write=True,
)
def report_issue():
    data = json_object(
        {"category_id", "title", "description", "lat", "lon", "address", "attributes"},
        {"category_id", "title", "description", "lat", "lon"},
    )
    category = data["category_id"]
    if isinstance(category, bool) or not isinstance(category, int):
        raise ValidationError(_("category_id must be a whole number."), field="category_id")
    issue = services.report_issue(
        current_user,
        services.IssueDraft(
            category_id=category,
            title=_text(data, "title"),
            description=_text(data, "description"),
            lat=_number(data, "lat"),
            lon=_number(data, "lon"),
            address=_text(data, "address") or None,
            extra_fields=_attribute_fields(data.get("attributes")),
        ),
        origin="api",
    )
    return jsonify(issue_feature(issue)), 201


def _attribute_fields(attributes) -> dict[str, list[str]]:
    """{"code": "value" or ["v1", "v2"]} -> the form's attribute[code] fields, for the city's check."""
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise ValidationError(_("attributes must be an object of attribute codes and values."), field="attributes")
    fields = {}
    for code, value in attributes.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
            raise ValidationError(_("Each attribute value must be text or a number."), field="attributes")
        fields[f"attribute[{code}]"] = [str(v) for v in values]
    return fields


def comment_json(comment: Comment) -> dict:
    """A comment for the API caller: its author by the one rule for names (services.comment_author), so a private
    name reads "A neighbour" except to its author and city staff; an official reply names its department."""
    if comment.official and comment.department is not None:
        author = comment.department.name
    else:
        author = services.comment_author(comment, current_user).label
    return {
        "id": comment.id,
        "issue_id": comment.issue_id,
        "author": author,
        "body": comment.text,
        "official": comment.official,
        "department": comment.department.name if comment.department else None,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
    }


@bp.get("/issues/<int:issue_id>/comments")
@operation("Comments on an issue, oldest first", ok=ref("CommentPage"), params=PAGE_PARAMS, errors=(400, 404))
def comments(issue_id: int):
    issue = services.get_visible_issue(issue_id, current_user)
    stmt = (
        select(Comment)
        .where(Comment.issue_id == issue.id, Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
        .order_by(Comment.created_at, Comment.id)
        .options(selectinload(Comment.author), selectinload(Comment.department))
    )
    return jsonify(paginated(stmt, lambda page: [comment_json(c) for c in page]))


@bp.post("/issues/<int:issue_id>/comments")
@login_required
@limited("COMMENT_RATE_LIMIT")
@operation("Comment on an issue", ok=ref("Comment"), status=201, body="NewComment", errors=(400, 404), write=True)
def post_comment(issue_id: int):
    issue = services.get_visible_issue(issue_id, current_user)
    data = json_object({"body"}, {"body"})
    comment = services.add_comment(current_user, issue, _text(data, "body"))
    return jsonify(comment_json(comment)), 201


@bp.put("/issues/<int:issue_id>/follow")
@login_required
@operation(
    "Follow an issue, or stop following it", ok=ref("FollowResult"), body="Following", errors=(400, 404), write=True
)
def follow(issue_id: int):
    issue = services.get_visible_issue(issue_id, current_user)
    data = json_object({"following"}, {"following"})
    if not isinstance(data["following"], bool):
        raise ValidationError(_("following must be true or false."), field="following")
    follows.set_following(current_user, issue.id, data["following"])
    return jsonify(issue_id=issue.id, following=follows.is_following(current_user, issue.id))
