"""/api/v1: report an issue, comments on an issue (read, paginated; post), and following an issue."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from civic.api import bp
from civic.api.openapi import operation, ref
from civic.api.paging import paginated
from civic.api.schemas import Following, NewComment, NewIssue, PageQuery
from civic.api.validation import body_of
from civic.issues import services
from civic.issues.geojson import issue_feature
from civic.issues.models import Comment
from civic.notifications import services as follows
from civic.ratelimits import limited


@bp.post("/issues")
@login_required
@limited("REPORT_RATE_LIMIT")
@operation(
    "Report an issue (photos: use the site's form)",
    ok=ref("IssueFeature"),
    status=201,
    body=NewIssue,
    errors=(400,),
    write=True,
)
def report_issue():
    report = body_of(NewIssue)
    issue = services.report_issue(
        current_user,
        services.IssueDraft(
            category_id=report.category_id,
            title=report.title,
            description=report.description,
            lat=report.lat,
            lon=report.lon,
            address=report.address or None,
            extra_fields=_attribute_fields(report.attributes),
        ),
        origin="api",
    )
    return jsonify(issue_feature(issue)), 201


def _attribute_fields(attributes: dict | None) -> dict[str, list[str]]:
    """{"code": "value" or ["v1", "v2"]} -> the form's attribute[code] fields, for the city's check."""
    fields = {}
    for code, value in (attributes or {}).items():
        values = value if isinstance(value, list) else [value]
        fields[f"attribute[{code}]"] = [_attribute_text(v) for v in values]
    return fields


def _attribute_text(value: str | float) -> str:
    """As the form would send it: 2, not 2.0, for a whole number."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


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
@operation("Comments on an issue, oldest first", ok=ref("CommentPage"), query=PageQuery, errors=(400, 404))
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
@operation("Comment on an issue", ok=ref("Comment"), status=201, body=NewComment, errors=(400, 404), write=True)
def post_comment(issue_id: int):
    issue = services.get_visible_issue(issue_id, current_user)
    comment = services.add_comment(current_user, issue, body_of(NewComment).body)
    return jsonify(comment_json(comment)), 201


@bp.put("/issues/<int:issue_id>/follow")
@login_required
@operation(
    "Follow an issue, or stop following it", ok=ref("FollowResult"), body=Following, errors=(400, 404), write=True
)
def follow(issue_id: int):
    issue = services.get_visible_issue(issue_id, current_user)
    follows.set_following(current_user, issue.id, body_of(Following).following)
    return jsonify(issue_id=issue.id, following=follows.is_following(current_user, issue.id))
